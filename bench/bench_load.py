"""Load benchmark: our GRAPH.BULK path end to end against pandas and falkordb-bulk-insert.

For each size N the demo generator writes N patents (CSV at these sizes) into a temp dir, then,
in the same run and on the same files:

  a) pandas-read        pandas just reading every CSV (dtype=str): the floor for "reading"
  b) patentkg-bulk      our bulk path end to end: parse + normalise + resolve + build tables,
                        GRAPH.BULK write, indexes/constraints (phases timed separately)
  c) bulk-insert        FalkorDB's own `falkordb-bulk-insert` on the same graph: the tables (b)
                        built, exported as bulk-loader CSVs; only the command is timed
  d) patentkg-merge     our UNWIND ... MERGE path end to end, on a smaller size (reference)

Each measurement runs in its own process against its own fresh embedded server, so the peak
RSS of the loader process and of redis-server (VmHWM, and INFO used_memory_peak) belong to
that measurement alone. rows = nodes + relationships written. Prints a Markdown table and
writes it into bench/README.md (between the load-bench markers) with the machine and date.

    python bench/bench_load.py                 # 10k and 100k, merge at 10k
    python bench/bench_load.py --million       # adds 1M (about 2 GB of CSV in the temp dir)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

README = REPO / "bench" / "README.md"
START, END = "<!-- load-bench:start -->", "<!-- load-bench:end -->"
SEP = "\x01"  # bulk-loader CSV separator: never in the data, so nothing needs escaping
BULK_SOCKET_TIMEOUT_S = 3600
MEASUREMENTS = ("pandas-read", "patentkg-bulk", "bulk-insert")


# -- measurements, each in a child process -----------------------------------------------------
def _server_peak(server: Any, store: Any) -> dict[str, float]:
    endpoint = server.running()
    vmhwm = 0.0
    try:
        for line in Path(f"/proc/{endpoint.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                vmhwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    info = store._db.connection.info("memory")
    return {"redis_rss_mb": vmhwm, "redis_used_peak_mb": info["used_memory_peak"] / 2**20}


def _loader_peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # parse workers
    return max(own, children) / 1024


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_pandas(data: Path) -> dict[str, Any]:
    import pandas as pd

    started = time.perf_counter()
    rows = 0
    for path in sorted(data.iterdir()):
        if path.suffix == ".csv":
            try:
                rows += len(pd.read_csv(path, dtype=str, keep_default_na=False,
                                        encoding="utf-8-sig"))
            except UnicodeDecodeError:  # below 20k patents one export is GB18030
                rows += len(pd.read_csv(path, dtype=str, keep_default_na=False,
                                        encoding="gb18030"))
        elif path.suffix == ".xlsx":  # below 20k patents some files are Excel
            rows += sum(len(f) for f in pd.read_excel(path, sheet_name=None, dtype=str).values())
    return {"seconds": time.perf_counter() - started, "rows": rows, "input_rows": rows,
            "loader_rss_mb": _loader_peak_mb()}


def child_bulk(data: Path, data_dir: Path, export: Path | None) -> dict[str, Any]:
    from graph.store.embedded import EmbeddedServer
    from graph.store.falkor import FalkorStore
    from loaders import bulk
    from loaders.pipeline import seed_context
    from loaders.reference import load_reference, reference_tables

    server = EmbeddedServer(data_dir)
    store = FalkorStore.embedded(server, "bench")
    try:
        phases: dict[str, float] = {}
        cpu: dict[str, float] = {}  # CPU seconds of this process and of its parse workers
        t, c = time.perf_counter(), _cpu()
        started = t

        def lap(name: str) -> None:
            nonlocal t, c
            now, now_cpu = time.perf_counter(), _cpu()
            phases[name] = now - t
            cpu[name] = now_cpu - c
            t, c = now, now_cpu

        ref = load_reference()
        if hasattr(bulk, "parse_and_build"):  # the build overlaps the parse
            parsed, built = bulk.parse_and_build([data], seed_context(store, ref))
            assert built is not None
            tables = bulk.combine(reference_tables(ref), built)
            lap("parse+build")
        else:  # the code before (bench run against an older checkout)
            from loaders.pipeline import build_tables, dedupe

            parsed = bulk.parse_paths_parallel([data])
            dedupe(parsed)
            lap("parse")
            tables = build_tables(parsed, seed_context(store, ref))
            bulk.combine(reference_tables(ref), tables)
            lap("build")
        summary = store.bulk_create(tables.nodes, tables.rels)
        lap("write")
        store.ensure_schema()
        lap("schema")
        seconds = time.perf_counter() - started
        counts = store.counts()
        assert counts["nodes"] == summary.nodes and counts["relationships"] == summary.relationships
        # Seconds the server spent in GRAPH.BULK commands (the client encodes meanwhile).
        server_s = getattr(summary, "server_seconds", None)
        result = {"seconds": seconds, "rows": summary.rows, "phases": phases, "cpu": cpu,
                  "server_bulk_s": server_s,
                  "nodes": sum(summary.nodes.values()),
                  "relationships": sum(summary.relationships.values()),
                  "input_rows": sum(p.report.rows for p in parsed),
                  "rejected": sum(p.report.rejected for p in parsed),
                  "loader_rss_mb": _loader_peak_mb(), **_server_peak(server, store)}
        if export is not None:
            result["export"] = export_bulk_csv(tables, export)
        return result
    finally:
        store.close()
        server.stop()


def child_merge(data: Path, data_dir: Path) -> dict[str, Any]:
    from graph.store.embedded import EmbeddedServer
    from graph.store.falkor import FalkorStore
    from loaders.pipeline import load_paths

    server = EmbeddedServer(data_dir)
    store = FalkorStore.embedded(server, "bench")
    try:
        started = time.perf_counter()
        report = load_paths(store, [data], bulk=False)
        seconds = time.perf_counter() - started
        rows = sum(report.written.nodes.values()) + sum(report.written.relationships.values())
        return {"seconds": seconds, "rows": rows, "input_rows": report.rows_read,
                "loader_rss_mb": _loader_peak_mb(), **_server_peak(server, store)}
    finally:
        store.close()
        server.stop()


def child_bulk_insert(export: Path, data_dir: Path) -> dict[str, Any]:
    from graph.store.embedded import EmbeddedServer
    from graph.store.falkor import FalkorStore

    manifest = json.loads((export / "manifest.json").read_text())
    server = EmbeddedServer(data_dir)
    endpoint = server.ensure_running()
    # redis-py's default socket timeout (5 s, which falkordb-bulk-insert's from_url inherits)
    # killed the 1M run ("Timeout writing to socket") whenever the server took longer than that
    # to read the next GRAPH.BULK command; our store's connection has no socket timeout.
    url = (f"unix://{endpoint.unix_socket}" if endpoint.unix_socket
           else f"redis://127.0.0.1:{endpoint.port}") + f"?socket_timeout={BULK_SOCKET_TIMEOUT_S}"
    # the venv's script when the venv is not activated (python run by its path)
    tool = (shutil.which("falkordb-bulk-insert") or
            str(Path(sys.executable).with_name("falkordb-bulk-insert")))
    command = [tool, "bench",
               "-u", url, "--enforce-schema", "--separator", SEP,
               "--max-buffer-size", "256", "--max-token-size", "128"]
    for label, name in manifest["nodes"]:
        command += ["-N", label, str(export / name)]
    for rel_type, name in manifest["rels"]:
        command += ["-R", rel_type, str(export / name)]
    # Same server conditions as our bulk path (graph/store/falkor_bulk.py): no automatic AOF
    # rewrite during the load. With it, the 1M run's server forked mid-load and the tool died
    # with "Timeout writing to socket".
    from graph.store.falkor_bulk import _pause_aof_rewrite, _resume_aof_rewrite

    client = FalkorStore.embedded(server, "bench_config")._db.connection  # not the bench graph
    previous = _pause_aof_rewrite(client)
    try:
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode:
            raise RuntimeError(f"falkordb-bulk-insert failed: {done.stderr[-2000:]}")
    except BaseException:
        server.stop()  # the server must not outlive its measurement
        raise
    _resume_aof_rewrite(client, previous)
    store = FalkorStore.embedded(server, "bench")
    try:
        counts = store.counts()
        rows = sum(counts["nodes"].values()) + sum(counts["relationships"].values())
        assert rows == manifest["rows"], (rows, manifest["rows"])
        return {"seconds": seconds, "rows": rows, "loader_rss_mb": _loader_peak_mb(),
                **_server_peak(server, store)}
    finally:
        store.close()
        server.stop()


# -- the tables as falkordb-bulk-loader CSVs ---------------------------------------------------
def _column_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {bool}:
        return "BOOL"
    if kinds <= {int}:
        return "INT"
    if kinds <= {int, float}:
        return "DOUBLE"
    if kinds <= {list, tuple}:
        return "ARRAY"
    return "STRING"


def _cell(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if kind == "BOOL":
        return "true" if value else "false"
    if kind == "ARRAY":
        return repr([str(v) for v in value])
    text = str(value)
    if kind == "STRING":  # the loader strips cells and reads lines: keep text on one line
        text = text.replace("\n", " ").replace("\r", " ").replace("\\", "/")
    return text


class _Writer:
    """CSV rows for the bulk loader (no quoting): cells hold neither SEP nor line breaks."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh

    def writerow(self, cells: list[str]) -> None:
        self.fh.write(SEP.join(c.replace(SEP, " ") for c in cells) + "\n")


