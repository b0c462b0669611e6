"""Hostile and broken input files: each gives a clear error (file, row, reason) or is stored
verbatim, never re-exported as a live spreadsheet formula, and never crashes the service.

The fixtures are in tests/data/bad/ (written once by hand-run code, see each test); the big
ones (100k-character cells, a ~100 MB file) are generated in tmp at test time."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings, AppSettings
from graph.store.falkor import FalkorStore
from loaders.normalise import app_no_check_digit
from loaders.pipeline import load_paths
from patentkg.config import load_settings
from patentkg.errors import InputError

BAD = Path(__file__).parent / "data" / "bad"
WEIRD = BAD / "patents_weird.csv"
INSTITUTE = "天津示例大学"
FORMULA_START = ("=", "+", "-", "@")


def _no(digits: str) -> str:
    return f"CN{digits}.{app_no_check_digit(digits)}"


def _titles(store: FalkorStore) -> dict[str, str]:
    return {r["k"]: r["t"] for r in store.read("MATCH (p:Patent) RETURN p.app_no AS k, "
                                               "p.title AS t")}


def _expected_titles(path: Path, encoding: str = "utf-8") -> dict[str, str]:
    frame = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
    return dict(zip(frame["申请号"], frame["专利名称"], strict=True))


# -- unreadable encodings: one clear error naming the file and the line ------------------------
@pytest.mark.parametrize(("name", "line", "hint"), [
    ("patents_utf16.csv", 1, "UTF-16"),          # Excel's "Unicode text"
    ("patents_latin1.csv", 2, None),             # é / ï bytes that are not GBK either
    ("patents_truncated_utf8.csv", 3, None),     # a 3-byte character cut after 2 bytes
])
def test_undecodable_files_name_file_and_line(name: str, line: int, hint: str | None,
                                              falkor_store: FalkorStore) -> None:
    with pytest.raises(InputError) as err:
        load_paths(falkor_store, [BAD / name])
    assert name in err.value.message_zh and name in err.value.message_en
    assert f"第 {line} 行" in err.value.message_zh and err.value.details["row"] == line
    if hint:
        assert hint in err.value.message_en
    assert falkor_store.counts()["nodes"].get("Patent", 0) == 0  # nothing half-written


@pytest.mark.parametrize(("name", "kind"), [("empty.csv", None), ("blank_lines.csv", None),
                                            ("patents_header_only.csv", "patents")])
def test_empty_files_are_reported_not_skipped(name: str, kind: str | None,
                                              falkor_store: FalkorStore) -> None:
    report = load_paths(falkor_store, [BAD / name])
    assert [(f.file, f.kind, f.rows) for f in report.per_file] == [(name, kind, 0)]
    assert report.rejected_rows == 0 and report.wrote
    if kind is None:  # nothing to read at all: the rejects file says so
        reasons = [(r.file, r.reason) for r in report.rejects]
        assert reasons == [(name, "文件为空（没有表头和数据）")]
    assert report.counts["nodes"].get("Patent", 0) == 0


# -- hostile cells: stored verbatim, exported escaped -----------------------------------------
def test_formulas_cypher_emoji_and_rare_cjk_are_stored_verbatim(falkor_store: FalkorStore
                                                                ) -> None:
    expected = _expected_titles(WEIRD)
    report = load_paths(falkor_store, [WEIRD])
    assert report.rejected_rows == 0, report.summary()
    assert _titles(falkor_store) == expected
    # the Cypher-looking titles were data, not code: the graph around them is intact
    counts = falkor_store.counts()["nodes"]
    assert counts["Patent"] == len(expected) and counts["Institute"] == 1 and counts["IPC"] > 8000


def test_100k_character_cells_round_trip(falkor_store: FalkorStore, tmp_path: Path) -> None:
    long_title = ("一种𠀀𪚥𰻞🚀装置" * 12_500)[:100_000]
    long_abstract = "x" * 99_999 + "末"
    path = tmp_path / "patents_long.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["申请号", "申请日", "专利名称", "摘要", "申请(专利权)人"],
                                  [_no("202130000001"), "2021-05-01", long_title,
                                   long_abstract, INSTITUTE]])
    assert load_paths(falkor_store, [path]).rejected_rows == 0
    row = falkor_store.read("MATCH (p:Patent) RETURN p.title AS t, p.abstract AS a")[0]
    assert row["t"] == long_title and row["a"] == long_abstract


def _check_escaped(cells: dict[str, str], expected: dict[str, str]) -> None:
    """Every exported title is the stored one, with an apostrophe in front of a formula."""
    for app_no, title in expected.items():
        want = "'" + title if title.startswith(FORMULA_START) else title
        assert cells[app_no] == want, (app_no, cells[app_no])


@pytest.fixture
def weird_store(falkor_store: FalkorStore) -> FalkorStore:
    assert load_paths(falkor_store, [WEIRD]).rejected_rows == 0
    return falkor_store


def _settings(tmp_path: Path, **api: Any) -> AppSettings:
    return AppSettings(core=load_settings({"PATENTKG_DATA_DIR": str(tmp_path)}),
                       api=ApiSettings(**{"api_keys": "", **api}))


@pytest.fixture
def client(weird_store: FalkorStore, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(_settings(tmp_path), store=weird_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_api_csv_and_xlsx_downloads_escape_formulas(client: TestClient) -> None:
    expected = _expected_titles(WEIRD)
    url = "/api/questions/stock_patent_inventory"
    resp = client.get(url, params={"institute": INSTITUTE, "format": "csv"})
    assert resp.status_code == 200, resp.text
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    _check_escaped({r[0]: r[1] for r in rows[1:]}, expected)

    resp = client.get(url, params={"institute": INSTITUTE, "format": "xlsx"})
    assert resp.status_code == 200, resp.text
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    cells = {}
    for app_no, title in sheet.iter_rows(min_row=2, max_col=2):
        assert title.data_type == "s", f"{title.value!r} is stored as {title.data_type}"
        cells[app_no.value] = title.value
    _check_escaped(cells, expected)
    # JSON is data, not a spreadsheet: verbatim there
    body = client.get(url, params={"institute": INSTITUTE, "limit": 100}).json()
    assert {r["app_no"]: r["title"] for r in body["rows"]} == expected


def test_cli_ask_csv_escapes_formulas(weird_store: FalkorStore, falkor_server: Any,
                                      tmp_path: Path) -> None:
    from patentkg.cli import cli

    out = tmp_path / "answer.csv"
    env = {"PATENTKG_DATA_DIR": str(falkor_server.data_dir),
           "PATENTKG_GRAPH": weird_store.graph_name}
    result = CliRunner(env=env).invoke(cli, ["ask", "stock_patent_inventory", "-p",
                                             f"institute={INSTITUTE}", "--format", "csv",
                                             "-o", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    _check_escaped({r[0]: r[1] for r in rows[1:]}, _expected_titles(WEIRD))


# -- the service never crashes on them -------------------------------------------------------
@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
def test_api_load_answers_every_bad_file_without_a_500(name: str, client: TestClient) -> None:
    content = (BAD / name).read_bytes()
    resp = client.post("/api/load", files=[("files", (name, content, "text/csv"))])
    assert resp.status_code in (200, 400), resp.text
    body = resp.json()
    if resp.status_code == 400:
        assert set(body) == {"code", "message", "message_en", "details"}
        assert body["code"] == "bad_input" and name in body["message"]
    else:
        assert body["wrote"] is True and body["files"] == [name]


def test_api_load_refuses_an_oversized_upload(weird_store: FalkorStore, tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, max_upload_mb=1), store=weird_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.post("/api/load", files=[("files", ("big.csv", b"a,b\n" * 300_000,
                                                     "text/csv"))])
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"


# -- a ~100 MB export -------------------------------------------------------------------------
@pytest.mark.slow
def test_100mb_file_gives_a_clear_result_in_bounded_memory(tmp_path: Path) -> None:
    """A 100 MB export whose every row is bad: `load --strict` rejects them all, row by row,
    writes nothing, and the loader's peak memory stays bounded."""
    path = tmp_path / "patents_huge.csv"
    abstract = "一种用于测试的大文件摘要" * 30  # ~1 KB per row in UTF-8
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["申请号", "申请日", "专利名称", "摘要", "申请(专利权)人"])
        while fh.tell() < 100 * 1024 * 1024:
            writer.writerows([[f"BAD{rows + i:09d}", "2021-01-01", f"大文件专利{rows + i}",
                               abstract, INSTITUTE] for i in range(10_000)])
            rows += 10_000
    data_dir = tmp_path / "d"
    rejects = tmp_path / "rejects.csv"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PATENTKG_")},
           "PATENTKG_DATA_DIR": str(data_dir)}
    exe = str(Path(sys.executable).with_name("patentkg"))
    # A wrapper runs the load as its only child, so its peak RSS is the loader's alone.
    wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
               "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
               "'RC', r.returncode)")
    try:
        done = subprocess.run([sys.executable, "-c", wrapper, exe, "load", "--strict",
                               "--rejects", str(rejects), str(path)], env=env,
                              capture_output=True, text=True, timeout=900)
    finally:
        subprocess.run([exe, "store", "stop"], env=env, capture_output=True, timeout=60)
    peak_kb, rc = (int(v) for v in done.stdout.rsplit("PEAK_KB", 1)[1].split()[::2])
    assert rc == 1, done.stderr[-2000:]
    assert "严格模式" in done.stdout and f"拒绝 rejected {rows}" in done.stdout
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(fh))
    assert first["file"] == path.name and first["row"] == "2" and first["column"] == "申请号"
    # ~10x the file is what pandas + per-row dicts cost; far below the 4 GB memory budget
    assert peak_kb < 2.5 * 1024 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"
