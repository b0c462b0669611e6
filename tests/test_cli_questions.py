"""`patentkg questions` and `patentkg ask` through click, on a real loaded store."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from conftest import fresh_falkor_store
from test_derive import INSTITUTES, make_tables, write_tables

import queries.cli as qcli
from graph.store.falkor import FalkorStore
from patentkg.cli import cli
from queries.derive import refresh


@pytest.fixture(scope="module")
def cli_graph(falkor_server) -> Iterator[tuple[str, dict]]:
    store = fresh_falkor_store(falkor_server, prefix="cli")
    tables = make_tables(60, seed=5)
    # a title a spreadsheet would run as a formula
    tables["patents"].loc[0, "title"] = "=HYPERLINK(\"http://x\")"
    write_tables(store, tables)
    refresh(store)
    yield store.graph_name, tables
    store.clear()
    store.close()


@pytest.fixture
def runner(cli_graph, falkor_server, monkeypatch) -> CliRunner:
    # The CLI opens (and closes) its own store; point it at the loaded test graph.
    monkeypatch.setattr(qcli, "_open_store",
                        lambda: FalkorStore.embedded(falkor_server, cli_graph[0]))
    return CliRunner()


def _resident_patents(tables: dict) -> set[str]:
    resident = set(INSTITUTES[INSTITUTES.resident_in_district].org_key)
    p = tables["patents"]
    return set(p[p.applicants.map(lambda a: bool(set(a) & resident))].app_no)


def test_questions_lists_the_catalogue(runner: CliRunner) -> None:
    out = runner.invoke(cli, ["questions"])
    assert out.exit_code == 0, out.output
    assert "stock_patent_inventory" in out.output and "存量专利盘点" in out.output
    js = json.loads(runner.invoke(cli, ["questions", "--format", "json"]).output)
    assert {"park_push_list", "pre_application_assessment"} <= {q["name"] for q in js}


def test_ask_table_has_chinese_titles(runner: CliRunner) -> None:
    out = runner.invoke(cli, ["ask", "stock_patent_inventory", "--limit", "5"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "申请号" in lines[1] and "价值分" in lines[1]
    assert len(lines) == 1 + 2 + 5 + 1  # title, header, rule, rows, footer
    assert "还有更多" in lines[-1]


def test_ask_json_pages(runner: CliRunner, cli_graph) -> None:
    out = runner.invoke(cli, ["ask", "stock_patent_inventory", "--format", "json",
                              "--limit", "4", "--offset", "2"])
    data = json.loads(out.output)
    assert len(data["rows"]) == 4 and data["offset"] == 2 and data["next_offset"] == 6


def test_ask_csv_exports_the_whole_result_safely(runner: CliRunner, cli_graph, tmp_path) -> None:
    target = tmp_path / "inventory.csv"
    out = runner.invoke(cli, ["ask", "stock_patent_inventory", "--format", "csv", "-o",
                              str(target)])
    assert out.exit_code == 0, out.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = _resident_patents(cli_graph[1])
    assert {r["申请号"] for r in rows} == expected  # whole result, beyond one page
    assert len(rows) == len(expected)
    for r in rows:
        assert not r["专利名称"].startswith(("=", "+", "-", "@"))
    app0 = cli_graph[1]["patents"].loc[0, "app_no"]
    if app0 in expected:
        assert next(r for r in rows if r["申请号"] == app0)["专利名称"].startswith("'=")


def test_ask_bad_parameter_is_a_clear_error(runner: CliRunner) -> None:
    out = runner.invoke(cli, ["ask", "stock_patent_inventory", "-p", "tier=Z"])
    assert out.exit_code != 0
    assert "tier" in str(out.exception) or "tier" in out.output
    out = runner.invoke(cli, ["ask", "no_such_question"])
    assert out.exit_code != 0


def test_safe_cell_and_cell_text() -> None:
    assert qcli.safe_cell("=1+1") == "'=1+1" and qcli.safe_cell("-2") == "'-2"
    assert qcli.safe_cell("示例") == "示例"
    assert qcli.cell_text(["a", "b"]) == "a、b" and qcli.cell_text(True) == "是"
