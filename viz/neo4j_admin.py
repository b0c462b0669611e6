"""The whole graph as CSV files for ``neo4j-admin database import full`` (Neo4j 5), the
documented fast path into an empty production database, plus ``import.sh`` and the schema.

Format (Neo4j operations manual, "Import" -> "CSV header format", "Using ID spaces",
"Property data types", and the ``neo4j-admin database import full`` options table):

- one node file per label, header ``<key>:ID(<Label>)`` (the business key of graph.schema is
  both the ID in the label's own ID space and a stored property), typed property columns
  ``name:long|double|boolean|string`` and arrays ``name:string[]`` etc., then ``:LABEL``;
- one relationship file per (type, start label, end label): ``:START_ID(<Label>)``,
  ``:END_ID(<Label>)``, ``:TYPE``, typed property columns;
- UTF-8, ``,`` between fields, every text value in ``"`` with inner quotes doubled (RFC 4180;
  ``--legacy-style-quoting`` stays off, so a backslash is literal), a missing value is an
  empty unquoted field; newlines inside quotes need ``--multiline-fields=true``;
- ``long``/``double`` rather than ``int``/``float``: the manual's ``int`` and ``float`` are
  32-bit, Python's and both engines' numbers are 64-bit;
- arrays are split on ``--array-delimiter``; ours is U+001F (the ASCII unit separator), which
  text from our loaders never holds; an array value that contains it is refused, not mangled;
- "CSV-based import does not import empty arrays" (manual): every empty list is written as
  missing and restored by ``empty_lists.cypher`` after the import.

Reading goes through the Store protocol only (any backend), label by label: the label's
unique keys (graph.schema) are read once and sorted here, then pages of nodes are fetched by
key (``WHERE n.<key> IN $keys``, an indexed lookup) together with the outgoing relationships
of exactly those nodes, so memory holds one label's keys and one page, never the graph.
Why not keyset paging (``WHERE key > $after ORDER BY key LIMIT $page``): on FalkorDB 4.16 a
range condition on an indexed string disagrees with ORDER BY (measured on the demo graph:
Chinese keys such as the Industry 高端装备 and Inventor 丁丽勇@… keys were skipped or returned
twice across pages, and ``code >= $first AND code <= $last`` on IPC returned codes beyond
$last), so pages would silently lose or repeat nodes.
Equality lookups are exact. Each label's and type's count in the store is compared with
what was written; a difference is reported (and the CLI exits 1).
A column's type is known only after the last row, so each file is written without its header
first and the header is put in front at the end.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from graph import schema
from patentkg.errors import InputError

ARRAY_DELIMITER = "\x1f"
ARRAY_DELIMITER_OPTION = "U+001F"
DEFAULT_PAGE = 5000
NODE_DIR, REL_DIR = "nodes", "relationships"
# Business data and the bookkeeping node the API keys its cache on (graph.schema.META_NODES).
NODE_TYPES: tuple[schema.NodeType, ...] = schema.NODES + schema.META_NODES
_KEY = {n.label: n.key for n in NODE_TYPES}
# Names that go into a CSV header or Cypher text unquoted.
_SAFE_NAME = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"


# -- one cell -----------------------------------------------------------------------------------
def _text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _number(value: int | float) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"  # Java's Double.parseDouble spelling
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)  # shortest text that reads back as the same double
    return str(value)


class _Column:
    """What one property column has seen: value kinds (for its header type), empty lists."""

    __slots__ = ("name", "kinds", "elements", "present", "empty", "delimited_text",
                 "blank_items")

    def __init__(self, name: str) -> None:
        self.name = name
        self.kinds: set[str] = set()  # bool, int, float, str, list, map
        self.elements: set[str] = set()  # kinds inside lists
        self.present = 0  # rows where the property exists (an empty list counts)
        self.empty: list[Any] = []  # ids of the rows holding an empty list
        self.delimited_text: str | None = None  # a scalar text holding the array delimiter
        self.blank_items = 0  # lists holding an empty text, which the importer may not keep

    def cell(self, value: Any, row_id: Any, where: Callable[[], str]) -> str:
        if value is None:
            return ""
        self.present += 1
        if isinstance(value, bool):
            self.kinds.add("bool")
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            self.kinds.add("float" if isinstance(value, float) else "int")
            return _number(value)
        if isinstance(value, str):
            self.kinds.add("str")
            if ARRAY_DELIMITER in value and self.delimited_text is None:
                self.delimited_text = where()
            return _text(value)
        if isinstance(value, (list, tuple)):
            self.kinds.add("list")
            if not value:
                self.empty.append(row_id)
                return ""
            parts = []
            for item in value:
                if isinstance(item, bool):
                    self.elements.add("bool")
                    parts.append("true" if item else "false")
                elif isinstance(item, (int, float)):
                    self.elements.add("float" if isinstance(item, float) else "int")
                    parts.append(_number(item))
                else:
                    text = item if isinstance(item, str) else json.dumps(
                        item, ensure_ascii=False, sort_keys=True, default=str)
                    self.elements.add("str")
                    if ARRAY_DELIMITER in text:
                        raise _delimiter_error(where())
                    if not text:
                        self.blank_items += 1
                    parts.append(text)
            return _text(ARRAY_DELIMITER.join(parts))
        # Neo4j stores no maps as properties: a map (or anything else) is kept as JSON text.
        self.kinds.add("map")
        return _text(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))

    def header_type(self) -> str:
        """The import type of the column: one type per column, as Neo4j's header demands."""
        if "list" in self.kinds:
            if self.delimited_text is not None:
                raise _delimiter_error(self.delimited_text)
            scalars = self.kinds - {"list"}
            return _scalar_type(self.elements | scalars, default="string") + "[]"
        return _scalar_type(self.kinds, default="string")

    def mixed(self) -> bool:
        kinds = self.kinds - {"list"} if "list" in self.kinds else self.kinds
        return ("list" in self.kinds and bool(kinds)) or "map" in self.kinds or (
            len(kinds) > 1 and not kinds <= {"int", "float"})


