"""The HTTP API against a real embedded FalkorDB (FastAPI TestClient, no mocks of the store).

Two graphs: a small hand-written one (every expected answer is computed here from the data
written, independently of the code under test) and the generated demo loaded by the real loader
(`demo_store`, read-only) for the catalogue's own questions."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd
import pytest
from conftest import fresh_falkor_store
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings, AppSettings
from patentkg.config import load_settings
from queries import catalogue
from queries.catalogue import Column, Param

ADMIN, READER = "admin-key-1", "read-key-2"
TEST_QUESTION = "api_test_patents"

# -- the small graph: 137 patents of 5 enterprises, some titles that look like formulas --------
ENTERPRISES = [{"org_key": f"E{i}", "name": f"天津测试企业{i}有限公司"} for i in range(5)]
FORMULAS = ["=1+2", "+SUM(A1:A3)", "-3 负数开头", "@cmd", "=HYPERLINK(\"http://x\")"]


def _patent(i: int) -> dict[str, Any]:
    formula = i % 7 == 0 and i // 7 < len(FORMULAS)
    title = FORMULAS[i // 7] if formula else f"一种风力发电控制方法{i}"
    return {"app_no": f"CN2022100{i:05d}.X", "title": title,
            "ipc_codes": ["F03D7/00", f"H02J{i % 4}/00"] if i % 3 else [],
            "claims_count": i % 11, "is_valid": i % 2 == 0, "org_key": f"E{i % 5}"}


PATENTS = [_patent(i) for i in range(137)]


def api_test_patents(store: Any, *, limit: int, offset: int, min_claims: int = 0,
                     valid_only: bool = False) -> list[dict[str, Any]]:
    """Test question: the small graph's patents with their applicant (a registered question)."""
    rows = store.read(
        "MATCH (p:Patent)-[:APPLIED_BY]->(e:Enterprise) WHERE p.claims_count >= $min "
        "AND ($valid_only = false OR p.is_valid = true) "
        "RETURN p.app_no AS app_no, p.title AS title, p.ipc_codes AS ipc_codes, "
        "p.claims_count AS claims_count, p.is_valid AS is_valid, e.org_key AS org_key, "
        "e.name AS org_name ORDER BY app_no SKIP $offset LIMIT $limit",
        {"min": min_claims, "valid_only": valid_only, "offset": offset, "limit": limit})
    return [{"app_no": r["app_no"], "title": r["title"], "ipc_codes": r["ipc_codes"],
             "claims_count": r["claims_count"], "is_valid": r["is_valid"],
             "applicant": {"label": "Enterprise", "key": r["org_key"],
                           "caption": r["org_name"]},
             "reasons": [f"权利要求 {r['claims_count']} 项"]} for r in rows]


def _boom(store: Any, *, limit: int, offset: int) -> list[dict[str, Any]]:
    raise RuntimeError("a genuine server bug")


@pytest.fixture(scope="module")
def registered() -> Iterator[None]:
    """Register the test questions (removed again so other test modules never see them)."""
    catalogue.load_all()
    catalogue.question(
        title_zh="测试专利清单", description_zh="接口测试用", measures="§0",
        params=(Param("min_claims", "int", "最少权利要求数", default=0, minimum=0),
                Param("valid_only", "bool", "仅有效", default=False)),
        columns=(Column("app_no", "申请号"), Column("title", "专利名称"),
                 Column("ipc_codes", "分类号", "list"), Column("claims_count", "权利要求数", "int"),
                 Column("is_valid", "是否有效", "bool"), Column("applicant", "申请人", "entity"),
                 Column("reasons", "理由", "list")))(api_test_patents)
    catalogue.question(title_zh="故障", description_zh="", measures="")(_boom)
    yield
    catalogue.QUESTIONS.pop(TEST_QUESTION, None)
    catalogue.QUESTIONS.pop("_boom", None)


def _write_small_graph(store: Any) -> None:
    """The hand-written graph the API tests compute their expectations from."""
    store.ensure_schema()
    store.write("UNWIND $rows AS r CREATE (:Enterprise {org_key: r.org_key, name: r.name})",
                {"rows": ENTERPRISES})
    store.write(
        "UNWIND $rows AS r MATCH (e:Enterprise {org_key: r.org_key}) "
        "CREATE (p:Patent {app_no: r.app_no, title: r.title, ipc_codes: r.ipc_codes, "
        "claims_count: r.claims_count, is_valid: r.is_valid})-[:APPLIED_BY]->(e)",
        {"rows": PATENTS})


@pytest.fixture(scope="module")
def small_store(falkor_server: Any) -> Iterator[Any]:
    store = fresh_falkor_store(falkor_server, prefix="api")
    _write_small_graph(store)
    yield store
    store.clear()
    store.close()


def _settings(tmp_path: Any = None, **api: Any) -> AppSettings:
    # The data dir is never used: every test app gets its store handed in (or none at all).
    return AppSettings(core=load_settings({"PATENTKG_DATA_DIR": str(tmp_path or "/nonexistent")}),
                       api=ApiSettings(**{"api_keys": "", **api}))


