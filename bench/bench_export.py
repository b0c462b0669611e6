"""Time `patentkg export --format neo4j-admin` against baselines measured in the same run.

    PATENTKG_DATA_DIR=/tmp/n4j-export-data patentkg load /tmp/patentkg-bench-100000-files --replace
    PATENTKG_DATA_DIR=/tmp/n4j-export-data python bench/bench_export.py --out /tmp/n4j-bench

Measurements, each in its own process (so each has its own peak RSS), on the graph of the
configured store:

- ``read``: the exporter's own reads (each label's keys, then pages of nodes by key with their
  outgoing relationships), nothing written: the floor set by the store and its client;
- ``pandas``: the same reads, each page written with pandas ``DataFrame.to_csv`` (one file per
  label and per relationship type/label pair, schema columns, no typing, no header grammar,
  lists as Python text): what a naive dump costs;
- ``export``: ``viz.neo4j_admin.export_neo4j_admin``, the real thing (typed headers, quoting,
  empty-list fix-ups, import.sh, schema.cypher).

rows = nodes + relationships. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MODES = ("read", "pandas", "export")


def _pages(store: Any, page_size: int):
    """(label, node rows, edge rows) per page: exactly the exporter's reads."""
    from viz.neo4j_admin import NODE_TYPES, _edge_page_query, _keys_query, _node_page_query

    for node_type in NODE_TYPES:
        label, key = node_type.label, node_type.key
        keys = sorted({r["k"] for r in store.read(_keys_query(label, key))})
        for start in range(0, len(keys), page_size):
            page = keys[start:start + page_size]
            nodes = store.read(_node_page_query(label, key), {"keys": page})
            edges = store.read(_edge_page_query(label, key), {"keys": page})
            yield node_type, nodes, edges


def run_read(store: Any, out: Path, page_size: int) -> int:
    rows = 0
    for _node_type, nodes, edges in _pages(store, page_size):
        rows += len(nodes) + len(edges)
    return rows


def run_pandas(store: Any, out: Path, page_size: int) -> int:
    import pandas as pd

    from graph import schema

    out.mkdir(parents=True)
    written: set[Path] = set()
    rows = 0

    def append(path: Path, records: list[dict[str, Any]], columns: list[str]) -> None:
        frame = pd.DataFrame.from_records(records, columns=columns)
        frame.to_csv(path, mode="a", header=path not in written, index=False)
        written.add(path)

    for node_type, nodes, edges in _pages(store, page_size):
        columns = [node_type.key, *[p for p in node_type.properties if p != node_type.key]]
        append(out / f"{node_type.label}.csv", [r["p"] for r in nodes], columns)
        by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for e in edges:
            by_pair.setdefault((e["t"], e["bl"]), []).append(
                {"start": e["s"], "end": e["e"], **(e["p"] or {})})
        for (rel, end), records in by_pair.items():
            known = schema.REL_BY_TYPE[rel].properties if rel in schema.REL_BY_TYPE else ()
            append(out / f"{rel}-{node_type.label}-{end}.csv", records,
                   ["start", "end", *known])
        rows += len(nodes) + len(edges)
    return rows


def run_export(store: Any, out: Path, page_size: int) -> int:
    from viz.neo4j_admin import export_neo4j_admin

    report = export_neo4j_admin(store, out, page_size=page_size)
    assert report.complete, (report.skipped, report.warnings)
    return report.node_rows + report.relationship_rows


def one(mode: str, out: Path, page_size: int) -> dict[str, Any]:
    from graph.store import open_store

    store = open_store()
    try:
        started = time.perf_counter()
        cpu = time.process_time()
        rows = {"read": run_read, "pandas": run_pandas, "export": run_export}[mode](
            store, out, page_size)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        store.close()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.exists() else 0
    return {"mode": mode, "rows": rows, "seconds": seconds, "cpu_seconds": cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "bytes": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/n4j-export-bench"),
                    help="scratch folder (emptied first)")
    ap.add_argument("--page-size", type=int, default=5000)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--one", choices=MODES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.out, args.page_size)))
        return
    results = []
    load = os.getloadavg()[0]
    for mode in args.modes.split(","):
        target = args.out / mode
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, __file__, "--one", mode, "--out", str(target),
                               "--page-size", str(args.page_size)],
                              capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr)
        shutil.rmtree(target, ignore_errors=True)
    base = {r["mode"]: r for r in results}
    print(f"\n{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, nproc {os.cpu_count()}, "
          f"Python {platform.python_version()}, load average {load:.1f} at start, "
          f"page size {args.page_size}\n")
    # Ratios of client CPU seconds: on a shared machine the wall clock follows the load.
    print("| measurement | rows | seconds | rows/s | CPU s (client) | x read (CPU) "
          "| x pandas (CPU) | peak RSS MB | output MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        cpu = r["cpu_seconds"]
        x_read = cpu / base["read"]["cpu_seconds"] if "read" in base else float("nan")
        x_pandas = cpu / base["pandas"]["cpu_seconds"] if "pandas" in base else float("nan")
        print(f"| {r['mode']} | {r['rows']:,} | {r['seconds']:.1f} | "
              f"{r['rows'] / r['seconds']:,.0f} | {r['cpu_seconds']:.1f} | {x_read:.2f} | "
              f"{x_pandas:.2f} | {r['peak_rss_mb']:,.0f} | {r['bytes'] / 1e6:,.0f} |")


if __name__ == "__main__":
    main()
