"""Derived knowledge (queries.derive.refresh): tiers, clusters, subsectors, fit edges.

The graph is written in the loaders' contract shape from small pandas tables; every expectation
is computed again from those tables with pandas, never from our own output.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest
from conftest import fresh_falkor_store

from graph.store import Store
from queries import scoring
from queries.derive import refresh

RULES = scoring.load_rules()
DOMAINS = {  # subclass pools: medical, IT, energy, one stray
    "med": ["A61B5/00", "A61B6/00", "A61M1/00", "A61F2/00"],
    "it": ["G06F16/00", "G06N3/00", "H04L9/00", "G06F21/00"],
    "energy": ["H01M4/00", "H02J7/00", "G21C1/00"],
}
INSTITUTES = pd.DataFrame([
    {"org_key": "I1", "name": "天津示例电力研究院", "resident_in_district": True},
    {"org_key": "I2", "name": "天津示例核工业研究所", "resident_in_district": True},
    {"org_key": "I3", "name": "外区示例大学", "resident_in_district": False},
])
ENTERPRISES = pd.DataFrame([
    {"org_key": f"E{i}", "name": f"示例企业{i}有限公司", "in_registry": i < 6,
     "park": ["P1", "P1", "P2", "P2", None, "P1", None, None][i],
     "industry": ["HD01", "HD01", "HD02", None, "HD02", None, None, "HD01"][i]}
    for i in range(8)])
PARKS = pd.DataFrame([{"park_id": "P1", "name": "医疗器械产业园", "focus": "HD01"},
                      {"park_id": "P2", "name": "鑫创科技园", "focus": "HD02"}])
INDUSTRIES = pd.DataFrame([
    {"industry_id": "HD01", "name": "医疗器械", "ipc_prefixes": ["A61B", "A61M"]},
    {"industry_id": "HD02", "name": "新一代信息技术", "ipc_prefixes": ["G06F", "H04L"]},
    {"industry_id": "HD03", "name": "核技术应用", "ipc_prefixes": ["G21"]},
    {"industry_id": "HD04", "name": "氢能", "ipc_prefixes": ["C25B"]},
])


def make_tables(n: int = 80, seed: int = 3) -> dict[str, pd.DataFrame]:
    """A small random but fixed data set in the loaders' contract shape."""
    rnd = random.Random(seed)
    rows, pledges, awards = [], [], []
    orgs = list(INSTITUTES.org_key) + list(ENTERPRISES.org_key)
    for i in range(n):
        domain = rnd.choice(sorted(DOMAINS))
        codes = rnd.sample(DOMAINS[domain], rnd.randint(1, 3))
        if rnd.random() < 0.2:
            codes.append(rnd.choice(DOMAINS[rnd.choice(sorted(DOMAINS))]))
        codes = list(dict.fromkeys(codes))
        ptype = rnd.choice(["invention", "invention", "utility_model", "design"])
        status = rnd.choice(["有权", "有权", "有权", "审中", "未缴年费终止失效", "驳回"])
        if ptype != "invention" and status == "审中":
            status = "有权"
        valid = status == "有权"
        applicants = rnd.sample(orgs, rnd.choice([1, 1, 2]))
        app_no = f"CN2{i:05d}{rnd.randint(0, 9)}.{rnd.randint(0, 9)}"
        rows.append({
            "app_no": app_no, "title": f"示例专利{i}", "patent_type": ptype,
            "legal_status": status, "is_valid": valid,
            "grant_date": "2020-01-01" if status != "审中" else None,
            "ipc_main": codes[0], "ipc_codes": codes,
            "ipc_subclasses": list(dict.fromkeys(c[:4] for c in codes)),
            "in_sei": rnd.random() < 0.25, "has_family_abroad": rnd.random() < 0.15,
            "family_size": rnd.randint(1, 5), "years_maintained": rnd.randint(0, 14),
            "remaining_years": float(rnd.randint(0, 18)) if valid else None,
            "cited_by_count": rnd.choice([None, 0, 1, 3, 10]),
            "claims_count": None if ptype == "design" else rnd.randint(1, 20),
            "applicants": applicants})
        if rnd.random() < 0.1:
            pledges.append({"pledge_id": f"PL{i}", "app_no": app_no, "amount": 1e6})
        if rnd.random() < 0.1:
            level, name = rnd.choice([("国家", "国家科学技术进步奖"), ("国家", "中国专利奖优秀奖"),
                                      ("天津市", "天津市专利奖"), ("河东区", "河东区创新奖")])
            awards.append({"award_id": f"AW{i}", "app_no": app_no, "level": level,
                           "name": name, "kind": "专利奖" if "专利" in name else "科技奖"})
    return {"patents": pd.DataFrame(rows), "pledges": pd.DataFrame(pledges),
            "awards": pd.DataFrame(awards)}


