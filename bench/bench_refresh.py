"""Benchmark `queries.derive.refresh` step by step against baselines measured in the same run.

    PATENTKG_DATA_DIR=/tmp/my-bench python bench/bench_refresh.py --rdb loaded.rdb
    PATENTKG_DATA_DIR=/tmp/my-bench python bench/bench_refresh.py --files DEMO_FILES_DIR

The graph is restored from a backup taken right after a load (`patentkg load --no-derive`,
then `patentkg store backup`) or loaded from files, so the first refresh is the one that
follows a load; a second refresh on the unchanged graph follows. Baselines on the same graph:
reading the patent table with one paged plain Cypher read (the columns refresh needs) and
networkx Louvain on the same IPC co-classification graph. Never run it on a data dir you
share: it replaces the graph (`--rdb` keeps the previous data aside in the data dir).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx  # noqa: E402

from graph.store import open_store  # noqa: E402
from queries import derive  # noqa: E402
from queries.clusters import cooccurrence_graph, subclass_of  # noqa: E402

INDEX_STATUS = "CALL db.indexes() YIELD status RETURN status"


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "patentkg.cli", *args], check=True,
                   stdout=subprocess.DEVNULL)


def _wait_for_indexes(store) -> float:
    """A restored graph builds its indexes in the background: time only a ready graph."""
    started = time.perf_counter()
    while any(r["status"] != "OPERATIONAL" for r in store.read(INDEX_STATUS)):
        time.sleep(0.2)
    return time.perf_counter() - started


def read_patent_table(store) -> tuple[float, dict[str, list[str]]]:
    """Baseline: the patent table refresh reads, as one paged plain read."""
    started = time.perf_counter()
    cpu = time.process_time()
    subclasses: dict[str, list[str]] = {}
    for r in derive._patent_rows(store):
        codes = [c for c in (r.get("ipc_codes") or []) if c]
        if r.get("ipc_main"):
            codes.append(r["ipc_main"])
        subclasses[r["app_no"]] = sorted({subclass_of(c) for c in codes})
    print(f"(baseline read: {time.perf_counter() - started:.1f} s wall, "
          f"{time.process_time() - cpu:.1f} s CPU)", file=sys.stderr)
    return time.perf_counter() - started, subclasses


def louvain(subclasses: dict[str, list[str]], seed: int) -> tuple[float, float, int]:
    """Baseline: networkx Louvain on the co-classification graph (build s, Louvain s, nodes)."""
    started = time.perf_counter()
    graph = cooccurrence_graph(v for v in subclasses.values() if v)
    built = time.perf_counter()
    nx.community.louvain_communities(graph, weight="weight", seed=seed)
    return built - started, time.perf_counter() - built, graph.number_of_nodes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--rdb", type=Path, help="restore this backup (a graph loaded, not derived)")
    src.add_argument("--files", type=Path, help="load these files (--replace --no-derive)")
    src.add_argument("--as-is", action="store_true", help="use the graph in the data dir as it is")
    ap.add_argument("--no-second", action="store_true", help="skip the second refresh")
    args = ap.parse_args()
    if not os.environ.get("PATENTKG_DATA_DIR"):
        sys.exit("set PATENTKG_DATA_DIR to a data dir of your own (the graph is replaced)")
    if args.rdb:
        _cli("store", "restore", "--yes", str(args.rdb))
    elif args.files:
        _cli("load", str(args.files), "--replace", "--no-derive")
    store = open_store()
    waited = _wait_for_indexes(store)
    load = os.getloadavg()[0]
    patents = store.read("MATCH (p:Patent) RETURN count(p) AS n")[0]["n"]

    read_s, subclasses = read_patent_table(store)
    rules = derive.scoring.load_rules()
    build_s, louvain_s, nodes = louvain(subclasses, int(rules["clusters"]["seed"]))
    del subclasses

    derive.POST_STEPS = []  # the question modules' own precomputations are timed by them
    runs = [("first refresh after the load", derive.refresh(store))]
    if not args.no_second:
        runs.append(("second refresh, unchanged graph", derive.refresh(store)))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

    print(f"# bench_refresh: {patents:,} patents, {datetime.now():%Y-%m-%d %H:%M}, "
          f"{platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
          f"load average {load:.1f} at start (indexes ready after {waited:.1f} s)")
    print()
    # wall seconds / this process's CPU seconds (on a shared machine the wall time mostly
    # waits for the store's server, which shares the cores with everything else)
    print("| step | " + " | ".join(f"{name}: wall / CPU s" for name, _ in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    steps = list(dict.fromkeys(k for _, out in runs for k in out["step_seconds"]))

    def cell(out: dict, step: str) -> str:
        wall = out["step_seconds"].get(step, 0.0)
        used = out.get("step_cpu_seconds", {}).get(step)
        return f"{wall:.1f}" + ("" if used is None else f" / {used:.1f}")

    for step in steps:
        print(f"| {step} | " + " | ".join(cell(out, step) for _, out in runs) + " |")
    print("| **total** | " + " | ".join(
        f"**{out['seconds']:.1f}**" + (f" / {sum(out['step_cpu_seconds'].values()):.1f}"
                                       if "step_cpu_seconds" in out else "")
        for _, out in runs) + " |")
    print("| x baseline read (wall) | " + " | ".join(f"{out['seconds'] / read_s:.1f}"
                                                    for _, out in runs) + " |")
    print()
    print(f"- baseline: plain paged read of the patent table {read_s:.1f} s; networkx Louvain "
          f"on the co-classification graph ({nodes:,} subclasses) {louvain_s:.2f} s "
          f"(+ {build_s:.1f} s to build the graph)")
    print(f"- peak RSS of this process {rss:,} MB (baseline read, Louvain and both refreshes)")
    mem = memory(Path(os.environ["PATENTKG_DATA_DIR"]))
    if mem:
        print(f"- FalkorDB after the refreshes: used_memory {mem['used']:.2f} GiB, "
              f"RSS {mem['rss']:.2f} GiB")


def memory(data_dir: Path) -> dict[str, float]:
    """The embedded server's used_memory and RSS (GiB), if it runs."""
    from redis import Redis

    from graph.store.embedded import EmbeddedServer

    endpoint = EmbeddedServer(data_dir).running()
    if endpoint is None:
        return {}
    client = (Redis(unix_socket_path=endpoint.unix_socket) if endpoint.unix_socket
              else Redis(host="127.0.0.1", port=endpoint.port or 0))
    with client:
        info = client.info("memory")
    return {"used": info["used_memory"] / 1024 ** 3, "rss": info["used_memory_rss"] / 1024 ** 3}


if __name__ == "__main__":
    main()
