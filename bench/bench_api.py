"""Requests/s and latency of the HTTP API: entity lookup, a catalogue question, a neighbourhood.

Not a test. Starts one uvicorn worker on loopback (unless --base-url is given) over the graph
of PATENTKG_DATA_DIR (load it first, e.g. `patentkg demo --patents 5000`), then sends a fixed
number of requests per scenario from a few threads, each scenario bounded by a time limit:

    PATENTKG_DATA_DIR=/tmp/api-data python bench/bench_api.py --requests 400 --concurrency 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0

    def row(self) -> str:
        lat = sorted(self.latencies)
        if not lat:
            return f"{self.name:<28} {'-':>6} {'-':>8} {'-':>8} {'-':>8} {self.errors:>6}"
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        rps = len(lat) / self.wall if self.wall else 0.0
        return (f"{self.name:<28} {len(lat):>6} {rps:>8.1f} {statistics.median(lat) * 1000:>8.1f}"
                f" {p95 * 1000:>8.1f} {self.errors:>6}")


def run(name: str, client_factory: Callable[[], httpx.Client], url: str, *, requests: int,
        concurrency: int, time_limit: float) -> Result:
    """Send ``requests`` GETs of ``url`` from ``concurrency`` threads, stop at ``time_limit``."""
    result = Result(name)
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.perf_counter() + time_limit

    def worker() -> None:
        with client_factory() as client:
            while time.perf_counter() < deadline:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                start = time.perf_counter()
                try:
                    ok = client.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - start
                with lock:
                    if ok:
                        result.latencies.append(took)
                    else:
                        result.errors += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - began
    return result


def start_server(port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host",
           "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning",
           "--no-access-log"]
    proc = subprocess.Popen(cmd, env=os.environ.copy())
    for _ in range(120):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the API did not become healthy within 60 s")


def pick_targets(base: str, headers: dict[str, str]) -> dict[str, str]:
    """An existing entity, a question that answers without parameters, its neighbourhood."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        health = c.get("/health").json()
        if not health.get("labels", {}).get("Patent"):
            raise SystemExit("the graph holds no patents: run `patentkg demo` (or load data) "
                             "with the same PATENTKG_DATA_DIR first")
        hits = c.get("/api/search", params={"q": "天津", "type": "企业", "limit": 1}).json()
        if not hits:
            hits = c.get("/api/search", params={"q": "方法", "limit": 1}).json()
        label, key = hits[0]["label"], hits[0]["key"]
        question = None
        for q in c.get("/api/questions").json():
            if not any(p["required"] for p in q["params"]):
                if c.get(f"/api/questions/{q['name']}", params={"limit": 1}).status_code == 200:
                    question = q["name"]
                    break
    if question is None:
        raise SystemExit("no question answers without parameters")
    return {
        f"entity {label}": f"/api/entities/{label}/{key}",
        f"question {question}"[:28]: f"/api/questions/{question}?limit=50",
        "neighbourhood depth 1": f"/api/graph/neighborhood?label={label}&key={key}&depth=1",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="benchmark a running API instead of starting one")
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--requests", type=int, default=300, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per scenario")
    parser.add_argument("--api-key", default=os.environ.get("PATENTKG_BENCH_KEY", ""))
    args = parser.parse_args()

    proc = None if args.base_url else start_server(args.port)
    base = args.base_url or f"http://127.0.0.1:{args.port}"
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    try:
        targets = pick_targets(base, headers)
        results = []
        for name, url in targets.items():
            def factory() -> httpx.Client:
                return httpx.Client(base_url=base, headers=headers, timeout=30)
            run(name, factory, url, requests=min(20, args.requests), concurrency=2,
                time_limit=10)  # warm-up
            results.append(run(name, factory, url, requests=args.requests,
                               concurrency=args.concurrency, time_limit=args.time_limit))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"\nAPI {base}: 1 uvicorn worker, {args.concurrency} client threads, "
          f"{args.requests} requests per scenario (time limit {args.time_limit:g} s)")
    print(f"{'scenario':<28} {'ok':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
    for r in results:
        print(r.row())


if __name__ == "__main__":
    main()
