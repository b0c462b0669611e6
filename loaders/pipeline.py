"""Load files into the graph: read -> detect -> normalise -> build tables -> write.

Everything up to "build tables" is pure (the store is only read, to resolve names against
what is already loaded), so ``--strict`` can validate all files before writing anything."""

from __future__ import annotations

import csv
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.schema import ORG_LABELS, label_zh, rel_zh
from graph.store.base import Store
from loaders.build import BUILDERS, KIND_ORDER, Context, build_patents, finish_orgs, norm_key_name
from loaders.normalise import (
    NormalisedTable,
    Reject,
    blank_rows,
    drop_conflicting_duplicates,
    normalise_table,
)
from loaders.read import RawTable, detect_kind, discover, read_manifest, read_tables
from loaders.reference import Reference, load_reference, reference_tables, sei_id
from loaders.resolve import OrgResolver
from loaders.tables import Tables
from loaders.write import WriteCounts, write_tables

REJECT_HEADER = ("file", "row", "column", "value", "reason")


@dataclass
class FileReport:
    """What happened to one input table."""

    file: str
    kind: str | None
    rows: int = 0
    rejected: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    missing_refs: int = 0  # references to patents/IP/products not in the graph


@dataclass
class LoadReport:
    """The outcome of one load: rows read and rejected, per file, and what was written."""

    rows_read: int = 0
    rejected_rows: int = 0
    per_file: list[FileReport] = field(default_factory=list)
    written: WriteCounts = field(default_factory=WriteCounts)
    rejects: list[Reject] = field(default_factory=list)
    rejects_path: Path | None = None
    reference_loaded: bool = False
    wrote: bool = False  # False when --strict found rejects and nothing was written
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # graph totals after
    write_mode: str = "merge"  # merge | bulk (loaders.bulk), and why

    def summary(self) -> str:
        """A Chinese+English text table for the CLI."""
        lines = ["文件 file | 类型 kind | 行数 rows | 拒绝 rejected | 未知列 unknown columns"]
        for f in self.per_file:
            unknown = ", ".join(f.unknown_columns) or "-"
            refs = f" | 缺失引用 missing refs {f.missing_refs}" if f.missing_refs else ""
            lines.append(f"{f.file} | {f.kind or '?'} | {f.rows} | {f.rejected} | "
                         f"{unknown}{refs}")
        lines.append(f"合计 total: 读取 read {self.rows_read} 行 rows, "
                     f"拒绝 rejected {self.rejected_rows}")
        if not self.wrote:
            lines.append("严格模式：有被拒绝的行，未写入任何数据 / strict mode: rows were "
                         "rejected, nothing was written")
        else:
            lines.append(f"写入方式 write mode: {self.write_mode}")
            if self.reference_loaded:
                lines.append("已载入参考数据 reference data loaded (IPC, SEI, WIPO, divisions)")
            lines.append("新建 created (本次 this load) / 图中合计 graph total:")
            nodes = self.counts.get("nodes", {})
            for label in sorted(set(nodes) | set(self.written.nodes)):
                lines.append(f"  {label_zh(label)} {label}: +{self.written.nodes.get(label, 0)}"
                             f" / {nodes.get(label, 0)}")
            rels = self.counts.get("relationships", {})
            for rel in sorted(set(rels) | set(self.written.relationships)):
                lines.append(f"  {rel_zh(rel)} {rel}: +{self.written.relationships.get(rel, 0)}"
                             f" / {rels.get(rel, 0)}")
        if self.rejects_path:
            lines.append(f"被拒绝的行见 rejected rows written to: {self.rejects_path}")
        return "\n".join(lines)


