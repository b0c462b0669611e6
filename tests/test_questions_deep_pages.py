"""Deep pages of the §2 and §4 lists on the generated demo, against pandas rankings.

The pages past what refresh stores ranked (park push lists past PUSH_CAP, park-cluster pairs
past CFIT_CAP) and a subsector's match pairs read by match_pos windows are recomputed here in
pandas from plain reads of the graph's facts (each patent's tier, validity, value score,
clusters and subsectors, the FITS scores, who holds what, each patent's stored match list):
the same rows, in the same order, as the question's answer, at any offset; and the rows users
see equal those of the live ranking they replace.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_questions_core_demo import Truth, build_truth, every_row, held_by, park_members

from graph.store import Store
from queries import catalogue, matching, portfolio


@pytest.fixture(scope="module")
def truth(demo_dir: Path) -> Truth:
    return build_truth(demo_dir)


PATENTS = """
MATCH (p:Patent)
OPTIONAL MATCH (p)-[:IN_CLUSTER|IN_INDUSTRY_OF]->(t)
RETURN p.app_no AS app_no, p.tier AS tier, p.is_valid AS valid, p.value_score AS score,
       collect(coalesce(t.cluster_id, t.industry_id)) AS targets
"""
PARK_FITS = """
MATCH (k:Park)-[f:FITS]->(t)
RETURN k.park_id AS park_id, coalesce(t.cluster_id, t.industry_id) AS target, f.score AS fit
"""
PARK_OWN = """
MATCH (k:Park)<-[:LOCATED_IN]-(:Enterprise)<-[:OWNED_BY|APPLIED_BY]-(p:Patent)
RETURN DISTINCT k.park_id AS park_id, p.app_no AS app_no
"""


def push_ranking(store: Store, parks: list[str], tiers: str) -> pd.DataFrame:
    """The §4 order in pandas: each park's valid patents of the tiers in a target it FITS,
    not held by its members, by tier, the park's best fit, value score desc, app_no, park."""
    pats = pd.DataFrame(store.read(PATENTS)).explode("targets").rename(
        columns={"targets": "target"})
    fits = pd.DataFrame(store.read(PARK_FITS))
    own = pd.DataFrame(store.read(PARK_OWN))
    got = pats[pats.valid.eq(True) & pats.tier.isin(list(tiers))].merge(
        fits[fits.park_id.isin(parks)], on="target")
    got = got.groupby(["park_id", "app_no", "tier", "score"], as_index=False).fit.max()
    got = got.merge(own.assign(own=True), on=["park_id", "app_no"], how="left")
    got = got[got.own.isna()]
    return got.sort_values(["tier", "fit", "score", "app_no", "park_id"],
                           ascending=[True, False, False, True, True]).reset_index(drop=True)


@pytest.mark.parametrize(("park", "tiers"), [("医疗器械产业园", "A,B,C"), ("帅达", "C"),
                                             ("鑫创产业集聚区", "B,C"), ("创新产业园", "A,B")])
def test_park_push_deep_pages_equal_the_pandas_ranking(demo_store: Store, truth: Truth,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       park: str, tiers: str) -> None:
    """Every page read from the stored whole lists (as past PUSH_CAP) is the pandas ranking's
    slice (one park, or several parks matching a name), with the rows of the live ranking."""
    from queries._lookup import park_keys

    parks = park_keys(demo_store, park)
    params = {"park": park, "tiers": tiers}
    stored = every_row(demo_store, "park_push_list", params)  # the first PUSH_CAP: stored
    monkeypatch.setattr(portfolio, "_push_page", lambda *a, **k: None)  # as past the cap
    deep = every_row(demo_store, "park_push_list", params)
    want = push_ranking(demo_store, parks, tiers.replace(",", ""))
    assert len(want) > 300 or len(parks) == 1 and len(want) > 100
    assert [(r["park_id"], r["app_no"], r["tier"], r["park_fit"], r["value_score"])
            for r in deep] == list(zip(want.park_id, want.app_no, want.tier, want.fit,
                                       want.score, strict=True))
    assert deep == stored
    for offset in (0, 255, 256, 257, 300, len(want) - 7, len(want), len(want) + 3):
        page = catalogue.ask(demo_store, "park_push_list", params, limit=20, offset=offset)
        assert page.rows == deep[offset:offset + 20], offset
    own = {name: held_by(truth, park_members(truth, name)) for name in {r["park"] for r in deep}}
    assert not [r for r in deep if r["app_no"] in own[r["park"]]], "never the park's own"
    monkeypatch.setattr(portfolio, "_deep_push_page", lambda *a, **k: None)  # rank live
    for offset in (0, 256, len(want) - 7):
        page = catalogue.ask(demo_store, "park_push_list", params, limit=20, offset=offset)
        assert page.rows == deep[offset:offset + 20], offset