WRITE_PATENTS = """
UNWIND $rows AS r
CREATE (p:Patent {app_no: r.app_no}) SET p += r.props
"""
WRITE_ORGS = """
UNWIND $rows AS r
CREATE (i:Institute {org_key: r.org_key, name: r.name, resident_in_district: r.resident})
"""
WRITE_ENTERPRISES = """
UNWIND $rows AS r CREATE (e:Enterprise {org_key: r.org_key, name: r.name, in_registry: r.reg})
"""
WRITE_PARKS = "UNWIND $rows AS r CREATE (:Park {park_id: r.park_id, name: r.name})"
WRITE_INDUSTRIES = """
UNWIND $rows AS r
CREATE (:Industry {industry_id: r.industry_id, name: r.name, source: 'district',
                   ipc_prefixes: r.ipc_prefixes})
"""
WRITE_APPLIED = """
UNWIND $rows AS r
MATCH (p:Patent {app_no: r.app_no}) MATCH (o {org_key: r.org_key})
CREATE (p)-[:APPLIED_BY {order: r.order}]->(o), (p)-[:OWNED_BY]->(o)
"""
WRITE_LOCATED = """
UNWIND $rows AS r MATCH (e:Enterprise {org_key: r.org_key}) MATCH (k:Park {park_id: r.park_id})
CREATE (e)-[:LOCATED_IN]->(k)
"""
WRITE_FOCUS = """
UNWIND $rows AS r MATCH (k:Park {park_id: r.park_id}) MATCH (s:Industry {industry_id: r.focus})
CREATE (k)-[:FOCUSES_ON]->(s)
"""
WRITE_IN_INDUSTRY = """
UNWIND $rows AS r MATCH (e:Enterprise {org_key: r.org_key})
MATCH (s:Industry {industry_id: r.industry}) CREATE (e)-[:IN_INDUSTRY]->(s)
"""
WRITE_PLEDGES = """
UNWIND $rows AS r MATCH (p:Patent {app_no: r.app_no})
CREATE (p)-[:PLEDGED_IN]->(:Pledge {pledge_id: r.pledge_id, amount: r.amount})
"""
WRITE_AWARDS = """
UNWIND $rows AS r MATCH (p:Patent {app_no: r.app_no})
CREATE (p)-[:WON]->(:Award {award_id: r.award_id, name: r.name, level: r.level, kind: r.kind})
"""


def write_tables(store: Store, t: dict[str, pd.DataFrame]) -> None:
    """Write the tables into an empty store in the loaders' graph shape."""
    store.ensure_schema()
    pats = t["patents"]
    store.write_batches(WRITE_PATENTS, [
        {"app_no": r["app_no"], "props": {k: v for k, v in r.items()
                                          if k not in ("app_no", "applicants", "ipc_subclasses")
                                          and v is not None}}
        for r in pats.to_dict("records")])
    store.write_batches(WRITE_ORGS, [{"org_key": r.org_key, "name": r.name,
                                      "resident": r.resident_in_district}
                                     for r in INSTITUTES.itertuples()])
    store.write_batches(WRITE_ENTERPRISES, [{"org_key": r.org_key, "name": r.name,
                                             "reg": r.in_registry}
                                            for r in ENTERPRISES.itertuples()])
    store.write_batches(WRITE_PARKS, PARKS[["park_id", "name"]].to_dict("records"))
    store.write_batches(WRITE_INDUSTRIES, INDUSTRIES.to_dict("records"))
    store.write_batches(WRITE_APPLIED, [
        {"app_no": r["app_no"], "org_key": o, "order": i + 1}
        for r in pats.to_dict("records") for i, o in enumerate(r["applicants"])])
    store.write_batches(WRITE_LOCATED, [{"org_key": r.org_key, "park_id": r.park}
                                        for r in ENTERPRISES.itertuples() if r.park])
    store.write_batches(WRITE_FOCUS, PARKS.to_dict("records"))
    store.write_batches(WRITE_IN_INDUSTRY, [{"org_key": r.org_key, "industry": r.industry}
                                            for r in ENTERPRISES.itertuples() if r.industry])
    if len(t["pledges"]):
        store.write_batches(WRITE_PLEDGES, t["pledges"].to_dict("records"))
    if len(t["awards"]):
        store.write_batches(WRITE_AWARDS, t["awards"].to_dict("records"))


