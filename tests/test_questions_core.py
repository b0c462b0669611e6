"""The core questions (inventory, matching, portfolio) against pandas over the input tables."""
# ruff: noqa: F811  (the shared `core` fixture is imported, then named as a test argument)

from __future__ import annotations

import pandas as pd
import pytest
from test_derive import (  # noqa: F401
    ENTERPRISES,
    INDUSTRIES,
    INSTITUTES,
    PARKS,
    Loaded,
    core,
    expected_subsectors,
    expected_tier_a,
)

from patentkg.errors import InputError
from queries import catalogue


def _tiers(c: Loaded) -> pd.Series:
    return pd.Series({r["a"]: r["t"] for r in c.store.read(
        "MATCH (p:Patent) RETURN p.app_no AS a, p.tier AS t")})


def _owned_by(c: Loaded, keys: set[str]) -> set[str]:
    p = c.tables["patents"]
    return set(p[p.applicants.map(lambda a: bool(set(a) & keys))].app_no)


def _all(c: Loaded, name: str, params: dict) -> list[dict]:
    return list(catalogue.iter_rows(c.store, name, params, page=7))


def test_catalogue_lists_the_core_questions() -> None:
    names = set(catalogue.load_all())
    assert {"stock_patent_inventory", "patent_enterprise_match", "park_push_list",
            "park_cluster_fit", "high_value_portfolio", "industry_gaps", "cluster_strength",
            "pre_application_assessment"} <= names


def test_inventory_of_resident_institutes(core: Loaded) -> None:
    resident = set(INSTITUTES[INSTITUTES.resident_in_district].org_key)
    rows = _all(core, "stock_patent_inventory", {})
    assert [r["app_no"] for r in rows] == list(dict.fromkeys(r["app_no"] for r in rows))
    assert {r["app_no"] for r in rows} == _owned_by(core, resident)
    keys = [(-r["value_score"], r["app_no"]) for r in rows]
    assert keys == sorted(keys)
    assert all(r["reasons"] and r["tier"] in "ABCX" for r in rows)


@pytest.mark.parametrize("tier", ["A", "X"])
def test_inventory_of_one_institute_by_tier(core: Loaded, tier: str) -> None:
    rows = _all(core, "stock_patent_inventory", {"institute": "天津示例电力研究院", "tier": tier})
    owned = _owned_by(core, {"I1"})
    tiers = _tiers(core)
    expected = owned & (expected_tier_a(core.tables) if tier == "A"
                        else set(tiers[tiers == "X"].index))
    assert {r["app_no"] for r in rows} == expected


def test_inventory_limit_valid_only_and_empty(core: Loaded) -> None:
    page = catalogue.ask(core.store, "stock_patent_inventory", {"valid_only": "是"}, limit=3)
    assert len(page.rows) == 3 and page.has_more
    p = core.tables["patents"]
    valid_owned = _owned_by(core, {"I1", "I2"}) & set(p[p.is_valid].app_no)
    assert {r["app_no"] for r in _all(core, "stock_patent_inventory", {"valid_only": True})} \
        == valid_owned
    # an institute outside the district holding no tier-X patents of a kind: empty is empty
    rows = _all(core, "stock_patent_inventory", {"institute": "I3", "tier": "A"})
    assert {r["app_no"] for r in rows} == _owned_by(core, {"I3"}) & expected_tier_a(core.tables)
    with pytest.raises(InputError):
        catalogue.ask(core.store, "stock_patent_inventory", {"institute": "不存在的研究院"})


def test_patent_enterprise_match_for_one_patent(core: Loaded) -> None:
    p = core.tables["patents"].set_index("app_no")
    app_no = next(a for a in expected_tier_a(core.tables)
                  if (a, "HD01") in expected_subsectors(core.tables)) \
        if any(s == "HD01" for _, s in expected_subsectors(core.tables)) else p.index[0]
    rows = _all(core, "patent_enterprise_match", {"app_no": app_no})
    assert rows, "a medical patent must find medical enterprises"
    holders = set(p.loc[app_no, "applicants"])
    assert not {r["org_key"] for r in rows} & holders
    keys = [(-r["match_score"], r["org_key"]) for r in rows]
    assert keys == sorted(keys)
    # shared main groups, recomputed from the tables
    pats = core.tables["patents"]
    for r in rows:
        theirs = {c for codes, apps in zip(pats.ipc_codes, pats.applicants, strict=True)
                  if r["org_key"] in apps for c in codes}
        assert set(r["shared_groups"]) == set(p.loc[app_no, "ipc_codes"]) & theirs
        assert r["reasons"]


def test_patent_enterprise_match_by_subsector_and_tier(core: Loaded) -> None:
    rows = _all(core, "patent_enterprise_match", {"subsector": "医疗器械", "tier": "A"})
    medical = {a for a, s in expected_subsectors(core.tables) if s == "HD01"}
    assert {r["app_no"] for r in rows} <= medical & expected_tier_a(core.tables)
    assert len({(r["app_no"], r["org_key"]) for r in rows}) == len(rows)
    with pytest.raises(InputError):
        catalogue.ask(core.store, "patent_enterprise_match", {})


