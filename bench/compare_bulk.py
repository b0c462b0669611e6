"""Compare what two code trees' bulk path would send for the same input files.

Each tree parses, dedupes and builds the tables (in one process, no workers) and runs
``bulk_create`` against a client that only records the ``GRAPH.BULK`` commands (graph name
left out), plus the rejects and per-file reports; the two results must be equal byte for byte.
No server is needed, so a loader change can be checked for identity at 100k in ~1 min.

Both trees run with PYTHONHASHSEED=0: the order in which some relationships are built (e.g.
MAPS_TO) follows set iteration, so two runs of the *same* code send the same graph in a
different byte order unless the hash seed is fixed.

    python bench/compare_bulk.py /work/main . /tmp/patentkg-bench-100000-files
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CHILD = """
import pickle, sys
from pathlib import Path
from loaders.bulk import combine
from loaders.pipeline import _parse_paths, build_tables, dedupe, paused_gc, seed_context
from loaders.reference import load_reference, reference_tables
from graph.store import falkor_bulk

with paused_gc():
    parsed = _parse_paths([Path(sys.argv[1])])
    dedupe(parsed)
    reports = [(vars(p.report), [tuple(vars(r).values()) for r in p.table.rejects])
               for p in parsed]
    ref = load_reference()
    tables = combine(reference_tables(ref), build_tables(parsed, seed_context(None, ref)))
commands = []

class Client:
    def execute_command(self, *args):
        if args[0] == "GRAPH.BULK":
            commands.append(args[2:])

    def config_get(self, key):
        return {}

class Store:
    graph_name = "g"
    class _db:
        connection = Client()
    def read(self, query):
        return [{"n": 0}]
    def _select(self, name):
        return None

summary = falkor_bulk.bulk_create(Store(), tables.nodes, tables.rels)
with open(sys.argv[2], "wb") as fh:
    pickle.dump({"reports": reports, "commands": commands, "summary": vars(summary) | {
        "seconds": 0, "server_seconds": 0}}, fh)
"""


def run(tree: Path, data: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree.resolve()), "PYTHONHASHSEED": "0"}
    subprocess.run([sys.executable, "-c", CHILD, str(data), str(out)], env=env, check=True,
                   cwd=tree)
    with out.open("rb") as fh:
        result: dict[str, Any] = pickle.load(fh)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree_a", type=Path)
    parser.add_argument("tree_b", type=Path)
    parser.add_argument("data", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a = run(args.tree_a, args.data, Path(tmp) / "a.pkl")
        b = run(args.tree_b, args.data, Path(tmp) / "b.pkl")
    size = sum(len(x) for c in a["commands"] for x in c if isinstance(x, bytes))
    print(f"{len(a['commands'])} GRAPH.BULK commands, {size:,} bytes, "
          f"{a['summary']['nodes']} nodes")
    same = True
    for part in ("reports", "summary", "commands"):
        equal = a[part] == b[part]
        same &= equal
        print(f"{part}: {'identical' if equal else 'DIFFERENT'}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
