"""The loader on small hand-written fixtures: what loads, and each kind of bad input."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from graph import schema
from graph.store.falkor import FalkorStore
from loaders.normalise import app_no_check_digit
from loaders.pipeline import load_paths
from patentkg.errors import InputError

SMALL = Path(__file__).parent / "data" / "small"
PATENT_HEADER = "申请号,申请日,专利名称,申请(专利权)人,权利要求数\n"


def _no(digits: str) -> str:
    return f"CN{digits}.{app_no_check_digit(digits)}"


def _rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


# -- the good fixtures -------------------------------------------------------------------------
def test_small_fixtures_load_without_rejects(falkor_store: FalkorStore) -> None:
    report = load_paths(falkor_store, [SMALL])
    assert report.rejected_rows == 0, report.summary()
    patents = pd.read_csv(SMALL / "专利导出_patents.csv", encoding="gbk", dtype=str)
    enterprises = pd.read_csv(SMALL / "enterprises.csv", encoding="utf-8-sig", dtype=str)
    counts = falkor_store.counts()["nodes"]
    assert counts["Patent"] == patents["申请号"].nunique()
    # 2 registry enterprises; the branch '...河东分公司' and the '(天津)' variants fold into them.
    assert counts["Enterprise"] == len(enterprises)
    assert report.rows_read == sum(f.rows for f in report.per_file)


def test_small_fixtures_graph_facts(falkor_store: FalkorStore) -> None:
    load_paths(falkor_store, [SMALL])
    read = falkor_store.read
    uni = read("MATCH (i:Institute {name: '天津示例大学'}) RETURN i")[0]["i"]
    assert uni["departments"] == ["化工学院"] and uni["in_registry"] is True
    assert set(uni["aliases"]) == {"示例大学", "TJSU"}
    new = read("MATCH (i:Institute {name: '天津某某新材料研究院'}) RETURN i")[0]["i"]
    assert new["in_registry"] is False and new["org_key"] == "name:天津某某新材料研究院"
    # Personal applicants stay on the patent only; the inventor is '@individual'.
    design = read(f"MATCH (p:Patent {{app_no: '{_no('202230012345')}'}}) "
                  "OPTIONAL MATCH (p)-[:APPLIED_BY]->(o) RETURN p, count(o) AS orgs")[0]
    assert design["orgs"] == 0 and design["p"]["applicants"] == "王小明"  # joined (schema)
    assert design["p"]["patent_type"] == "design" and design["p"]["expiry_date"] == "2037-07-01"
    assert read("MATCH (i:Inventor {inventor_id: '王小明@individual'}) RETURN count(i) AS n"
                )[0]["n"] == 1
    first = read(f"MATCH (p:Patent {{app_no: '{_no('202210001234')}'}})-[r:APPLIED_BY]->(o) "
                 "RETURN o.name AS name, r.order AS ord ORDER BY ord")
    assert [r["name"] for r in first] == ["示例医疗科技(天津)有限公司", "天津示例大学"]
    p = read(f"MATCH (p:Patent {{app_no: '{_no('202210001234')}'}}) RETURN p")[0]["p"]
    # ipc_subclasses is computed when read, not stored
    assert p["ipc_codes"] == ["A61B5/00", "G06F16/00"] and "ipc_subclasses" not in p
    assert schema.readable("Patent", dict(p))["ipc_subclasses"] == ["A61B", "G06F"]
    assert p["has_family_abroad"] is True and p["is_valid"] is True and p["in_sei"] is True
    assert read("MATCH (:Patent)-[:CITES]->(q:Patent) RETURN q.app_no AS a"
                ) == [{"a": _no("201920012345")}]
    licence = read("MATCH (l:Licence) RETURN l")[0]["l"]
    assert licence["fee"] == 125000.0 and licence["fee_model"] == "base_plus_royalty"
    assert licence["start_date"] == "2023-05-06" and licence["royalty_rate"] == pytest.approx(0.03)
    ent_park = read("MATCH (e:Enterprise)-[:LOCATED_IN]->(k:Park) RETURN e.name AS e, k.name AS k "
                    "ORDER BY e")
    assert ent_park == [{"e": "天津河东示例信息技术有限公司", "k": "棉三创意街区"},
                        {"e": "示例医疗科技(天津)有限公司", "k": "帅达创新产业园"}]


def test_inventor_organisation_read_from_its_key(falkor_store: FalkorStore) -> None:
    """organisation_key is not stored (graph.schema computed): a profile shows the org_key of
    the first applicant of the inventor's patents, none for an individual's inventor, and a
    graph loaded when it was stored reads the same."""
    from queries.explore import entity_profile

    load_paths(falkor_store, [SMALL])
    # 张三；李四 of 示例医疗科技（天津）股份有限公司；天津示例大学 (the registry's name below),
    # 王五 of 天津示例大学化工学院 (a department), 赵六、孙七 of 天津某某新材料研究院,
    # 王小明 of himself
    first_applicant = {"张三": "示例医疗科技(天津)有限公司", "李四": "示例医疗科技(天津)有限公司",
                       "王五": "天津示例大学", "赵六": "天津某某新材料研究院",
                       "孙七": "天津某某新材料研究院"}
    inventors = [{k: v for k, v in r["i"].items() if not k.startswith("_")}
                 for r in falkor_store.read("MATCH (i:Inventor) RETURN i")]
    assert inventors and all(set(i) == {"inventor_id", "name"} for i in inventors)
    names = {r["k"]: r["n"] for r in falkor_store.read(
        "MATCH (o) WHERE o:Enterprise OR o:Institute RETURN o.org_key AS k, o.name AS n")}
    seen = {"org": 0, "individual": 0}
    for inv in inventors:
        props = entity_profile(falkor_store, label="Inventor", key=inv["inventor_id"])[
            "properties"]
        assert list(props)[:2] == ["inventor_id", "name"] and props["name"] == inv["name"]
        if inv["name"] not in first_applicant:
            assert "organisation_key" not in props, props
            seen["individual"] += 1
        else:
            assert list(props)[2] == "organisation_key", props
            assert names[props["organisation_key"]] == first_applicant[inv["name"]], props
            seen["org"] += 1
    assert seen == {"org": 5, "individual": 1}
    # a graph loaded by the code that stored organisation_key reads the same
    old = next(i for i in inventors if i["name"] == "张三")
    expected = schema.readable("Inventor", dict(old))
    assert list(expected) == ["inventor_id", "name", "organisation_key"]
    stored = {**old, "organisation_key": expected.get("organisation_key")}
    assert schema.readable("Inventor", {k: v for k, v in stored.items() if v is not None}) \
        == expected


def test_rerun_is_idempotent(falkor_store: FalkorStore) -> None:
    first = load_paths(falkor_store, [SMALL])
    counts = falkor_store.counts()
    second = load_paths(falkor_store, [SMALL])
    assert falkor_store.counts() == counts
    assert sum(second.written.nodes.values()) == 0
    assert sum(second.written.relationships.values()) == 0
    assert first.reference_loaded and not second.reference_loaded


def test_reload_removes_properties_no_longer_stored(falkor_store: FalkorStore) -> None:
    """A graph loaded when Patent.ipc_subclasses and Inventor.organisation_key were stored:
    the next load of the same files (the MERGE path) removes them and changes nothing else."""
    load_paths(falkor_store, [SMALL])
    dump = ("MATCH (n) WHERE n:Patent OR n:Inventor RETURN labels(n)[0] AS l, "
            "properties(n) AS p ORDER BY l, coalesce(n.app_no, n.inventor_id)")
    fresh = falkor_store.read(dump)
    falkor_store.write("MATCH (p:Patent) SET p.ipc_subclasses = ['A61B', 'G06F']")
    falkor_store.write("MATCH (i:Inventor) SET i.organisation_key = 'name:旧的机构'")
    assert all("ipc_subclasses" in r["p"] or "organisation_key" in r["p"]
               for r in falkor_store.read(dump))
    second = load_paths(falkor_store, [SMALL])
    assert sum(second.written.nodes.values()) == 0
    assert falkor_store.read(dump) == fresh and len(fresh) > 6


def test_order_of_paths_does_not_matter(falkor_store: FalkorStore, tmp_path: Path) -> None:
    files = sorted(SMALL.iterdir(), reverse=True)  # patents before the registries
    load_paths(falkor_store, files)
    rows = falkor_store.read("MATCH (p:Patent)-[:APPLIED_BY]->(e:Enterprise) "
                             "RETURN e.in_registry AS reg, count(*) AS n")
    assert rows == [{"reg": True, "n": 2}]


def test_unknown_columns_kept_and_reported(falkor_store: FalkorStore) -> None:
    report = load_paths(falkor_store, [SMALL])
    by_file = {f.file: f for f in report.per_file}
    assert by_file["专利导出_patents.csv"].unknown_columns == ["备注"]
    assert by_file["enterprises.csv"].unknown_columns == ["经营范围"]
    extra = falkor_store.read(f"MATCH (p:Patent {{app_no: '{_no('202210001234')}'}}) "
                              "RETURN p.extra AS e")[0]["e"]
    assert '"备注": "重点专利"' in extra


# -- bad input ---------------------------------------------------------------------------------
def test_wrong_encoding_is_a_clear_error(falkor_store: FalkorStore, tmp_path: Path) -> None:
    bad = _write(tmp_path / "utf16.csv", PATENT_HEADER, encoding="utf-16")
    with pytest.raises(InputError, match="utf16.csv"):
        load_paths(falkor_store, [bad])
    assert falkor_store.counts()["nodes"] == {}


def test_missing_required_column_rejects_the_file(falkor_store: FalkorStore,
                                                  tmp_path: Path) -> None:
    _write(tmp_path / "patents.csv", "申请号,专利名称,申请(专利权)人\n"
           f"{_no('202210001234')},标题,天津示例大学\n{_no('202210001235')},标题二,天津示例大学\n")
    rejects = tmp_path / "rejects.csv"
    report = load_paths(falkor_store, [tmp_path], rejects_path=rejects)
    assert report.rejected_rows == 2
    [row] = _rejects(rejects)
    assert row["row"] == "1" and row["column"] == "申请日" and "缺少必填列" in row["reason"]
    assert falkor_store.counts()["nodes"].get("Patent", 0) == 0


def test_bad_cells_go_to_the_rejects_file(falkor_store: FalkorStore, tmp_path: Path) -> None:
    good, wrong_check = _no("202210001234"), _no("202210001235")[:-1] + "Z"
    bad_digit = _no("202210001236")
    bad_digit = bad_digit[:-1] + str((int(bad_digit[-1]) + 1) % 10) \
        if bad_digit[-1] != "X" else bad_digit[:-1] + "0"
    _write(tmp_path / "patents.csv", PATENT_HEADER +
           f"{good},2022-01-05,好的,天津示例大学,10\n"
           f"{_no('202210001237')},2022-13-45,坏日期,天津示例大学,3\n"
           f"{_no('202210001238')},2022-01-05,坏数字,天津示例大学,十二\n"
           f"{bad_digit},2022-01-05,校验位错,天津示例大学,1\n"
           f"{wrong_check},2022-01-05,格式错,天津示例大学,1\n")
    rejects = tmp_path / "out" / "rejects.csv"
    report = load_paths(falkor_store, [tmp_path / "patents.csv"], rejects_path=rejects)
    assert report.rejected_rows == 4
    rows = {(r["row"], r["column"]): r for r in _rejects(rejects)}
    assert set(rows) == {("3", "申请日"), ("4", "权利要求数"), ("5", "申请号"), ("6", "申请号")}
    bad_date = rows[("3", "申请日")]
    assert "日期" in bad_date["reason"] and bad_date["value"] == "2022-13-45"
    assert "校验位" in rows[("5", "申请号")]["reason"]
    # The good row still loads when not strict.
    assert falkor_store.counts()["nodes"]["Patent"] == 1


def test_conflicting_duplicate_keys_are_rejected(falkor_store: FalkorStore,
                                                 tmp_path: Path) -> None:
    a, b = _no("202210001234"), _no("202210001239")
    _write(tmp_path / "patents.csv", PATENT_HEADER +
           f"{a},2022-01-05,标题,天津示例大学,10\n"
           f"{a.replace('CN', '')},2022/1/5,标题,天津示例大学,10\n"  # same after normalising
           f"{b},2022-01-05,标题一,天津示例大学,1\n"
           f"{b},2022-01-05,标题二,天津示例大学,1\n")
    rejects = tmp_path / "rejects.csv"
    report = load_paths(falkor_store, [tmp_path / "patents.csv"], rejects_path=rejects)
    assert report.rejected_rows == 1
    [row] = _rejects(rejects)
    assert row["row"] == "5" and row["column"] == "申请号" and "冲突" in row["reason"]
    title = falkor_store.read(f"MATCH (p:Patent {{app_no: '{b}'}}) RETURN p.title AS t")
    assert title == [{"t": "标题一"}]


def test_strict_mode_writes_nothing(falkor_store: FalkorStore, tmp_path: Path) -> None:
    for f in SMALL.iterdir():
        shutil.copy(f, tmp_path / f.name)
    _write(tmp_path / "transfers_bad.csv", "转让登记号,专利号,转让人,受让人,转让日期\n"
           f"ZR1,{_no('202210001234')},甲公司,乙公司,不是日期\n")
    report = load_paths(falkor_store, [tmp_path], strict=True)
    assert report.rejected_rows == 1 and not report.wrote
    assert falkor_store.counts() == {"nodes": {}, "relationships": {}}


def test_gbk_and_utf8_bom_read_the_same(tmp_path: Path) -> None:
    from loaders.read import decode_csv

    text = "企业名称,所在街道\n天津示例（河东）有限公司,大王庄街道\n"
    for enc in ("gbk", "gb18030", "utf-8", "utf-8-sig"):
        assert decode_csv(_write(tmp_path / f"{enc}.csv", text, encoding=enc)) == text


def test_cli_load_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             falkor_server) -> None:
    from loaders.cli import load

    graph = f"cli_{tmp_path.name}"
    for name in ("PATENTKG_FALKORDB_URL", "PATENTKG_NEO4J_URI", "PATENTKG_FALKORDB_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATENTKG_DATA_DIR", str(falkor_server.data_dir))
    monkeypatch.setenv("PATENTKG_GRAPH", graph)
    monkeypatch.chdir(tmp_path)  # the default rejects file lands in the working directory
    runner = CliRunner()
    ok = runner.invoke(load, [str(SMALL), "--replace"])
    assert ok.exit_code == 0, ok.output
    assert "专利 Patent" in ok.output
    bad = _write(tmp_path / "transfers.csv", "转让登记号,专利号,转让人,受让人,转让日期\n"
                 f"ZR1,{_no('202210001234')},甲公司,乙公司,不是日期\n")
    rejects = tmp_path / "rej.csv"
    failed = runner.invoke(load, [str(bad), "--rejects", str(rejects)])
    assert failed.exit_code == 1 and _rejects(rejects)[0]["column"] == "转让日期"
    FalkorStore.embedded(falkor_server, graph).clear()


def test_whole_subclass_concordance_entries_count_for_in_sei() -> None:
    import json

    from loaders.reference import REFERENCE_DIR, load_reference

    rows = [json.loads(line) for line in
            (REFERENCE_DIR / "ipc_sei_map.jsonl").read_text("utf-8").splitlines()]
    whole = {r["ipcCode"] for r in rows if len(r["ipcCode"]) == 4}
    mapped_groups = {r["ipcCode"].split("/")[0] for r in rows if "/" in r["ipcCode"]}
    subclass = sorted(whole - {g[:4] for g in mapped_groups})[0]  # listed only as a whole
    ref = load_reference()
    assert ref.sei_codes_of([f"{subclass}1/00"]), subclass
    assert not ref.sei_codes_of(["ZZZZ1/00"])
