"""Requests/s and latency of the HTTP API: entity lookups (cold and warm), a catalogue question
and a neighbourhood, with the answer cache on and off, against a trivial endpoint's baseline.

Not a test. Starts one uvicorn worker on loopback per configuration (cache on, cache off) over
the graph of PATENTKG_DATA_DIR (load it first), then drives it with `wrk` (Debian package
`wrk`; one client thread, keep-alive connections, each scenario bounded by --duration
seconds). Without wrk it falls back to Python threads, which cannot produce 1,000 req/s here.

    PATENTKG_DATA_DIR=/tmp/apispeed-data python bench/bench_api.py --duration 8 --connections 8

Scenarios:
* ``live``: GET /health/live (no store, no cache): the ceiling of client + server on this box.
* ``entity cold``: /api/entities/Patent/{key} over many distinct keys, each asked once (every
  answer a miss: what a crawler sees).
* ``entity warm``: the same lookup over --warm-keys keys, each asked once before the
  measurement (cache hits; without the cache these are misses again).
* ``entity cold, every label``: /api/entities/{label}/{key} over up to --label-keys keys of
  every label (hubs included: all 14 institutes, every park, the IPC classes...), shuffled.
* ``question``: a catalogue question's first page; ``neighbourhood``: depth-1 network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

LUA = r"""
local paths, n, i = {}, 0, 0
hits, misses = 0, 0  -- globals: done() reads them with thread:get()
function init(args)
  for line in io.lines(args[1]) do n = n + 1; paths[n] = line end
  i = tonumber(args[2] or "0") % n
end
function request()
  i = i % n + 1
  return wrk.format("GET", paths[i], {["X-API-Key"] = os.getenv("BENCH_KEY") or ""})
