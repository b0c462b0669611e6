"""The GRAPH.BULK load path: the same graph as the MERGE path, checked against the input files."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graph import schema
from graph.store import falkor_bulk
from graph.store.embedded import EmbeddedServer
from graph.store.falkor import FalkorStore
from graph.store.falkor_bulk import GraphNotEmpty, encode_value
from loaders.pipeline import LoadReport, load_paths
from loaders.tables import Tables
from loaders.write import write_tables
from patentkg.errors import QueryFailed
from tests.conftest import REPO, fresh_falkor_store

SMALL = REPO / "tests" / "data" / "small"


@pytest.fixture(scope="module")
def loaded_both(falkor_server: EmbeddedServer,
                demo_dir: Path) -> Iterator[tuple[FalkorStore, LoadReport, FalkorStore,
                                                  LoadReport]]:
    """The demo loaded twice into empty graphs: once with GRAPH.BULK, once with MERGE."""
    bulk = fresh_falkor_store(falkor_server, prefix="bulk")
    merge = fresh_falkor_store(falkor_server, prefix="merge")
    bulk_report = load_paths(bulk, [demo_dir], bulk=True)
    merge_report = load_paths(merge, [demo_dir], bulk=False)
    yield bulk, bulk_report, merge, merge_report
    for store in (bulk, merge):
        store.clear()
        store.close()


def test_paths_taken(loaded_both):
    _, bulk_report, _, merge_report = loaded_both
    assert bulk_report.write_mode.startswith("bulk")
    assert merge_report.write_mode.startswith("merge")
    assert bulk_report.rejected_rows == merge_report.rejected_rows == 0


def test_same_counts(loaded_both):
    _, bulk_report, _, merge_report = loaded_both
    assert bulk_report.counts == merge_report.counts
    # what each path says it created is what the graph holds (an empty graph before)
    assert bulk_report.written.nodes == bulk_report.counts["nodes"]
    assert bulk_report.written.relationships == bulk_report.counts["relationships"]
    assert merge_report.written.nodes == bulk_report.written.nodes
    assert merge_report.written.relationships == bulk_report.written.relationships


def _nodes(store: FalkorStore, label: str) -> dict[str, dict]:
    key = schema.key_of(label)
    rows = store.read(f"MATCH (n:{label}) RETURN n")
    return {r["n"][key]: {k: v for k, v in r["n"].items() if not k.startswith("_")}
            for r in rows}


@pytest.mark.parametrize("label", schema.LABELS)
def test_same_node_properties(loaded_both, label):
    bulk, _, merge, _ = loaded_both
    got, want = _nodes(bulk, label), _nodes(merge, label)
    assert got.keys() == want.keys()
    # every node of small labels, a spread sample of big ones; values and their types
    keys = sorted(want)
    for key in keys[:: max(1, len(keys) // 200)]:
        assert got[key] == want[key], (label, key)
        assert {k: type(v) for k, v in got[key].items()} == \
            {k: type(v) for k, v in want[key].items()}


def _edges(store: FalkorStore, rel_type: str) -> Counter:
    rows = store.read(f"MATCH (a)-[r:{rel_type}]->(b) RETURN labels(a)[0] AS sl, a AS a, "
                      "labels(b)[0] AS dl, b AS b, properties(r) AS p")
    return Counter((r["sl"], r["a"][schema.key_of(r["sl"])], r["dl"],
                    r["b"][schema.key_of(r["dl"])], tuple(sorted(r["p"].items())))
                   for r in rows)


def test_same_relationships(loaded_both):
    bulk, bulk_report, merge, _ = loaded_both
    for rel_type in bulk_report.counts["relationships"]:
        assert _edges(bulk, rel_type) == _edges(merge, rel_type), rel_type


# -- against the input files (pandas, independently of the loader) ----------------------------
def _read_any(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"cannot read {path}")


# node label -> (file stem, key column)
REGISTRY_KEYS = {
    "Trademark": ("商标注册信息", "注册号"), "Copyright": ("软件著作权登记", "登记号"),
    "Pledge": ("知识产权质押登记", "质押登记号"), "Licence": ("专利实施许可备案", "备案号"),
    "Transfer": ("专利转让登记", "转让登记号"), "Event": ("路演对接活动", "活动编号"),
    "TechContract": ("技术合同登记", "合同登记号"), "Product": ("专利密集型产品备案", "产品编号"),
    "OpenLicenceOffer": ("开放许可声明", "声明编号"),
    "InsurancePolicy": ("知识产权保险保单", "保单号"),
    "FinancingProduct": ("知识产权金融产品", "产品编号"),
}


def _file(demo_dir: Path, stem: str) -> Path:
    return next(p for p in demo_dir.iterdir() if p.stem == stem)


def test_counts_match_the_input_files(loaded_both, demo_dir):
    _, bulk_report, _, _ = loaded_both
    nodes = bulk_report.counts["nodes"]
    app_nos: set[str] = set()
    for path in demo_dir.glob("专利导出_*"):
        frame = _read_any(path)
        digits = frame.iloc[:, 0].str.extract(r"(\d{12}|\d{8})", expand=False)
        app_nos.update(digits.dropna())
    assert nodes["Patent"] == len(app_nos)
    for label, (stem, column) in REGISTRY_KEYS.items():
        frame = _read_any(_file(demo_dir, stem))
        assert nodes[label] == frame[column].str.strip().nunique(), label
    enterprises = _read_any(_file(demo_dir, "企业名录"))
    assert nodes["Enterprise"] >= enterprises["企业名称"].nunique()


# -- refusing, falling back, failing cleanly ---------------------------------------------------
def test_bulk_into_a_non_empty_graph_falls_back(falkor_store):
    first = load_paths(falkor_store, [SMALL], bulk=False)
    again = load_paths(falkor_store, [SMALL], bulk=True)
    assert again.write_mode.startswith("merge") and "not empty" in again.write_mode
    assert again.counts == first.counts  # the MERGE path is idempotent
    assert sum(again.written.nodes.values()) == 0
    with pytest.raises(GraphNotEmpty):
        falkor_store.bulk_create({"Park": {"p-new": {"name": "新园区"}}}, {})


def test_small_first_load_picks_merge_unless_asked(falkor_server):
    auto = fresh_falkor_store(falkor_server)
    asked = fresh_falkor_store(falkor_server)
    try:
        auto_report = load_paths(auto, [SMALL])
        asked_report = load_paths(asked, [SMALL], bulk=True)
        assert auto_report.write_mode.startswith("merge (small load")
        assert asked_report.write_mode.startswith("bulk")
        assert asked_report.counts == auto_report.counts
    finally:
        for store in (auto, asked):
            store.clear()
            store.close()


def _graphs(store: FalkorStore) -> list[str]:
    return [g.decode() if isinstance(g, bytes) else g
            for g in store._db.connection.execute_command("GRAPH.LIST")]


def test_failed_bulk_write_leaves_no_half_graph(falkor_store, monkeypatch):
    # small commands, so that several reach the server before the bad value is met
    monkeypatch.setattr(falkor_bulk, "MAX_TOKEN_BYTES", 200)
    monkeypatch.setattr(falkor_bulk, "MAX_COMMAND_BYTES", 400)
    tables = Tables()
    for i in range(300):
        tables.node("Patent", f"CN2020{i:08d}.1", {"title": f"专利{i}"})
        tables.node("IPC", f"A01B{i}/00", {"level": "main_group"})
        tables.rel("CLASSIFIED_AS", "Patent", f"CN2020{i:08d}.1", "IPC", f"A01B{i}/00",
                   {"main": True})
    tables.rels[("CLASSIFIED_AS", "Patent", "IPC")][("CN202000000299.1", "A01B299/00")] = \
        {"main": {"not": "a property value"}}
    before = set(_graphs(falkor_store))
    with pytest.raises(QueryFailed, match="bulk write failed, the graph is unchanged"):
        falkor_store.bulk_create(tables.nodes, tables.rels)
    assert falkor_store.counts() == {"nodes": {}, "relationships": {}}
    assert set(_graphs(falkor_store)) == before  # the temporary graph is gone
    # and the graph is still usable, by either path
    summary = falkor_store.bulk_create({"Park": {"p1": {"name": "园区"}}}, {})
    assert summary.nodes == {"Park": 1}
    assert falkor_store.read("MATCH (p:Park) RETURN p.name AS n") == [{"n": "园区"}]


def _aof_rewrite(store: FalkorStore) -> str:
    return store._db.connection.config_get("auto-aof-rewrite-percentage")[
        "auto-aof-rewrite-percentage"]


def test_aof_rewrite_is_paused_only_during_the_bulk_write(falkor_store, monkeypatch):
    # An automatic AOF rewrite (a fork) in the middle of GRAPH.BULK deadlocked the server.
    before = _aof_rewrite(falkor_store)
    assert before != "0"
    seen: list[str] = []
    send = falkor_bulk._Sender.flush

    def flush(self):
        seen.append(_aof_rewrite(falkor_store))
        send(self)

    monkeypatch.setattr(falkor_bulk._Sender, "flush", flush)
    with pytest.raises(QueryFailed):  # a failed write restores it too
        falkor_store.bulk_create({"Park": {"p0": {"name": {"not": "a value"}}}}, {})
    assert _aof_rewrite(falkor_store) == before
    falkor_store.bulk_create({"Park": {"p1": {"name": "园区"}}}, {})
    assert seen and set(seen) == {"0"}
    assert _aof_rewrite(falkor_store) == before


def test_relationships_without_properties_share_nothing_mutable():
    tables = Tables()
    tables.rel("CITES", "Patent", "a", "Patent", "b")
    tables.rel("CITES", "Patent", "a", "Patent", "c", {"x": None, "y": ""})
    tables.rel("CITES", "Patent", "a", "Patent", "b", {"x": 1})
    tables.rel("CITES", "Patent", "a", "Patent", "b", {"y": 2, "x": None})
    tables.rel("CITES", "Patent", "a", "Patent", "d", {"x": 3})
    tables.rel("CITES", "Patent", "a", "Patent", "d")
    bucket = tables.rels[("CITES", "Patent", "Patent")]
    assert bucket == {("a", "b"): {"x": 1, "y": 2}, ("a", "c"): {}, ("a", "d"): {"x": 3}}
    tables.rel("CITES", "Patent", "e", "Patent", "f")
    assert bucket[("e", "f")] == {}  # the shared empty properties were not written to
    props = {"name": "园区", "kind": None}
    tables.node("Park", "p1", props)
    props["name"] = "changed"
    assert tables.nodes["Park"] == {"p1": {"name": "园区"}}  # a copy, never the caller's dict


def test_duplicate_keys_are_refused(falkor_store):
    with pytest.raises(QueryFailed, match="differs from its key"):
        falkor_store.bulk_create({"Park": {"p1": {"park_id": "p2", "name": "x"}}}, {})
    assert falkor_store.counts()["nodes"] == {}


# -- property types ----------------------------------------------------------------------------
VALUES = {"s": "中文 text", "i": 42, "neg": -7, "f": 2.5, "t": True, "b": False,
          "l": ["甲", "乙"], "np_i": np.int64(5), "np_f": np.float64(0.25), "nan": math.nan,
          "none": None, "big": 2**62}


def test_property_types_round_trip_like_merge(falkor_server):
    bulk, merge = fresh_falkor_store(falkor_server), fresh_falkor_store(falkor_server)
    try:
        tables = Tables()
        tables.nodes["Park"] = {"p1": dict(VALUES), "p2": {"name": "only a name"}}
        tables.rels[("FOCUSES_ON", "Park", "Industry")] = {("p1", "i1"): {"w": 1.5},
                                                           ("p2", "i1"): {},
                                                           ("p2", "missing"): {}}
        tables.nodes["Industry"] = {"i1": {"name": "产业"}}
        summary = bulk.bulk_create(tables.nodes, tables.rels)
        assert summary.skipped_relationships == 1
        write_tables(merge, tables)
        for store in (bulk, merge):
            got = _nodes(store, "Park")
            assert got["p1"] == {"park_id": "p1", "s": "中文 text", "i": 42, "neg": -7, "f": 2.5,
                                 "t": True, "b": False, "l": ["甲", "乙"], "np_i": 5,
                                 "np_f": 0.25, "big": 2**62}
            assert type(got["p1"]["i"]) is int and type(got["p1"]["t"]) is bool
            assert got["p2"] == {"park_id": "p2", "name": "only a name"}
        assert _edges(bulk, "FOCUSES_ON") == _edges(merge, "FOCUSES_ON")
    finally:
        for store in (bulk, merge):
            store.clear()
            store.close()


@pytest.mark.parametrize("value", [{"a": 1}, 2**70])
def test_unsupported_values_are_errors(value):
    with pytest.raises(ValueError):
        encode_value(value)


def test_names_with_nul_are_cleaned():
    assert encode_value("a\x00b") == b"\x03ab\x00"
    assert re.fullmatch(rb"\x05.{8}\x03x\x00", encode_value(["x"]), re.S)


def _csv_copy(demo_dir: Path, out: Path) -> Path:
    """The demo as CSV files only (each workbook sheet a file), plus a second export holding
    one patent again with another title: a conflicting duplicate across files."""
    out.mkdir()
    for path in sorted(demo_dir.iterdir()):
        if path.suffix == ".csv":
            (out / path.name).write_bytes(path.read_bytes())
        elif path.suffix == ".xlsx":
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
            for i, grid in enumerate(sheets.values()):
                grid.to_csv(out / f"{path.stem}_{i}.csv", header=False, index=False,
                            encoding="utf-8-sig")
    export = next(p for p in sorted(out.iterdir()) if p.name.startswith("专利导出"))
    grid = pd.read_csv(export, header=None, dtype=str, keep_default_na=False,
                       encoding="utf-8-sig" if export.read_bytes()[:3] == b"\xef\xbb\xbf"
                       else "gb18030")
    header = next(i for i in grid.index if "申请号" in set(grid.loc[i]))
    title = next(c for c in grid.columns if grid.loc[header, c] in ("专利名称", "发明名称", "标题"))
    dup = grid.loc[[header, header + 1]].copy()
    dup.loc[header + 1, title] = "另一个名称"
    dup.to_csv(out / "专利导出_zz_dup.csv", header=False, index=False, encoding="utf-8-sig")
    return out


def test_build_during_the_parse_gives_the_same_tables(demo_dir, tmp_path, monkeypatch):
    # parse_and_build builds each table while the workers parse the rest; with every file
    # "big" (parsed in a worker, its kind read from its first lines) the tables, reports and
    # rejects are those of parse, dedupe, then build.
    from loaders import bulk
    from loaders.pipeline import build_tables, dedupe, parse_paths, seed_context
    from loaders.read import detect_kind, read_manifest, read_tables
    from loaders.reference import load_reference

    data = _csv_copy(demo_dir, tmp_path / "csv")
    ref = load_reference()
    parsed = parse_paths([data])
    dedupe(parsed)
    expected = build_tables(parsed, seed_context(None, ref))
    monkeypatch.setattr(bulk, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(bulk, "PEEK_CHARS", 100_000)  # the exports' kinds from a prefix
    assert all(bulk._peek_kind(p, {}) for p in data.iterdir())

    def not_after_the_parse(*args: object) -> None:
        raise AssertionError("built after the parse")

    monkeypatch.setattr("loaders.pipeline.build_tables", not_after_the_parse)
    streamed, tables = bulk.parse_and_build([data], seed_context(None, ref), workers=2)
    assert tables is not None and tables.nodes == expected.nodes
    assert tables.rels == expected.rels
    assert sum(len(b) for k, b in expected.rels.items() if k[0] == "CITES") > 0
    assert [p.report for p in streamed] == [p.report for p in parsed]
    assert [p.table.rejects for p in streamed] == [p.table.rejects for p in parsed]
    assert any("内容冲突" in r.reason for p in streamed for r in p.table.rejects)
    manifest = read_manifest(data)
    for path in sorted(data.iterdir()):
        peeked = bulk._peek_kind(path, manifest)
        kind = detect_kind(read_tables(path)[0], manifest).kind
        assert peeked in (None, kind.name if kind else None)
    assert bulk._peek_kind(next(demo_dir.glob("*.xlsx")), {}) is None