# -- independent pandas expectations ----------------------------------------------------------
def expected_tier_a(t: dict[str, pd.DataFrame]) -> set[str]:
    """CNIPA high-value: valid invention meeting any criterion (computed from the tables)."""
    p = t["patents"]
    pledged = set(t["pledges"].app_no) if len(t["pledges"]) else set()
    aw = t["awards"]
    awarded = set(aw[(aw.level == "国家") | aw.name.str.contains("中国专利奖")].app_no) \
        if len(aw) else set()
    crit = (p.in_sei | p.has_family_abroad | (p.years_maintained > 10)
            | p.app_no.isin(pledged) | p.app_no.isin(awarded))
    return set(p[p.is_valid & (p.patent_type == "invention") & crit].app_no)


def expected_subsectors(t: dict[str, pd.DataFrame]) -> set[tuple[str, str]]:
    out = set()
    for r in t["patents"].itertuples():
        for s in INDUSTRIES.itertuples():
            if any(c.startswith(pre) for c in r.ipc_codes for pre in s.ipc_prefixes):
                out.add((r.app_no, s.industry_id))
    return out


def expected_co_applied(t: dict[str, pd.DataFrame]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for apps in t["patents"].applicants:
        for i in (a for a in apps if a.startswith("I")):
            for e in (a for a in apps if a.startswith("E")):
                out[(i, e)] = out.get((i, e), 0) + 1
    return out


@dataclass
class Loaded:
    store: Store
    tables: dict[str, pd.DataFrame]
    summary: dict


@pytest.fixture(scope="module")
def core(falkor_server) -> Iterator[Loaded]:
    """The small data set written and refreshed once for the module (read it, don't write)."""
    store = fresh_falkor_store(falkor_server, prefix="core")
    tables = make_tables()
    write_tables(store, tables)
    summary = refresh(store)
    yield Loaded(store, tables, summary)
    store.clear()
    store.close()


def _patents(store: Store) -> pd.DataFrame:
    got = pd.DataFrame(store.read(
        "MATCH (p:Patent) RETURN p.app_no AS app_no, p.tier AS tier, p.value_score AS score, "
        "p.value_components AS comps, p.value_strengths AS strengths, "
        "p.tier_basis AS basis, p.value_missing_share AS missing, "
        "p.prospect_level AS level, p.prospect_counts AS counts, p.fit_enterprises AS fit "
        "ORDER BY app_no"))
    got["reasons"] = got.basis.map(scoring.tier_reasons)  # what users read
    return got


def _rules_version(store: Store) -> list[str]:
    return [r["v"] for r in store.read("MATCH (v:DataVersion) RETURN v.tier_rules_version AS v")]


RETIRED = ("tier_reasons", "tier_rules_version", "prospects")


def test_refresh_on_empty_graph(falkor_store) -> None:
    summary = refresh(falkor_store)
    assert summary["patents_scored"] == 0 and summary["clusters"] == 0 and summary["fits"] == 0
    assert falkor_store.counts()["nodes"] == {}


def test_tier_a_is_the_cnipa_high_value_set(core: Loaded) -> None:
    got = _patents(core.store)
    assert set(got[got.tier == "A"].app_no) == expected_tier_a(core.tables)
    assert expected_tier_a(core.tables), "the fixture must contain tier-A patents"


def test_invalid_patents_are_x_and_pending_are_c(core: Loaded) -> None:
    got = _patents(core.store).set_index("app_no")
    p = core.tables["patents"].set_index("app_no")
    lapsed = p[~p.is_valid & (p.legal_status != "审中")].index
    pending = p[p.legal_status == "审中"].index
    assert (got.loc[lapsed, "tier"] == "X").all()
    assert (got.loc[pending, "tier"] == "C").all()
    assert all("审中" in r[0] for r in got.loc[pending, "reasons"])
    valid_not_a = p[p.is_valid].index.difference(list(expected_tier_a(core.tables)))
    for app_no in valid_not_a:
        expect = "B" if got.loc[app_no, "score"] >= RULES["tiers"]["b_min_score"] else "C"
        assert got.loc[app_no, "tier"] == expect


def test_every_patent_records_version_components_and_reasons(core: Loaded) -> None:
    got = _patents(core.store)
    # the rules version once per refresh (the data version node), not on each patent
    assert _rules_version(core.store) == [RULES["version"]]
    for k in RETIRED:
        assert core.store.read(f"MATCH (p:Patent) WHERE p.{k} IS NOT NULL "
                               "RETURN count(p) AS n")[0]["n"] == 0, k
    assert got.reasons.map(len).min() >= 1
    for stored, score, missing in zip(got.comps, got.score, got.missing, strict=True):
        comps = scoring.expand(stored, RULES)
        assert set(comps) == set(RULES["weights"])
        present = {k: c for k, c in comps.items() if c["state"] == "present"}
        w = sum(c["weight"] for c in present.values())
        assert score == pytest.approx(100 * sum(c["weight"] * c["score"] for c in present.values())
                                      / w, abs=0.05)
        assert 0 <= score <= 100 and 0 <= missing <= 1
    # the stored notes are those of the strongest components (score x weight, then name)
    for stored, notes in zip(got.comps, got.strengths, strict=True):
        comps = scoring.expand(stored, RULES)
        ranked = sorted(((c["score"] * c["weight"], k) for k, c in comps.items()
                         if c["state"] == "present" and c["score"]), key=lambda x: (-x[0], x[1]))
        assert [n.split("：")[0] for n in notes or []] == [
            scoring.COMPONENT_ZH[k] for _, k in ranked[:scoring.STRENGTHS_TOP]]


def test_missing_evidence_is_not_zero(core: Loaded) -> None:
    got = _patents(core.store).set_index("app_no")
    p = core.tables["patents"].set_index("app_no")
    for app_no in p[p.cited_by_count.isna()].index:
        comps = scoring.expand(got.loc[app_no, "comps"], RULES)
        assert comps["forward_citations"]["state"] == "missing"
    for app_no in p[p.patent_type == "design"].index:
        comps = scoring.expand(got.loc[app_no, "comps"], RULES)
        assert comps["claims"]["state"] == "not_applicable"


def test_subsector_membership_matches_ipc_prefixes(core: Loaded) -> None:
    got = {(r["a"], r["s"]) for r in core.store.read(
        "MATCH (p:Patent)-[:IN_INDUSTRY_OF]->(s:Industry) "
        "RETURN p.app_no AS a, s.industry_id AS s")}
    assert got == expected_subsectors(core.tables)


def test_clusters_cover_every_patent_once(core: Loaded) -> None:
    rows = core.store.read("MATCH (p:Patent) OPTIONAL MATCH (p)-[:IN_CLUSTER]->(c:TechCluster) "
                           "RETURN p.app_no AS a, p.ipc_main AS main, collect(c.cluster_id) AS cs, "
                           "collect(c.members) AS members")
    assert len(rows) == len(core.tables["patents"])
    for r in rows:
        assert len(r["cs"]) == 1
        assert r["main"][:4] in r["members"][0]  # the cluster of its main IPC
    sizes = core.store.read("MATCH (c:TechCluster)<-[:IN_CLUSTER]-(p) "
                            "RETURN c.size AS size, count(p) AS n, c.name AS name")
    assert all(r["size"] == r["n"] and r["name"] for r in sizes)


def test_co_applied_with_matches_applicants(core: Loaded) -> None:
    got = {(r["i"], r["e"]): r["n"] for r in core.store.read(
        "MATCH (i:Institute)-[c:CO_APPLIED_WITH]->(e:Enterprise) "
        "RETURN i.org_key AS i, e.org_key AS e, c.patents AS n")}
    assert got == expected_co_applied(core.tables)


def test_fits_have_scores_and_reasons(core: Loaded) -> None:
    from queries._lookup import explain_fits, fit_edge

    rows = core.store.read("MATCH (s)-[f:FITS]->(t) RETURN labels(s)[0] AS s, labels(t)[0] AS t, "
                           "f.score AS score, " + fit_edge(src="labels(s)[0]") + " AS edge")
    assert {(r["s"], r["t"]) for r in rows} == {("Enterprise", "TechCluster"),
                                                ("Enterprise", "Industry"),
                                                ("Park", "TechCluster"), ("Park", "Industry")}
    reasons = explain_fits(core.store, [r["edge"] for r in rows])
    assert all(0 < r["score"] <= 100 and text for r, text in zip(rows, reasons, strict=True))
    # a park's reasons count its member enterprises holding patents in the target
    assert any(t.startswith("园区内") for r, text in zip(rows, reasons, strict=True)
               if r["s"] == "Park" for t in text)


def test_refresh_twice_is_reproducible_without_duplicates(falkor_server) -> None:
    store = fresh_falkor_store(falkor_server, prefix="twice")
    try:
        write_tables(store, make_tables(40, seed=11))
        first_summary = refresh(store)
        first = _patents(store)
        first_rels = store.counts()["relationships"]
        first_clusters = store.read("MATCH (c:TechCluster) RETURN c.cluster_id AS id, c.name AS n "
                                    "ORDER BY id")
        second_summary = refresh(store)
        assert second_summary["fits"] == first_summary["fits"]
        pd.testing.assert_frame_equal(first, _patents(store))
        # an unchanged graph: no patent property is written again
        assert first_summary["patent_properties_set"] > 40
        assert second_summary["patent_properties_set"] == 0
        assert store.counts()["relationships"] == first_rels
        assert store.read("MATCH (c:TechCluster) RETURN c.cluster_id AS id, c.name AS n "
                          "ORDER BY id") == first_clusters
        dup = store.read("MATCH (a)-[r:FITS|IN_CLUSTER|IN_INDUSTRY_OF|CO_APPLIED_WITH]->(b) "
                         "WITH a, b, type(r) AS t, count(r) AS n WHERE n > 1 RETURN count(*) AS d")
        assert dup[0]["d"] == 0
    finally:
        store.clear()
        store.close()


def test_scoring_rules_pure() -> None:
    facts = scoring.Facts(app_no="x", patent_type="invention", is_valid=True,
                          years_maintained=11, ipc_subclasses=["A61B"])
    assert scoring.tier(facts, 10.0, RULES)[0] == "A"
    facts.years_maintained = 10  # "over 10 years" is strict
    assert scoring.tier(facts, 10.0, RULES)[0] == "C"
    facts.patent_type = "utility_model"
    facts.in_sei = True
    assert scoring.tier(facts, 99.0, RULES)[0] == "B"


def test_refresh_repairs_changed_and_stray_derived_values(falkor_server) -> None:
    """Only patents whose stored derived values differ are written, and a value the refresh
    would not set (here a stray list position) is replaced or removed, as a rewrite would."""
    store = fresh_falkor_store(falkor_server, prefix="repair")
    try:
        write_tables(store, make_tables(40, seed=5))
        refresh(store)
        first = _patents(store)
        apps = sorted(first["app_no"])
        store.write("MATCH (p:Patent {app_no: $a}) SET p.tier = 'Z', p.value_score = -1.0",
                    {"a": apps[0]})
        store.write("MATCH (p:Patent {app_no: $a}) SET p.award_pos = 987654", {"a": apps[1]})
        # names earlier versions stored on the patent (now read from the cluster/subsector)
        store.write("MATCH (p:Patent) SET p.cluster_name = 'old', p.subsectors = ['old']")
        summary = refresh(store)
        assert summary["patent_properties_set"] > 0
        pd.testing.assert_frame_equal(first, _patents(store))
        stored = store.read("MATCH (p:Patent {app_no: $a}) RETURN p.award_pos AS pos",
                            {"a": apps[1]})[0]["pos"]
        assert stored != 987654
        assert not store.read("MATCH (p:Patent) WHERE p.cluster_name IS NOT NULL "
                              "OR p.subsectors IS NOT NULL RETURN p.app_no LIMIT 1")
    finally:
        store.clear()
        store.close()


@pytest.mark.parametrize("seed", [3, 7])
def test_scorer_equals_components(seed: int) -> None:
    """The cached Scorer gives exactly `components`, `value_score`, `strengths` and their
    stored form."""
    t = make_tables(120, seed=seed)
    rnd = random.Random(seed)
    scorer = scoring.Scorer(RULES)  # one for all patents: later ones hit the cache
    for row in t["patents"].to_dict("records"):
        f = scoring.Facts(
            app_no=row["app_no"], patent_type=row["patent_type"], is_valid=row["is_valid"],
            legal_status=row["legal_status"], grant_date=row["grant_date"],
            remaining_years=row["remaining_years"], years_maintained=row["years_maintained"],
            has_family_abroad=row["has_family_abroad"], family_size=row["family_size"],
            ipc_subclasses=row["ipc_subclasses"], cited_by_count=row["cited_by_count"],
            claims_count=row["claims_count"], in_sei=row["in_sei"],
            licence_count=rnd.choice([None, 0, 2]), licence_edges=rnd.choice([0, 1]),
            invalidation=rnd.choice([None, "", "部分无效", "宣告全部无效", "维持有效"]),
            products=rnd.choice([0, 0, 3]), has_product_registry=rnd.random() < 0.5,
            awards=rnd.choice([[], [{"name": "中国专利金奖", "level": "国家", "kind": None}]]),
            subsectors=rnd.choice([[], ["医疗器械"]]))
        for _ in range(2):  # computed, then from the cache
            comps = scoring.components(f, RULES)
            assert scorer.score(f) == (scoring.compact(comps),
                                       scoring.strengths(comps, scoring.STRENGTHS_TOP),
                                       *scoring.value_score(comps))
            assert scoring.expand(scoring.compact(comps), RULES) == {
                k: {"score": c["score"], "weight": c["weight"], "state": c["state"]}
                for k, c in comps.items()}
            # what a profile shows: every component by its Chinese name, with its score or
            # the reason it has none
            shown = dict(part.rsplit(" ", 1)
                         for part in scoring.describe(scoring.compact(comps)).split("；"))
            assert shown == {scoring.COMPONENT_ZH[k]: (
                format(c["score"], "g") if c["state"] == scoring.PRESENT
                else "缺少证据" if c["state"] == scoring.MISSING else "不适用")
                for k, c in comps.items()}


def test_fits_store_evidence_not_text(core: Loaded) -> None:
    """Enterprise -> subsector FITS: the stored counts and keys, and the reasons text built
    from them at read time, against the tables (shares, declared industry, co-applicants)."""
    from queries._lookup import explain_fits, fit_edge

    pats = core.tables["patents"]
    subs = expected_subsectors(core.tables)
    own = {e: {r.app_no for r in pats.itertuples() if e in r.applicants}
           for e in ENTERPRISES.org_key}
    inst_subs = {i: {s for a, s in subs if any(i in x for x in pats[pats.app_no == a].applicants)}
                 for i in INSTITUTES.org_key}
    partners = {e: sorted({i for r in pats.itertuples() if e in r.applicants
                           for i in r.applicants if i.startswith("I")})
                for e in ENTERPRISES.org_key}
    declared = dict(zip(ENTERPRISES.org_key, ENTERPRISES.industry, strict=True))
    w = RULES["fit"]["weights"]
    zh = dict(zip(INDUSTRIES.industry_id, INDUSTRIES.name, strict=True))
    inst_zh = dict(zip(INSTITUTES.org_key, INSTITUTES.name, strict=True))
    expected = {}
    for e, apps in own.items():
        for s in INDUSTRIES.industry_id:
            hits = sum(1 for a in apps if (a, s) in subs)
            decl = [s] if declared[e] == s else []
            co = [i for i in partners[e] if s in inst_subs[i]][:2]
            score = 100 * (w["patent_share"] * (hits / len(apps) if apps else 0)
                           + w["declared_industry"] * bool(decl) + w["co_application"] * bool(co))
            if (hits or decl or co) and round(score, 2) >= RULES["fit"]["min_score"]:
                text = ([f"企业专利中 {hits}/{len(apps)} 件属于{zh[s]}"] if hits else []) + (
                    [f"所属产业匹配：{zh[s]}"] if decl else []) + (
                    ["与" + "、".join(inst_zh[i] for i in co) + "联合申请过专利，其在该领域有专利"]
                    if co else [])
                # the keys stored as one text each, joined by an ideographic space
                expected[(e, s)] = (hits, len(apps), "\u3000".join(decl) or None,
                                    "\u3000".join(co) or None, text)
    rows = core.store.read(
        "MATCH (e:Enterprise)-[f:FITS]->(t:Industry) RETURN e.org_key AS e, "
        "t.industry_id AS s, f.patents AS hits, f.total AS total, f.declared AS declared, "
        "f.partners AS partners, f.reasons AS stored_text, " + fit_edge() + " AS edge")
    texts = explain_fits(core.store, [r["edge"] for r in rows])
    got = {(r["e"], r["s"]): (r["hits"], r["total"], r["declared"], r["partners"], text)
           for r, text in zip(rows, texts, strict=True)}
    assert got == expected
    assert all(r["stored_text"] is None for r in rows)


def _facts_of_tables(t: dict[str, pd.DataFrame]) -> dict[str, scoring.Facts]:
    """What tier() looks at, from the tables (not from the graph derive read)."""
    pledges = t["pledges"].groupby("app_no").amount.apply(list).to_dict() if len(
        t["pledges"]) else {}
    awards = t["awards"].groupby("app_no").apply(
        lambda g: g[["name", "level", "kind"]].to_dict("records")).to_dict() if len(
        t["awards"]) else {}
    return {r["app_no"]: scoring.Facts(
        app_no=r["app_no"], patent_type=r["patent_type"], is_valid=r["is_valid"],
        legal_status=r["legal_status"],
        grant_date=r["grant_date"] if isinstance(r["grant_date"], str) else None,
        years_maintained=r["years_maintained"], has_family_abroad=r["has_family_abroad"],
        in_sei=r["in_sei"], pledge_amounts=pledges.get(r["app_no"], []),
        awards=awards.get(r["app_no"], [])) for r in t["patents"].to_dict("records")}


def test_stored_tier_basis_gives_the_sentences_of_tier(core: Loaded) -> None:
    """The stored form (one short string) read back is what `tier` says for the patent's
    facts taken from the tables, and the sentences are those the rules describe."""
    got = _patents(core.store).set_index("app_no")
    facts = _facts_of_tables(core.tables)
    t = RULES["tiers"]
    tier_a = expected_tier_a(core.tables)
    for app_no, row in got.iterrows():
        assert isinstance(row.basis, str) and len(row.basis) < len("".join(row.reasons))
        assert scoring.tier(facts[app_no], row.score, RULES) == (row.tier, row.reasons)
        f = facts[app_no]
        # the sentences written out here from the tables and the rules file
        if not f.is_valid and f.legal_status == "审中":
            want = [f"审中（法律状态：审中），尚未授权，暂列{t['pending_tier']}级"]
        elif not f.is_valid:
            want = [f"非有效专利（法律状态：{f.legal_status}）"]
        elif app_no in tier_a:
            assert row.reasons[0] == "有效发明专利"
            assert set(row.reasons[1:]) <= set(t["a_criteria"].values()) and row.reasons[1:]
            continue
        else:
            first = ("有效发明专利，但未满足高价值发明专利认定条件" if f.patent_type == "invention"
                     else f"{scoring.TYPE_ZH[f.patent_type]}专利，不适用高价值发明专利认定")
            sign = "≥" if row.score >= t["b_min_score"] else "<"
            want = [first, f"价值分 {row.score:.1f} {sign} B级阈值 {t['b_min_score']}"]
        assert row.reasons == want, app_no


def test_tier_reasons_of_the_stored_form_edge_cases() -> None:
    """Legal statuses and type names are free text: a "|" in them survives the stored form."""
    f = scoring.Facts(app_no="x", is_valid=False, legal_status="终止|未缴费")
    assert scoring.tier_basis(f, 0.0, RULES) == ("X", "X|终止|未缴费")
    assert scoring.tier(f, 0.0, RULES)[1] == ["非有效专利（法律状态：终止|未缴费）"]
    f = scoring.Facts(app_no="x", is_valid=False, legal_status="实质审查|中")
    assert scoring.tier(f, 0.0, RULES)[1] == [
        f"审中（法律状态：实质审查|中），尚未授权，暂列{RULES['tiers']['pending_tier']}级"]
    f = scoring.Facts(app_no="x", is_valid=False)
    assert scoring.tier(f, 0.0, RULES)[1] == ["非有效专利（法律状态：未知）"]
    f = scoring.Facts(app_no="x", is_valid=True, patent_type="plant")
    b_min = RULES["tiers"]["b_min_score"]
    assert scoring.tier(f, 50.0, RULES) == ("B", ["类型未知专利，不适用高价值发明专利认定",
                                                  f"价值分 50.0 ≥ B级阈值 {b_min}"])
    # a list (stored by a refresh before the compact form) is shown as it is
    assert scoring.tier_reasons(["旧理由"]) == ["旧理由"]
    with pytest.raises(ValueError):
        scoring.tier_reasons("Q|?")


def test_stored_prospect_counts_give_the_note(core: Loaded) -> None:
    """The prospect note users read, from the stored counts, the subsector names and the
    fit count, written out here (the small graph has no licences, transfers or products)."""
    got = _patents(core.store).set_index("app_no")
    names = dict(zip(INDUSTRIES.industry_id, INDUSTRIES.name, strict=True))
    subs: dict[str, list[str]] = {}
    for app_no, ind in sorted(expected_subsectors(core.tables), key=lambda x: x[1]):
        subs.setdefault(app_no, []).append(names[ind])
    assert got.counts.isna().all()  # nothing to count: nothing stored
    for app_no, row in got.iterrows():
        note = scoring.prospect_note(row.tier, [row.counts, row.fit], subs.get(app_no))
        if row.tier == "X":
            want = "专利已失效，仅可作技术参考"
        elif not subs.get(app_no) and not row.fit:
            want = "暂无转化迹象，未匹配主导产业"
        else:
            want = "；".join(([f"契合主导产业：{'、'.join(subs[app_no])}"] if subs.get(app_no)
                             else []) + ([f"区内适配企业 {row.fit} 家"] if row.fit else []))
        assert note == want, app_no
        assert row.level == scoring.prospect(row.tier, 0, 0, subs.get(app_no, []),
                                             int(row.fit))[0]
    # counts stored as "<licences + transfers>,<products>"
    assert scoring.prospect_note("B", ["3,1", 0], []) == "已有许可/转让 3 次；1 个产品在用"
    assert scoring.prospect_note(None, [None, None], None) is None  # not derived
    assert scoring.prospect_note("B", "旧说明", []) == "旧说明"  # stored by an older refresh


def test_refresh_removes_the_properties_older_refreshes_stored(falkor_server) -> None:
    """A graph derived before the compact forms carries tier_reasons, tier_rules_version and
    prospects on every patent: the next refresh removes all three and leaves every other
    derived property as a refresh of a clean graph writes it (FalkorDB loses attributes when
    one statement removes several of a node's properties)."""
    from queries.derive import PATENT_DERIVED

    props = ", ".join(f"p.{k} AS {k}" for k in ("app_no", *PATENT_DERIVED))
    read = f"MATCH (p:Patent) RETURN {props} ORDER BY app_no"
    store = fresh_falkor_store(falkor_server, prefix="retired")
    try:
        write_tables(store, make_tables(40, seed=13))
        refresh(store)
        clean = store.read(read)
        store.write("MATCH (p:Patent) SET p.tier_reasons = ['旧理由', p.tier], "
                    "p.tier_rules_version = '2023.9', p.prospects = '旧说明'")
        refresh(store)
        for k in RETIRED:
            assert store.read(f"MATCH (p:Patent) WHERE p.{k} IS NOT NULL "
                              "RETURN count(p) AS n")[0]["n"] == 0, k
        assert store.read(read) == clean
        assert _rules_version(store) == [RULES["version"]]
    finally:
        store.clear()
        store.close()
