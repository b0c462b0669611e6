"""§4, §6-8, §10, §13: park push lists, high-value portfolios, industry gaps, cluster
strength and the pre-application assessment of a draft invention."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from typing import Any

from graph import schema
from graph.store import Store
from patentkg.errors import InputError
from queries import scoring
from queries._lookup import cluster_keys, fit_edge, park_keys, subsector_keys, with_fit_reasons
from queries.catalogue import Column, Param, question
from queries.clusters import Subsector, subclass_of, subsectors_of
from queries.fit import FitInputs, fit_target_name, score_fit

TIER_CHOICES = ("A", "B", "C")

# -- §4 park push list --------------------------------------------------------------------
# Tiered valid patents in the clusters/subsectors the park fits, not already held by the
# park's own enterprises; tier first, then the park's fit, then the patent's value.
# derive.refresh ranks each park's list once (Park.push_apps/push_fits, tiers concatenated in
# PUSH_TIERS order, each tier's first PUSH_CAP; push_starts = where each tier starts in the
# list plus its end, push_totals = each tier's full count), so a page is a list slice; the
# live ranking below (PARK_PUSH_LIVE) only serves pages beyond the cap or an underived graph.
PUSH_TIERS = ("A", "B", "C")
PUSH_CAP = 2000
# ... and the whole list compactly (Park.push_deep/push_chunks: each tier's list as chunks of
# PUSH_CHUNK Patent.push_ranks, derive._push_chunks), so a page past the first PUSH_CAP rows
# reads one or two chunks and looks its patents up by push_rank (PARK_PUSH_DEEP_ROWS).
PUSH_CHUNK = 256
PARK_PUSH_META = """
MATCH (k:Park) WHERE k.park_id IN $parks
RETURN k.park_id AS park_id, k.push_starts AS starts, k.push_totals AS totals
ORDER BY park_id
"""
# The rows of a page, one per slot, in slot order: the reasons are read from the patent's own
# targets (a handful), never from the park's side. _PUSH_ROWS_TAIL follows a head binding
# k, s, app_no and park_fit (from the stored list, or from the live ranking below).
_PUSH_ROWS_TAIL = """
MATCH (p:Patent {app_no: app_no})
OPTIONAL MATCH (p)-[:IN_CLUSTER|IN_INDUSTRY_OF]->(t)<-[f:FITS]-(k)
WITH k, s, p, park_fit, f, t ORDER BY f.score DESC
WITH k, s, p, park_fit, collect(DISTINCT coalesce(t.name, t.cluster_id)) AS fields,
     collect(""" + fit_edge(src="'Park'") + """)[0] AS fit_edge
RETURN k.park_id AS park_id, k.name AS park, p.app_no AS app_no, p.title AS title,
       p.tier AS tier, p.value_score AS value_score, park_fit, fields, fit_edge,
       coalesce(p.tier_basis, p.tier_reasons) AS tier_reasons, p.applicants AS holders,
       s.i AS slot,
       p.cluster_id AS cluster_id, p.subsector_ids AS subsector_ids
ORDER BY slot, park_id
"""
# $slots: {park_id, i: index into the park's stored list}
PARK_PUSH_PAGE = """
UNWIND $slots AS s
MATCH (k:Park {park_id: s.park_id})
WITH k, s, k.push_apps[s.i] AS app_no, k.push_fits[s.i] AS park_fit
""" + _PUSH_ROWS_TAIL
PARK_FIT_ENTS = """
MATCH (k:Park) WHERE k.park_id IN $parks RETURN k.park_id AS park_id, k.push_fit_ents AS ents
"""
# Pages beyond the stored lists (or an underived graph): rank live on the sort keys only (the
# park's best fit per patent; the own-enterprise test once per patent, after grouping), then
# read the page's rows like a stored page ($slots: {park_id, i: row number, app_no, park_fit}).
# The patent filter sits after a WITH: written in the MATCH's WHERE, FalkorDB 4.x starts from
# the filtered patents and joins them to the park (~27 s instead of 0.6 s at 100k patents).
PARK_PUSH_LIVE = """
MATCH (k:Park) WHERE k.park_id IN $parks
MATCH (k)-[f:FITS]->(t)<-[:IN_CLUSTER|IN_INDUSTRY_OF]-(p:Patent)
WITH k, f, p WHERE p.is_valid = true AND p.tier IN $tiers
WITH k, p, max(f.score) AS park_fit
WHERE NOT (p)-[:OWNED_BY|APPLIED_BY]->(:Enterprise)-[:LOCATED_IN]->(k)
WITH k.park_id AS park_id, p.app_no AS app_no, p.tier AS tier, p.value_score AS value_score,
     park_fit
ORDER BY tier, park_fit DESC, value_score DESC, app_no, park_id
SKIP $offset LIMIT $limit
RETURN park_id, app_no, park_fit
"""
PARK_PUSH_LIVE_ROWS = """
UNWIND $slots AS s
MATCH (k:Park {park_id: s.park_id})
WITH k, s, s.app_no AS app_no, s.park_fit AS park_fit
""" + _PUSH_ROWS_TAIL
PARK_PUSH_DEEP_META = """
MATCH (k:Park) WHERE k.park_id IN $parks
RETURN k.park_id AS park_id, k.push_deep AS deep
ORDER BY park_id
"""
# $want: {park_id, c: chunk index}
PARK_PUSH_CHUNKS = """
UNWIND $want AS w
MATCH (k:Park {park_id: w.park_id})
RETURN w.park_id AS park_id, w.c AS c, k.push_chunks[w.c] AS chunk
"""
# $slots: {park_id, i: row number, rank: Patent.push_rank, park_fit}
PARK_PUSH_DEEP_ROWS = """
UNWIND $slots AS s
MATCH (k:Park {park_id: s.park_id})
MATCH (q:Patent {push_rank: s.rank})
WITH k, s, q.app_no AS app_no, s.park_fit AS park_fit
""" + _PUSH_ROWS_TAIL
PARK_FITTING_ENTERPRISES = """
UNWIND $rows AS r
MATCH (p:Patent {app_no: r.app_no})-[:IN_CLUSTER|IN_INDUSTRY_OF]->(t)<-[f:FITS]-(e:Enterprise)
MATCH (e)-[:LOCATED_IN]->(k:Park {park_id: r.park_id})
WITH r, e, max(f.score) AS score ORDER BY score DESC, e.name
RETURN r.app_no AS app_no, r.park_id AS park_id, collect(e.name)[..5] AS enterprises
"""

# -- §4 park enterprises fitting a cluster ----------------------------------------------------
# Sorted on the three keys first: only the page's rows read the long lists (patents, reasons).
PARK_CLUSTER_FIT = """
MATCH (k:Park) WHERE k.park_id IN $parks
MATCH (k)<-[:LOCATED_IN]-(e:Enterprise)-[f:FITS]->(c:TechCluster)
WHERE $clusters IS NULL OR c.cluster_id IN $clusters
WITH k, e, f, c, f.score AS fit_score, e.org_key AS org_key, c.cluster_id AS cluster_id
ORDER BY fit_score DESC, org_key, cluster_id
SKIP $offset LIMIT $limit
RETURN k.name AS park, org_key, e.name AS enterprise, e.tags AS enterprise_tags,
       cluster_id, c.name AS cluster, fit_score, f.patents AS patents,
       """ + fit_edge(t="c") + """ AS fit_edge