def test_park_push_list(core: Loaded) -> None:
    rows = _all(core, "park_push_list", {"park": "医疗器械产业园"})
    members = set(ENTERPRISES[ENTERPRISES.park == "P1"].org_key)
    p = core.tables["patents"].set_index("app_no")
    tiers = _tiers(core)
    assert rows
    for r in rows:
        assert p.loc[r["app_no"], "is_valid"] and tiers[r["app_no"]] in ("A", "B")
        assert not set(p.loc[r["app_no"], "applicants"]) & members
        assert r["reasons"]
    keys = [(r["tier"], -r["park_fit"], -r["value_score"], r["app_no"]) for r in rows]
    assert keys == sorted(keys)
    assert _all(core, "park_push_list", {"park": "P1", "tiers": "C"}) is not None
    with pytest.raises(InputError):
        catalogue.ask(core.store, "park_push_list", {"park": "不存在园"})


def test_park_cluster_fit_members_only(core: Loaded) -> None:
    rows = _all(core, "park_cluster_fit", {"park": "鑫创"})
    members = set(ENTERPRISES[ENTERPRISES.park == "P2"].org_key)
    assert rows and {r["org_key"] for r in rows} <= members


def test_cluster_strength_counts(core: Loaded) -> None:
    p = core.tables["patents"]
    for park in PARKS.itertuples():
        members = set(ENTERPRISES[ENTERPRISES.park == park.park_id].org_key)
        held = p[p.applicants.map(lambda a, m=members: bool(set(a) & m))]
        rows = _all(core, "cluster_strength", {"area": park.name})
        assert len(rows) == 1
        assert rows[0]["enterprises"] == len(members)
        assert rows[0]["valid_patents"] == int(held.is_valid.sum())
        a = expected_tier_a(core.tables)
        assert rows[0]["tier_a"] == len(set(held[held.is_valid].app_no) & a)
    assert len(_all(core, "cluster_strength", {})) == len(PARKS)


def test_industry_gaps_and_portfolio(core: Loaded) -> None:
    p = core.tables["patents"].set_index("app_no")
    local = set(INSTITUTES[INSTITUTES.resident_in_district].org_key) | set(
        ENTERPRISES[ENTERPRISES.in_registry].org_key)
    counts = {s: 0 for s in INDUSTRIES.industry_id}
    for a, s in expected_subsectors(core.tables):
        if p.loc[a, "is_valid"] and set(p.loc[a, "applicants"]) & local:
            counts[s] += 1
    for cap in (0, 5, 1000):
        rows = _all(core, "industry_gaps", {"max_patents": cap})
        assert {r["industry_id"]: r["local_valid_patents"] for r in rows} == {
            s: n for s, n in counts.items() if n <= cap}
    assert any(r["industry_id"] == "HD04" and r["gap_level"] == "空白"
               for r in _all(core, "industry_gaps", {}))
    port = _all(core, "high_value_portfolio", {"group_by": "subsector"})
    valid = {s: 0 for s in INDUSTRIES.industry_id}
    for a, s in expected_subsectors(core.tables):
        valid[s] += int(p.loc[a, "is_valid"])
    assert {r["group_id"]: r["valid_patents"] for r in port} == {
        s: n for s, n in valid.items() if n}
    clusters = _all(core, "high_value_portfolio", {})
    assert sum(r["valid_patents"] for r in clusters) == int(p.is_valid.sum())


def test_pre_application_assessment_writes_nothing(core: Loaded) -> None:
    before = core.store.counts()
    rows = _all(core, "pre_application_assessment", {
        "title": "一种示例血压监测装置", "ipc_codes": "A61B5/02,G06N3/00",
        "applicant": "天津示例电力研究院"})
    assert core.store.counts() == before
    subsectors = {r["key"] for r in rows if r["kind"] == "主导产业细分领域"}
    assert subsectors == {"HD01"}  # A61B matches 医疗器械; G06N is in no prefix list
    assert any(r["kind"] == "企业" for r in rows) and all(r["reasons"] for r in rows)
    keys = [-r["score"] for r in rows]
    assert keys == sorted(keys)
    page = catalogue.ask(core.store, "pre_application_assessment",
                         {"title": "x", "ipc_codes": "A61B5/02"}, limit=1)
    assert len(page.rows) == 1
    with pytest.raises(InputError):
        catalogue.ask(core.store, "pre_application_assessment", {"title": "x"})


@pytest.mark.parametrize("name,params", [
    ("stock_patent_inventory", {}),
    ("patent_enterprise_match", {"tier": "B"}),
    ("park_push_list", {"park": "P1", "tiers": "A,B,C"}),
    ("high_value_portfolio", {}),
])
def test_paging_reaches_every_row_once(core: Loaded, name: str, params: dict) -> None:
    whole = catalogue.ask(core.store, name, params, limit=1000).rows
    paged = list(catalogue.iter_rows(core.store, name, params, page=4))
    assert paged == whole
