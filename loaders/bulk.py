"""The bulk load path: a first load into an empty graph written with GRAPH.BULK.

Same tables as the MERGE path (parse -> normalise -> resolve -> build), so the same graph;
only the write differs: the reference data and the built tables are combined and created in
one go through the store's ``bulk_create`` (FalkorDB), then the schema's indexes and
constraints are created. Incremental loads (a graph that already holds nodes) and stores
without a bulk path (Neo4j) keep the idempotent ``UNWIND ... MERGE`` writer.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.store.base import Store
from loaders.read import discover, read_manifest, read_tables
from loaders.tables import Tables
from loaders.write import WriteCounts

if TYPE_CHECKING:
    from loaders.pipeline import Parsed

# Below this many input rows the MERGE path is fast enough and bulk is not chosen on its own.
AUTO_BULK_ROWS = 50_000
# Files above this size are parsed in worker processes (one file per task).
PARALLEL_MIN_BYTES = 8 * 1024 * 1024


def supports_bulk(store: Store) -> bool:
    """Whether the store has a bulk path (FalkorDB) and its graph is empty."""
    if not callable(getattr(store, "bulk_create", None)):
        return False
    return not store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]


def choose_bulk(store: Store, bulk: bool | None, rows: int) -> tuple[bool, str]:
    """(use the bulk path?, why): explicit choice, else bulk for big first loads."""
    if bulk is False:
        return False, "merge requested"
    if not callable(getattr(store, "bulk_create", None)):
        return False, f"{store.backend} has no bulk path"
    if not supports_bulk(store):
        return False, "graph not empty: incremental load"
    if bulk is None and rows < AUTO_BULK_ROWS:
        return False, f"small load (< {AUTO_BULK_ROWS} rows)"
    return True, "empty graph"


# -- parsing in parallel -----------------------------------------------------------------------
def _parse_file(path: Path) -> list[Parsed]:
    from loaders.pipeline import parse_table, paused_gc

    manifest = read_manifest(path.parent)
    with paused_gc():
        return [parse_table(raw, manifest) for raw in read_tables(path)]


def parse_paths_parallel(paths: Sequence[Path], workers: int | None = None) -> list[Parsed]:
    """parse_paths with big files parsed in worker processes; same result, same order."""
    from loaders.pipeline import parse_paths, paused_gc

    files = discover(paths)
    workers = workers or min(os.cpu_count() or 1, 4)
    big = [f for f in files if f.stat().st_size >= PARALLEL_MIN_BYTES]
    if workers < 2 or len(big) < 2:
        return parse_paths(paths)
    results: dict[Path, list[Parsed]] = {}
    # fork: the workers inherit the imported modules instead of importing pandas again.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(workers, len(big)), mp_context=context) as pool, paused_gc():
        futures = {f: pool.submit(_parse_file, f)
                   for f in sorted(big, key=lambda f: -f.stat().st_size)}
        for f in files:  # the small files meanwhile, here
            if f not in futures:
                results[f] = _parse_file(f)
        for f, future in futures.items():
            results[f] = future.result()
    return [item for f in files for item in results[f]]


# -- writing -----------------------------------------------------------------------------------
def combine(reference: Tables, tables: Tables) -> Tables:
    """The reference tables under the built ones, as writing reference first then MERGE
    ``SET n += props`` would leave them; ``tables`` is extended in place and returned."""
    for label, ref_nodes in reference.nodes.items():
        target = tables.nodes.setdefault(label, {})
        for key, props in ref_nodes.items():
            current = target.get(key)
            target[key] = dict(props) if current is None else {**props, **current}
    for rel_key, ref_bucket in reference.rels.items():
        bucket = tables.rels.setdefault(rel_key, {})
        for ends, props in ref_bucket.items():
            current = bucket.get(ends)
            bucket[ends] = dict(props) if current is None else {**props, **current}
    return tables


def write_bulk(store: Any, tables: Tables, reference: Tables | None = None, *,
               on_rows: Callable[[int], None] | None = None) -> WriteCounts:
    """Create the (empty) graph from the tables plus reference data, then its schema."""
    if reference is not None:
        combine(reference, tables)
    # bulk_create checks what GRAPH.BULK relies on (one node per label and key, keys are
    # non-empty strings) before anything is published.
    summary = store.bulk_create(tables.nodes, tables.rels, on_rows=on_rows)
    store.ensure_schema()
    return WriteCounts(nodes=dict(summary.nodes), relationships=dict(summary.relationships))


def load_parsed_bulk(store: Store, parsed: list[Parsed], *,
                     progress: bool = False) -> WriteCounts:
    """Build the tables of parsed input and bulk-create the graph with the reference data."""
    from loaders.pipeline import _progress, build_tables, seed_context
    from loaders.reference import load_reference, reference_tables

    ref = load_reference()
    tables = build_tables(parsed, seed_context(store, ref))
    reference = reference_tables(ref)
    with _progress(progress, tables.size() + reference.size()) as bar:
        return write_bulk(store, tables, reference, on_rows=bar)