ORDER BY fit_score DESC, org_key, cluster_id
"""
# refresh_park_cluster_fit stores each park's first CFIT_CAP (enterprise, cluster) pairs in
# that order (Park.cfit_orgs/cfit_clusters) and the number of all pairs (cfit_total); a page of
# one park without a cluster filter is a slice of them plus a read of its rows' FITS edges.
CFIT_CAP = 2000
PARK_CFIT_SLICE = """
MATCH (k:Park {park_id: $park})
RETURN k.cfit_total AS total, k.cfit_orgs[$offset..$end] AS orgs,
       k.cfit_clusters[$offset..$end] AS clusters
"""
PARK_CFIT_ROWS = """
MATCH (k:Park {park_id: $park})
UNWIND range(0, size($orgs) - 1) AS i
MATCH (e:Enterprise {org_key: $orgs[i]})-[f:FITS]->(c:TechCluster {cluster_id: $clusters[i]})
RETURN i, k.name AS park, e.org_key AS org_key, e.name AS enterprise,
       e.tags AS enterprise_tags, c.cluster_id AS cluster_id, c.name AS cluster,
       f.score AS fit_score, f.patents AS patents, """ + fit_edge(t="c") + """ AS fit_edge
ORDER BY i
"""
# Past the stored pairs (or a cluster filter the stored pairs do not fill): the pairs after
# a known one (the last stored pair: $score, $org_key, $cluster_id; all null: from the top),
# sorted on the three keys only; PARK_CFIT_ROWS then reads the page's rows.
# (the filters after a WITH: in the MATCH's WHERE, FalkorDB 4.x starts from every technology
# cluster instead of the park, ~10x slower)
PARK_CFIT_KEYS = """
MATCH (k:Park {park_id: $park})<-[:LOCATED_IN]-(e:Enterprise)-[f:FITS]->(c:TechCluster)
WITH e, f, c
WHERE ($clusters IS NULL OR c.cluster_id IN $clusters)
  AND ($score IS NULL OR f.score <= $score)
WITH e, f, c
WHERE $score IS NULL OR f.score < $score OR e.org_key > $org_key
   OR (e.org_key = $org_key AND c.cluster_id > $cluster_id)
WITH f.score AS fit_score, e.org_key AS org_key, c.cluster_id AS cluster_id
ORDER BY fit_score DESC, org_key, cluster_id
SKIP $offset LIMIT $limit
RETURN org_key, cluster_id
"""
PARK_CFIT_PAIR_SCORE = """
MATCH (e:Enterprise {org_key: $org_key})-[f:FITS]->(c:TechCluster {cluster_id: $cluster_id})
RETURN f.score AS score
"""
ALL_PARKS = "MATCH (k:Park) RETURN k.park_id AS park_id ORDER BY park_id"
PARK_CFIT_COUNT = """
MATCH (k:Park {park_id: $park})<-[:LOCATED_IN]-(e:Enterprise)-[f:FITS]->(c:TechCluster)
RETURN count(f) AS n
"""
WRITE_PARK_CFIT = """
UNWIND $rows AS r MATCH (k:Park {park_id: r.park_id})
SET k.cfit_total = r.total, k.cfit_orgs = r.orgs, k.cfit_clusters = r.clusters
"""

# -- §6-8 portfolios and gaps ------------------------------------------------------------------
PORTFOLIO_BY_CLUSTER = """
MATCH (c:TechCluster)
WHERE ($keys IS NULL OR c.cluster_id IN $keys) AND c.valid_patents > 0
RETURN c.cluster_id AS group_id, c.name AS name, '技术集群' AS kind,
       c.valid_patents AS valid_patents, c.tier_a AS tier_a, c.tier_b AS tier_b,
       c.avg_score AS avg_score, c.top_holders AS top_holders, c.top_patents AS top_patents,
       c.local_valid_patents AS local_valid_patents, c.fit_enterprises AS fit_enterprises
ORDER BY tier_a DESC, tier_b DESC, valid_patents DESC, group_id
SKIP $offset LIMIT $limit
"""
PORTFOLIO_BY_SUBSECTOR = """
MATCH (c:Industry)
WHERE c.source = 'district' AND ($keys IS NULL OR c.industry_id IN $keys) AND c.valid_patents > 0
RETURN c.industry_id AS group_id, c.name AS name, '主导产业细分领域' AS kind,
       c.valid_patents AS valid_patents, c.tier_a AS tier_a, c.tier_b AS tier_b,
       c.avg_score AS avg_score, c.top_holders AS top_holders, c.top_patents AS top_patents,
       c.local_valid_patents AS local_valid_patents, c.fit_enterprises AS fit_enterprises
ORDER BY tier_a DESC, tier_b DESC, valid_patents DESC, group_id
SKIP $offset LIMIT $limit
"""
INDUSTRY_GAPS = """
MATCH (s:Industry)
WHERE s.source = 'district' AND (size(coalesce(s.ipc_prefixes, [])) > 0
      OR size(coalesce(s.sei_codes, [])) > 0)
  AND coalesce(s.local_valid_patents, 0) <= $max_patents