def export_bulk_csv(tables: Any, out: Path) -> dict[str, Any]:
    """Write the tables as bulk-loader CSVs (typed headers, one namespace per label)."""
    from graph import schema

    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"nodes": [], "rels": [], "rows": 0}
    for label, nodes in tables.nodes.items():
        if not nodes:
            continue
        key = schema.key_of(label)
        props = sorted({p for v in nodes.values() for p in v} - {key})
        kinds = [_column_type([v.get(p) for v in nodes.values()]) for p in props]
        name = f"node_{label}.csv"
        with open(out / name, "w", encoding="utf-8", newline="") as fh:
            w = _Writer(fh)
            w.writerow([f"{key}:ID({label})"] +
                       [f"{p}:{k}" for p, k in zip(props, kinds, strict=True)])
            for k, v in nodes.items():
                w.writerow([k] + [_cell(v.get(p), t) for p, t in zip(props, kinds, strict=True)])
        manifest["nodes"].append((label, name))
        manifest["rows"] += len(nodes)
    for i, ((rel_type, src, dst), bucket) in enumerate(tables.rels.items()):
        src_keys, dst_keys = tables.nodes.get(src, {}), tables.nodes.get(dst, {})
        rows = [(s, d, p) for (s, d), p in bucket.items() if s in src_keys and d in dst_keys]
        if not rows:
            continue
        props = sorted({p for _, _, v in rows for p in v})
        kinds = [_column_type([v.get(p) for _, _, v in rows]) for p in props]
        name = f"rel_{i}_{rel_type}.csv"
        with open(out / name, "w", encoding="utf-8", newline="") as fh:
            w = _Writer(fh)
            w.writerow([f":START_ID({src})", f":END_ID({dst})"] +
                       [f"{p}:{k}" for p, k in zip(props, kinds, strict=True)])
            for s, d, v in rows:
                w.writerow([s, d] + [_cell(v.get(p), t) for p, t in zip(props, kinds, strict=True)])
        manifest["rels"].append((rel_type, name))
        manifest["rows"] += len(rows)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    return {"files": len(manifest["nodes"]) + len(manifest["rels"]), "rows": manifest["rows"]}