def _scalar_type(kinds: set[str], *, default: str) -> str:
    if not kinds:
        return default
    if kinds == {"bool"}:
        return "boolean"
    if kinds == {"int"}:
        return "long"
    if kinds <= {"int", "float"}:
        return "double"
    return "string"


def _delimiter_error(where: str) -> InputError:
    return InputError(
        f"{where} 的列表值含有数组分隔符 U+001F，无法按 neo4j-admin 格式导出",
        f"a list value of {where} contains the array delimiter U+001F, which neo4j-admin "
        "would split: clean the value and export again", details={"where": where})


# -- one file -----------------------------------------------------------------------------------
@dataclass
class CsvFile:
    """One written CSV: its name inside the export dir, header and row count."""

    path: str
    header: list[str]
    rows: int
    label: str = ""  # node files
    rel_type: str = ""  # relationship files
    start: str = ""
    end: str = ""


class _Writer:
    """Rows go to ``<file>.body`` as they come; ``finish`` puts the typed header in front."""

    def __init__(self, root: Path, rel_path: str, fixed: list[str],
                 columns: Iterable[str]) -> None:
        self.root, self.rel_path, self.fixed = root, rel_path, fixed
        self.columns = {name: _Column(name) for name in columns}
        self.rows = 0
        self.multiline = False
        self.body_path = root / (rel_path + ".body")
        self._body: TextIO = self.body_path.open("w", encoding="utf-8", newline="")

    def write(self, fixed: list[str], props: dict[str, Any], row_id: Any,
              where: Callable[[], str]) -> None:
        for name in props:
            if name not in self.columns:
                raise _NewColumn(self.rel_path, name)
        cells = fixed + [col.cell(props.get(name), row_id, where)
                         for name, col in self.columns.items()]
        line = ",".join(cells)
        if not self.multiline and ("\n" in line or "\r" in line):
            self.multiline = True
        self._body.write(line)
        self._body.write("\n")
        self.rows += 1

    def header(self) -> list[str]:
        typed = []
        for name, col in self.columns.items():
            # A column no row holds stays (type string, every cell empty = no property).
            kind = col.header_type()
            typed.append(name if kind == "string" else f"{name}:{kind}")
        return self.fixed + typed

    def finish(self) -> list[str]:
        """Write the final file (header + body) and return its header."""
        self._body.close()
        header = self.header()
        with (self.root / self.rel_path).open("w", encoding="utf-8", newline="") as out:
            out.write(",".join(header) + "\n")
            with self.body_path.open(encoding="utf-8", newline="") as body:
                shutil.copyfileobj(body, out, 1 << 20)
        self.body_path.unlink()
        return header

    def abandon(self) -> None:
        self._body.close()
        self.body_path.unlink(missing_ok=True)