end
function response(status, headers, body)
  local c = headers["x-cache"] or headers["X-Cache"]
  if c == "hit" then hits = hits + 1 elseif c == "miss" then misses = misses + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local h, m = 0, 0
  for _, t in ipairs(threads) do h = h + t:get("hits"); m = m + t:get("misses") end
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %f, "p95_ms": %f, "p99_ms": %f, "hits": %d, "misses": %d}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, h, m))
end
"""


def start_server(port: int, env: dict[str, str], code: str | None = None
                 ) -> subprocess.Popen[bytes]:
    """One uvicorn worker; with ``code``, the API of that source tree (e.g. an older commit
    unpacked with `git archive`), imported ahead of the installed package."""
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host",
           "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning",
           "--no-access-log"]
    if code:
        env = {**env, "PYTHONPATH": os.pathsep.join(
            [code, *filter(None, [env.get("PYTHONPATH")])])}
    proc = subprocess.Popen(cmd, env=env, cwd=code or None)
    for _ in range(240):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        time.sleep(0.5)
    stop(proc)
    raise SystemExit("the API did not come up within 120 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def patent_keys(count: int) -> list[str]:
    """Distinct patent keys, spread over the graph (read from the store directly)."""
    from graph.store import open_store
    from patentkg.config import load_settings

    store = open_store(load_settings())
    try:
        total = store.read("MATCH (p:Patent) RETURN count(p) AS n")[0]["n"]
        step = max(1, total // count)
        rows = store.read("MATCH (p:Patent) WITH p.app_no AS k ORDER BY k "
                          "WITH collect(k) AS ks UNWIND range(0, size(ks) - 1, $step) AS i "
                          "RETURN ks[i] AS k LIMIT $n", {"step": step, "n": count})
    finally:
        store.close()
    return [r["k"] for r in rows]


def label_keys(per_label: int) -> list[str]:
    """Entity paths of every label: up to ``per_label`` keys each (in key order), shuffled."""
    import random

    from graph import schema
    from graph.store import open_store
    from patentkg.config import load_settings

    store = open_store(load_settings())
    paths = []
    try:
        for node in schema.NODES:
            rows = store.read(f"MATCH (n:{node.label}) RETURN n.{node.key} AS k ORDER BY k "
                              "LIMIT $n", {"n": per_label})
            paths += [f"/api/entities/{node.label}/{quote(str(r['k']), safe='')}" for r in rows]
    finally:
        store.close()
    random.Random(7).shuffle(paths)
    return paths


def pick_question(base: str, headers: dict[str, str]) -> str:
    preferred = ("park_push_list", "award_winning_patents")
    with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
        names = [q["name"] for q in c.get("/api/questions").json()
                 if not any(p["required"] for p in q["params"])]
        for name in sorted(names, key=lambda n: (n not in preferred, n)):
            if c.get(f"/api/questions/{name}", params={"limit": 1}).status_code == 200:
                return name
    raise SystemExit("no question answers without parameters")


def wrk(base: str, paths: list[str], *, connections: int, duration: float, key: str,
        workdir: Path, offset: int = 0) -> dict[str, float]:
    script = workdir / "bench.lua"
    script.write_text(LUA)
    listing = workdir / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
         "-s", str(script), base, "--", str(listing), str(offset)],
        capture_output=True, text=True, env={**os.environ, "BENCH_KEY": key},
        timeout=duration + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {out.stdout}\n{out.stderr}")
    result = json.loads(line[6:])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def threads_client(base: str, paths: list[str], *, connections: int, duration: float,
                   key: str, workdir: Path, offset: int = 0) -> dict[str, float]:
    """Fallback without wrk: keep-alive httpx clients in threads (a low ceiling)."""
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = [offset]
    deadline = time.perf_counter() + duration

    def worker() -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=10) as c:
            while time.perf_counter() < deadline:
                with lock:
                    path = paths[counter[0] % len(paths)]
                    counter[0] += 1
                t0 = time.perf_counter()
                ok = c.get(path).status_code == 200
                with lock:
                    lat.append(time.perf_counter() - t0) if ok else None
                    errors[0] += 0 if ok else 1

    began = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(connections)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - began
    lat.sort()
    pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (
        lambda q: float("nan"))
    return {"requests": len(lat) + errors[0], "seconds": wall, "non2xx": errors[0],
            "socket_errors": 0, "p50_ms": pick(0.5), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
            "hits": -1, "misses": -1, "rps": len(lat) / wall}


def fill(base: str, paths: list[str], key: str, threads: int = 8) -> None:
    """Ask every path exactly once (filling the answer cache), from a few threads."""
    def worker(part: list[str]) -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as c:
            for path in part:
                c.get(path)

    ts = [threading.Thread(target=worker, args=(paths[i::threads],)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def run_config(name: str, cache_on: bool, args: argparse.Namespace, keys: list[str],
               workdir: Path, mixed: list[str], code: str | None = None
               ) -> list[tuple[str, str, dict[str, float]]]:
    env = {**os.environ, "PATENTKG_CACHE_ENTRIES": "20000" if cache_on else "0"}
    proc = start_server(args.port, env, code)
    wanted = set(args.scenarios.split(","))
    base = f"http://127.0.0.1:{args.port}"
    drive = wrk if shutil.which("wrk") and not args.python_client else threads_client
    kw = {"connections": args.connections, "duration": args.duration, "key": args.api_key,
          "workdir": workdir}
    rows: list[tuple[str, str, dict[str, float]]] = []
    try:
        headers = {"X-API-Key": args.api_key} if args.api_key else {}
        question = pick_question(base, headers)
        warm = [f"/api/entities/Patent/{quote(k)}" for k in keys[:args.warm_keys]]
        cold = [f"/api/entities/Patent/{quote(k)}" for k in keys[args.warm_keys:]]
        neighbour = (f"/api/graph/neighborhood?label=Patent&key={quote(keys[0])}&depth=1")
        qpath = f"/api/questions/{question}?limit=50"
        drive(base, ["/health/live"], **{**kw, "duration": 2})  # warm-up of the connections
        if "live" in wanted:
            rows.append((name, "live (trivial endpoint)", drive(base, ["/health/live"], **kw)))
        if "cold" in wanted:
            rows.append((name, f"entity cold ({len(cold)} keys)", drive(base, cold, **kw)))
        if "labels" in wanted:
            rows.append((name, f"entity cold, every label ({len(mixed)} keys)",
                         drive(base, mixed, **kw)))
        if "warm" in wanted:
            # warm: every key asked once (filling the cache), then measured
            if cache_on:
                fill(base, warm, args.api_key)
            rows.append((name, f"entity warm ({len(warm)} keys)", drive(base, warm, **kw)))
        if "question" in wanted:
            drive(base, [qpath], **{**kw, "duration": 2})
            rows.append((name, f"question {question} p1", drive(base, [qpath], **kw)))
        if "neighbourhood" in wanted:
            drive(base, [neighbour], **{**kw, "duration": 2})
            rows.append((name, "neighbourhood depth 1", drive(base, [neighbour], **kw)))
    finally:
        stop(proc)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8550)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--warm-keys", type=int, default=1000)
    parser.add_argument("--cold-keys", type=int, default=20000)
    parser.add_argument("--label-keys", type=int, default=300,
                        help="keys per label of the every-label scenario")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--configs", default="cache,nocache")
    parser.add_argument("--scenarios", default="live,cold,labels,warm,question,neighbourhood",
                        help="which scenarios to run (comma-separated)")
    parser.add_argument("--compare", metavar="DIR",
                        help="also run the API of this source tree (e.g. `git archive HEAD` "
                             "unpacked) in every run, right after the current code, on the "
                             "same graph: a same-run baseline")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--api-key", default=os.environ.get("PATENTKG_BENCH_KEY", ""))
    args = parser.parse_args()

    keys = patent_keys(args.warm_keys + args.cold_keys)
    mixed = label_keys(args.label_keys)
    if len(keys) < args.warm_keys + 100:
        raise SystemExit("the graph holds too few patents: load a bigger data set first")
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    try:
        for run in range(args.runs):
            for config in args.configs.split(","):
                # cold keys differ per run so a run never finds the previous run's answers
                offset = run * (len(keys) - args.warm_keys) // max(1, args.runs)
                ks = keys[:args.warm_keys] + (keys[args.warm_keys:][offset:]
                                              + keys[args.warm_keys:][:offset])
                codes = [(config, None)] + ([(f"{config} ({args.compare})", args.compare)]
                                            if args.compare else [])
                if run % 2:  # alternate which tree goes first
                    codes.reverse()
                for name, code in codes:
                    for cfg, scenario, r in run_config(name, config == "cache", args, ks,
                                                       workdir, mixed, code):
                        results.setdefault((cfg, scenario), []).append(r)
                        print(f"run {run + 1} {cfg:<8} {scenario:<32} {r['rps']:>8.0f} req/s "
                              f"p50 {r['p50_ms']:.2f} ms p95 {r['p95_ms']:.2f} ms "
                              f"hits {r['hits']} misses {r['misses']} non2xx {r['non2xx']} "
                              f"sockerr {r['socket_errors']} load {os.getloadavg()[0]:.1f}",
                              flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    client = "wrk -t1" if shutil.which("wrk") and not args.python_client else "python threads"
    print(f"\n1 uvicorn worker, {client}, {args.connections} keep-alive connections, "
          f"{args.duration:g} s per scenario, median of {args.runs} run(s), load average "
          f"at the end {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    print("| config | scenario | req/s | p50 ms | p95 ms | hit share |")
    print("|---|---|---:|---:|---:|---:|")
    for (cfg, scenario), rs in results.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p95_ms")}
        seen = sum(r["hits"] + r["misses"] for r in rs)
        share = f"{sum(r['hits'] for r in rs) / seen:.0%}" if seen > 0 else "-"
        print(f"| {cfg} | {scenario} | {med['rps']:.0f} | {med['p50_ms']:.1f} | "
              f"{med['p95_ms']:.1f} | {share} |")


if __name__ == "__main__":
    main()