# -- the driver --------------------------------------------------------------------------------
def run_child(mode: str, work: Path, *args: str) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="srv-", dir=work))
    try:
        done = subprocess.run([sys.executable, __file__, "--child", mode, "--data-dir",
                               str(data_dir), *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{mode} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def median_run(repeat: int, mode: str, work: Path, *args: str) -> dict[str, Any]:
    runs = [run_child(mode, work, *args) for _ in range(repeat)]
    runs.sort(key=lambda r: r["seconds"])
    result = dict(runs[len(runs) // 2])
    result["seconds"] = statistics.median(r["seconds"] for r in runs)
    result["runs"] = len(runs)
    return result


def machine() -> str:
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    load = os.getloadavg()[0]
    return (f"{platform.machine()}, nproc {os.cpu_count()}, {mem_kb / 2**20:.0f} GiB RAM, "
            f"Python {platform.python_version()}, load average {load:.1f} at start "
            "(shared machine: compare ratios within a run)")


def fmt_rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds else "-"


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| patents | measurement | rows | seconds | rows/s | x pandas read | "
             "x bulk-insert | redis peak RSS MB | loader peak RSS MB |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        by = {m["name"]: m for m in r["measurements"]}
        for m in r["measurements"]:
            other_size = m.get("patents", r["patents"]) != r["patents"]
            base_read = None if other_size else by.get("pandas-read")
            base_bulk = None if other_size else by.get("bulk-insert")
            vs_read = f"{m['seconds'] / base_read['seconds']:.1f}" if base_read else "-"
            vs_bulk = (f"{m['seconds'] / base_bulk['seconds']:.2f}"
                       if base_bulk and m["name"] != "pandas-read" else "-")
            rss = (f"{m['redis_rss_mb']:,.0f}" if "redis_rss_mb" in m else "-")
            lines.append(f"| {m.get('patents', r['patents']):,} | {m['name']} | {m['rows']:,} | "
                         f"{m['seconds']:.1f} | {fmt_rate(m['rows'], m['seconds'])} | "
                         f"{vs_read} | {vs_bulk} | {rss} | {m.get('loader_rss_mb', 0):,.0f} |")
    phases = []
    for r in results:
        bulk = next((m for m in r["measurements"] if m["name"] == "patentkg-bulk"), None)
        if bulk:
            cpu = bulk.get("cpu", {})
            parts = ", ".join(f"{k} {v:.1f} s" + (f" (CPU {cpu[k]:.1f} s)" if k in cpu else "")
                              for k, v in bulk["phases"].items())
            if bulk.get("server_bulk_s") is not None:
                parts += f"; server busy in GRAPH.BULK {bulk['server_bulk_s']:.1f} s"
            phases.append(f"- {r['patents']:,} patents, patentkg-bulk phases: {parts}; "
                          f"{bulk['nodes']:,} nodes, {bulk['relationships']:,} relationships "
                          f"from {bulk['input_rows']:,} input rows ({bulk['rejected']} rejected)")
    return "\n".join(lines + [""] + phases)


def write_readme(text: str) -> None:
    body = f"{START}\n{text}\n{END}"
    if README.exists():
        current = README.read_text(encoding="utf-8")
        if START in current and END in current:
            head, rest = current.split(START, 1)
            new = head + body + rest.split(END, 1)[1]
        else:
            new = current.rstrip() + "\n\n## Load\n\n" + body + "\n"
    else:
        new = "# Benchmarks\n\n## Load\n\n" + body + "\n"
    README.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 patents")
    parser.add_argument("--merge-size", type=int, default=10_000,
                        help="patents for the UNWIND/MERGE reference (0 = skip)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--seed", type=int, default=20241)
    parser.add_argument("--work", type=Path, default=None, help="temp dir (default: system)")
    parser.add_argument("--files", action="append", default=[], metavar="N=DIR",
                        help="use DIR (generated earlier with `patentkg generate --patents N`, "
                        "seed as --seed) for size N instead of generating it; never deleted")
    parser.add_argument("--only", nargs="+", choices=MEASUREMENTS, default=list(MEASUREMENTS),
                        help="measurements to run (bulk-insert needs patentkg-bulk's tables)")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if "bulk-insert" in args.only and "patentkg-bulk" not in args.only:
        parser.error("bulk-insert loads the tables patentkg-bulk builds: add patentkg-bulk")

    if args.child:
        result = {"pandas": lambda: child_pandas(args.data),
                  "bulk": lambda: child_bulk(args.data, args.data_dir, args.export),
                  "merge": lambda: child_merge(args.data, args.data_dir),
                  "bulk-insert": lambda: child_bulk_insert(args.export, args.data_dir)
                  }[args.child]()
        print(json.dumps(result))
        return

    from loaders.generate import generate_demo

    given = {int(n): Path(d) for n, d in (f.split("=", 1) for f in args.files)}
    sizes = sorted(set(args.sizes + ([1_000_000] if args.million else [])))
    header = f"{date.today().isoformat()}, {machine()}"
    print(header, flush=True)
    results = []
    work = Path(tempfile.mkdtemp(prefix="patentkg-bench-", dir=args.work))
    try:
        merge_size = args.merge_size
        for n in sizes:
            data, export = given.get(n, work / f"data-{n}"), work / f"export-{n}"
            if n in given:
                print(f"{n:,} patents from {data}", flush=True)
            else:
                started = time.perf_counter()
                generate_demo(data, patents=n, seed=args.seed)
                print(f"{n:,} patents generated in {time.perf_counter() - started:.1f} s",
                      flush=True)
            ms = []
            for name, mode, extra in (
                    ("pandas-read", "pandas", ["--data", str(data)]),
                    ("patentkg-bulk", "bulk", ["--data", str(data)] + (
                        ["--export", str(export)] if "bulk-insert" in args.only else [])),
                    ("bulk-insert", "bulk-insert", ["--export", str(export)])):
                if name not in args.only:
                    continue
                m = median_run(args.repeat, mode, work, *extra)
                m["name"] = name
                ms.append(m)
                print(f"  {name}: {m['rows']:,} rows in {m['seconds']:.1f} s "
                      f"({fmt_rate(m['rows'], m['seconds'])} rows/s)", flush=True)
            if merge_size and merge_size == n:
                m = median_run(args.repeat, "merge", work, "--data", str(data))
                m["name"] = "patentkg-merge"
                ms.append(m)
                print(f"  patentkg-merge: {m['rows']:,} rows in {m['seconds']:.1f} s", flush=True)
            results.append({"patents": n, "measurements": ms})
            if n not in given:
                shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(export, ignore_errors=True)
        if merge_size and merge_size not in sizes:
            data = work / f"data-{merge_size}"
            generate_demo(data, patents=merge_size, seed=args.seed)
            m = median_run(args.repeat, "merge", work, "--data", str(data))
            m.update(name="patentkg-merge", patents=merge_size)
            results[0]["measurements"].append(m)
            shutil.rmtree(data, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = (f"Measured {header}; `python bench/bench_load.py {' '.join(sys.argv[1:])}` "
            f"(repeat {args.repeat}, median). "
            "x columns: seconds relative to the baseline on the same files in the same run.\n\n"
            + table(results))
    print()
    print(text)
    if not args.no_readme:
        write_readme(text)


if __name__ == "__main__":
    main()