class _NewColumn(Exception):
    """A row holds a property the writer has no column for: write the label again with it."""

    def __init__(self, path: str, name: str) -> None:
        super().__init__(f"{path}: {name}")
        self.path, self.name = path, name


# -- the export ---------------------------------------------------------------------------------
@dataclass
class ExportReport:
    """What was written, what the store holds, and anything that did not fit."""

    directory: Path
    nodes: list[CsvFile] = field(default_factory=list)
    relationships: list[CsvFile] = field(default_factory=list)
    store_nodes: dict[str, int] = field(default_factory=dict)  # label -> count in the store
    store_relationships: dict[str, int] = field(default_factory=dict)  # type -> count
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> how many
    warnings: list[str] = field(default_factory=list)
    multiline: bool = False
    empty_list_statements: int = 0
    seconds: float = 0.0

    @property
    def node_rows(self) -> int:
        return sum(f.rows for f in self.nodes)

    @property
    def relationship_rows(self) -> int:
        return sum(f.rows for f in self.relationships)

    def exported_per_label(self) -> dict[str, int]:
        return {f.label: f.rows for f in self.nodes}

    def exported_per_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.relationships:
            out[f.rel_type] = out.get(f.rel_type, 0) + f.rows
        return out

    @property
    def complete(self) -> bool:
        """Every node and relationship of the store is in the files."""
        return (not self.skipped and self.exported_per_label() == self.store_nodes
                and self.exported_per_type() == self.store_relationships)


def prepare_directory(directory: Path) -> Path:
    """A new or empty directory to export into (created with its parents), or a clear error."""
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise InputError(f"导出目标已存在且不是目录：{path}",
                         f"the export target exists and is not a directory: {path}",
                         hint="give a new or empty directory with -o")
    if path.is_dir() and any(path.iterdir()):
        raise InputError(f"导出目录不为空：{path}", f"the export directory is not empty: {path}",
                         hint="give a new or empty directory with -o (nothing is overwritten)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".patentkg-write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"无法写入导出目录：{path}（{reason}）",
                         f"cannot write the export directory {path}: {reason}",
                         hint="give a writable directory with -o") from None
    return path


def check_database_name(name: str) -> str:
    """A Neo4j database name (ASCII letters, digits, dots, dashes) safe to put in import.sh."""
    ok = name and name[0].isalpha() and name.isascii() and all(
        c.isalnum() or c in ".-" for c in name)
    if not ok:
        raise InputError(f"数据库名称无效：{name!r}（只能用字母、数字、点和横线，以字母开头）",
                         f"invalid database name {name!r}: ASCII letters, digits, dots and "
                         "dashes, starting with a letter", details={"database": name})
    return name


def _check_name(name: str, what: str) -> str:
    if not name or name[0].isdigit() or any(c not in _SAFE_NAME for c in name):
        raise InputError(f"{what}名称无法写入 neo4j-admin 文件头：{name!r}",
                         f"the {what} name {name!r} cannot go into a neo4j-admin header",
                         details={what: name})
    return name


def _keys_query(label: str, key: str) -> str:
    return f"MATCH (n:{label}) WHERE n.{key} IS NOT NULL RETURN n.{key} AS k"


def _node_page_query(label: str, key: str) -> str:
    return f"MATCH (n:{label}) WHERE n.{key} IN $keys RETURN n.{key} AS k, properties(n) AS p"


def _edge_page_query(label: str, key: str) -> str:
    # The key of the end node, whatever its label (exact: each label names its own key).
    key_of_b = " ".join(f"WHEN '{n.label}' THEN b.{n.key}" for n in NODE_TYPES)
    return (f"MATCH (a:{label})-[r]->(b) WHERE a.{key} IN $keys "
            f"RETURN a.{key} AS s, type(r) AS t, head(labels(b)) AS bl, "
            f"CASE head(labels(b)) {key_of_b} END AS e, properties(r) AS p")