OPTIONAL MATCH (k:Park)-[:FOCUSES_ON]->(s)
WITH s, collect(DISTINCT k.name) AS parks
RETURN s.industry_id AS industry_id, s.name AS name,
       coalesce(s.local_valid_patents, 0) AS local_valid_patents,
       coalesce(s.valid_patents, 0) AS valid_patents, coalesce(s.tier_a, 0) AS tier_a,
       coalesce(s.fit_enterprises, 0) AS fit_enterprises, parks, s.ipc_prefixes AS ipc_prefixes
ORDER BY local_valid_patents, valid_patents, industry_id
SKIP $offset LIMIT $limit
"""

# -- §10 cluster strength -----------------------------------------------------------------------
CLUSTER_STRENGTH = """
MATCH (k:Park) WHERE $parks IS NULL OR k.park_id IN $parks
RETURN k.park_id AS park_id, k.name AS park, k.kind AS kind,
       coalesce(k.enterprises, 0) AS enterprises, coalesce(k.valid_patents, 0) AS valid_patents,
       coalesce(k.tier_a, 0) AS tier_a, coalesce(k.tier_b, 0) AS tier_b,
       coalesce(k.products, 0) AS products, coalesce(k.awards, 0) AS awards,
       coalesce(k.top_clusters, []) AS top_clusters
ORDER BY valid_patents DESC, enterprises DESC, park_id
SKIP $offset LIMIT $limit
"""

# -- §13 pre-application assessment (read only) ------------------------------------------------
DRAFT_CLUSTERS = """
MATCH (c:TechCluster) WHERE any(m IN c.members WHERE m IN $subclasses)
RETURN c.cluster_id AS cluster_id, c.name AS name, c.members AS members, c.size AS size
ORDER BY cluster_id
"""
DRAFT_SUBSECTORS = """
MATCH (s:Industry) WHERE s.source = 'district'
RETURN s.industry_id AS industry_id, s.name AS name, s.ipc_prefixes AS ipc_prefixes,
       s.sei_codes AS sei_codes
ORDER BY industry_id
"""
DRAFT_IPC_SEI = """
MATCH (i:IPC)-[:MAPS_TO]->(s:Industry) WHERE i.code IN $codes
RETURN i.code AS ipc, s.industry_id AS industry_id, s.code AS code
"""
DRAFT_FITTING = {
    # Target labels are fixed here, never taken from input.
    "TechCluster": """
MATCH (x:TechCluster) WHERE x.cluster_id IN $targets
MATCH (s)-[f:FITS]->(x)
RETURN labels(s)[0] AS label, coalesce(s.org_key, s.park_id) AS key, s.name AS name,
       x.cluster_id AS target, f.score AS score,
       """ + fit_edge(t="x", src="labels(s)[0]") + """ AS fit_edge
ORDER BY score DESC, key
LIMIT 200
""",
    "Industry": """
MATCH (x:Industry) WHERE x.industry_id IN $targets
MATCH (s)-[f:FITS]->(x)
RETURN labels(s)[0] AS label, coalesce(s.org_key, s.park_id) AS key, s.name AS name,
       x.industry_id AS target, f.score AS score,
       """ + fit_edge(t="x", src="labels(s)[0]") + """ AS fit_edge
ORDER BY score DESC, key
LIMIT 200
""",
}
# Each best row per target, stored by refresh_draft_fitting: FITS edges are only written by
# derive.refresh, so the stored lists are as current as the edges. A cluster/subsector has
# thousands of fitting enterprises at 100k patents; the draft only needs the best 200.
DRAFT_FIT_TOP = {
    "TechCluster": "MATCH (x:TechCluster) WHERE x.cluster_id IN $targets "
                   "RETURN x.cluster_id AS target, x.fit_top AS top",
    "Industry": "MATCH (x:Industry) WHERE x.industry_id IN $targets "
                "RETURN x.industry_id AS target, x.fit_top AS top",
}
FIT_TARGETS = {
    "TechCluster": "MATCH (x:TechCluster) RETURN x.cluster_id AS target ORDER BY target",
    "Industry": "MATCH (x:Industry) RETURN x.industry_id AS target ORDER BY target",
}
CLEAR_FIT_TOP = {
    "TechCluster": "MATCH (x:TechCluster) WHERE x.fit_top IS NOT NULL SET x.fit_top = NULL",
    "Industry": "MATCH (x:Industry) WHERE x.fit_top IS NOT NULL SET x.fit_top = NULL",
}
WRITE_FIT_TOP = {
    "TechCluster": "UNWIND $rows AS r MATCH (x:TechCluster {cluster_id: r.target}) "
                   "SET x.fit_top = r.top",
    "Industry": "UNWIND $rows AS r MATCH (x:Industry {industry_id: r.target}) "
                "SET x.fit_top = r.top",
}
_FIT_TOP_N = 200  # the LIMIT of DRAFT_FITTING
# The applicant by key, name or alias: one indexed branch each (aliases hold an array index),
# where `OR` over the three made FalkorDB scan every institute and enterprise.
APPLICANT_ORG = "\nUNION ALL\n".join(
    f"MATCH (o:{label}) WHERE {cond} "
    f"RETURN o.org_key AS key, o.name AS name, '{label}' AS label"
    for label in ("Institute", "Enterprise")
    for cond in ("o.org_key = $q", "o.name = $q", "$q IN o.aliases"))
APPLICANT_PATENT_TARGETS = {
    "Institute": """
MATCH (o:Institute {org_key: $org_key})<-[:OWNED_BY|APPLIED_BY]-(p:Patent)
WITH DISTINCT p
OPTIONAL MATCH (p)-[:IN_CLUSTER|IN_INDUSTRY_OF]->(t)
RETURN p.app_no AS app_no, collect(coalesce(t.cluster_id, t.industry_id)) AS targets
""",
    "Enterprise": """