def write_rejects(rejects: Sequence[Reject], path: Path) -> None:
    """The rejects file: file,row,column,value,reason (UTF-8 with BOM so Excel reads it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(REJECT_HEADER)
        for r in rejects:
            writer.writerow((r.file, r.row, r.column, r.value, r.reason))


# -- reading and normalising (pure) ------------------------------------------------------------
@dataclass
class Parsed:
    table: NormalisedTable
    headers: dict[str, str]  # canonical field -> the header used in this file
    report: FileReport


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of rows are made.

    Rows, props and tables are plain dicts and lists without cycles (reference counting
    frees them); each collection walks every one of them, ~20% of the time at 100k patents
    and growing with the load."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_paths(paths: Sequence[Path]) -> list[Parsed]:
    """Read, detect and normalise every table under the paths (no database involved)."""
    with paused_gc():
        return _parse_paths(paths)


def _parse_paths(paths: Sequence[Path]) -> list[Parsed]:
    parsed: list[Parsed] = []
    manifests: dict[Path, dict[str, str]] = {}
    for path in discover(paths):
        manifest = manifests.setdefault(path.parent, read_manifest(path.parent))
        tables = read_tables(path)
        if not tables:  # 0 bytes or only blank lines: say so rather than skip it silently
            reject = Reject(path.name, 1, "", "", "文件为空（没有表头和数据）")
            parsed.append(Parsed(NormalisedTable("?", path.name, [], [reject], 0, []), {},
                                 FileReport(path.name, None)))
        for raw in tables:
            parsed.append(parse_table(raw, manifest))
    return parsed


def parse_table(raw: RawTable, manifest: dict[str, str]) -> Parsed:
    """Detect the kind of one raw table and normalise it; a missing column rejects it all."""
    det = detect_kind(raw, manifest)
    if det.kind is None or det.missing:
        data_rows = int((~blank_rows(raw.frame)).sum()) if len(raw.frame) else 0
        if det.kind is None:
            reason = "无法识别文件类型（表头与任何已知格式都不符）"
            column = ""
        else:
            column = "、".join(det.missing)
            reason = f"缺少必填列：{column}（{det.kind.title_zh}），整个文件被拒绝"
        kind_name = det.kind.name if det.kind else None
        table = NormalisedTable(kind_name or "?", raw.label, [],
                                [Reject(raw.label, 1, column, "", reason)], data_rows, [])
        return Parsed(table, {}, FileReport(raw.label, kind_name, data_rows, data_rows))
    table = normalise_table(det.kind, raw.frame, det.mapping, file=raw.label,
                            first_row=raw.first_row)
    for row in table.rows:
        row["_file"] = raw.path.name
    headers = {name: header for header, name in det.mapping.items()}
    report = FileReport(raw.label, det.kind.name, len(table.rows) + table.rejected_rows,
                        table.rejected_rows, table.unknown_columns)
    return Parsed(table, headers, report)


def dedupe(parsed: list[Parsed]) -> None:
    """Reject conflicting duplicate keys within each kind, across all its files."""
    seen: dict[str, dict[Any, Any]] = {}
    for item in parsed:
        dedupe_item(item, seen)


def dedupe_item(item: Parsed, seen: dict[str, dict[Any, Any]]) -> None:
    """dedupe for one table; ``seen`` carries the keys of the tables before it."""
    from loaders.formats import load_formats

    kind = load_formats().get(item.table.kind)
    key = kind.key_field if kind else None
    if kind is None or key is None or not item.table.rows:
        return
    before = item.table.rejected_rows
    drop_conflicting_duplicates(item.table, key.name, item.headers.get(key.name, key.header),
                                seen.setdefault(kind.name, {}))
    item.report.rejected += item.table.rejected_rows - before


# -- building tables ---------------------------------------------------------------------------
def seed_context(store: Store | None, ref: Reference) -> Context:
    """A build context that knows the reference data and what the graph already holds."""
    ctx = Context(Tables(), OrgResolver(), ref)
    for code, name in ref.sei_names.items():
        ctx.industries.setdefault(norm_key_name(sei_id(code)), sei_id(code))
        ctx.industries.setdefault(norm_key_name(name), sei_id(code))
    if store is None:
        return ctx
    for label in ORG_LABELS:
        for r in store.read(f"MATCH (n:{label}) RETURN n.org_key AS key, n.name AS name, "
                            "n.aliases AS aliases, n.credit_code AS code, "
                            "n.departments AS departments, n.in_registry AS reg"):
            if r["key"] and r["name"]:
                ctx.resolver.add(label, r["key"], r["name"], aliases=r["aliases"] or [],
                                 credit_code=r["code"], in_registry=r["reg"] is not False,
                                 departments=r["departments"] or [])
    # The same mapping a first load builds (build_industries): each subsector row's id, then
    # its name if no earlier key took it; a parent that is only named by its subsectors gets
    # its id if nothing took it. A parent's id can equal a subsector's name (新材料): read in
    # any other order, a re-run would link enterprises to the parent as well.
    industries = store.read("MATCH (i:Industry) RETURN i.industry_id AS id, i.name AS name, "
                            "i.parent_id AS parent")
    for r in sorted(industries, key=lambda r: (r["parent"] is None, str(r["id"]))):
        if r["parent"] is not None:
            ctx.industries[norm_key_name(r["id"])] = r["id"]
        else:
            ctx.industries.setdefault(norm_key_name(r["id"]), r["id"])
        if r["name"]:
            ctx.industries.setdefault(norm_key_name(r["name"]), r["id"])
    for r in store.read("MATCH (p:Park) RETURN p.park_id AS id"):
        ctx.parks[r["id"]] = r["id"]
    for r in store.read("MATCH (p:FinancingProduct) RETURN p.product_id AS id, p.name AS name"):
        ctx.products[norm_key_name(r["id"])] = r["id"]
        if r["name"]:
            ctx.products.setdefault(norm_key_name(r["name"]), r["id"])
    ctx.patents.update(r["k"] for r in store.read("MATCH (p:Patent) RETURN p.app_no AS k"))
    ctx.trademarks.update(r["k"] for r in store.read("MATCH (t:Trademark) RETURN t.reg_no AS k"))
    ctx.copyrights.update(r["k"] for r in store.read("MATCH (c:Copyright) RETURN c.reg_no AS k"))
    return ctx


def build_tables(parsed: list[Parsed], ctx: Context) -> Tables:
    """Turn all normalised tables into graph tables, in dependency order (each table's rows
    are released once built)."""
    with paused_gc():
        return _build_tables(parsed, ctx)


def _build_tables(parsed: list[Parsed], ctx: Context) -> Tables:
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    ordered = sorted((p for p in parsed if p.table.rows),
                     key=lambda p: order.get(p.table.kind, len(order)))
    for item in ordered:
        if item.table.kind == "patents":
            ctx.patents.update(r["app_no"] for r in item.table.rows)
    for item in ordered:
        build_item(item, ctx)
    finish_orgs(ctx)
    return ctx.tables


def build_item(item: Parsed, ctx: Context, cites: list[tuple[str, str]] | None = None) -> None:
    """Build one normalised table into the context's tables and release its rows (``cites``:
    see build_patents)."""
    before = ctx.missing_refs
    if item.table.kind == "patents":
        build_patents(item.table.rows, ctx, item.headers, cites)
    else:
        BUILDERS[item.table.kind](item.table.rows, ctx)
    item.report.missing_refs = ctx.missing_refs - before
    # The rows are in the tables now: at a million patents they are gigabytes.
    item.table.rows = []


# -- the whole load ----------------------------------------------------------------------------
def reference_present(store: Store, ref: Reference) -> bool:
    """Whether the reference data is already in the graph (so a load skips it)."""
    row = store.read(
        "OPTIONAL MATCH (i:IPC) WHERE i.title_zh IS NOT NULL WITH count(i) AS ipc "
        "OPTIONAL MATCH (d:Division) WITH ipc, count(d) AS divisions "
        "OPTIONAL MATCH (t:TechField) WITH ipc, divisions, count(t) AS fields "
        "OPTIONAL MATCH (s:Industry {source: 'SEI'}) "
        "RETURN ipc, divisions, fields, count(s) AS sei")[0]
    expected_ipc = sum(1 for v in ref.ipc.values() if v["title_zh"])
    return (row["ipc"] >= expected_ipc and row["divisions"] >= len(ref.divisions)
            and row["fields"] >= len(ref.wipo_fields) and row["sei"] >= len(ref.sei_names))


def ensure_reference(store: Store, *, batch_size: int = 2000,
                     on_rows: Callable[[int], None] | None = None) -> WriteCounts | None:
    """Load the reference data unless it is already there; None when skipped."""
    ref = load_reference()
    if reference_present(store, ref):
        return None
    return write_tables(store, reference_tables(ref), batch_size=batch_size, on_rows=on_rows)


def _data_counts(store: Store) -> dict[str, dict[str, int]]:
    """The graph's totals per label and relationship type, without the data-version marker
    (bookkeeping, not data)."""
    from graph.schema import DATA_VERSION

    counts = store.counts()
    counts["nodes"].pop(DATA_VERSION.label, None)
    return counts


def load_paths(store: Store, paths: Sequence[Path], *, strict: bool = False,
               rejects_path: Path | None = None, progress: bool = False,
               batch_size: int = 2000, bulk: bool | None = None) -> LoadReport:
    """Load export files and registries (files or directories) into the graph.

    ``bulk``: True/False force the GRAPH.BULK path (an empty FalkorDB graph only, else it
    falls back) or the MERGE path; None picks bulk for big first loads (loaders.bulk)."""
    from graph.version import bump_version
    from loaders.bulk import choose_bulk, load_parsed_bulk, parse_and_build

    report = LoadReport()
    ref = load_reference()
    # The tables are built while the files are parsed (from what the graph holds now, which
    # nothing changes before the write); --strict builds only when nothing is rejected.
    parsed, tables = parse_and_build(paths, None if strict else seed_context(store, ref))
    for item in parsed:
        report.per_file.append(item.report)
        report.rows_read += item.report.rows
        report.rejected_rows += item.report.rejected
        report.rejects.extend(item.table.rejects)
    if rejects_path is not None and report.rejects:
        write_rejects(report.rejects, rejects_path)
        report.rejects_path = rejects_path
    if strict and report.rejected_rows:
        return report
    if tables is None:
        tables = build_tables(parsed, seed_context(store, ref))

    use_bulk, why = choose_bulk(store, bulk, report.rows_read)
    report.write_mode = f"{'bulk' if use_bulk else 'merge'} ({why})"
    if use_bulk:
        report.written = load_parsed_bulk(store, parsed, progress=progress, tables=tables)
        report.reference_loaded = report.wrote = True
        report.counts = _data_counts(store)
        bump_version(store, source="load")  # API caches of every process see the new data
        return report
    store.ensure_schema()
    with _progress(progress, tables.size()) as bar:
        ref_counts = ensure_reference(store, batch_size=batch_size)
        report.reference_loaded = ref_counts is not None
        written = write_tables(store, tables, batch_size=batch_size, on_rows=bar)
    if ref_counts:
        for label, n in ref_counts.nodes.items():
            written.nodes[label] = written.nodes.get(label, 0) + n
        for rel, n in ref_counts.relationships.items():
            written.relationships[rel] = written.relationships.get(rel, 0) + n
    report.written = written
    report.wrote = True
    report.counts = _data_counts(store)
    bump_version(store, source="load")  # API caches of every process see the new data
    return report


class _progress:
    """A click progress bar on stderr (or nothing), usable as an on_rows callback."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total
        self._bar: Any = None  # click's progress bar while entered

    def __enter__(self) -> Callable[[int], None] | None:
        if not self.enabled:
            return None
        import click

        self._bar = click.progressbar(length=max(self.total, 1), label="写入 writing",
                                      file=sys.stderr)
        bar = self._bar.__enter__()
        return bar.update

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