class _Exporter:
    def __init__(self, store: Any, root: Path, page_size: int,
                 on_progress: Callable[[str, int], None] | None) -> None:
        self.store, self.root, self.page = store, root, max(1, int(page_size))
        self.on_progress = on_progress
        self.report = ExportReport(directory=root)
        self.extra: dict[str, list[str]] = {}  # file -> properties found beyond graph.schema
        self.fixups: list[str] = []

    def skip(self, reason: str, n: int = 1) -> None:
        self.report.skipped[reason] = self.report.skipped.get(reason, 0) + n

    def run(self) -> ExportReport:
        started = time.perf_counter()
        store, report = self.store, self.report
        in_store = sorted(r["label"] for r in store.read(
            "CALL db.labels() YIELD label RETURN label"))
        types = sorted(r["relationshipType"] for r in store.read(
            "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType"))
        for label in in_store:
            if label not in _KEY:
                quoted = label.replace("`", "``")
                n = store.read(f"MATCH (n:`{quoted}`) RETURN count(n) AS n")[0]["n"]
                if n:
                    self.skip(f"nodes of label {label} (not in graph.schema)", int(n))
                continue
            n = int(store.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"])
            if n:
                report.store_nodes[label] = n
        for rel in types:
            quoted = rel.replace("`", "``")
            n = int(store.read(f"MATCH ()-[r:`{quoted}`]->() RETURN count(r) AS n")[0]["n"])
            if n:
                report.store_relationships[rel] = n
        for node_type in NODE_TYPES:
            if report.store_nodes.get(node_type.label):
                self.export_label(node_type)
        self.check_counts()
        report.seconds = time.perf_counter() - started
        return report

    def check_counts(self) -> None:
        report = self.report
        for label, n in report.store_nodes.items():
            got = report.exported_per_label().get(label, 0)
            if got != n:
                report.warnings.append(f"{label}: {got:,} of {n:,} nodes exported")
        for rel, n in report.store_relationships.items():
            got = report.exported_per_type().get(rel, 0)
            if got != n:
                report.warnings.append(f"{rel}: {got:,} of {n:,} relationships exported")

    def export_label(self, node_type: schema.NodeType) -> None:
        label, key = _check_name(node_type.label, "label"), _check_name(node_type.key, "key")
        while True:
            node_path = f"{NODE_DIR}/{label}.csv"
            nodes = _Writer(self.root, node_path, [f"{key}:ID({label})", ":LABEL"],
                            [p for p in node_type.properties if p != key]
                            + self.extra.get(node_path, []))
            rels: dict[tuple[str, str], _Writer] = {}
            try:
                skipped = self.stream_label(label, key, nodes, rels)
                break
            except _NewColumn as new:
                for writer in (nodes, *rels.values()):
                    writer.abandon()
                self.extra.setdefault(new.path, []).append(_check_name(new.name, "property"))
            except BaseException:
                for writer in (nodes, *rels.values()):
                    writer.abandon()
                raise
        for reason, n in skipped.items():
            self.skip(reason, n)
        self.finish_nodes(nodes, label, key)
        for (rel, end), writer in sorted(rels.items()):
            self.finish_rels(writer, rel, label, end)
        if self.on_progress:
            self.on_progress(label, nodes.rows)

    def stream_label(self, label: str, key: str, nodes: _Writer,
                     rels: dict[tuple[str, str], _Writer]) -> dict[str, int]:
        skipped: dict[str, int] = {}
        keys = [row["k"] for row in self.store.read(_keys_query(label, key))]
        for k in keys:
            if not isinstance(k, str):
                raise InputError(f"{label} 的键 {key} 不是文本：{k!r}",
                                 f"{label}.{key} is not text: {k!r}",
                                 details={"label": label, "key": repr(k)})
        unique = sorted(set(keys))
        if len(unique) < len(keys):
            skipped[f"{label} nodes repeating a {key}"] = len(keys) - len(unique)
        del keys
        nodes_q, edges_q = _node_page_query(label, key), _edge_page_query(label, key)
        for start in range(0, len(unique), self.page):
            page = unique[start:start + self.page]
            seen: set[str] = set()
            rows = sorted(self.store.read(nodes_q, {"keys": page}), key=lambda r: r["k"])
            for row in rows:
                k = row["k"]
                if k in seen:
                    continue  # a repeated key (counted above): neo4j-admin takes one node per ID
                seen.add(k)
                props = dict(row["p"] or {})
                props.pop(key, None)
                nodes.write([_text(k), label], props, k, partial("{}[{}={}]".format, label, key, k))
            edges = self.store.read(edges_q, {"keys": page})
            edges.sort(key=lambda e: (e["t"], e["bl"] or "", e["s"], e["e"] or ""))
            for edge in edges:
                end, end_key, rel = edge["bl"], edge["e"], edge["t"]
                if end not in _KEY or not isinstance(end_key, str):
                    reason = f"{rel} relationships to nodes without a schema label or key"
                    skipped[reason] = skipped.get(reason, 0) + 1
                    continue
                writer = rels.get((rel, end))
                if writer is None:
                    writer = rels[(rel, end)] = self.rel_writer(rel, label, end)
                s = edge["s"]
                writer.write([_text(s), _text(end_key), rel], dict(edge["p"] or {}),
                             (s, end_key),
                             partial("({} {})-[{}]->({} {})".format, label, s, rel, end, end_key))
        return skipped

    def rel_writer(self, rel: str, start: str, end: str) -> _Writer:
        _check_name(rel, "relationship type")
        path = f"{REL_DIR}/{rel}-{start}-{end}.csv"
        known = schema.REL_BY_TYPE[rel].properties if rel in schema.REL_BY_TYPE else ()
        return _Writer(self.root, path, [f":START_ID({start})", f":END_ID({end})", ":TYPE"],
                       list(known) + self.extra.get(path, []))

    def finish_nodes(self, writer: _Writer, label: str, key: str) -> None:
        header = writer.finish()
        self.report.nodes.append(CsvFile(writer.rel_path, header, writer.rows, label=label))
        self.report.multiline |= writer.multiline
        for col in writer.columns.values():
            self.note_mixed(col, label)
            if not col.empty:
                continue
            if col.present == writer.rows:  # every node holds it: the missing ones were []
                self.fixup(f"MATCH (n:{label}) WHERE n.{col.name} IS NULL "
                           f"CALL {{ WITH n SET n.{col.name} = [] }} IN TRANSACTIONS OF 10000 ROWS")
            else:
                for chunk in _chunks(col.empty):
                    self.fixup(f"UNWIND {_cypher_list(chunk)} AS k "
                               f"MATCH (n:{label} {{{key}: k}}) SET n.{col.name} = []")

    def finish_rels(self, writer: _Writer, rel: str, start: str, end: str) -> None:
        header = writer.finish()
        self.report.relationships.append(CsvFile(writer.rel_path, header, writer.rows,
                                                 rel_type=rel, start=start, end=end))
        self.report.multiline |= writer.multiline
        for col in writer.columns.values():
            self.note_mixed(col, f"{rel} ({start}->{end})")
            if not col.empty:
                continue
            p = col.name
            if col.present == writer.rows:
                self.fixup(f"MATCH (:{start})-[r:{rel}]->(:{end}) WHERE r.{p} IS NULL "
                           f"CALL {{ WITH r SET r.{p} = [] }} IN TRANSACTIONS OF 10000 ROWS")
            else:
                for chunk in _chunks(col.empty):
                    self.fixup(f"UNWIND {_cypher_list([list(x) for x in chunk])} AS pair "
                               f"MATCH (:{start} {{{_KEY[start]}: pair[0]}})-[r:{rel}]->"
                               f"(:{end} {{{_KEY[end]}: pair[1]}}) WHERE r.{p} IS NULL "
                               f"SET r.{p} = []")

    def note_mixed(self, col: _Column, where: str) -> None:
        if col.blank_items:
            self.report.warnings.append(
                f"{where}.{col.name}: {col.blank_items:,} empty texts inside lists (the "
                "importer drops an array that is one empty text)")
        if col.mixed():
            self.report.warnings.append(
                f"{where}.{col.name}: values of several kinds {sorted(col.kinds)} "
                f"written as {col.header_type()}")

    def fixup(self, statement: str) -> None:
        self.fixups.append(statement)
        self.report.empty_list_statements += 1


def _chunks(items: list[Any], size: int = 1000) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _cypher_list(values: list[Any]) -> str:
    # JSON string literals are valid Cypher string literals (same escapes, \uXXXX included).
    return json.dumps(values, ensure_ascii=False)


def export_neo4j_admin(store: Any, directory: Path, *, page_size: int = DEFAULT_PAGE,
                       database: str = "neo4j",
                       on_progress: Callable[[str, int], None] | None = None) -> ExportReport:
    """Write the store's whole graph as neo4j-admin import CSVs, ``import.sh``,
    ``schema.cypher`` and ``empty_lists.cypher`` into a new or empty directory."""
    root = prepare_directory(directory)
    check_database_name(database)
    (root / NODE_DIR).mkdir()
    (root / REL_DIR).mkdir()
    exporter = _Exporter(store, root, page_size, on_progress)
    report = exporter.run()
    _write_schema(root)
    _write_lines(root / "empty_lists.cypher", [
        "// Empty lists, which CSV import cannot express (neo4j-admin imports them as missing).",
        "// Run after the import and schema.cypher:",
        "//   cypher-shell -d <database> -f empty_lists.cypher",
        *[s + ";" for s in exporter.fixups]])
    _write_import_script(root, report, database, source=getattr(store, "location", ""))
    return report


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_schema(root: Path) -> None:
    from graph.store.neo4j_store import AWAIT_INDEXES, schema_ddl

    _write_lines(root / "schema.cypher", [
        "// Constraints and indexes of graph.schema (the statements Neo4jStore.ensure_schema",
        "// runs), for after the import: cypher-shell -d <database> -f schema.cypher",
        *[f"{statement};" for _name, statement in schema_ddl()],
        f"{AWAIT_INDEXES};"])


def import_arguments(report: ExportReport, database: str = "neo4j") -> list[str]:
    """The ``neo4j-admin database import full`` arguments for the files of ``report``.

    The database name comes first: --nodes/--relationships take several values each and
    would swallow a positional name after them (picocli, see the manual's import page)."""
    args = ["database", "import", "full", database, "--overwrite-destination=true",
            "--id-type=string", f"--array-delimiter={ARRAY_DELIMITER_OPTION}",
            f"--multiline-fields={'true' if report.multiline else 'false'}"]
    args += [f"--nodes={f.label}={f.path}" for f in report.nodes]
    args += [f"--relationships={f.rel_type}={f.path}" for f in report.relationships]
    return args


def _write_import_script(root: Path, report: ExportReport, database: str, source: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args = import_arguments(report, database)
    lines = [
        "#!/bin/sh",
        f"# patentkg export --format neo4j-admin, {stamp}, from {source or 'the graph store'}:",
        f"# {report.node_rows:,} nodes in {len(report.nodes)} files, "
        f"{report.relationship_rows:,} relationships in {len(report.relationships)} files.",
        "#",
        "# Neo4j 5 offline import (operations manual: Import, neo4j-admin database import full).",
        "# 1. Stop the target database first (STOP DATABASE neo4j, or stop the server): full",
        "#    import writes the store files of a database that does not exist or is not running;",
        "#    --overwrite-destination replaces what it held.",
        "# 2. Run this script where neo4j-admin can read these files (NEO4J_ADMIN=path/to/",
        "#    neo4j-admin, or inside the container with this folder mounted). First argument:",
        "#    the database name (default neo4j).",
        "# 3. Start the database (CREATE DATABASE <name> if it did not exist), then run",
        "#    cypher-shell -d <name> -f schema.cypher and then -f empty_lists.cypher.",
        "# Strict on purpose: no --skip-duplicate-nodes / --skip-bad-relationships /",
        "# --bad-tolerance, because every ID is unique and every end node is exported; an",
        "# error here means the files were changed.",
        "# Arrays are split on U+001F (--array-delimiter); --multiline-fields is on only when",
        "# a value holds a line break.",
        "set -eu",
        'cd "$(dirname "$0")"',
        f'DATABASE="${{1:-{database}}}"',
        '"${NEO4J_ADMIN:-neo4j-admin}" ' + " \\\n  ".join(
            '"$DATABASE"' if a == database and i == 3 else shlex.quote(a)
            for i, a in enumerate(args)),
    ]
    script = root / "import.sh"
    _write_lines(script, lines)
    os.chmod(script, 0o755)