MATCH (o:Enterprise {org_key: $org_key})<-[:OWNED_BY|APPLIED_BY]-(p:Patent)
WITH DISTINCT p
OPTIONAL MATCH (p)-[:IN_CLUSTER|IN_INDUSTRY_OF]->(t)
RETURN p.app_no AS app_no, collect(coalesce(t.cluster_id, t.industry_id)) AS targets
""",
}

# The same counts, stored per organisation by derive.refresh (JSON {target key: patents}).
APPLICANT_TARGET_COUNTS = {
    label: f"MATCH (o:{label} {{org_key: $org_key}}) "
           "RETURN o.target_counts AS counts, o.target_patents AS n"
    for label in APPLICANT_PATENT_TARGETS}


def _applicant_reasons(store: Store, applicant_row: dict[str, Any], inputs: FitInputs,
                       weights: Any) -> dict[tuple[str, str], str]:
    """The applicant's own evidence per target ("申请人专利中 k/n 件属于…"), from the counts
    derive.refresh stored on the organisation, or from its patents when not derived yet."""
    def label_of(t: str) -> str:
        return "TechCluster" if t.startswith("TC-") else "Industry"

    stored = store.read(APPLICANT_TARGET_COUNTS[applicant_row["label"]],
                        {"org_key": applicant_row["key"]})
    if stored and stored[0]["counts"] is not None:
        n = int(stored[0]["n"] or 0)
        counts = json.loads(stored[0]["counts"])
        return {(label_of(t), t): f"申请人专利中 {c}/{n} 件属于"
                                   f"{inputs.names.get((label_of(t), t), t)}"
                for t, c in counts.items() if c and n}
    own = store.read(APPLICANT_PATENT_TARGETS[applicant_row["label"]],
                     {"org_key": applicant_row["key"]})
    for r in own:
        inputs.patent_targets[r["app_no"]] = {(label_of(t), t) for t in r["targets"] if t}
    patents = {r["app_no"] for r in own}
    if not patents:
        return {}
    return {t: r[0] for t, _, _, _, r, _ in score_fit(
        patents=patents, declared=set(), partners={}, inputs=inputs, weights=weights,
        subject_zh="申请人")}


def _applicant(store: Store, name: str) -> dict[str, Any] | None:
    """The institute or enterprise with this key, name or alias (the smallest key of several)."""
    rows = store.read(APPLICANT_ORG, {"q": name})
    return min(rows, key=lambda r: str(r["key"])) if rows else None


def _draft_rows(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DRAFT_FITTING's rows with the reasons of their FITS edge (`fit_edge` -> `reasons`)."""
    return [{("reasons" if k == "fit_reasons" else k): v for k, v in r.items()}
            for r in with_fit_reasons(store, rows)]


def _fitting(store: Store, label: str, targets: list[str]) -> list[dict[str, Any]]:
    """DRAFT_FITTING's rows for these targets, from the stored best rows of each target; the
    live query when a target has none stored (not derived yet)."""
    if not targets:
        return []
    stored = store.read(DRAFT_FIT_TOP[label], {"targets": targets})
    if len(stored) < len(targets) or any(r["top"] is None for r in stored):
        return _draft_rows(store, store.read(DRAFT_FITTING[label], {"targets": targets}))
    keys = ("label", "key", "name", "target", "score", "reasons")
    rows = [dict(zip(keys, row, strict=True)) for r in stored for row in json.loads(r["top"])]
    rows.sort(key=lambda r: (-r["score"], str(r["key"]), str(r["target"])))
    return rows[:_FIT_TOP_N]


def refresh_draft_fitting(store: Store) -> int:
    """Store on every technology cluster and industry its best DRAFT_FITTING rows (fit_top,
    JSON [label, key, name, target, score, reasons] in the live query's order)."""
    written = 0
    for label, cypher in DRAFT_FITTING.items():
        store.write(CLEAR_FIT_TOP[label])
        rows = []
        for t in store.read(FIT_TARGETS[label]):
            top = _draft_rows(store, store.read(cypher, {"targets": [t["target"]]},
                                                timeout_ms=600_000))
            rows.append({"target": t["target"], "top": json.dumps(
                [[r["label"], r["key"], r["name"], r["target"], r["score"],
                  list(r["reasons"] or [])] for r in top], ensure_ascii=False)})
        store.write_batches(WRITE_FIT_TOP[label], rows, batch_size=50)
        written += len(rows)
    return written


def _push_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["tier"], -(row["park_fit"] or 0.0), -(row["value_score"] or 0.0), row["app_no"],
            row["park_id"])


def _push_page(store: Store, parks: list[str], tiers: list[str], *, offset: int, limit: int
               ) -> list[dict[str, Any]] | None:
    """A page of the precomputed push lists, or None when it reaches past what is stored."""
    # one park: positions offset.. of its list; several: each park's first offset+limit,
    # merged below in the question's order
    lo = offset if len(parks) == 1 else 0
    hi = offset + limit
    slots: list[dict[str, Any]] = []
    for meta in store.read(PARK_PUSH_META, {"parks": parks}):
        starts, totals = meta["starts"], meta["totals"]
        if starts is None or totals is None:
            return None
        first = 0  # position of the tier's first row in the park's list of the wanted tiers
        for code, tier in enumerate(PUSH_TIERS):
            if tier not in tiers:
                continue
            a, b = max(lo, first), min(hi, first + int(totals[code]))
            if b > a:
                if b - first > starts[code + 1] - starts[code]:
                    return None
                slots.extend({"park_id": meta["park_id"], "i": starts[code] + pos - first}
                             for pos in range(a, b))
            first += int(totals[code])
    if not slots:
        return []
    rows = store.read(PARK_PUSH_PAGE, {"slots": slots})
    if len(parks) > 1:
        rows = sorted(rows, key=_push_key)[offset:offset + limit]
    _add_contacts(rows, _stored_contacts(store, rows) or {})
    return rows


def _decode_chunk(chunk: str) -> list[int]:
    """The push_ranks of one stored chunk (derive._push_chunks: base-36 differences)."""
    out: list[int] = []
    prev = 0
    for token in chunk.split(","):
        prev += int(token, 36)
        out.append(prev)
    return out