@pytest.fixture(scope="module")
def client(registered: None, small_store: Any) -> Iterator[TestClient]:
    """Local demo mode (no keys) on the small graph, given to the app (the lifespan opens none)."""
    app = create_app(_settings(), store=small_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def keyed(registered: None, small_store: Any) -> Iterator[TestClient]:
    app = create_app(_settings(api_keys=f"{ADMIN}:admin,{READER}:read"), store=small_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def assert_error(resp: Any, status: int, code: str | None = None,
                 parameter: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"code", "message", "message_en", "details"}, body
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), body  # Chinese message
    assert body["message_en"]
    if code:
        assert body["code"] == code
    if parameter:
        assert body["details"].get("parameter") == parameter, body
    return body


def expected_rows(min_claims: int = 0, valid_only: bool = False) -> list[dict[str, Any]]:
    """The test question's answer computed from the data written (not by the store)."""
    names = {e["org_key"]: e["name"] for e in ENTERPRISES}
    rows = [p for p in PATENTS if p["claims_count"] >= min_claims
            and (not valid_only or p["is_valid"])]
    return [{"app_no": p["app_no"], "title": p["title"], "ipc_codes": p["ipc_codes"],
             "claims_count": p["claims_count"], "is_valid": p["is_valid"],
             "applicant": names[p["org_key"]]} for p in sorted(rows, key=lambda p: p["app_no"])]


def all_pages(client: TestClient, path: str, params: dict[str, Any], limit: int
              ) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        resp = client.get(path, params={**params, "limit": limit, "offset": offset})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["offset"] == offset and len(body["rows"]) <= limit
        assert body["has_more"] == (body["next_offset"] is not None)
        rows += body["rows"]
        offset = body["next_offset"]
    return rows


def unsafe(text: str) -> str:
    """Undo the spreadsheet-formula guard, to compare downloads with JSON."""
    return text[1:] if text[:2] in {"'=", "'+", "'-", "'@"} else text


def download_frame(resp: Any, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        assert resp.content.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
        return pd.read_csv(io.BytesIO(resp.content), encoding="utf-8-sig", dtype=str,
                           keep_default_na=False)
    return pd.read_excel(io.BytesIO(resp.content), dtype=str, keep_default_na=False)


# -- health, catalogue, OpenAPI ------------------------------------------------------------------
def test_health_reports_store_counts_and_demo_mode(client: TestClient, small_store: Any) -> None:
    body = client.get("/health").json()
    n_nodes = small_store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    assert body["status"] == "ok" and body["reachable"] and body["backend"] == "falkordb"
    assert body["nodes"] == n_nodes == len(PATENTS) + len(ENTERPRISES)
    assert body["relationships"] == len(PATENTS)
    assert body["data_version"]["patents"] == len(PATENTS)
    assert body["auth_mode"] == "local_demo" and "本地演示模式" in body["auth_note"]
    assert body["indexes_building"] == {}  # the load waited for its indexes


def test_catalogue_lists_every_question_with_param_schemas(client: TestClient) -> None:
    body = client.get("/api/questions").json()
    assert [q["name"] for q in body] == list(catalogue.load_all())
    mine = next(q for q in body if q["name"] == TEST_QUESTION)
    assert mine["title_zh"] == "测试专利清单"
    assert {p["name"]: p["type"] for p in mine["params"]} == {"min_claims": "integer",
                                                              "valid_only": "boolean"}


def test_openapi_documents_each_question_and_the_error_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"][f"/api/questions/{TEST_QUESTION}"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"min_claims", "valid_only", "limit", "offset", "format"} <= names
    assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {
        "code", "message", "message_en", "details"}
    for path in ("/health", "/api/search", "/api/entities/{label}/{key}",
                 "/api/graph/neighborhood", "/api/graph/path", "/api/graph/question/{name}",
                 "/api/assess", "/api/load", "/api/admin/cypher"):
        assert path in spec["paths"]


def test_root_serves_a_chinese_page(client: TestClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200 and "text/html" in resp.headers["content-type"]


# -- paging and downloads ------------------------------------------------------------------------
@pytest.mark.parametrize("limit", [1, 10, 50, 137, 1000])
def test_paging_reaches_every_row_exactly_once(client: TestClient, limit: int) -> None:
    rows = all_pages(client, f"/api/questions/{TEST_QUESTION}", {}, limit)
    assert [r["app_no"] for r in rows] == [r["app_no"] for r in expected_rows()]


@pytest.mark.parametrize("params", [{"min_claims": 5}, {"valid_only": "是", "min_claims": "3"}])
def test_question_parameters_filter_like_the_data(client: TestClient,
                                                  params: dict[str, Any]) -> None:
    rows = all_pages(client, f"/api/questions/{TEST_QUESTION}", params, 20)
    want = expected_rows(int(params["min_claims"]), "valid_only" in params)
    assert [r["app_no"] for r in rows] == [r["app_no"] for r in want] and want


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_download_has_the_same_rows_as_the_json_pages(client: TestClient, fmt: str) -> None:
    path = f"/api/questions/{TEST_QUESTION}"
    pages = all_pages(client, path, {"min_claims": 1}, 7)
    resp = client.get(path, params={"min_claims": 1, "format": fmt, "limit": 3})
    assert resp.status_code == 200
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="{TEST_QUESTION}.{fmt}"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"测试专利清单.{fmt}"
    frame = download_frame(resp, fmt)
    # Chinese column titles, the whole result (not one page of 3)
    assert list(frame.columns) == ["申请号", "专利名称", "分类号", "权利要求数", "是否有效",
                                   "申请人", "理由"]
    assert len(frame) == len(pages) == len(expected_rows(1))
    for (_, got), want in zip(frame.iterrows(), pages, strict=True):
        assert got["申请号"] == want["app_no"]
        assert unsafe(got["专利名称"]) == want["title"]
        assert got["分类号"] == "；".join(want["ipc_codes"])
        assert int(float(got["权利要求数"])) == want["claims_count"]
        assert got["是否有效"] == ("是" if want["is_valid"] else "否")
        assert got["申请人"] == want["applicant"]["caption"]
        assert got["理由"] == "；".join(want["reasons"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_download_never_lets_a_spreadsheet_run_a_formula(client: TestClient, fmt: str) -> None:
    frame = download_frame(client.get(f"/api/questions/{TEST_QUESTION}?format={fmt}"), fmt)
    titles = set(frame["专利名称"])
    for formula in FORMULAS:
        assert "'" + formula in titles and formula not in titles
    if fmt == "xlsx":
        from openpyxl import load_workbook

        resp = client.get(f"/api/questions/{TEST_QUESTION}?format=xlsx")
        sheet = load_workbook(io.BytesIO(resp.content)).active
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_download_of_an_empty_answer_has_the_header_only(client: TestClient) -> None:
    frame = download_frame(client.get(f"/api/questions/{TEST_QUESTION}?format=csv"
                                      "&min_claims=99"), "csv")
    assert len(frame) == 0 and "申请号" in frame.columns


# -- error shapes --------------------------------------------------------------------------------
@pytest.mark.parametrize("url, status, parameter", [
    ("/api/questions/no_such_question", 404, "name"),
    (f"/api/questions/{TEST_QUESTION}?min_claims=abc", 400, "min_claims"),
    (f"/api/questions/{TEST_QUESTION}?min_claims=-1", 400, "min_claims"),
    (f"/api/questions/{TEST_QUESTION}?valid_only=maybe", 400, "valid_only"),
    (f"/api/questions/{TEST_QUESTION}?bogus=1", 400, "bogus"),
    (f"/api/questions/{TEST_QUESTION}?limit=0", 422, "limit"),
    (f"/api/questions/{TEST_QUESTION}?limit=1001", 422, "limit"),
    (f"/api/questions/{TEST_QUESTION}?offset=-1", 422, "offset"),
    (f"/api/questions/{TEST_QUESTION}?format=pdf", 422, "format"),
    (f"/api/questions/{TEST_QUESTION}?min_claims=abc&format=csv", 400, "min_claims"),
    ("/api/graph/question/no_such_question", 404, "name"),
    ("/api/search?q=", 422, "q"),
    ("/api/search?q=风力&type=火星人", 400, "type"),
    ("/api/entities/Enterprise/NO-SUCH-KEY", 404, "key"),
    ("/api/entities/Martian/E1", 404, "label"),
    ("/api/graph/neighborhood?label=Enterprise&key=NOPE", 404, "key"),
    ("/api/graph/neighborhood?label=Enterprise&key=E1&depth=9", 422, "depth"),
    ("/api/graph/path?from_label=Enterprise&from_key=E1&to_label=Patent&to_key=X", 404,
     "to_key"),
])
def test_bad_requests_get_the_error_shape_naming_the_parameter(
        client: TestClient, url: str, status: int, parameter: str) -> None:
    assert_error(client.get(url), status, parameter=parameter)


def test_unknown_path_and_method_get_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.delete("/api/questions"), 405)


def test_a_genuine_bug_is_a_500_with_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/questions/_boom"), 500, "internal_error")


def test_store_not_open_is_503() -> None:
    app = create_app(_settings())  # no store, lifespan not run
    assert_error(TestClient(app).get("/health"), 503, "store_unavailable")


# -- search, entities, graphs --------------------------------------------------------------------
def test_search_finds_patents_by_chinese_words(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "风力发电", "type": "专利", "limit": 5}).json()
    assert 0 < len(hits) <= 5
    keys = {p["app_no"] for p in PATENTS if "风力发电" in p["title"]}
    assert all(h["label"] == "Patent" and h["key"] in keys for h in hits)


@pytest.mark.parametrize("label", ["Enterprise", "企业"])
def test_entity_profile_by_english_or_chinese_label(client: TestClient, label: str) -> None:
    body = client.get(f"/api/entities/{label}/E1").json()
    assert body["label"] == "Enterprise" and body["key"] == "E1"
    assert body["name"] == "天津测试企业1有限公司"
    assert body["degree"] == sum(1 for p in PATENTS if p["org_key"] == "E1")


def test_entity_profile_json_carries_what_the_page_reads(client: TestClient) -> None:
    resp = client.get("/api/entities/Enterprise/E2")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    body = resp.json()
    own = sorted((p for p in PATENTS if p["org_key"] == "E2"), key=lambda p: p["app_no"])
    # viz/static/app.js renderEntity: label_zh, name, degree, properties (+ Chinese names),
    # relationships (type, type_zh, direction, count, by_label_zh, top)
    assert body["label_zh"] == "企业" and body["properties"]["name"] == body["name"]
    assert set(body["property_names_zh"]) == set(body["properties"])
    applied = next(g for g in body["relationships"] if g["type"] == "APPLIED_BY")
    assert applied["direction"] == "in" and applied["count"] == len(own)
    assert applied["by_label_zh"] == {"专利": len(own)} and applied["type_zh"]
    # no value scores in this graph: the first five by key, each with its title as caption
    assert [(t["key"], t["caption"]) for t in applied["top"]] == [
        (p["app_no"], p["title"]) for p in own[:5]]


def test_entity_key_may_contain_a_slash(client: TestClient) -> None:
    assert_error(client.get("/api/entities/IPC/F03D7/00"), 404, parameter="key")


def test_a_lookup_answers_what_the_entity_route_answers(client: TestClient,
                                                        small_store: Any) -> None:
    """Lookups of existing entities are answered before routing (EntityLookups): byte for
    byte what the route answers; what is not a found entity goes on to the route."""
    from api.routes import entities

    for label, key in [("Enterprise", "E1"), ("企业", "E2"), ("Patent", PATENTS[0]["app_no"])]:
        resp = client.get(f"/api/entities/{label}/{quote(key)}")
        route = asyncio.run(entities.entity(label, key, small_store))
        assert resp.status_code == 200 and resp.content == route.body
        assert resp.headers["content-type"] == route.headers["content-type"]
    assert_error(client.get("/api/entities/Enterprise/"), 404, parameter="key")
    assert_error(client.get("/api/entities/Enterprise/%20"), 404, parameter="key")
    assert_error(client.get("/api/entities/Enterprise"), 404, "not_found")


@pytest.mark.parametrize("cache_entries", [0, 100])
def test_a_lookup_while_the_store_is_down_is_a_503(tmp_path: Any, cache_entries: int) -> None:
    from graph.store.embedded import EmbeddedServer
    from graph.store.falkor import FalkorStore
    from graph.version import bump_version

    server = EmbeddedServer(tmp_path / "down")
    store = FalkorStore.embedded(server, "down")
    try:
        store.write("CREATE (:Enterprise {org_key: 'E1', name: '停机测试企业'})")
        bump_version(store, source="load")
        app = create_app(_settings(cache_entries=cache_entries, version_ttl_s=0), store=store)
        with TestClient(app, raise_server_exceptions=False) as c:
            assert c.get("/api/entities/Enterprise/E2").status_code == 404
            assert c.get("/api/entities/Enterprise/E1").json()["name"] == "停机测试企业"
            server.stop()
            for url in ("/api/entities/Enterprise/E1", "/api/entities/Enterprise/E2"):
                assert_error(c.get(url), 503, "store_unavailable")
            server.ensure_running()  # back (from its own files): lookups reconnect
            assert c.get("/api/entities/Enterprise/E1").json()["name"] == "停机测试企业"
            assert_error(c.get("/api/entities/Enterprise/E2"), 404, parameter="key")
    finally:
        server.stop()
        store.close()


def test_neighbourhood_is_capped_and_says_truncated(client: TestClient) -> None:
    full = client.get("/api/graph/neighborhood", params={"label": "企业", "key": "E1"}).json()
    own = {p["app_no"] for p in PATENTS if p["org_key"] == "E1"}
    assert {n["key"] for n in full["nodes"]} == own | {"E1"}
    assert len(full["edges"]) == len(own) and not full["truncated"]
    capped = client.get("/api/graph/neighborhood",
                        params={"label": "Enterprise", "key": "E1", "limit": 5}).json()
    assert len(capped["nodes"]) == 5 and capped["truncated"]
    assert capped["total_nodes"] == len(own) + 1
    ids = {n["id"] for n in capped["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in capped["edges"])


def test_path_between_two_enterprises_goes_nowhere_or_through_patents(client: TestClient) -> None:
    app_no = next(p["app_no"] for p in PATENTS if p["org_key"] == "E2")
    body = client.get("/api/graph/path", params={
        "from_label": "Enterprise", "from_key": "E2", "to_label": "专利", "to_key": app_no}).json()
    assert {n["key"] for n in body["nodes"]} == {"E2", app_no}
    assert body["paths"]


def test_question_network_holds_the_answers_entities(client: TestClient) -> None:
    body = client.get(f"/api/graph/question/{TEST_QUESTION}",
                      params={"min_claims": 10, "limit": 1000, "max_nodes": 1000}).json()
    keys = {n["key"] for n in body["nodes"]}
    want = expected_rows(10)
    assert {r["app_no"] for r in want} <= keys
    names = {e["org_key"] for e in ENTERPRISES if e["name"] in {r["applicant"] for r in want}}
    assert names <= keys
    capped = client.get(f"/api/graph/question/{TEST_QUESTION}",
                        params={"min_claims": 10, "max_nodes": 3}).json()
    assert len(capped["nodes"]) == 3 and capped["truncated"]


# -- assess --------------------------------------------------------------------------------------
def test_assess_validates_the_draft(client: TestClient) -> None:
    assert_error(client.post("/api/assess", json={"ipc_codes": ["F03D7/00"]}), 422,
                 parameter="title")
    assert_error(client.post("/api/assess", content=b"not json",
                             headers={"content-type": "application/json"}), 422)


def test_assess_scores_a_draft_without_writing(client: TestClient, small_store: Any) -> None:
    from queries.portfolio import assess_draft  # noqa: F401  (the route serves it)
    before = small_store.counts()
    resp = client.post("/api/assess", json={"title": "一种风力发电控制方法",
                                            "ipc_codes": ["F03D7/00"],
                                            "applicant": "天津测试企业1有限公司"})
    assert resp.status_code == 200, resp.text
    assert isinstance(resp.json(), dict) and resp.json()
    assert small_store.counts() == before


# -- roles ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers, status", [
    ({}, 401), ({"X-API-Key": "wrong"}, 401), ({"Authorization": "Bearer wrong"}, 401),
    ({"X-API-Key": READER}, 200), ({"Authorization": f"Bearer {READER}"}, 200),
    ({"X-API-Key": ADMIN}, 200)])
def test_reading_needs_a_key(keyed: TestClient, headers: dict[str, str], status: int) -> None:
    resp = keyed.get(f"/api/questions/{TEST_QUESTION}", headers=headers)
    if status == 200:
        assert resp.status_code == 200 and resp.json()["rows"]
    else:
        assert_error(resp, 401, "unauthorized")
        assert keyed.get("/api/questions", headers=headers).status_code == 401
        assert keyed.get("/api/search?q=x", headers=headers).status_code == 401


def test_health_says_keys_are_required(keyed: TestClient) -> None:
    assert keyed.get("/health").json()["auth_mode"] == "api_keys"


def test_read_key_cannot_load_or_use_the_console(keyed: TestClient) -> None:
    files = {"files": ("p.csv", "申请号,申请日,专利名称,申请(专利权)人\n".encode(), "text/csv")}
    assert_error(keyed.post("/api/load", files=files, headers={"X-API-Key": READER}), 403,
                 "forbidden")
    assert_error(keyed.post("/api/load", files=files), 401)
    assert_error(keyed.post("/api/admin/cypher", json={"cypher": "RETURN 1"},
                            headers={"X-API-Key": READER}), 403)


def test_admin_console_is_read_only(keyed: TestClient, small_store: Any) -> None:
    h = {"X-API-Key": ADMIN}
    body = keyed.post("/api/admin/cypher", headers=h, json={
        "cypher": "MATCH (e:Enterprise) RETURN e.org_key AS k ORDER BY k", "params": {}}).json()
    assert [r["k"] for r in body["rows"]] == sorted(e["org_key"] for e in ENTERPRISES)
    assert_error(keyed.post("/api/admin/cypher", headers=h, json={
        "cypher": "CREATE (:Enterprise {org_key: 'HACK'})"}), 400, parameter="cypher")
    assert_error(keyed.post("/api/admin/cypher", headers=h, json={"cypher": "NOT CYPHER"}), 400)
    assert not small_store.read("MATCH (e:Enterprise {org_key: 'HACK'}) RETURN e")


# -- uploads -------------------------------------------------------------------------------------
UPLOAD = ("申请号,申请日,专利名称,申请(专利权)人,分类号\n"
          "CN202310000001.5,2023-01-05,一种上传测试装置,天津上传测试有限公司,G06F16/00\n"
          "CN202310000002.X,2023/2/6,一种上传测试方法,天津上传测试有限公司；河东研究院,H02J3/00\n"
          "CN202310000003.4,not-a-date,坏日期的专利,天津上传测试有限公司,G06F16/00\n")


@pytest.fixture
def admin_client(registered: None, falkor_store: Any, tmp_path: Any) -> Iterator[TestClient]:
    app = create_app(_settings(tmp_path, api_keys=f"{ADMIN}:admin,{READER}:read",
                               max_upload_mb=0.05), store=falkor_store)
    with TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": ADMIN}) as c:
        yield c


def test_admin_uploads_load_and_report_rejects(admin_client: TestClient,
                                               falkor_store: Any) -> None:
    pytest.importorskip("loaders.pipeline")
    resp = admin_client.post("/api/load", files=[
        ("files", ("专利导出.csv", UPLOAD.encode("utf-8-sig"), "text/csv"))])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    expected = pd.read_csv(io.StringIO(UPLOAD), dtype=str)
    good = expected[pd.to_datetime(expected["申请日"], errors="coerce", format="mixed").notna()]
    assert body["rejected_rows"] == len(expected) - len(good) == 1
    assert len(body["rejects"]) == 1 and body["rejects"][0]["column"] in ("申请日", "app_date")
    assert body["wrote"] and body["files"] == ["专利导出.csv"] and body["loaded_at"]
    stored = {r["k"] for r in falkor_store.read("MATCH (p:Patent) RETURN p.app_no AS k")}
    assert stored == set(good["申请号"])
    assert admin_client.get("/health").json()["data_version"]["last_load"] == body["loaded_at"]


def test_bad_uploads_get_the_error_shape(admin_client: TestClient) -> None:
    assert_error(admin_client.post("/api/load", data={"strict": "true"}), 422,
                 parameter="files")
    big = b"x" * 60_000  # over the 0.05 MB limit of this app
    assert_error(admin_client.post("/api/load", files={"files": ("big.csv", big, "text/csv")}),
                 413, "payload_too_large")
    pytest.importorskip("loaders.pipeline")
    for name, content in [("notes.txt", "随便写的内容".encode()),
                          ("broken.xlsx", b"PK\x03\x04 this is not a workbook")]:
        resp = admin_client.post("/api/load", files={"files": (name, content, "text/plain")})
        assert_error(resp, 400, parameter=None)


# -- the demo graph: every catalogue question pages, downloads and draws -------------------------
@pytest.fixture(scope="module")
def demo_client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    for name in ("loaders.pipeline", "loaders.generate"):
        pytest.importorskip(name)
    store = request.getfixturevalue("demo_store")
    with TestClient(create_app(_settings(), store=store), raise_server_exceptions=False) as c:
        yield c


def _runnable_questions() -> list[str]:
    return [q.name for q in catalogue.load_all().values()
            if not any(p.required for p in q.params) and not q.name.startswith("_")
            and q.name != TEST_QUESTION]


# Questions that need one of several optional parameters.
ONE_OF_PARAMS = {"patent_enterprise_match": {"tier": "A"}}


@pytest.mark.slow
@pytest.mark.parametrize("name", _runnable_questions())
def test_demo_question_pages_and_downloads_agree(demo_client: TestClient, name: str) -> None:
    path = f"/api/questions/{name}"
    params = ONE_OF_PARAMS.get(name, {})
    first = demo_client.get(path, params=params)
    assert first.status_code == 200, first.text
    pages = all_pages(demo_client, path, params, 97)
    seen = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in pages]
    assert len(seen) == len(set(seen))  # no row twice
    for fmt in ("csv", "xlsx"):
        resp = demo_client.get(path, params={**params, "format": fmt})
        assert resp.status_code == 200, resp.text
        frame = download_frame(resp, fmt)
        assert len(frame) == len(pages)
        columns = catalogue.get(name).columns
        assert list(frame.columns)[:len(columns)] == [c.title_zh for c in columns]
        for col in columns:
            if col.type in ("str", "int"):
                want = ["" if r.get(col.name) is None else str(r[col.name]) for r in pages]
                got = [unsafe(v) for v in frame[col.title_zh]]
                if col.type == "int":
                    got = [str(int(float(v))) if v else "" for v in got]
                assert got == want, (fmt, col.name)


@pytest.mark.slow
def test_demo_entities_and_networks(demo_client: TestClient) -> None:
    hits = demo_client.get("/api/search", params={"q": "天津", "limit": 10}).json()
    assert hits
    for hit in hits[:3]:
        profile = demo_client.get(f"/api/entities/{hit['label']}/{hit['key']}")
        assert profile.status_code == 200, profile.text
        net = demo_client.get("/api/graph/neighborhood",
                              params={"label": hit["label"], "key": hit["key"], "limit": 50})
        assert net.status_code == 200 and len(net.json()["nodes"]) <= 50
    name = _runnable_questions()[0]
    net = demo_client.get(f"/api/graph/question/{name}", params={"limit": 20, "max_nodes": 80})
    assert net.status_code == 200 and len(net.json()["nodes"]) <= 80


# -- time limit, settings, `patentkg serve` ------------------------------------------------------
def test_a_query_over_the_time_limit_is_a_504(registered: None, small_store: Any) -> None:
    app = create_app(_settings(console_timeout_ms=100), store=small_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.post("/api/admin/cypher", json={
            "cypher": "MATCH (a), (b), (c), (d) RETURN count(*) AS n"})  # 142^4 rows
    assert_error(resp, 504, "query_timeout")


@pytest.mark.parametrize("keys, expected", [
    ("", {}), ("a:admin, b:read ,c", {"a": "admin", "b": "read", "c": "read"}),
    ("a:admin；b:READ", {"a": "admin", "b": "read"})])
def test_api_keys_setting(keys: str, expected: dict[str, str]) -> None:
    assert ApiSettings(api_keys=keys).keys == expected


def test_a_malformed_key_list_fails_early() -> None:
    from patentkg.errors import ConfigError

    with pytest.raises(ConfigError):
        AppSettings(api=ApiSettings(api_keys="k1:superuser"))


def test_serve_refuses_a_public_host_without_keys(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from patentkg.cli import main

    monkeypatch.delenv("PATENTKG_API_KEYS", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "8199"]) == 2
    err = capsys.readouterr().err
    assert "未配置 API 密钥" in err and "PATENTKG_API_KEYS" in err


# -- the answer cache and the data version (api.cache, graph.version) ----------------------------
VERSION_UPLOAD = ("申请号,申请日,专利名称,申请(专利权)人,分类号\n"
                  "CN202310000011.9,2023-01-05,一种缓存测试储能装置,天津缓存测试有限公司,H02J3/00\n")
SECOND_UPLOAD = ("申请号,申请日,专利名称,申请(专利权)人,分类号\n"
                 "CN202310000012.3,2023-03-07,一种缓存测试储能方法,天津缓存测试有限公司,H02J3/00\n")
CACHED_URLS = [
    "/api/entities/Enterprise/E1",
    "/api/entities/专利/CN202210000003.X",
    "/api/search?q=风力发电&limit=5",
    f"/api/questions/{TEST_QUESTION}?limit=7&offset=3&min_claims=2",
    "/api/graph/neighborhood?label=Enterprise&key=E2&depth=1&limit=30",
    f"/api/graph/question/{TEST_QUESTION}?limit=5",
]


@pytest.fixture(scope="module")
def versioned_store(falkor_server: Any) -> Iterator[Any]:
    """The small graph plus a data-version marker, as a load leaves it."""
    from graph.version import bump_version

    store = fresh_falkor_store(falkor_server, prefix="apiv")
    _write_small_graph(store)
    bump_version(store, source="load")
    yield store
    store.clear()
    store.close()


@pytest.mark.parametrize("url", CACHED_URLS)
def test_a_cached_answer_equals_the_uncached_one(registered: None, versioned_store: Any,
                                                 url: str) -> None:
    cached = create_app(_settings(), store=versioned_store)
    uncached = create_app(_settings(cache_entries=0), store=versioned_store)
    with TestClient(cached) as c, TestClient(uncached) as u:
        first, second = c.get(url), c.get(url)
        plain = u.get(url)
    assert first.status_code == second.status_code == plain.status_code == 200, first.text
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert "x-cache" not in plain.headers
    assert second.json() == first.json() == plain.json()
    assert second.headers["content-type"] == plain.headers["content-type"]
    # the same parameters in another order are the same question
    if "&" in url:
        path, _, query = url.partition("?")
        swapped = f"{path}?{'&'.join(reversed(query.split('&')))}"
        with TestClient(cached) as c:
            again = c.get(swapped)
        assert again.headers["x-cache"] == "hit" and again.json() == plain.json()


def test_errors_downloads_and_posts_are_never_cached(registered: None,
                                                     versioned_store: Any) -> None:
    app = create_app(_settings(), store=versioned_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        for _ in range(2):
            missing = c.get("/api/entities/Enterprise/NO-SUCH")
            assert missing.status_code == 404 and missing.headers["x-cache"] == "miss"
            bad = c.get(f"/api/questions/{TEST_QUESTION}", params={"min_claims": "x"})
            assert bad.status_code == 400 and bad.headers["x-cache"] == "miss"
            csv_file = c.get(f"/api/questions/{TEST_QUESTION}", params={"format": "csv"})
            assert csv_file.status_code == 200 and "x-cache" not in csv_file.headers
            post = c.post("/api/assess", json={})
            assert "x-cache" not in post.headers
        assert app.state.response_cache.stats()["entries"] == 0


def test_a_cached_answer_never_skips_the_key_check(registered: None,
                                                   versioned_store: Any) -> None:
    app = create_app(_settings(api_keys=f"{ADMIN}:admin,{READER}:read"), store=versioned_store)
    url = "/api/entities/Enterprise/E3"
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get(url, headers={"X-API-Key": READER}).headers["x-cache"] == "miss"
        assert c.get(url, headers={"X-API-Key": READER}).headers["x-cache"] == "hit"
        assert_error(c.get(url), 401)
        assert_error(c.get(url, headers={"X-API-Key": "wrong"}), 401)
        # another role is another cache entry; Bearer is the same caller as X-API-Key
        assert c.get(url, headers={"X-API-Key": ADMIN}).headers["x-cache"] == "miss"
        hit = c.get(url, headers={"Authorization": f"Bearer {READER}"})
        assert hit.status_code == 200 and hit.headers["x-cache"] == "hit"


def test_an_api_load_changes_the_version_and_the_next_answer(registered: None,
                                                             falkor_store: Any,
                                                             tmp_path: Any) -> None:
    pytest.importorskip("loaders.pipeline")
    app = create_app(_settings(tmp_path, api_keys=f"{ADMIN}:admin"), store=falkor_store)
    search = {"q": "缓存测试储能", "type": "专利", "limit": 10}
    with TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": ADMIN}) as c:
        loaded = c.post("/api/load", files=[("files", ("a.csv", VERSION_UPLOAD.encode(),
                                                       "text/csv"))])
        assert loaded.status_code == 200, loaded.text
        v1 = c.get("/health").json()["data_version"]
        assert v1["version"] >= 1 and v1["token"] and v1["last_load"] == loaded.json()["loaded_at"]
        first = c.get("/api/search", params=search)
        assert c.get("/api/search", params=search).headers["x-cache"] == "hit"
        assert {h["key"] for h in first.json()} == {"CN202310000011.9"}

        c.post("/api/load", files=[("files", ("b.csv", SECOND_UPLOAD.encode(), "text/csv"))])
        v2 = c.get("/health").json()["data_version"]
        assert v2["version"] > v1["version"] and v2["token"] != v1["token"]
        after = c.get("/api/search", params=search)
        assert after.headers["x-cache"] == "miss"
        assert {h["key"] for h in after.json()} == {"CN202310000011.9", "CN202310000012.3"}
        # another process (here: another app on the same graph) sees the same version
        other = create_app(_settings(tmp_path), store=falkor_store)
        with TestClient(other) as o:
            seen = o.get("/health").json()["data_version"]
        assert (seen["version"], seen["token"], seen["last_load"]) == \
            (v2["version"], v2["token"], v2["last_load"])


def test_load_paths_and_refresh_outside_the_api_invalidate_its_cache(
        registered: None, falkor_store: Any, tmp_path: Any) -> None:
    pytest.importorskip("loaders.pipeline")
    from loaders.pipeline import load_paths
    from queries.derive import refresh

    (tmp_path / "a.csv").write_text(VERSION_UPLOAD, encoding="utf-8")
    load_paths(falkor_store, [tmp_path / "a.csv"])
    refresh(falkor_store)
    url = "/api/entities/Patent/CN202310000012.3"
    app = create_app(_settings(tmp_path), store=falkor_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get(url).status_code == 404
        before = c.get("/api/search", params={"q": "缓存测试储能", "type": "专利"})
        assert c.get("/api/search", params={"q": "缓存测试储能", "type": "专利"}
                     ).headers["x-cache"] == "hit"
        (tmp_path / "b.csv").write_text(SECOND_UPLOAD, encoding="utf-8")
        load_paths(falkor_store, [tmp_path / "b.csv"])
        refresh(falkor_store)
        profile = c.get(url)
        assert profile.status_code == 200 and profile.json()["key"] == "CN202310000012.3"
        after = c.get("/api/search", params={"q": "缓存测试储能", "type": "专利"})
        assert after.headers["x-cache"] == "miss"
        assert len(after.json()) == len(before.json()) + 1


def test_a_version_written_by_another_process_is_seen_after_the_ttl(
        registered: None, versioned_store: Any) -> None:
    from graph.version import BUMP_VERSION, read_version

    app = create_app(_settings(version_ttl_s=0), store=versioned_store)
    url = "/api/entities/Enterprise/E4"
    with TestClient(app) as c:
        c.get(url)
        assert c.get(url).headers["x-cache"] == "hit"
        before = read_version(versioned_store)
        # what another process's load writes (this process's own bump counter is untouched)
        versioned_store.write(BUMP_VERSION, {"name": "graph", "token": "other-process",
                                             "now": "2030-01-01T00:00:00+00:00",
                                             "source": "load", "is_load": True})
        again = c.get(url)
        assert again.headers["x-cache"] == "miss"
        assert int(again.headers["x-data-version"]) == before.serial + 1


def test_the_cache_is_bounded_by_entries_and_bytes() -> None:
    from api.cache import ResponseCache, entry

    cache = ResponseCache(max_entries=3, max_bytes=800)
    cache.observe("v1")
    for i in range(5):
        cache.put(("v1", f"/p{i}", (), "read"), entry(200, [], b"x" * 50))
    assert len(cache) == 3 and cache.get(("v1", "/p0", (), "read")) is None
    assert cache.get(("v1", "/p4", (), "read")) is not None
    cache.put(("v1", "/big", (), "read"), entry(200, [], b"x" * 101))  # > 1/8 of the bytes
    assert cache.get(("v1", "/big", (), "read")) is None
    cache.max_entries = 100
    for i in range(20):
        cache.put(("v1", f"/q{i}", (), "read"), entry(200, [], b"y" * 100))
    assert cache.size_bytes <= 800 and len(cache) == 8
    cache.put(("v0", "/old", (), "read"), entry(200, [], b"z"))  # computed for an old version
    assert cache.get(("v0", "/old", (), "read")) is None
    cache.observe("v2")
    assert len(cache) == 0 and cache.size_bytes == 0


def test_search_while_the_patent_index_is_rebuilt_is_partial_said_and_not_cached(
        registered: None, versioned_store: Any) -> None:
    """After a restart FalkorDB rebuilds its indexes in the background (minutes at 1M
    patents): the search still answers from keys and names, says which labels' text it could
    not search (header, and the page shows it), and that partial answer is not cached."""
    enterprise = ENTERPRISES[3]
    patent = next(p for p in PATENTS if "风力发电" in p["title"])
    versioned_store.write("CALL db.idx.fulltext.drop('Patent')")  # as during a rebuild
    try:
        with TestClient(create_app(_settings(), store=versioned_store)) as c:
            first = c.get("/api/search", params={"q": "测试企业3"})
            again = c.get("/api/search", params={"q": "测试企业3"})
            words = c.get("/api/search", params={"q": "风力发电"})
            by_key = c.get("/api/search", params={"q": patent["app_no"]})
        for resp in (first, again, words, by_key):
            assert resp.status_code == 200, resp.text
            assert resp.headers["x-search-index-building"] == "Patent"
            assert resp.headers["cache-control"] == "no-store"
            assert resp.headers["x-cache"] == "miss"
        hits = first.json()
        assert hits[0]["key"] == enterprise["org_key"]  # the one name holding every word
        assert {h["label"] for h in hits} == {"Enterprise"}
        assert [h["label"] for h in words.json()] == []  # no patent text searched meanwhile
        assert [(h["label"], h["key"]) for h in by_key.json()] == [("Patent", patent["app_no"])]
    finally:
        versioned_store.ensure_schema()  # builds the full-text index again, and waits
    with TestClient(create_app(_settings(), store=versioned_store)) as c:
        words = c.get("/api/search", params={"q": "风力发电", "limit": 200})
    assert "x-search-index-building" not in words.headers
    assert {h["key"] for h in words.json()} == {p["app_no"] for p in PATENTS
                                                if "风力发电" in p["title"]}
