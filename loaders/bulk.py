"""The bulk load path: a first load into an empty graph written with GRAPH.BULK.

Same tables as the MERGE path (parse -> normalise -> resolve -> build), so the same graph;
only the write differs: the reference data and the built tables are combined and created in
one go through the store's ``bulk_create`` (FalkorDB), then the schema's indexes and
constraints are created. Incremental loads (a graph that already holds nodes) and stores
without a bulk path (Neo4j) keep the idempotent ``UNWIND ... MERGE`` writer.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from graph.store.base import Store
from loaders.read import _HEADER_SCAN_ROWS, discover, read_manifest
from loaders.tables import Tables
from loaders.write import WriteCounts

if TYPE_CHECKING:
    from loaders.build import Context
    from loaders.pipeline import Parsed

# Below this many input rows the MERGE path is fast enough and bulk is not chosen on its own.
AUTO_BULK_ROWS = 50_000
# Files above this size are parsed in worker processes (one file per task).
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
# What _peek_kind reads of a big CSV file to tell its kind (the header is in the first lines).
PEEK_CHARS = 256 * 1024


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
    from loaders.pipeline import _parse_paths, paused_gc

    with paused_gc():
        return _parse_paths([path])  # an empty file is a reject, as parse_paths says


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


def _peek_kind(path: Path, manifest: dict[str, str], *, exact: bool = True) -> str | None:
    """The kind the full parse of a CSV file will find, from its first lines (None when it
    cannot be told so), to schedule the build before the file is parsed.

    exact: the same decoding (of the whole file: the encoding is chosen on all of it), the
    same header search and detection as read_tables + detect_kind; the C parser reads a
    prefix's lines as it reads them in the whole text. Not exact: the first bytes only, as a
    guess for the order in which the workers parse the files."""
    from loaders.read import _to_table, decode_csv, detect_kind

    if path.suffix.lower() != ".csv":
        return None
    try:
        if exact:
            text = decode_csv(path)
        else:
            with path.open("rb") as fh:
                text = fh.read(PEEK_CHARS * 4).decode("utf-8-sig", errors="ignore")
        head = text[:PEEK_CHARS]
        cut = len(text) > PEEK_CHARS
        if cut:
            head = head[:head.rfind("\n") + 1]
        grid = pd.read_csv(io.StringIO(head), header=None, dtype=str, keep_default_na=False,
                           skip_blank_lines=False)
        table = _to_table(path, None, grid)
        kind = detect_kind(table, manifest).kind if table is not None else None
    except Exception:  # any doubt: the tables are built after the whole parse
        return None
    if kind is None or (cut and len(grid.dropna(how="all")) <= _HEADER_SCAN_ROWS):
        return None  # the full parse may still see a header row this prefix does not have
    return kind.name


def parse_and_build(paths: Sequence[Path], ctx: Context | None,
                    workers: int | None = None) -> tuple[list[Parsed], Tables | None]:
    """parse_paths_parallel + dedupe + build_tables(parsed, ctx) in one go, with the same
    result (``ctx`` None: parse and dedupe only).

    The main process builds each table as soon as it and every table before it in build
    order are parsed, while the workers parse the rest: on two cores the build of the first
    export files overlaps the parse of the last ones. The order needs the kind of each big
    file before it is parsed (_peek_kind); when one cannot be told, the tables are built after
    the parse."""
    from loaders.build import KIND_ORDER, add_cites, finish_orgs
    from loaders.pipeline import build_item, build_tables, dedupe, dedupe_item, paused_gc

    files = discover(paths)
    workers = workers or min(os.cpu_count() or 1, 4)
    big = [f for f in files if f.stat().st_size >= PARALLEL_MIN_BYTES]
    if ctx is None or workers < 2 or len(big) < 2:
        parsed = parse_paths_parallel(paths, workers)
        dedupe(parsed)
        return parsed, build_tables(parsed, ctx) if ctx is not None else None
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    last = len(rank)
    index = {f: i for i, f in enumerate(files)}
    results: dict[Path, list[Parsed]] = {}
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(workers, len(big)), mp_context=context) as pool, paused_gc():
        guess = {f: _peek_kind(f, read_manifest(f.parent), exact=False) for f in big}
        futures = {f: pool.submit(_parse_file, f) for f in sorted(  # in the order needed
            big, key=lambda f: (rank.get(guess[f] or "", last), index[f]))}
        peeked = {f: _peek_kind(f, read_manifest(f.parent)) for f in big}
        for f in files:  # the small files meanwhile, here
            if f not in futures:
                results[f] = _parse_file(f)
        if any(kind is None for kind in peeked.values()):
            for f, future in futures.items():
                results[f] = future.result()
            parsed = [item for f in files for item in results[f]]
            dedupe(parsed)
            return parsed, build_tables(parsed, ctx)
        # Build order (build_tables'): by kind, then file, then table within the file.
        units = sorted([(rank.get(item.table.kind, last), index[f], i, f)
                        for f in files if f in results for i, item in enumerate(results[f])] +
                       [(rank.get(peeked[f] or "", last), index[f], 0, f) for f in big])
        seen: dict[str, dict[Any, Any]] = {}
        cites: list[tuple[str, str]] = []
        for unit_rank, _, i, f in units:
            if f not in results:
                results[f] = futures[f].result()
                kinds = [item.table.kind for item in results[f]]
                if kinds != [peeked[f]]:  # _peek_kind reads as read_tables does
                    raise RuntimeError(f"{f.name}: parsed as {kinds}, expected {peeked[f]}")
            item = results[f][i]
            dedupe_item(item, seen)
            if item.table.rows and unit_rank < last:
                build_item(item, ctx, cites)
        add_cites(ctx, cites)
        finish_orgs(ctx)
    return [item for f in files for item in results[f]], ctx.tables


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


def load_parsed_bulk(store: Store, parsed: list[Parsed], *, progress: bool = False,
                     tables: Tables | None = None) -> WriteCounts:
    """Build the tables of parsed input (unless given, built from them) and bulk-create the
    graph with the reference data."""
    from loaders.pipeline import _progress, build_tables, seed_context
    from loaders.reference import load_reference, reference_tables

    ref = load_reference()
    if tables is None:
        tables = build_tables(parsed, seed_context(store, ref))
    reference = reference_tables(ref)
    with _progress(progress, tables.size() + reference.size()) as bar:
        return write_bulk(store, tables, reference, on_rows=bar)
