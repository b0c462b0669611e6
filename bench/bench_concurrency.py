"""64 concurrent API clients for 60 s while `patentkg load` writes another batch: errors, latency.

    python bench/bench_concurrency.py                     # 3000-patent demo, 64 clients, 60 s
    python bench/bench_concurrency.py --reuse --workers 1

Self-contained and bounded: its own data dir (default /tmp/patentkg-bench-conc) and graph, its own
uvicorn on 127.0.0.1 (port 8350 by default), a baseline phase without the load first (same run),
then the phase with the load; every process it starts is stopped at the end, by pid.
Counted as an error: any non-2xx answer and any transport failure (refused, reset, timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else 0


def env_for(data_dir: Path, graph: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATENTKG_")}
    env.update(PATENTKG_DATA_DIR=str(data_dir), PATENTKG_GRAPH=graph)
    return env


def exe() -> str:
    return str(Path(sys.executable).with_name("patentkg"))


def prepare(data_dir: Path, graph: str, patents: int, reuse: bool) -> tuple[Path, Path]:
    """The demo loaded and derived (unless reused) and a second batch of files to load later."""
    from loaders.generate import generate_demo

    data_dir.mkdir(parents=True, exist_ok=True)
    first, second = data_dir / "batch1", data_dir / "batch2"
    for out, seed, n in ((first, 20241, patents), (second, 777, max(patents // 2, 100))):
        if not (out / ".done").exists():
            generate_demo(out, patents=n, seed=seed)
            (out / ".done").write_text("ok")
    if not reuse:
        env = env_for(data_dir, graph)
        subprocess.run([exe(), "load", "--replace", "--rejects", str(data_dir / "rej1.csv"),
                        str(first)], env=env, capture_output=True, check=False)
        subprocess.run([sys.executable, "-c", "from graph.store import open_store; "
                        "from queries.derive import refresh; refresh(open_store())"],
                       env=env, check=True, cwd=REPO)
    return first, second


def targets(data_dir: Path, graph: str) -> list[str]:
    """The request mix: catalogue questions, search, profiles, neighbourhoods, health."""
    os.environ.update(env_for(data_dir, graph))
    from graph.store import open_store

    store = open_store()
    try:
        apps = [r["k"] for r in store.read("MATCH (p:Patent) RETURN p.app_no AS k "
                                           "ORDER BY k LIMIT 300")]
        ents = [r["k"] for r in store.read("MATCH (e:Enterprise) RETURN e.org_key AS k "
                                           "ORDER BY k LIMIT 100")]
        park = store.read("MATCH (p:Park) RETURN p.name AS n ORDER BY n LIMIT 1")[0]["n"]
    finally:
        store.close()
    rng = random.Random(3)
    urls = ["/health", "/api/questions",
            "/api/questions/stock_patent_inventory?limit=20",
            "/api/questions/roadshow_candidates?limit=20",
            "/api/questions/industry_gaps",
            "/api/questions/conversion_metrics",
            f"/api/questions/park_push_list?park={park}&limit=20",
            "/api/questions/open_licence_search?limit=20",
            "/api/search?q=电池", "/api/search?q=风力发电", "/api/search?q=天津"]
    urls += [f"/api/entities/Patent/{rng.choice(apps)}" for _ in range(6)]
    urls += [f"/api/entities/Enterprise/{rng.choice(ents)}" for _ in range(3)]
    urls += [f"/api/graph/neighborhood?label=Enterprise&key={rng.choice(ents)}"
             for _ in range(2)]
    return urls


async def hammer(base: str, urls: list[str], clients: int, seconds: float
                 ) -> tuple[list[float], Counter, dict[str, list[float]], float]:
    """``clients`` tasks request random URLs back to back for ``seconds``."""
    latencies: list[float] = []
    errors: Counter = Counter()
    per_path: dict[str, list[float]] = defaultdict(list)
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(i: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(i)
        while time.monotonic() < stop:
            url = rng.choice(urls)
            t = time.perf_counter()
            try:
                resp = await http.get(url)
                ok = 200 <= resp.status_code < 300
                if not ok:
                    errors[f"HTTP {resp.status_code} {url.split('?')[0][:40]}"] += 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
                ok = False
            ms = (time.perf_counter() - t) * 1000
            latencies.append(ms)
            per_path[url.split("?")[0].rsplit("/", 1)[0] if "/entities/" in url
                     else url.split("?")[0]].append(ms)
            del ok

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        await asyncio.gather(*(client(i, http) for i in range(clients)))
    return latencies, errors, per_path, time.perf_counter() - started


def report(title: str, lat: list[float], errors: Counter, wall: float) -> None:
    n = len(lat)
    print(f"| {title} | {n} | {sum(errors.values())} | {n / wall:.1f} | "
          f"{statistics.median(lat) if lat else 0:.0f} | {pct(lat, 0.95):.0f} | "
          f"{max(lat) if lat else 0:.0f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patents", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8350)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/patentkg-bench-conc"))
    parser.add_argument("--graph", default="conc")
    parser.add_argument("--reuse", action="store_true", help="the first batch is loaded already")
    args = parser.parse_args(argv)

    _, second = prepare(args.data_dir, args.graph, args.patents, args.reuse)
    urls = targets(args.data_dir, args.graph)
    env = env_for(args.data_dir, args.graph)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
                               "--host", "127.0.0.1", "--port", str(args.port), "--workers",
                               str(args.workers), "--log-level", "warning"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    loader: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise SystemExit("uvicorn did not come up: " + (server.stderr.read() if
                                                             server.poll() is not None else ""))
        print(f"# bench_concurrency: {args.clients} clients, {args.workers} uvicorn worker(s), "
              f"{args.patents} patents loaded + a {max(args.patents // 2, 100)}-patent batch "
              "loading during the main phase")
        print(f"{datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}\n")
        print("| phase | requests | errors | req/s | p50 ms | p95 ms | max ms |")
        print("|---|---|---|---|---|---|---|")
        lat, errors, _, wall = asyncio.run(hammer(base, urls, args.clients,
                                                  args.baseline_seconds))
        report(f"baseline, no load ({args.baseline_seconds:.0f} s)", lat, errors, wall)
        all_errors = Counter(errors)

        load_started = time.perf_counter()
        loader = subprocess.Popen([exe(), "load", "--rejects", str(args.data_dir / "rej2.csv"),
                                   str(second)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        lat, errors, per_path, wall = asyncio.run(hammer(base, urls, args.clients, args.seconds))
        load_state = "still running" if loader.poll() is None else f"exit {loader.returncode}"
        report(f"with `patentkg load` ({args.seconds:.0f} s)", lat, errors, wall)
        all_errors.update(errors)
        loader.wait(timeout=1800)
        load_s = time.perf_counter() - load_started
        print(f"\nthe concurrent load: exit {loader.returncode}, {load_s:.0f} s "
              f"({load_state} when the clients stopped)")
        print("\n| path (with load) | requests | p50 ms | p95 ms | max ms |")
        print("|---|---|---|---|---|")
        for path, ms in sorted(per_path.items(), key=lambda kv: -pct(kv[1], 0.95)):
            print(f"| {path} | {len(ms)} | {statistics.median(ms):.0f} | {pct(ms, 0.95):.0f} | "
                  f"{max(ms):.0f} |")
        print(f"\nerrors: {dict(all_errors) or 0} (target 0)")
        return 1 if all_errors else 0
    finally:
        for proc in (loader, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    sys.exit(main())