def _deep_push_page(store: Store, parks: list[str], tiers: list[str], *, offset: int,
                    limit: int) -> list[dict[str, Any]] | None:
    """A page of the stored whole push lists (any offset), or None when a park has none
    stored (derived by an older version, or not at all).

    One park: rows offset.. of its list of the wanted tiers; several: each park's first
    offset + limit rows merged in the question's order (tier, fit desc, push_rank = value desc
    then app_no, park_id), as the live ranking orders them."""
    metas = store.read(PARK_PUSH_DEEP_META, {"parks": parks})
    if len(metas) < len(parks) or any(m["deep"] is None for m in metas):
        return None
    lo = offset if len(parks) == 1 else 0
    hi = offset + limit
    # per park, the (tier, position in tier) ranges wanted, and the chunks they lie in
    # park, tier code, a, b, first chunk, chunk size, levels
    spans: list[tuple[str, int, int, int, int, int, list[Any]]] = []
    want: list[dict[str, Any]] = []
    for meta in metas:
        deep = json.loads(meta["deep"])
        k = int(deep["k"])
        first = 0  # position of the tier's first row in the park's list of the wanted tiers
        for code, tier in enumerate(PUSH_TIERS):
            if tier not in tiers:
                continue
            chunk0, count, levels = deep["tiers"][code]
            a, b = max(lo, first), min(hi, first + int(count))
            if b > a:
                a, b = a - first, b - first  # positions within the tier
                spans.append((meta["park_id"], code, a, b, int(chunk0), k, levels))
                want.extend({"park_id": meta["park_id"], "c": int(chunk0) + c}
                            for c in range(a // k, (b - 1) // k + 1))
            first += int(count)
    if not spans:
        return []
    chunks = {(r["park_id"], r["c"]): _decode_chunk(r["chunk"])
              for r in store.read(PARK_PUSH_CHUNKS, {"want": want})}
    picked: list[tuple[int, float, int, str]] = []  # (tier code, -fit, push_rank, park_id)
    for park_id, code, a, b, chunk0, k, levels in spans:
        starts = [int(s) for s, _ in levels]
        for pos in range(a, b):
            rank = chunks[(park_id, chunk0 + pos // k)][pos % k]
            fit = float(levels[bisect_right(starts, pos) - 1][1])
            picked.append((code, -fit, rank, park_id))
    if len(parks) > 1:
        picked = sorted(picked)[offset:offset + limit]
    rows = store.read(PARK_PUSH_DEEP_ROWS, {"slots": [
        {"park_id": park_id, "i": i, "rank": rank, "park_fit": -neg_fit}
        for i, (_code, neg_fit, rank, park_id) in enumerate(picked)]}) if picked else []
    _add_contacts(rows, _stored_contacts(store, rows) or {})
    return rows


def _stored_contacts(store: Store, rows: list[dict[str, Any]]
                     ) -> dict[str, dict[str, Any]] | None:
    """The rows' parks' stored member enterprises per target, or None for an underived park."""
    stored = store.read(PARK_FIT_ENTS, {"parks": sorted({r["park_id"] for r in rows})}
                        ) if rows else []
    if any(r["ents"] is None for r in stored):
        return None
    return {r["park_id"]: json.loads(r["ents"]) for r in stored}


def _add_contacts(rows: list[dict[str, Any]], contacts: dict[str, dict[str, Any]]) -> None:
    """Each row's 'enterprises to contact' from its park's stored member fits."""
    for row in rows:
        # park members fitting the patent's cluster or subsectors, best fit first (the top
        # five of each target were stored; the top five of their union is among them)
        targets = ([f"TechCluster:{row['cluster_id']}"] if row["cluster_id"] else []) + [
            f"Industry:{i}" for i in row["subsector_ids"] or ()]
        best: dict[str, tuple[float, str]] = {}
        for t in targets:
            for org_key, name, score in contacts.get(row["park_id"], {}).get(t, ()):
                if org_key not in best or score > best[org_key][0]:
                    best[org_key] = (score, name)
        row["enterprises"] = [n for _s, n in sorted(best.values(),
                                                    key=lambda x: (-x[0], x[1]))[:5]]
        for helper in ("slot", "cluster_id", "subsector_ids"):
            row.pop(helper, None)


def _tiers(tiers: list[str] | None) -> list[str]:
    chosen = [t.upper() for t in (tiers or ["A", "B"])]
    bad = [t for t in chosen if t not in TIER_CHOICES]
    if bad:
        raise InputError(f"分级只能是 A、B、C：{'、'.join(bad)}", f"bad tier(s) {bad}",
                         details={"parameter": "tiers", "value": ",".join(bad)})
    return chosen


@question(
    title_zh="园区差异化推介",
    description_zh="为指定园区列出与其企业技术方向相符的分级存量专利（默认A、B级），"
                   "附园区匹配分、可对接的园区企业与理由。",
    measures="§4",
    params=(
        Param("park", "str", "园区", "园区名称或编号，如 棉三创意街区、帅达", required=True),
        Param("tiers", "list", "分级", "逗号分隔，默认 A,B", default=["A", "B"]),
    ),
    columns=(
        Column("park", "园区"), Column("app_no", "申请号"), Column("title", "专利名称"),
        Column("tier", "分级"), Column("value_score", "价值分", "float"),
        Column("park_fit", "园区匹配分", "float"), Column("fields", "匹配领域", "list"),
        Column("enterprises", "可对接企业", "list"), Column("reasons", "推介理由", "list"),
    ),
    order=30,
)
def park_push_list(store: Store, *, limit: int, offset: int, park: str,
                   tiers: list[str] | None = None) -> list[dict[str, Any]]:
    """Which tiered patents should be promoted to a park, given what its enterprises do?"""
    parks, wanted = park_keys(store, park), _tiers(tiers)
    rows = _push_page(store, parks, wanted, offset=offset, limit=limit)
    if rows is None:  # beyond the first PUSH_CAP rows: the whole lists, stored compactly
        rows = _deep_push_page(store, parks, wanted, offset=offset, limit=limit)
    if rows is None:  # not derived yet (or by an older version): rank live
        ranked = store.read(PARK_PUSH_LIVE, {"parks": parks, "tiers": wanted,
                                             "offset": offset, "limit": limit})
        rows = store.read(PARK_PUSH_LIVE_ROWS, {"slots": [
            {"park_id": r["park_id"], "i": i, "app_no": r["app_no"], "park_fit": r["park_fit"]}
            for i, r in enumerate(ranked)]}) if ranked else []
        contacts = _stored_contacts(store, rows)
        if contacts is not None:  # derived: the members refresh stored, as on stored pages
            _add_contacts(rows, contacts)
        else:
            for row in rows:
                for helper in ("slot", "cluster_id", "subsector_ids"):
                    row.pop(helper, None)
            ents = {(r["app_no"], r["park_id"]): r["enterprises"] for r in store.read(
                PARK_FITTING_ENTERPRISES,
                {"rows": [{"app_no": r["app_no"], "park_id": r["park_id"]} for r in rows]})
            } if rows else {}
            for row in rows:
                row["enterprises"] = ents.get((row["app_no"], row["park_id"]), [])
    rows = with_fit_reasons(store, rows)
    for row in rows:
        row["holders"] = schema.split_items(row["holders"])  # stored joined (graph.schema)
        if row.get("tier_reasons") is not None:  # stored compactly (scoring.tier_basis)
            row["tier_reasons"] = scoring.tier_reasons(row["tier_reasons"])
        row["reasons"] = ([f"{row['tier']}级：" + "；".join(row.get("tier_reasons") or [])]
                          + list(row.get("fit_reasons") or [])
                          + ([f"园区内可对接企业：{'、'.join(row['enterprises'][:3])}"]
                             if row["enterprises"] else []))
    return rows


@question(
    title_zh="园区企业-技术集群匹配",
    description_zh="园区内哪些企业与某技术集群（或全部集群）相契合，按匹配分排列并说明理由。",
    measures="§4",
    params=(
        Param("park", "str", "园区", "园区名称或编号", required=True),
        Param("cluster", "str", "技术集群", "集群编号或名称（可部分）；留空为全部集群"),
    ),
    columns=(
        Column("park", "园区"), Column("enterprise", "企业"), Column("cluster", "技术集群"),
        Column("fit_score", "匹配分", "float"), Column("patents", "集群内专利数", "int"),
        Column("reasons", "理由", "list"),
    ),
    order=31,
)
def park_cluster_fit(store: Store, *, limit: int, offset: int, park: str,
                     cluster: str | None = None) -> list[dict[str, Any]]:
    """Which enterprises of a park fit a technology cluster?"""
    parks = park_keys(store, park)
    rows = _stored_cluster_fit(store, parks[0], offset, limit,
                               cluster_keys(store, cluster) if cluster else None) \
        if len(parks) == 1 else None
    if rows is None:
        rows = store.read(PARK_CLUSTER_FIT, {
            "parks": parks, "clusters": cluster_keys(store, cluster) if cluster else None,
            "offset": offset, "limit": limit})
    rows = with_fit_reasons(store, rows)
    for row in rows:
        row["reasons"] = list(row.pop("fit_reasons") or [])
    return rows


def _stored_cluster_fit(store: Store, park: str, offset: int, limit: int,
                        only: list[str] | None = None) -> list[dict[str, Any]] | None:
    """A page of one park's pairs (of the clusters `only`, when given), or None when not
    derived yet. From the stored first CFIT_CAP pairs when they hold the page (filtered, they
    are the first pairs of those clusters); else the pairs after them sorted on their keys."""
    whole = only is not None or offset + limit > CFIT_CAP  # all stored pairs wanted
    got = store.read(PARK_CFIT_SLICE, {"park": park, "offset": 0 if whole else offset,
                                       "end": CFIT_CAP if whole else offset + limit})
    if not got or got[0]["total"] is None:
        return None
    orgs, clusters = got[0]["orgs"] or [], got[0]["clusters"] or []
    if whole:
        keep = [i for i, c in enumerate(clusters) if only is None or c in only]
        if got[0]["total"] <= CFIT_CAP or len(keep) >= offset + limit:  # stored: the page
            keep = keep[offset:offset + limit]
            orgs, clusters = [orgs[i] for i in keep], [clusters[i] for i in keep]
        else:  # the page lies (partly) after the stored pairs
            orgs, clusters = _cfit_keys_after(store, park, only, offset, limit, orgs,
                                              clusters, len(keep))
    if not orgs:
        return []
    rows = store.read(PARK_CFIT_ROWS, {"park": park, "orgs": orgs, "clusters": clusters})
    for r in rows:
        del r["i"]
    return rows


def _cfit_keys_after(store: Store, park: str, only: list[str] | None, offset: int,
                     limit: int, orgs: list[str], clusters: list[str], before: int
                     ) -> tuple[list[str], list[str]]:
    """The (org_key, cluster_id) pairs of a page (of the clusters `only`): ranked after the
    park's last stored pair (`orgs`/`clusters`, `before` of them wanted) when the page starts
    past the stored pairs, else from the top."""
    after: dict[str, Any] = {"score": None, "org_key": None, "cluster_id": None}
    if orgs and offset >= before:
        score = store.read(PARK_CFIT_PAIR_SCORE, {"org_key": orgs[-1],
                                                  "cluster_id": clusters[-1]})
        if score and score[0]["score"] is not None:
            after = {"score": score[0]["score"], "org_key": orgs[-1],
                     "cluster_id": clusters[-1]}
    rows = store.read(PARK_CFIT_KEYS, {
        "park": park, "clusters": only, **after, "limit": limit,
        "offset": offset - before if after["score"] is not None else offset})
    return [r["org_key"] for r in rows], [r["cluster_id"] for r in rows]


def refresh_park_cluster_fit(store: Store) -> int:
    """Store each park's first CFIT_CAP (enterprise, cluster) pairs in park_cluster_fit's
    order, from the live query itself, and the count of all its pairs."""
    rows = []
    for k in store.read(ALL_PARKS):
        top = store.read(PARK_CLUSTER_FIT, {"parks": [k["park_id"]], "clusters": None,
                                            "offset": 0, "limit": CFIT_CAP},
                         timeout_ms=600_000)
        total = store.read(PARK_CFIT_COUNT, {"park": k["park_id"]}, timeout_ms=600_000)
        rows.append({"park_id": k["park_id"], "total": total[0]["n"] if total else 0,
                     "orgs": [r["org_key"] for r in top],
                     "clusters": [r["cluster_id"] for r in top]})
    store.write_batches(WRITE_PARK_CFIT, rows, batch_size=20)
    return len(rows)


@question(
    title_zh="高价值专利组合",
    description_zh="按技术集群或主导产业细分领域汇总有效专利的高价值组合：A/B级数量、"
                   "平均价值分、主要权利人与代表专利。",
    measures="§6, §7, §8",
    params=(
        Param("group_by", "enum", "汇总方式", "cluster=技术集群，subsector=主导产业细分领域",
              default="cluster", choices=("cluster", "subsector")),
        Param("cluster", "str", "技术集群", "只看某集群（编号或名称）"),
        Param("subsector", "str", "主导产业细分领域", "只看某细分领域（名称或编号）"),
    ),
    columns=(
        Column("kind", "类别"), Column("name", "名称"), Column("valid_patents", "有效专利", "int"),
        Column("tier_a", "A级", "int"), Column("tier_b", "B级", "int"),
        Column("avg_score", "平均价值分", "float"), Column("top_holders", "主要权利人", "list"),
        Column("top_patents", "代表专利", "list"), Column("reasons", "理由", "list"),
    ),
    order=40,
)
def high_value_portfolio(store: Store, *, limit: int, offset: int, group_by: str = "cluster",
                         cluster: str | None = None, subsector: str | None = None
                         ) -> list[dict[str, Any]]:
    """Where are the district's high-value patent portfolios, by cluster or subsector?"""
    if subsector or group_by == "subsector":
        keys = subsector_keys(store, subsector) if subsector else None
        rows = store.read(PORTFOLIO_BY_SUBSECTOR, {"keys": keys, "offset": offset, "limit": limit})
    else:
        keys = cluster_keys(store, cluster) if cluster else None
        rows = store.read(PORTFOLIO_BY_CLUSTER, {"keys": keys, "offset": offset, "limit": limit})
    for row in rows:
        row["reasons"] = [
            f"有效专利 {row['valid_patents']} 件，其中A级 {row['tier_a']} 件、"
            f"B级 {row['tier_b']} 件",
            f"区内权利人持有 {row.get('local_valid_patents') or 0} 件",
            f"适配企业 {row.get('fit_enterprises') or 0} 家"]
        if row.get("top_holders"):
            row["reasons"].append("主要权利人：" + "、".join(row["top_holders"]))
    return rows


def _gap_level(n: int) -> str:
    return "空白" if n == 0 else ("薄弱" if n <= 2 else "偏少")


@question(
    title_zh="产业专利短板",
    description_zh="区主导产业体系中，区内有效专利很少（不超过给定数量）的细分领域：需要"
                   "布局高价值专利组合或引进技术的方向。",
    measures="§7, §8",
    params=(
        Param("max_patents", "int", "有效专利上限", "区内有效专利不超过此数即视为短板",
              default=5, minimum=0),
    ),
    columns=(
        Column("name", "细分领域"), Column("industry_id", "编号"),
        Column("local_valid_patents", "区内有效专利", "int"),
        Column("valid_patents", "全部有效专利", "int"), Column("gap_level", "短板程度"),
        Column("parks", "聚焦园区", "list"), Column("reasons", "理由", "list"),
    ),
    order=41,
)
def industry_gaps(store: Store, *, limit: int, offset: int, max_patents: int = 5
                  ) -> list[dict[str, Any]]:
    """Which district subsectors have few valid local patents?"""
    rows = store.read(INDUSTRY_GAPS, {"max_patents": max_patents, "offset": offset,
                                      "limit": limit})
    for row in rows:
        n = row["local_valid_patents"]
        row["gap_level"] = _gap_level(n)
        row["reasons"] = [f"区内权利人有效专利仅 {n} 件（≤ {max_patents}）",
                          f"图谱中该领域有效专利共 {row['valid_patents']} 件"]
        if row["parks"]:
            row["reasons"].append("聚焦该领域的园区：" + "、".join(row["parks"]))
        if row["fit_enterprises"]:
            row["reasons"].append(f"有 {row['fit_enterprises']} 家企业与该领域相契合，存在技术需求")
    return rows


@question(
    title_zh="产业集聚区实力",
    description_zh="医疗器械产业园、金贸、鑫创等产业集聚区（或任一园区）的实力：企业数、"
                   "有效专利、A/B级专利、主要技术集群、专利密集型产品与获奖。",
    measures="§10",
    params=(Param("area", "str", "集聚区/园区", "名称（可部分）或编号；留空为全部园区"),),
    columns=(
        Column("park", "集聚区/园区"), Column("enterprises", "企业数", "int"),
        Column("valid_patents", "有效专利", "int"), Column("tier_a", "A级", "int"),
        Column("tier_b", "B级", "int"), Column("products", "专利密集型产品", "int"),
        Column("awards", "获奖", "int"), Column("top_clusters", "主要技术集群", "list"),
        Column("reasons", "说明", "list"),
    ),
    order=50,
)
def cluster_strength(store: Store, *, limit: int, offset: int, area: str | None = None
                     ) -> list[dict[str, Any]]:
    """How strong is an industrial cluster area (its enterprises, patents, products, awards)?"""
    parks = park_keys(store, area, "area") if area else None
    rows = store.read(CLUSTER_STRENGTH, {"parks": parks, "offset": offset, "limit": limit})
    for row in rows:
        row["reasons"] = [
            f"入驻企业 {row['enterprises']} 家，有效专利 {row['valid_patents']} 件",
            f"A级 {row['tier_a']} 件、B级 {row['tier_b']} 件",
            f"专利密集型产品 {row['products']} 个，获奖 {row['awards']} 项"]
        if row["top_clusters"]:
            row["reasons"].append("主要技术集群：" + "、".join(row["top_clusters"]))
    return rows


# -- §13 -----------------------------------------------------------------------------------------
def _norm_ipc(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def assess_draft(store: Store, *, title: str, ipc_codes: list[str],
                 applicant: str | None = None) -> dict[str, Any]:
    """Score a draft invention against clusters, subsectors, parks and enterprises (read only)."""
    codes = sorted({_norm_ipc(c) for c in ipc_codes if c and c.strip()})
    if not codes:
        raise InputError("请至少提供一个IPC分类号", "give at least one IPC code",
                         details={"parameter": "ipc_codes"})
    subs = sorted({subclass_of(c) for c in codes})
    rules = scoring.load_rules()
    clusters = store.read(DRAFT_CLUSTERS, {"subclasses": subs})
    subsectors = [Subsector(r["industry_id"], r.get("name") or r["industry_id"],
                            tuple(r.get("ipc_prefixes") or ()), tuple(r.get("sei_codes") or ()))
                  for r in store.read(DRAFT_SUBSECTORS)]
    sei_of_ipc: dict[str, list[str]] = {}
    for r in store.read(DRAFT_IPC_SEI, {"codes": codes + subs}):
        code = r.get("code") or str(r.get("industry_id") or "").split(":")[-1]
        sei_of_ipc.setdefault(str(r["ipc"]).upper(), []).append(code)
    in_sei = bool(sei_of_ipc)
    sub_ids = subsectors_of(codes, subsectors, sei_of_ipc)
    sub_name = {s.industry_id: s.name for s in subsectors}

    # The draft's own targets: clusters of its subclasses (main = first code) and subsectors.
    weight = Counter({c["cluster_id"]: sum(1 for m in c["members"] if m in subs)
                      for c in clusters})
    draft_targets = {("TechCluster", c) for c in weight} | {("Industry", i) for i in sub_ids}
    inputs = FitInputs(patent_targets={"draft": draft_targets})
    inputs.names.update({("TechCluster", c["cluster_id"]):
                         fit_target_name("TechCluster", c["cluster_id"], c["name"], None)
                         for c in clusters})
    inputs.names.update({("Industry", i): n for i, n in sub_name.items()})
    applicant_row = _applicant(store, applicant) if applicant else None
    fr = rules["fit"]
    own_fit = score_fit(patents={"draft"}, declared=set(), partners={}, inputs=inputs,
                        weights=fr["weights"], subject_zh="申报方案")
    matches: list[dict[str, Any]] = []
    for target, score, _, _, _, _ in own_fit:
        kind = "技术集群" if target[0] == "TechCluster" else "主导产业细分领域"
        name = inputs.names.get(target, target[1])
        matches.append({"kind": kind, "key": target[1], "name": name, "score": score,
                        "reasons": [f"拟申请发明的IPC分类属于{name}"]})
    if applicant_row:
        app_fit = _applicant_reasons(store, applicant_row, inputs, fr["weights"])
        for m in matches:
            t = ("TechCluster" if m["kind"] == "技术集群" else "Industry", m["key"])
            if t in app_fit:
                m["reasons"] = m["reasons"] + [app_fit[t]]
    fitting = [r for label in DRAFT_FITTING for r in _fitting(
        store, label, sorted(k for lab, k in draft_targets if lab == label))]
    def _target_name(key: str) -> str:
        return inputs.names.get(("TechCluster", key)) or sub_name.get(key, key)

    best: dict[tuple[str, str], dict[str, Any]] = {}
    for r in fitting:
        k = (r["label"], r["key"])
        if k not in best or r["score"] > best[k]["score"]:
            best[k] = r
    for (label, key), r in best.items():
        matches.append({"kind": "园区" if label == "Park" else "企业", "key": key,
                        "name": r["name"], "score": r["score"],
                        "reasons": [f"与{_target_name(r['target'])}相契合"]
                                   + list(r.get("reasons") or [])[:2]})
    matches.sort(key=lambda m: (-m["score"], m["kind"], m["key"]))

    # A provisional value score from what a draft can show: type, IPC scope, industry fit.
    facts = scoring.Facts(app_no="draft", patent_type="invention", is_valid=None,
                          ipc_subclasses=subs, in_sei=in_sei,
                          subsectors=[sub_name[i] for i in sub_ids])
    comps = {k: v for k, v in scoring.components(facts, rules).items()
             if k in ("patent_type", "ipc_scope", "industry_fit")}
    score, _ = scoring.value_score(comps)
    reasons = [f"覆盖 {len(subs)} 个IPC小类：{'、'.join(subs)}"]
    reasons.append("契合主导产业：" + "、".join(sub_name[i] for i in sub_ids) if sub_ids
                   else "未匹配区主导产业细分领域")
    if in_sei:
        reasons.append("属于战略性新兴产业")
    if not clusters:
        reasons.append("区内尚无同类技术集群，属新方向或短板领域")
    if applicant and not applicant_row:
        reasons.append(f"图谱中未找到申请人“{applicant}”")
    return {"title": title, "ipc_codes": codes, "applicant": applicant_row,
            "prospect_score": score, "in_sei": in_sei,
            "clusters": [{"cluster_id": c["cluster_id"], "name": c["name"]} for c in clusters],
            "subsectors": [{"industry_id": i, "name": sub_name[i]} for i in sub_ids],
            "matches": matches, "reasons": reasons}


@question(
    title_zh="申请前评估",
    description_zh="对拟申请的发明（名称、IPC分类号、申请人）按与存量专利相同的匹配逻辑评估："
                   "所属技术集群、主导产业细分领域、相契合的园区与企业。只读，不写入图谱。",
    measures="§13",
    params=(
        Param("title", "str", "发明名称", required=True),
        Param("ipc_codes", "list", "IPC分类号", "逗号分隔，如 A61B5/00,G16H50/20", required=True),
        Param("applicant", "str", "申请人", "科研机构或企业名称"),
    ),
    columns=(
        Column("kind", "类别"), Column("name", "名称"), Column("score", "匹配分", "float"),
        Column("reasons", "理由", "list"),
    ),
    order=60,
)
def pre_application_assessment(store: Store, *, limit: int, offset: int, title: str,
                               ipc_codes: list[str], applicant: str | None = None
                               ) -> list[dict[str, Any]]:
    """Where would a draft invention fit (clusters, subsectors, parks, enterprises), and why?"""
    result = assess_draft(store, title=title, ipc_codes=ipc_codes, applicant=applicant)
    # The match list is small and sorted deterministically above, so paging slices it.
    return result["matches"][offset:offset + limit]