def test_park_push_deep_chunks_hold_each_tier_in_order(demo_store: Store) -> None:
    """The stored chunks decode to the ranking of the whole list, tier by tier, and a level
    of the fit starts where the pandas ranking's fit changes."""
    import json

    for meta in demo_store.read("MATCH (k:Park) RETURN k.park_id AS park_id, "
                                "k.push_deep AS deep, k.push_chunks AS chunks"):
        deep = json.loads(meta["deep"])
        want = push_ranking(demo_store, [meta["park_id"]], "ABC")
        ranks = {r["app_no"]: r["rank"] for r in demo_store.read(
            "MATCH (p:Patent) WHERE p.push_rank IS NOT NULL "
            "RETURN p.app_no AS app_no, p.push_rank AS rank")}
        for code, tier in enumerate("ABC"):
            chunk0, count, levels = deep["tiers"][code]
            part = want[want.tier == tier]
            got = [r for c in range((count + deep["k"] - 1) // deep["k"])
                   for r in portfolio._decode_chunk(meta["chunks"][chunk0 + c])]
            assert got == [ranks[a] for a in part.app_no]
            fits = list(part.fit)
            changes = [i for i in range(len(fits)) if i == 0 or fits[i] != fits[i - 1]]
            assert [s for s, _ in levels] == changes
            assert [f for _, f in levels] == [part.fit.iloc[i] for i in changes]


CFIT_PAIRS = """
MATCH (k:Park {park_id: $park})<-[:LOCATED_IN]-(e:Enterprise)-[f:FITS]->(c:TechCluster)
RETURN e.org_key AS org_key, c.cluster_id AS cluster_id, f.score AS fit_score
"""


@pytest.mark.parametrize("cap", [7, 20, 2000])
def test_park_cluster_fit_past_the_stored_pairs(demo_store: Store,
                                                monkeypatch: pytest.MonkeyPatch,
                                                cap: int) -> None:
    """Pages past the stored pairs (a cap below the park's pairs, as at scale) and cluster
    filters the stored pairs do not fill: the pandas order of the park's FITS pairs."""
    monkeypatch.setattr(portfolio, "CFIT_CAP", cap)  # read only the first `cap` stored
    busiest = demo_store.read(
        "MATCH (k:Park)<-[:LOCATED_IN]-(:Enterprise)-[f:FITS]->(:TechCluster) "
        "RETURN k.park_id AS park, count(f) AS n ORDER BY n DESC, park LIMIT 3")
    for park in (r["park"] for r in busiest):
        pairs = pd.DataFrame(demo_store.read(CFIT_PAIRS, {"park": park})).sort_values(
            ["fit_score", "org_key", "cluster_id"], ascending=[False, True, True])
        assert len(pairs) > 25
        rows = every_row(demo_store, "park_cluster_fit", {"park": park}, page=6)
        assert [(r["org_key"], r["cluster_id"], r["fit_score"]) for r in rows] == list(
            pairs.itertuples(index=False, name=None))
        for cluster in sorted(set(pairs.cluster_id)):
            only = every_row(demo_store, "park_cluster_fit", {"park": park, "cluster": cluster},
                             page=4)
            assert only == [r for r in rows if r["cluster_id"] == cluster]
            for offset in (0, 2, 5, 9):
                page = catalogue.ask(demo_store, "park_cluster_fit",
                                     {"park": park, "cluster": cluster}, limit=3, offset=offset)
                assert page.rows == only[offset:offset + 3]
        for offset in (0, cap - 3, cap, cap + 1, len(rows) - 2):
            page = catalogue.ask(demo_store, "park_cluster_fit", {"park": park}, limit=9,
                                 offset=max(0, offset))
            assert page.rows == rows[max(0, offset):max(0, offset) + 9]
        live = portfolio.with_fit_reasons(demo_store, demo_store.read(
            portfolio.PARK_CLUSTER_FIT, {"parks": [park], "clusters": None, "offset": cap,
                                         "limit": 30}))
        assert [{k: v for k, v in r.items() if k != "fit_reasons"} for r in live] == [
            {k: v for k, v in r.items() if k != "reasons"} for r in rows[cap:cap + 30]]
        assert [r["fit_reasons"] for r in live] == [r["reasons"] for r in rows[cap:cap + 30]]


MATCHES = """
MATCH (p:Patent) WHERE p.match_keys IS NOT NULL
RETURN p.app_no AS app_no, p.tier AS tier, p.match_keys AS orgs, p.match_scores AS scores,
       p.subsector_ids AS subsectors
"""


@pytest.mark.parametrize(("subsector", "tier"), [("HD02", None), ("HD01", "A"),
                                                 ("能源电力", None), ("HD07", "C")])
def test_subsector_match_windows_equal_the_pandas_ranking(demo_store: Store, subsector: str,
                                                          tier: str | None) -> None:
    """A subsector's pairs read by match_pos windows (small first windows: many of them) are
    the pandas order of its patents' stored match lists: best match desc, app_no, rank; the
    same rows as the query that sorts all the subsector's patents."""
    from queries._lookup import subsector_keys

    subs = subsector_keys(demo_store, subsector)
    m = pd.DataFrame(demo_store.read(MATCHES))
    m = m[m.subsectors.map(lambda ids: bool(set(ids or ()) & set(subs)))]
    if tier:
        m = m[m.tier == tier]
    m = m.assign(best=m.scores.map(lambda s: s[0])).sort_values(
        ["best", "app_no"], ascending=[False, True])
    want = [(a, k, s) for a, orgs, scores in zip(m.app_no, m.orgs, m.scores, strict=True)
            for k, s in zip(orgs, scores, strict=True)]
    assert len(want) > 40
    for offset, limit in ((0, 50), (7, 13), (len(want) - 20, 50), (len(want), 5)):
        got = matching._subsector_windows(demo_store, subs, tier, offset=offset, limit=limit,
                                          budget=10**9, width=97)
        assert got is not None
        assert [(r["app_no"], r["org_key"], r["match_score"]) for r in got] == \
            want[offset:offset + limit]
        old = demo_store.read(matching.MATCH_BY_SUBSECTOR, {
            "subsectors": subs, "tier": tier, "upto": offset + limit, "offset": offset,
            "limit": limit})
        assert [{k: v for k, v in r.items() if k != "pos"} for r in got] == \
            [{k: v for k, v in r.items() if k != "pos"} for r in old]
    # too small a budget: None, and the question sorts the subsector instead
    assert matching._subsector_windows(demo_store, subs, tier, offset=0, limit=5, budget=0,
                                       width=97) is None
    rows = every_row(demo_store, "patent_enterprise_match",
                     {"subsector": subsector, **({"tier": tier} if tier else {})})
    assert [(r["app_no"], r["org_key"], r["match_score"]) for r in rows] == want


TARGETS = """
MATCH (p:Patent)-[r:IN_CLUSTER|IN_INDUSTRY_OF]->(t) WHERE p.match_keys IS NOT NULL
RETURN p.app_no AS app_no, coalesce(t.cluster_id, t.industry_id) AS target,
       type(r) = 'IN_CLUSTER' AS cluster
"""
ENTERPRISE_FITS = """
MATCH (e:Enterprise)-[f:FITS]->(t)
RETURN e.org_key AS org_key, coalesce(t.cluster_id, t.industry_id) AS target, f.score AS score
"""
CO_APPLIED = """
MATCH (p:Patent)-[:OWNED_BY|APPLIED_BY]->(:Institute)-[:CO_APPLIED_WITH]->(e:Enterprise)
WHERE p.match_keys IS NOT NULL
RETURN DISTINCT p.app_no AS app_no, e.org_key AS org_key
"""


def test_match_pairs_explain_the_best_fit(demo_store: Store) -> None:
    """Each explained pair's fit is the enterprise's best FITS score to the patent's cluster or
    subsectors and its reasons edge one of that score (ties: the cluster, then the subsector of
    the smallest id); co_applied is a co-application with an institute holding the patent:
    recomputed in pandas from plain reads of the edges, for every stored pair of two tiers."""
    m = pd.DataFrame(demo_store.read(MATCHES))
    pairs = [{"app_no": a, "i": i, "pos": n}
             for n, (a, i) in enumerate((a, i) for a, t, orgs in zip(m.app_no, m.tier, m.orgs,
                                                                       strict=True)
                                        if t in ("A", "C") for i in range(len(orgs)))]
    assert len(pairs) > 100
    got = demo_store.read(matching.MATCH_PAIRS, {"pairs": pairs})
    assert [(r["app_no"], r["match_rank"]) for r in got] == [(p["app_no"], p["i"]) for p in pairs]
    targets = pd.DataFrame(demo_store.read(TARGETS))
    fits = pd.DataFrame(demo_store.read(ENTERPRISE_FITS))
    co = {(r["app_no"], r["org_key"]) for r in demo_store.read(CO_APPLIED)}
    want = (pd.DataFrame([(r["app_no"], r["org_key"], r["pos"]) for r in got],
                         columns=["app_no", "org_key", "pos"])
            .merge(targets, on="app_no").merge(fits, on=["org_key", "target"])
            .sort_values(["pos", "score", "cluster", "target"],
                         ascending=[True, False, False, True])
            .groupby("pos").first())
    explained = 0
    for r in got:
        assert r["co_applied"] == ((r["app_no"], r["org_key"]) in co)
        if r["pos"] not in want.index:
            assert r["fit_score"] is None and r["fit_edge"] is None
            continue
        best = want.loc[r["pos"]]
        assert r["fit_score"] == best.score
        assert (r["fit_edge"]["key"], r["fit_edge"]["label"]) == (
            best.target, "TechCluster" if best.cluster else "Industry")
        explained += 1
    assert explained > len(got) // 2
