"""Derived knowledge computed after each load: value scores and tiers, clusters, fit edges.

`refresh(store)` reads the loaded graph (patent table plus edge counts), computes in Python
(scoring.py, clusters.py, fit.py) and writes the results back in batches. Re-running it on the
same graph gives the same properties and the same derived edges: derived edges and clusters
are deleted first, in batches, and written again.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import numpy as np

from graph import schema
from graph.props import clear_props, present, set_cypher, write_props
from graph.store import Store
from queries import scoring
from queries._ops_util import TIER_RANK
from queries.clusters import (
    Subsector,
    SubsectorMatcher,
    cluster_industry_shares,
    detect_clusters,
)
from queries.finance import INSURE_MIN_CITATIONS, INSURE_MIN_SCORE, insure_code
from queries.fit import FitInputs, compute_fits, fit_target_name
from queries.inventory import STOCK_CAP, STOCK_LIST_OF
from queries.matching import POS_SPAN, TIER_CODE, rank_matches
from queries.portfolio import PUSH_CAP, PUSH_CHUNK, PUSH_TIERS
from queries.products import FILED_STATUSES, PRIORITY_TAGS

PAGE = 50_000  # patents per read of the patent table
BATCH = 2_000
PATENT_BATCH = 5_000  # changed-property rows per write


def _post_steps() -> list[Callable[[Store], object]]:
    """Precomputations that run after every derived property above is written, each owned by
    the module whose questions read it (one line per step; each takes the store)."""
    from queries import conversion, explore, licensing, overseas, portfolio

    return [
        licensing.refresh_open_licence,
        conversion.refresh_conversion,
        portfolio.refresh_draft_fitting,
        portfolio.refresh_park_cluster_fit,
        overseas.refresh_overseas_patents,
        explore.store_profile_links,
    ]


POST_STEPS = _post_steps()

# -- reads ------------------------------------------------------------------------------------
# The keys once, then pages of them by `IN $keys` (an index lookup on the unique app_no):
# each read stays small at a million patents. (Keyset paging, `app_no > $after ORDER BY
# app_no LIMIT`, sorted the rest of the range per page and has been seen to skip keys on
# FalkorDB 4.16 string ranges.)
PATENT_KEYS = "MATCH (p:Patent) RETURN p.app_no AS app_no"
PATENT_PAGE = """
MATCH (p:Patent) WHERE p.app_no IN $keys
RETURN p.app_no AS app_no, p.patent_type AS patent_type, p.is_valid AS is_valid,
       p.legal_status AS legal_status, p.grant_date AS grant_date,
       p.remaining_years AS remaining_years, p.years_maintained AS years_maintained,
       p.has_family_abroad AS has_family_abroad, p.family_size AS family_size,
       p.invalidation AS invalidation, p.ipc_main AS ipc_main, p.ipc_codes AS ipc_codes,
       p.cited_by_count AS cited_by_count,
       p.claims_count AS claims_count, p.licence_count AS licence_count,
       p.transfer_count AS transfer_count, p.pledge_count AS pledge_count, p.in_sei AS in_sei
"""
LICENCE_EDGES = """
MATCH (p:Patent)-[:LICENSED_UNDER]->(l:Licence) RETURN p.app_no AS app_no, count(l) AS n
"""
TRANSFER_EDGES = """
MATCH (p:Patent)-[:TRANSFERRED_IN]->(t:Transfer) RETURN p.app_no AS app_no, count(t) AS n
"""
PLEDGE_EDGES = """
MATCH (p:Patent)-[:PLEDGED_IN]->(g:Pledge) RETURN p.app_no AS app_no, g.amount AS amount
ORDER BY app_no, amount
"""
PRODUCT_EDGES = """
MATCH (pr:Product)-[:USES]->(p:Patent) RETURN p.app_no AS app_no, count(pr) AS n
"""
AWARD_EDGES = """
MATCH (p:Patent)-[:WON]->(a:Award)
RETURN p.app_no AS app_no, a.name AS name, a.level AS level, a.kind AS kind, a.year AS year
ORDER BY app_no, name
"""
REGISTRY_SIZES = """
OPTIONAL MATCH (pr:Product) WITH count(pr) AS products
OPTIONAL MATCH (a:Award) RETURN products, count(a) AS awards
"""
SUBCLASS_TITLES = """
MATCH (i:IPC) WHERE i.level = 'subclass' RETURN i.code AS code, i.title_zh AS title
"""
IPC_SEI = """
MATCH (i:IPC)-[:MAPS_TO]->(s:Industry)
RETURN i.code AS ipc, s.industry_id AS industry_id, s.code AS code
"""
DISTRICT_SUBSECTORS = """
MATCH (s:Industry) WHERE s.source = 'district'
RETURN s.industry_id AS industry_id, s.name AS name, s.ipc_prefixes AS ipc_prefixes,
       s.sei_codes AS sei_codes, s.parent_id AS parent_id
ORDER BY industry_id
"""
INDUSTRY_PARENTS = """
MATCH (s:Industry)-[:SUBSECTOR_OF]->(t:Industry)
RETURN s.industry_id AS child, t.industry_id AS parent
"""
# Applicants and holders: two narrow reads per label (a row per patent and organisation) and
# the organisations' names once, instead of repeating the name on every patent row.
ORG_PATENTS = {  # (label, relationship type) -> Cypher; labels and types are fixed here
    ("Enterprise", "APPLIED_BY"): """
MATCH (p:Patent)-[:APPLIED_BY]->(o:Enterprise) RETURN o.org_key AS org_key, p.app_no AS app_no
""",
    ("Enterprise", "OWNED_BY"): """
MATCH (p:Patent)-[:OWNED_BY]->(o:Enterprise) RETURN o.org_key AS org_key, p.app_no AS app_no
""",
    ("Institute", "APPLIED_BY"): """
MATCH (p:Patent)-[:APPLIED_BY]->(o:Institute) RETURN o.org_key AS org_key, p.app_no AS app_no
""",
    ("Institute", "OWNED_BY"): """
MATCH (p:Patent)-[:OWNED_BY]->(o:Institute) RETURN o.org_key AS org_key, p.app_no AS app_no
""",
}
ORG_NAMES = {
    "Enterprise": """
MATCH (o:Enterprise) RETURN o.org_key AS org_key, o.name AS name, o.in_registry AS local
""",
    "Institute": """
MATCH (o:Institute)
RETURN o.org_key AS org_key, o.name AS name, o.resident_in_district AS local
""",
}
ENTERPRISE_PRODUCTS = """
MATCH (e:Enterprise)-[:MAKES]->(pr:Product) RETURN e.org_key AS org_key, pr.product_id AS product_id
"""
ENTERPRISE_AWARDS = """
MATCH (e:Enterprise)-[:WON]->(a:Award) RETURN e.org_key AS org_key, a.award_id AS award_id
"""
PATENT_AWARDS = """
MATCH (p:Patent)-[:WON]->(a:Award) RETURN p.app_no AS app_no, a.award_id AS award_id
"""
ENTERPRISE_INDUSTRIES = """
MATCH (e:Enterprise)-[:IN_INDUSTRY]->(s:Industry)
RETURN e.org_key AS org_key, s.industry_id AS industry_id
"""
PARK_ENTERPRISES = """
MATCH (e:Enterprise)-[:LOCATED_IN]->(k:Park) RETURN k.park_id AS park_id, e.org_key AS org_key
ORDER BY park_id, org_key
"""
ALL_PARKS = "MATCH (k:Park) RETURN k.park_id AS park_id ORDER BY park_id"
PARK_INDUSTRIES = """
MATCH (k:Park)-[:FOCUSES_ON]->(s:Industry) RETURN k.park_id AS park_id, s.industry_id AS industry_id
"""

# -- writes -----------------------------------------------------------------------------------
DELETE_DERIVED_EDGES = {
    # Relationship types come from this fixed table, never from input.
    "IN_CLUSTER": "MATCH (:Patent)-[r:IN_CLUSTER]->() WITH r LIMIT $n DELETE r",
    "IN_INDUSTRY_OF": "MATCH (:Patent)-[r:IN_INDUSTRY_OF]->() WITH r LIMIT $n DELETE r",
    "FITS": "MATCH ()-[r:FITS]->() WITH r LIMIT $n DELETE r",
    "CO_APPLIED_WITH": "MATCH (:Institute)-[r:CO_APPLIED_WITH]->() WITH r LIMIT $n DELETE r",
}
DELETE_CLUSTERS = "MATCH (c:TechCluster) WITH c LIMIT $n DETACH DELETE c"
# The derived Patent properties, in the order of DERIVED_PAGE's columns.
PATENT_DERIVED = (
    "value_score", "value_components", "value_strengths", "value_missing_share", "tier",
    "tier_basis", "cluster_id", "subsector_ids", "fit_enterprises", "prospect_level",
    "prospect_counts",
    "match_keys", "match_scores",
    "match_best", "match_pos", "stock_institutes", "stock_pos", "stock_valid_pos", "stock_tier_pos",
    "stock_tier_valid_pos", "insure_enforce_pos", "insure_loss_pos", "insure_loss_all_pos",
    "insure_signals", "award_pos", "push_rank")
# Derived Patent properties older refreshes stored and this one no longer does (the tier
# reasons and prospect notes are built at read time from tier_basis and prospect_counts, the
# rules version is stored once on the DataVersion node, the cluster's and subsectors' names
# are read from their nodes): the first refresh of a graph derived by an older version removes
# them, one property per statement (graph.props: FalkorDB before 4.20 removes the wrong
# attributes when one statement removes several properties of a node).
PATENT_RETIRED = ("tier_reasons", "tier_rules_version", "prospects", "cluster_name",
                  "subsectors")
# Whether any patent carries a derived property (a graph never derived has nothing to compare).
DERIVED_PROBE = """
MATCH (p:Patent)
WHERE p.value_score IS NOT NULL OR p.value_components IS NOT NULL
   OR p.value_strengths IS NOT NULL
   OR p.value_missing_share IS NOT NULL OR p.tier IS NOT NULL OR p.tier_reasons IS NOT NULL
   OR p.tier_rules_version IS NOT NULL OR p.tier_basis IS NOT NULL OR p.cluster_id IS NOT NULL
   OR p.cluster_name IS NOT NULL OR p.subsector_ids IS NOT NULL OR p.subsectors IS NOT NULL
   OR p.fit_enterprises IS NOT NULL OR p.prospect_level IS NOT NULL
   OR p.prospects IS NOT NULL OR p.prospect_counts IS NOT NULL
   OR p.match_keys IS NOT NULL OR p.match_scores IS NOT NULL
   OR p.match_best IS NOT NULL OR p.match_pos IS NOT NULL OR p.stock_institutes IS NOT NULL
   OR p.stock_pos IS NOT NULL OR p.stock_valid_pos IS NOT NULL OR p.stock_tier_pos IS NOT NULL
   OR p.stock_tier_valid_pos IS NOT NULL OR p.insure_enforce_pos IS NOT NULL
   OR p.insure_loss_pos IS NOT NULL OR p.insure_loss_all_pos IS NOT NULL
   OR p.insure_signals IS NOT NULL OR p.award_pos IS NOT NULL OR p.push_rank IS NOT NULL
RETURN p.app_no AS app_no LIMIT 1
"""
# Only the properties a patent lacks, or whose value changes, are written: FalkorDB re-indexes
# a node's full-text document on every SET, even of an unchanged or unindexed property
# (~0.5 ms a patent), so a refresh of a derived graph lets the server skip the patents whose
# stored values all equal the new ones (compared null-safely) instead of reading them back.
# Both send only the non-null values (a missing key reads as null): the properties a patent
# loses are removed by graph.props.clear_props, one per statement, only where present.
# (a graph never derived: graph.props.set_cypher("Patent"), the same rows)
WRITE_PATENT_CHANGED = """
UNWIND $rows AS r
MATCH (p:Patent {app_no: r.k})
WITH p, r.p AS n
WHERE NOT (""" + "\n  AND ".join(  # n, not r.p.x: FalkorDB copies the map per access
    f"coalesce(p.{k} = n.{k}, p.{k} IS NULL AND n.{k} IS NULL)"
    for k in PATENT_DERIVED + PATENT_RETIRED) + """)
SET p += n
"""
WRITE_CLUSTERS = """
UNWIND $rows AS r
MERGE (c:TechCluster {cluster_id: r.cluster_id})
SET c.name = r.name, c.top_ipc = r.top_ipc, c.members = r.members, c.size = r.size,
    c.method = r.method, c.version = r.version
"""
WRITE_IN_CLUSTER = """
UNWIND $rows AS r
MATCH (p:Patent {app_no: r.app_no})
MATCH (c:TechCluster {cluster_id: r.cluster_id})
MERGE (p)-[:IN_CLUSTER]->(c)
"""
WRITE_IN_INDUSTRY_OF = """
UNWIND $rows AS r
MATCH (p:Patent {app_no: r.app_no})
MATCH (s:Industry {industry_id: r.industry_id})
MERGE (p)-[:IN_INDUSTRY_OF]->(s)
"""
WRITE_CO_APPLIED = """
UNWIND $rows AS r
MATCH (i:Institute {org_key: r.institute})
MATCH (e:Enterprise {org_key: r.enterprise})
MERGE (i)-[c:CO_APPLIED_WITH]->(e)
SET c.patents = r.patents, c.app_nos = r.app_nos
"""
# One statement per (source label, target label) pair: labels are fixed here, not input; the
# properties are the schema's FITS properties.
WRITE_FITS = {
    (src, tgt): f"""
UNWIND $rows AS r
MATCH (s:{src} {{{schema.key_of(src)}: r.src}}) MATCH (t:{tgt} {{{schema.key_of(tgt)}: r.tgt}})
MERGE (s)-[f:FITS]->(t)
SET """ + ", ".join(f"f.{p} = r.{p}" for p in schema.REL_BY_TYPE["FITS"].properties) + "\n"
    for src in ("Enterprise", "Park") for tgt in ("TechCluster", "Industry")}

ENTERPRISE_DERIVED_PROPS = (
    "ipc_groups", "ipc_subclasses", "patent_count", "valid_patents",)
GROUP_STATS_PROPS = (
    "valid_patents", "tier_a", "tier_b", "avg_score", "top_holders", "top_patents",
    "local_valid_patents", "fit_enterprises",)
PARK_STATS_PROPS = (
    "enterprises", "valid_patents", "tier_a", "tier_b", "products", "awards", "top_clusters",
    "top_cluster_ids",)
# The §4 push list of each park, ranked once (tiers concatenated A, B, C; each capped at
# PUSH_CAP): the question reads a page by list position instead of ranking at query time.
PARK_PUSH_PROPS = (
    "push_apps", "push_fits", "push_starts", "push_totals", "push_fit_ents", "push_deep",
    "push_chunks",)
PARK_MEMBER_NAMES = """
MATCH (e:Enterprise)-[:LOCATED_IN]->(:Park) RETURN DISTINCT e.org_key AS org_key, e.name AS name
"""
# Per-enterprise counts and page positions of the roadshow (§5) and pledge (§19) questions:
# *_pos ranks every enterprise, *_valid_pos only those owning a valid patent (the default
# minimum of 1), both 1-based, so the default pages are one index range.
ENTERPRISE_TAGS_READ = """
MATCH (e:Enterprise) RETURN e.org_key AS org_key, e.tags AS tags, e.overseas AS overseas
"""
ENTERPRISE_TRADEMARKS = """
MATCH (e:Enterprise)-[:OWNS_TM]->(t:Trademark)
WHERE t.valid_until IS NULL OR t.valid_until >= $today
RETURN e.org_key AS org_key, count(t) AS n
"""
AWARD_NAMES = "MATCH (a:Award) RETURN a.award_id AS award_id, a.name AS name"
ENTERPRISE_COPYRIGHTS = """
MATCH (e:Enterprise)-[:OWNS_CR]->(c:Copyright) RETURN e.org_key AS org_key, count(c) AS n
"""
ENTERPRISE_RANKS_PROPS = (
    "owned_valid", "owned_tier_ab", "award_count", "trademarks", "copyrights", "ranks_date",
    "owned_tiers", "owned_top", "award_names", "roadshow_pos", "roadshow_valid_pos",
    "pledge_pos", "pledge_valid_pos", "abroad_count", "abroad_valid_count", "abroad_family",
    "abroad_valid_family", "abroad_top", "abroad_valid_top", "overseas_pos",
    "overseas_valid_pos", "valid_inventions", "invention_top", "filed_product",
    "product_cand_pos",)
# Per-product counts of the §9 filing question (valid patents a product uses, the best five).
PRODUCT_USES = """
MATCH (pr:Product)-[:USES]->(p:Patent) RETURN pr.product_id AS product_id, p.app_no AS app_no
"""
PRODUCT_STATUS = """
MATCH (pr:Product) RETURN pr.product_id AS product_id, pr.filing_status AS filing_status
"""
PRODUCT_COUNTS_PROPS = (
    "valid_uses", "valid_use_inventions", "use_top",)

CLUSTER_METHOD = "louvain-ipc-subclass-cooccurrence"


def _patent_rows(store: Store) -> Iterator[dict[str, Any]]:
    """The patent table in app_no order (cluster detection depends on the order it sees)."""
    keys = sorted(r["app_no"] for r in store.read(PATENT_KEYS) if r["app_no"] is not None)
    for i in range(0, len(keys), PAGE):
        yield from sorted(store.read(PATENT_PAGE, {"keys": keys[i:i + PAGE]}),
                          key=lambda r: r["app_no"])


def _org_patents(store: Store, label: str) -> list[dict[str, Any]]:
    """Rows {org_key, name, app_no, rel (APPLIED_BY | OWNED_BY), local} of one label."""
    names = {r["org_key"]: (r.get("name"), r.get("local")) for r in store.read(ORG_NAMES[label])}
    rows = []
    for rel in ("APPLIED_BY", "OWNED_BY"):
        for r in store.read(ORG_PATENTS[(label, rel)]):
            name, local = names.get(r["org_key"], (None, None))
            rows.append({"org_key": r["org_key"], "name": name, "app_no": r["app_no"],
                         "rel": rel, "local": local})
    return rows


def _patent_updates(store: Store, rows: list[dict[str, Any]], *, derived: bool) -> int:
    """Write the derived properties of every patent row (`derived`: the graph was derived
    before, so compare and skip unchanged patents); returns the properties set."""
    # only the non-null values (a missing key reads as null in the comparison); the derived
    # properties a patent loses are removed by clear_props, one per statement
    summary = store.write_batches(WRITE_PATENT_CHANGED if derived else set_cypher("Patent"), (
        {"k": row["app_no"], "p": present(row, PATENT_DERIVED)} for row in rows),
        batch_size=PATENT_BATCH)
    return summary.properties_set


def _delete_all(store: Store, cypher: str, n: int = 10_000) -> int:
    """Delete in batches so a million derived edges never sit in one transaction."""
    total = 0
    while True:
        summary = store.write(cypher, {"n": n})
        deleted = summary.relationships_deleted + summary.nodes_deleted
        total += deleted
        if deleted == 0:
            return total


def _sei_code(industry_id: str | None, code: str | None) -> str | None:
    if code:
        return str(code)
    if industry_id and ":" in industry_id:
        return industry_id.split(":", 1)[1]
    return industry_id


def _uses(f: scoring.Facts) -> int:
    """Licences + transfers of a patent (the larger of the export's count and the edges)."""
    return max(f.licence_edges, int(f.licence_count or 0)) + max(
        f.transfer_edges, int(f.transfer_count or 0))


def _positions(order: list[str], tier_of: dict[str, str], sizes: dict[str, int] | None = None,
               *, by_tier: bool) -> dict[str, int]:
    """Page positions of an ordered list: 1 + the count of rows (``sizes``, default 1 each)
    listed before each item, within its tier (offset by TIER_CODE * POS_SPAN) or overall.

    1-based: FalkorDB 4.x range-index scans have been seen to drop a value equal to 0 at an
    inclusive lower bound of 0."""
    out: dict[str, int] = {}
    seen: dict[str, int] = defaultdict(lambda: 1)
    for a in order:
        group = tier_of[a] if by_tier else ""
        out[a] = (TIER_CODE[group] * POS_SPAN if by_tier else 0) + seen[group]
        seen[group] += sizes[a] if sizes else 1
    return out


def refresh(store: Store, *, rules: dict[str, Any] | None = None) -> dict[str, Any]:
    """Recompute every derived property and edge from the loaded graph (idempotent)."""
    started = time.perf_counter()
    steps: dict[str, float] = {}  # seconds per step, in the summary (find a slow one)
    cpu: dict[str, float] = {}  # this process's CPU seconds per step (the rest is the store)
    mark = [started, time.process_time()]

    def lap(step: str) -> None:
        now, now_cpu = time.perf_counter(), time.process_time()
        steps[step] = round(now - mark[0], 2)
        cpu[step] = round(now_cpu - mark[1], 2)
        mark[0], mark[1] = now, now_cpu

    store.ensure_schema()  # indexes the derived properties need (idempotent)
    rules = rules or scoring.load_rules()
    version = str(rules["version"])

    # -- read ---------------------------------------------------------------------------
    facts: dict[str, scoring.Facts] = {}
    ipc_of: dict[str, tuple[str | None, list[str]]] = {}
    strings: dict[str, str] = {}  # one copy of each repeated string (codes, statuses, dates)

    def one(v: Any) -> Any:
        return strings.setdefault(v, v) if type(v) is str else v

    for r in _patent_rows(store):
        codes = [one(c) for c in (r.get("ipc_codes") or []) if c]
        subs = schema.ipc_subclasses(codes)  # computed, not stored (graph.schema)
        facts[r["app_no"]] = scoring.Facts(
            app_no=r["app_no"], patent_type=one(r.get("patent_type")), is_valid=r.get("is_valid"),
            legal_status=one(r.get("legal_status")), grant_date=one(r.get("grant_date")),
            remaining_years=r.get("remaining_years"), years_maintained=r.get("years_maintained"),
            has_family_abroad=r.get("has_family_abroad"), family_size=r.get("family_size"),
            invalidation=one(r.get("invalidation")), ipc_subclasses=[one(c) for c in subs],
            cited_by_count=r.get("cited_by_count"), claims_count=r.get("claims_count"),
            licence_count=r.get("licence_count"), transfer_count=r.get("transfer_count"),
            pledge_count=r.get("pledge_count"), in_sei=r.get("in_sei"))
        main = one(r.get("ipc_main"))
        ipc_of[r["app_no"]] = (main, sorted(set(codes) | ({main} if main else set())))

    def edge_counts(cypher: str) -> dict[str, int]:
        return {r["app_no"]: int(r["n"]) for r in store.read(cypher)}

    for app_no, n in edge_counts(LICENCE_EDGES).items():
        if app_no in facts:
            facts[app_no].licence_edges = n
    for app_no, n in edge_counts(TRANSFER_EDGES).items():
        if app_no in facts:
            facts[app_no].transfer_edges = n
    for app_no, n in edge_counts(PRODUCT_EDGES).items():
        if app_no in facts:
            facts[app_no].products = n
    for r in store.read(PLEDGE_EDGES):
        if r["app_no"] in facts:
            facts[r["app_no"]].pledge_amounts.append(r.get("amount"))
    award_rows = store.read(AWARD_EDGES)
    for r in award_rows:
        if r["app_no"] in facts:
            facts[r["app_no"]].awards.append(
                {"name": r.get("name"), "level": r.get("level"), "kind": r.get("kind")})
    sizes = store.read(REGISTRY_SIZES)[0]
    has_products, has_awards = bool(sizes["products"]), bool(sizes["awards"])
    for f in facts.values():
        f.has_product_registry, f.has_award_registry = has_products, has_awards

    titles = {r["code"]: r["title"] for r in store.read(SUBCLASS_TITLES)}
    sei_of_ipc: dict[str, list[str]] = defaultdict(list)
    for r in store.read(IPC_SEI):
        code = _sei_code(r.get("industry_id"), r.get("code"))
        if code:
            sei_of_ipc[str(r["ipc"]).upper()].append(code)
    # The CNIPA concordance lists some subclasses whole (e.g. G16H -> 1.5, no main groups): a
    # patent whose main group OR subclass maps is in a strategic emerging industry (tier-A
    # criterion), whatever the load-time `in_sei` flag, which looks at main groups only.
    for app_no, (_, codes) in ipc_of.items():
        if facts[app_no].in_sei is not True and any(
                sei_of_ipc.get(key) for c in codes for key in (c.upper(), c[:4].upper())):
            facts[app_no].in_sei = True
    subsectors = [Subsector(r["industry_id"], r.get("name") or r["industry_id"],
                            tuple(r.get("ipc_prefixes") or ()), tuple(r.get("sei_codes") or ()),
                            r.get("parent_id"))
                  for r in store.read(DISTRICT_SUBSECTORS)]
    subsector_name = {s.industry_id: s.name for s in subsectors}
    strings.clear()
    lap("read_patents")

    # -- clusters and subsectors ---------------------------------------------------------
    cl = rules["clusters"]
    clusters, assignment = detect_clusters(
        ipc_of, titles, seed=int(cl["seed"]), resolution=float(cl["resolution"]),
        name_subclasses=int(cl["name_subclasses"]), top_ipc=int(cl["top_ipc"]),
        title_chars=int(cl["title_chars"]))
    cluster_name = {c.cluster_id: c.name for c in clusters}
    patent_subsectors: dict[str, list[str]] = {}
    if subsectors:
        matcher = SubsectorMatcher(subsectors, sei_of_ipc)
        for app_no in sorted(ipc_of):
            ids = matcher(ipc_of[app_no][1])
            if ids:
                patent_subsectors[app_no] = ids
    for app_no, ids in patent_subsectors.items():
        facts[app_no].subsectors = [subsector_name[i] for i in ids]
    lap("clusters_subsectors")

    # -- fit ------------------------------------------------------------------------------
    fr = rules["fit"]
    inputs = FitInputs()
    for app_no in facts:
        targets = {("Industry", i) for i in patent_subsectors.get(app_no, ())}
        if app_no in assignment:
            targets.add(("TechCluster", assignment[app_no]))
        if targets:
            inputs.patent_targets[app_no] = targets
    applied_ent: dict[str, set[str]] = defaultdict(set)
    # holders: current owners (OWNED_BY) when known, else the applicants
    owners: dict[str, set[tuple[str, str, bool]]] = defaultdict(set)
    applicants: dict[str, set[tuple[str, str, bool]]] = defaultdict(set)
    ent_owned: dict[str, set[str]] = defaultdict(set)  # OWNED_BY only: the finance questions
    for r in _org_patents(store, "Enterprise"):
        inputs.enterprise_patents.setdefault(r["org_key"], set()).add(r["app_no"])
        holder = (r["org_key"], r.get("name") or r["org_key"], r.get("local") is True)
        if r["rel"] == "APPLIED_BY":
            applied_ent[r["app_no"]].add(r["org_key"])
            applicants[r["app_no"]].add(holder)
        else:
            owners[r["app_no"]].add(holder)
            ent_owned[r["org_key"]].add(r["app_no"])
    applied_inst: dict[str, set[str]] = defaultdict(set)
    inst_rows = _org_patents(store, "Institute")
    for r in inst_rows:
        inputs.institute_patents.setdefault(r["org_key"], set()).add(r["app_no"])
        inputs.names[("Institute", r["org_key"])] = r.get("name") or r["org_key"]
        holder = (r["org_key"], r.get("name") or r["org_key"], r.get("local") is True)
        if r["rel"] == "APPLIED_BY":
            applied_inst[r["app_no"]].add(r["org_key"])
            applicants[r["app_no"]].add(holder)
        else:
            owners[r["app_no"]].add(holder)
    co_app: dict[tuple[str, str], set[str]] = defaultdict(set)
    for app_no in sorted(set(applied_ent) & set(applied_inst)):
        for inst in applied_inst[app_no]:
            for ent in applied_ent[app_no]:
                co_app[(inst, ent)].add(app_no)
    for (inst, ent), pats in co_app.items():
        inputs.co_applications.setdefault(ent, {})[inst] = pats
    for r in store.read(ENTERPRISE_INDUSTRIES):
        inputs.enterprise_industries.setdefault(r["org_key"], set()).add(r["industry_id"])
    for r in store.read(PARK_ENTERPRISES):
        inputs.park_enterprises.setdefault(r["park_id"], []).append(r["org_key"])
    for members in inputs.park_enterprises.values():
        members.sort()
    for r in store.read(PARK_INDUSTRIES):
        inputs.park_industries.setdefault(r["park_id"], set()).add(r["industry_id"])
    for r in store.read(INDUSTRY_PARENTS):
        child, parent = r["child"], r["parent"]
        inputs.related_industries.setdefault(child, {child}).add(parent)
        inputs.related_industries.setdefault(parent, {parent}).add(child)
    shares = cluster_industry_shares(assignment, patent_subsectors)
    inputs.cluster_industries = {
        cid: {i for i, s in inds.items() if s >= float(fr["cluster_industry_share"])}
        for cid, inds in shares.items()}
    inputs.names.update({("TechCluster", c.cluster_id):
                         fit_target_name("TechCluster", c.cluster_id, c.name, None)
                         for c in clusters})
    inputs.names.update({("Industry", s.industry_id): s.name for s in subsectors})
    fits = compute_fits(inputs, fr["weights"], float(fr["min_score"]))

    # enterprises fitting a patent's cluster or subsectors: the push audience size
    fit_count: dict[tuple[str, str], int] = defaultdict(int)
    for fit in fits:
        if fit.source_label == "Enterprise":
            fit_count[(fit.target_label, fit.target_key)] += 1
    lap("fit")

    # -- scores and tiers -----------------------------------------------------------------
    patent_rows: list[dict[str, Any]] = []
    tier_counts: dict[str, int] = defaultdict(int)
    scorer = scoring.Scorer(rules)
    for app_no in sorted(facts):
        f = facts[app_no]
        comps, strengths, score, missing = scorer.score(f)
        tier, basis = scoring.tier_basis(f, score, rules)
        tier_counts[tier] += 1
        sub_ids = patent_subsectors.get(app_no, [])
        audience = max([fit_count.get(t, 0) for t in inputs.patent_targets.get(app_no, ())],
                       default=0)
        uses = _uses(f)
        level, _ = scoring.prospect(tier, uses, f.products, f.subsectors, audience)
        cid = assignment.get(app_no)
        patent_rows.append({
            "app_no": app_no, "value_score": score,
            "value_components": comps, "value_strengths": strengths or None,
            "value_missing_share": missing, "tier": tier, "tier_basis": basis,
            "cluster_id": cid, "subsector_ids": sub_ids,
            "fit_enterprises": audience, "prospect_level": level,
            # the note's counts (scoring.prospect_note), stored only when not both 0 (nearly
            # all are): "<licences + transfers>,<products>"
            "prospect_counts": f"{uses},{f.products}" if uses or f.products else None})
    lap("scores_tiers")

    # -- precomputed push lists ----------------------------------------------------------
    _add_matches_and_stock(patent_rows, facts, rules, inputs=inputs, fits=fits, ipc_of=ipc_of,
                           owners=owners, inst_rows=inst_rows)
    lap("matches_stock")
    _add_insurance_positions(patent_rows, facts)
    _add_push_ranks(patent_rows, facts)
    award_pos = _award_positions([r for r in award_rows if r["app_no"] in facts])
    for row in patent_rows:
        row["award_pos"] = award_pos.get(row["app_no"])

    # -- aggregates on enterprises, clusters, subsectors and parks (so questions read
    #    one node instead of aggregating a million patents at query time) -------------------
    tier_of = {r["app_no"]: r["tier"] for r in patent_rows}
    score_of = {r["app_no"]: r["value_score"] for r in patent_rows}
    holders = {a: owners.get(a) or applicants.get(a) or set() for a in facts}
    enterprise_rows = []
    for ent, pats in sorted(inputs.enterprise_patents.items()):
        groups: Counter[str] = Counter()
        subclasses: Counter[str] = Counter()
        for a in pats:
            codes = ipc_of.get(a, (None, []))[1]
            groups.update({c for c in codes if "/" in c})
            subclasses.update({c[:4] for c in codes})
        enterprise_rows.append({
            "org_key": ent, "patent_count": len(pats),
            "valid_patents": sum(1 for a in pats if facts[a].is_valid is True),
            "ipc_groups": [c for c, _ in sorted(groups.items(), key=lambda x: (-x[1], x[0]))][:100],
            "ipc_subclasses": [c for c, _ in sorted(subclasses.items(),
                                                    key=lambda x: (-x[1], x[0]))][:50]})

    def group_stats(members: dict[str, list[str]], kind: str) -> list[dict[str, Any]]:
        rows = []
        for key, pats in sorted(members.items()):
            valid = sorted((a for a in pats if facts[a].is_valid is True),
                           key=lambda a: (-score_of[a], a))
            names: Counter[str] = Counter()
            for a in valid:
                if tier_of[a] in ("A", "B"):
                    names.update({h[1] for h in holders[a]})
            rows.append({
                "key": key, "valid_patents": len(valid),
                "tier_a": sum(1 for a in valid if tier_of[a] == "A"),
                "tier_b": sum(1 for a in valid if tier_of[a] == "B"),
                "avg_score": (round(sum(score_of[a] for a in valid) / len(valid), 2)
                              if valid else None),
                "top_holders": [f"{n}（{c}件）" for n, c in
                                sorted(names.items(), key=lambda x: (-x[1], x[0]))[:3]],
                "top_patents": valid[:5],
                "local_valid_patents": sum(1 for a in valid if any(h[2] for h in holders[a])),
                "fit_enterprises": fit_count.get((kind, key), 0)})
        return rows

    cluster_members: dict[str, list[str]] = defaultdict(list)
    for a, cid in assignment.items():
        cluster_members[cid].append(a)
    industry_members: dict[str, list[str]] = {s.industry_id: [] for s in subsectors}
    for a, ids in patent_subsectors.items():
        for i in ids:
            industry_members[i].append(a)
    ent_products: dict[str, set[str]] = defaultdict(set)
    for r in store.read(ENTERPRISE_PRODUCTS):
        ent_products[r["org_key"]].add(r["product_id"])
    ent_awards: dict[str, set[str]] = defaultdict(set)
    for r in store.read(ENTERPRISE_AWARDS):
        ent_awards[r["org_key"]].add(r["award_id"])
    patent_awards: dict[str, set[str]] = defaultdict(set)
    for r in store.read(PATENT_AWARDS):
        patent_awards[r["app_no"]].add(r["award_id"])
    park_cluster_fits: dict[str, list[Any]] = defaultdict(list)
    for fit in fits:
        if fit.source_label == "Park" and fit.target_label == "TechCluster":
            park_cluster_fits[fit.source_key].append(fit)
    park_rows = []
    for park, members in sorted(inputs.park_enterprises.items()):
        pats = set().union(*(inputs.enterprise_patents.get(e, set()) for e in members))
        valid = [a for a in pats if facts[a].is_valid is True]
        awards = set().union(*(ent_awards.get(e, set()) for e in members),
                             *(patent_awards.get(a, set()) for a in pats))
        top = sorted(park_cluster_fits.get(park, []), key=lambda f: (-f.score, f.target_key))[:3]
        park_rows.append({
            "park_id": park, "enterprises": len(members), "valid_patents": len(valid),
            "tier_a": sum(1 for a in valid if tier_of[a] == "A"),
            "tier_b": sum(1 for a in valid if tier_of[a] == "B"),
            "products": len(set().union(*(ent_products.get(e, set()) for e in members))),
            "awards": len(awards), "top_clusters": [cluster_name[f.target_key] for f in top],
            "top_cluster_ids": [f.target_key for f in top]})

    lap("aggregates")

    # -- write ----------------------------------------------------------------------------
    # Writing derived properties to every patent: FalkorDB would re-index each one's Chinese
    # title and abstract on each SET, so a big refresh drops the index and builds it after.
    # A refresh of a derived graph writes only the patents that change; when they are few
    # (nothing new loaded, same rules), re-indexing them as they go is cheaper than dropping
    # and rebuilding the full-text index. The first batch, written before deciding, tells.
    derived = bool(store.read(DERIVED_PROBE))
    head = patent_rows[:PATENT_BATCH] if derived else []
    head_set = _patent_updates(store, head, derived=True) if head else 0
    # each property set counted as one changed patent: an upper bound (errs toward pausing)
    changing = (round((len(patent_rows) - len(head)) * min(1.0, head_set / len(head)))
                if head else len(patent_rows))
    lap("write_patents_head")
    with store.fulltext_paused("Patent", changing):
        deleted = {rel: _delete_all(store, cypher) for rel, cypher in DELETE_DERIVED_EDGES.items()}
        deleted["TechCluster"] = _delete_all(store, DELETE_CLUSTERS)
        if derived:  # from every patent (no row sets them)
            clear_props(store, "Patent", [], PATENT_RETIRED, every=True)
        lap("delete_derived")
        patent_properties_set = head_set + _patent_updates(
            store, patent_rows[len(head):], derived=derived)
        lap("write_patents")
        if derived:  # a graph never derived has none to remove
            clear_props(store, "Patent", patent_rows, PATENT_DERIVED)
            lap("clear_patents")
        store.write_batches(WRITE_CLUSTERS, [
            {"cluster_id": c.cluster_id, "name": c.name, "top_ipc": c.top_ipc, "members": c.members,
             "size": c.size, "method": CLUSTER_METHOD, "version": version} for c in clusters],
            batch_size=BATCH)
        store.write_batches(WRITE_IN_CLUSTER, [
            {"app_no": a, "cluster_id": c} for a, c in sorted(assignment.items())],
            batch_size=BATCH)
        store.write_batches(WRITE_IN_INDUSTRY_OF, [
            {"app_no": a, "industry_id": i} for a, ids in sorted(patent_subsectors.items())
            for i in ids], batch_size=BATCH)
        store.write_batches(WRITE_CO_APPLIED, [
            {"institute": inst, "enterprise": ent, "patents": len(pats),
             "app_nos": sorted(pats)[:50]}
            for (inst, ent), pats in sorted(co_app.items())], batch_size=BATCH)
        by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for fit in fits:
            by_pair[(fit.source_label, fit.target_label)].append(fit.row())
        for pair, cypher in WRITE_FITS.items():
            store.write_batches(cypher, by_pair.get(pair, []), batch_size=BATCH)
        lap("write_edges")

        write_props(store, "Enterprise", enterprise_rows, ENTERPRISE_DERIVED_PROPS, every=True)
        write_props(store, "TechCluster", group_stats(cluster_members, "TechCluster"),
                    GROUP_STATS_PROPS, key="key", every=True)
        write_props(store, "Industry", group_stats(industry_members, "Industry"),
                    GROUP_STATS_PROPS, key="key", every=True)
        write_props(store, "Park", park_rows, PARK_STATS_PROPS, every=True)
        lap("write_group_stats")
        filed = {r["product_id"] for r in store.read(PRODUCT_STATUS)
                 if (r.get("filing_status") or "") in FILED_STATUSES}
        write_props(store, "Enterprise", _enterprise_rank_rows(
            store, ent_owned, facts, tier_of, score_of, ent_awards, patent_awards,
            {e: bool(p & filed) for e, p in ent_products.items()}), ENTERPRISE_RANKS_PROPS,
            every=True)
        lap("enterprise_ranks")
        write_props(store, "Product", _product_rows(store, facts, tier_of, score_of),
                    PRODUCT_COUNTS_PROPS, every=True)
        write_props(store, "Park", _park_push_rows(
            [r["park_id"] for r in store.read(ALL_PARKS)], patent_rows, facts, inputs=inputs,
            fits=fits, names={r["org_key"]: r["name"] for r in store.read(PARK_MEMBER_NAMES)}),
            PARK_PUSH_PROPS, every=True, batch_size=50)
        write_props(store, "TechContract", _contract_flag_rows(store, facts),
                    CONTRACT_FLAGS_PROPS, every=True)
        lap("products_parks_contracts")
        owned_by_inst: dict[str, set[str]] = defaultdict(set)
        for r in inst_rows:
            if r["rel"] == "OWNED_BY":
                owned_by_inst[r["org_key"]].add(r["app_no"])
        coop = _coop_rows(store)
        stock_lists = _stock_lists(inputs.institute_patents, owners, owned_by_inst, facts, tier_of,
                                   score_of)
        inst_targets = _target_count_rows(inputs.institute_patents, inputs.patent_targets)
        empty_coop = dict.fromkeys(("coop_pos", "coop_first", "coop_partners", "coop_linked",
                                    "coop_applied", "coop_invented", "coop_shared", "coop_detail"))
        empty_stock: dict[str, list[str]] = {name: [] for name in STOCK_LISTS}
        write_props(store, "Institute", [
            {"org_key": i, **empty_coop, **coop.get(i, {}), **empty_stock, **stock_lists.get(i, {}),
             "target_counts": "{}", "target_patents": 0, **inst_targets.get(i, {})}
            for i in sorted(r["org_key"] for r in store.read(ALL_INSTITUTES))],
            INSTITUTE_DERIVED_PROPS, every=True, batch_size=200)
        write_props(store, "Enterprise", [
            {"org_key": e, **row} for e, row in sorted(_target_count_rows(
                inputs.enterprise_patents, inputs.patent_targets).items())],
            TARGET_COUNTS_PROPS, every=True)
        lap("institutes_targets")
        for post in POST_STEPS:  # precomputations owned by the modules that read them
            post(store)
            lap(post.__module__.rsplit(".", 1)[-1] + "." + post.__name__)
    lap("fulltext_rebuild")

    from graph.version import bump_version

    # the rules version of every tier and score, once (not on each patent)
    bump_version(store, source="refresh", tier_rules_version=version)  # API caches see it
    lap("bump_version")
    return {"rules_version": version, "patents_scored": len(patent_rows),
            "patent_properties_set": patent_properties_set,
            "matched_patents": sum(1 for r in patent_rows if r["match_keys"]),
            "resident_stock": sum(1 for r in patent_rows if r["stock_pos"] is not None),
            "tiers": dict(sorted(tier_counts.items())), "clusters": len(clusters),
            "in_cluster": len(assignment),
            "in_industry_of": sum(len(v) for v in patent_subsectors.values()),
            "co_applied": len(co_app), "fits": len(fits), "deleted": deleted,
            "seconds": round(time.perf_counter() - started, 2), "step_seconds": steps,
            "step_cpu_seconds": cpu}


def _add_matches_and_stock(patent_rows: list[dict[str, Any]], facts: dict[str, scoring.Facts],
                           rules: dict[str, Any], *, inputs: FitInputs, fits: list[Any],
                           ipc_of: dict[str, tuple[str | None, list[str]]],
                           owners: dict[str, set[tuple[str, str, bool]]],
                           inst_rows: list[dict[str, Any]]) -> None:
    """Add each patent's ranked enterprise matches and its resident-stock page positions."""
    tier_of = {r["app_no"]: r["tier"] for r in patent_rows}
    score_of = {r["app_no"]: r["value_score"] for r in patent_rows}

    # patent -> enterprises, ranked once (the §2 push list reads them by index)
    holders: dict[str, set[str]] = defaultdict(set)
    groups: dict[str, set[str]] = {}
    subclasses: dict[str, set[str]] = {}
    for ent, pats in inputs.enterprise_patents.items():
        for a in pats:
            holders[a].add(ent)
        g: Counter[str] = Counter()
        sc: Counter[str] = Counter()
        for a in pats:
            codes = ipc_of.get(a, (None, []))[1]
            g.update({c for c in codes if "/" in c})
            sc.update({c[:4] for c in codes})
        # the same caps as the Enterprise.ipc_groups / ipc_subclasses properties
        groups[ent] = {c for c, _ in sorted(g.items(), key=lambda x: (-x[1], x[0]))[:100]}
        subclasses[ent] = {c for c, _ in sorted(sc.items(), key=lambda x: (-x[1], x[0]))[:50]}
    fits_by_target: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for f in fits:
        if f.source_label == "Enterprise":
            fits_by_target[(f.target_label, f.target_key)].append((f.source_key, f.score))
    patent_institutes: dict[str, set[str]] = defaultdict(set)
    for r in inst_rows:
        patent_institutes[r["app_no"]].add(r["org_key"])
    co_applied = {(inst, ent) for ent, partners in inputs.co_applications.items()
                  for inst in partners}
    in_park = {e for members in inputs.park_enterprises.values() for e in members}
    mr = rules["match"]
    top_n = int(mr["top_n"])
    valid = [a for a in sorted(facts) if facts[a].is_valid is True]
    matches = rank_matches(
        patent_targets=((a, sorted(inputs.patent_targets.get(a, ()))) for a in valid),
        fits_by_target=fits_by_target, holders=holders,
        patent_codes={a: set(ipc_of[a][1]) for a in valid},
        patent_subclasses={a: set(facts[a].ipc_subclasses) for a in valid},
        enterprise_groups=groups, enterprise_subclasses=subclasses,
        patent_institutes=patent_institutes, co_applied=co_applied, in_park=in_park,
        weights=mr["weights"], top_n=top_n)
    order = sorted(matches, key=lambda a: (-matches[a][0][1], a))
    match_pos = _positions(order, tier_of, {a: len(m) for a, m in matches.items()},
                           by_tier=True)

    # resident-institute stock: held now (OWNED_BY), or applied for when nobody is named as
    # current holder; ranked by value score like the inventory question shows it
    inst_owner: dict[str, set[tuple[str, str, bool]]] = defaultdict(set)
    inst_applicant: dict[str, set[tuple[str, str, bool]]] = defaultdict(set)
    for r in inst_rows:
        entry = (r["org_key"], r.get("name") or r["org_key"], r.get("local") is True)
        (inst_owner if r["rel"] == "OWNED_BY" else inst_applicant)[r["app_no"]].add(entry)
    stock_names: dict[str, list[str]] = {}
    for a in sorted(set(inst_owner) | set(inst_applicant)):
        held = inst_owner.get(a, set()) if owners.get(a) else inst_applicant.get(a, set())
        names = sorted({name for _, name, resident in held if resident})
        if names:
            stock_names[a] = names
    stock = sorted(stock_names, key=lambda a: (-score_of[a], a))
    stock_valid = [a for a in stock if facts[a].is_valid is True]
    pos_all = _positions(stock, tier_of, by_tier=False)
    pos_valid = _positions(stock_valid, tier_of, by_tier=False)
    pos_tier = _positions(stock, tier_of, by_tier=True)
    pos_tier_valid = _positions(stock_valid, tier_of, by_tier=True)

    for row in patent_rows:
        a = row["app_no"]
        m = matches.get(a, [])
        row.update({
            "match_keys": [k for k, _ in m] or None, "match_scores": [v for _, v in m] or None,
            "match_best": m[0][1] if m else None, "match_pos": match_pos.get(a),
            "stock_institutes": stock_names.get(a), "stock_pos": pos_all.get(a),
            "stock_valid_pos": pos_valid.get(a), "stock_tier_pos": pos_tier.get(a),
            "stock_tier_valid_pos": pos_tier_valid.get(a)})


def _park_push_rows(park_ids: list[str], patent_rows: list[dict[str, Any]],
                    facts: dict[str, scoring.Facts], *, inputs: FitInputs, fits: list[Any],
                    names: dict[str, str | None]) -> list[dict[str, Any]]:
    """Each park's §4 push list: valid tier A/B/C patents in the clusters/subsectors the park
    FITS, not held by its own enterprises, ordered by tier, the park's best fit to the
    patent's targets (desc), value score (desc), app_no; the first PUSH_CAP of each tier.

    Also, per park, the member enterprises fitting each cluster/subsector (best five by fit,
    then name; JSON {"TechCluster:<id>" | "Industry:<id>": [[org_key, name, score], ...]}), the
    "enterprises to contact" of a pushed patent.

    Vectorised over the candidates (numpy), one pass per park, so a million patents cost
    seconds, not a Python loop per (park, patent)."""
    tier_rank = {t: i for i, t in enumerate(PUSH_TIERS)}
    # the candidates in push_rank order (_add_push_ranks): (tier, -value, app_no)
    cands = sorted((r for r in patent_rows if r.get("push_rank") is not None),
                   key=lambda r: r["push_rank"])
    apps = [r["app_no"] for r in cands]
    index = {a: i for i, a in enumerate(apps)}
    tiers = np.array([tier_rank[r["tier"]] for r in cands], dtype=np.int64)
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    for a, i in index.items():
        for target in inputs.patent_targets.get(a, ()):
            members[target].append(i)
    member_idx = {t: np.array(v, dtype=np.int64) for t, v in members.items()}
    park_fits: dict[str, list[tuple[tuple[str, str], float]]] = defaultdict(list)
    for f in fits:
        if f.source_label == "Park":
            park_fits[f.source_key].append(((f.target_label, f.target_key), float(f.score)))
    ent_fits: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for f in fits:
        if f.source_label == "Enterprise":
            ent_fits[f.source_key].append((f.target_label, f.target_key, float(f.score)))
    rows = []
    for park in park_ids:
        contacts: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
        for e in inputs.park_enterprises.get(park, ()):
            for label, key, score in ent_fits.get(e, ()):
                contacts[f"{label}:{key}"].append((score, str(names.get(e) or ""), e))
        fit_ents = {t: [[e, n, sc] for sc, n, e in sorted(v, key=lambda x: (-x[0], x[1]))[:5]]
                    for t, v in sorted(contacts.items())}
        best = np.full(len(apps), -1.0)
        for target, score in park_fits.get(park, ()):
            idx = member_idx.get(target)
            if idx is not None:
                best[idx] = np.maximum(best[idx], score)
        own = [index[a] for e in inputs.park_enterprises.get(park, ())
               for a in inputs.enterprise_patents.get(e, ()) if a in index]
        if own:
            best[np.array(own, dtype=np.int64)] = -1.0
        chosen = np.nonzero(best >= 0.0)[0]
        # candidates are indexed in (tier, -value, app_no) order: sort by tier, -fit, index
        chosen = chosen[np.lexsort((chosen, -best[chosen], tiers[chosen]))]
        push_apps: list[str] = []
        push_fits: list[float] = []
        starts: list[int] = []
        totals: list[int] = []
        for code in range(len(PUSH_TIERS)):
            part = chosen[tiers[chosen] == code]
            starts.append(len(push_apps))
            totals.append(int(len(part)))
            push_apps.extend(apps[i] for i in part[:PUSH_CAP])
            push_fits.extend(float(best[i]) for i in part[:PUSH_CAP])
        starts.append(len(push_apps))
        deep, chunks = _push_chunks([chosen[tiers[chosen] == code] + 1
                                     for code in range(len(PUSH_TIERS))], best)
        rows.append({"park_id": park, "push_apps": push_apps, "push_fits": push_fits,
                     "push_starts": starts, "push_totals": totals,
                     "push_fit_ents": json.dumps(fit_ents, ensure_ascii=False),
                     "push_deep": deep, "push_chunks": chunks})
    return rows


def _add_push_ranks(patent_rows: list[dict[str, Any]], facts: dict[str, scoring.Facts]) -> None:
    """push_rank: 1-based position of each valid tier A/B/C patent in (tier, value score desc,
    app_no) order, the order of a park's push list within one fit (None for the others)."""
    tier_rank = {t: i for i, t in enumerate(PUSH_TIERS)}
    cands = sorted((r for r in patent_rows
                    if r["tier"] in tier_rank and facts[r["app_no"]].is_valid is True),
                   key=lambda r: (tier_rank[r["tier"]], -(r["value_score"] or 0.0),
                                  r["app_no"]))
    for row in patent_rows:
        row["push_rank"] = None
    for i, row in enumerate(cands, 1):
        row["push_rank"] = i


def _push_chunks(parts: list[Any], best: Any) -> tuple[str, list[str]]:
    """A park's whole push list, compactly, for the pages past its first PUSH_CAP rows.

    `parts`: per tier (PUSH_TIERS order) the list's push_ranks in list order (fit desc, then
    push_rank); `best`: the park's fit per candidate (index push_rank - 1). The list is cut
    into chunks of PUSH_CHUNK ranks (a chunk never spans two tiers), each a string of
    comma-separated base-36 numbers: the first rank, then the signed difference to the previous
    one. push_deep (JSON): {"k": PUSH_CHUNK, "tiers": [[first chunk, count, [[start, fit],
    ...]], ...]}: per tier its first chunk, its length and where each fit level starts."""
    chunks: list[str] = []
    tiers_meta = []
    for ranks in parts:
        ranks = [int(r) for r in ranks]
        levels: list[list[Any]] = []
        for pos, r in enumerate(ranks):
            fit = float(best[r - 1])
            if not levels or levels[-1][1] != fit:
                levels.append([pos, fit])
        tiers_meta.append([len(chunks), len(ranks), levels])
        for a in range(0, len(ranks), PUSH_CHUNK):
            part = ranks[a:a + PUSH_CHUNK]
            chunks.append(",".join(_b36(x - (part[i - 1] if i else 0))
                                   for i, x in enumerate(part)))
    return json.dumps({"k": PUSH_CHUNK, "tiers": tiers_meta}), chunks


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    sign, n = ("-", -n) if n < 0 else ("", n)
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = digits[d] + out
        if not n:
            return sign + out


OWNED_TOP = 20  # best valid patents kept per enterprise (tier, value): the rows' examples


def _best(apps: Any, tier_of: dict[str, str], score_of: dict[str, float],
          most: int = 5) -> list[str]:
    """The best few patents (tier, value score desc, app_no), like _ops_util.top_patents."""
    return sorted(apps, key=lambda a: (TIER_RANK.get(tier_of.get(a) or "", 9),
                                       -float(score_of.get(a) or 0.0), a))[:most]


def _add_insurance_positions(patent_rows: list[dict[str, Any]],
                             facts: dict[str, scoring.Facts]) -> None:
    """Page positions of the §21 insurance question at its default thresholds: per kind
    (0 = 执行险, 1 = 侵权损失险) the valid patents that fit it, ordered by the number of signals
    (licensed, used in products, high value, cited, family abroad) desc, value score desc,
    app_no. insure_loss_all_pos continues after the last 执行险 position (both kinds listed).
    Active policies are left in: the question skips their positions on the page.

    Also, for the question's other thresholds, the threshold-independent signals of each
    valid patent having any (licensed, used in products, family abroad: the few patents that
    can have more signals than the two thresholds give), with the patent's position among
    those with as many of them by value score desc, app_no (finance.insure_code; range-indexed:
    finance.insurance_recommendations walks them in that order)."""
    fitting: tuple[list[tuple[int, float, str]], list[tuple[int, float, str]]] = ([], [])
    signalled: list[tuple[int, float, str, int]] = []
    for row in patent_rows:
        f = facts[row["app_no"]]
        row.update(insure_enforce_pos=None, insure_loss_pos=None, insure_loss_all_pos=None,
                   insure_signals=None)
        if f.is_valid is not True:
            continue
        score = float(row["value_score"] or 0.0)
        licensed = f.licence_edges > 0 or int(f.licence_count or 0) > 0
        high_value = row["tier"] == "A" or score >= INSURE_MIN_SCORE
        cited = int(f.cited_by_count or 0) >= INSURE_MIN_CITATIONS
        abroad = f.has_family_abroad is True
        used = f.products > 0
        bits = int(licensed) + 2 * int(used) + 4 * int(abroad)
        if bits:
            signalled.append((licensed + used + abroad, -score, row["app_no"], bits))
        signals = sum((licensed, used, high_value, cited, abroad))
        key = (-signals, -score, row["app_no"])
        if licensed or used or high_value:
            fitting[0].append(key)
        if cited or used or abroad:
            fitting[1].append(key)
    by_app = {r["app_no"]: r for r in patent_rows}
    enforce = sorted(fitting[0])
    for i, (_, _, a) in enumerate(enforce, 1):
        by_app[a]["insure_enforce_pos"] = i
    for i, (_, _, a) in enumerate(sorted(fitting[1]), 1):
        by_app[a]["insure_loss_pos"] = i
        by_app[a]["insure_loss_all_pos"] = len(enforce) + i
    seen: Counter[int] = Counter()
    for count, _, a, bits in sorted(signalled):
        seen[count] += 1
        by_app[a]["insure_signals"] = insure_code(count, seen[count], bits)


def _product_rows(store: Store, facts: dict[str, scoring.Facts], tier_of: dict[str, str],
                  score_of: dict[str, float]) -> list[dict[str, Any]]:
    """Valid patents each product uses (count, inventions, best five) for the §9 question."""
    uses: dict[str, set[str]] = {r["product_id"]: set() for r in store.read(PRODUCT_STATUS)}
    for r in store.read(PRODUCT_USES):
        if r["app_no"] in facts and facts[r["app_no"]].is_valid is True:
            uses.setdefault(r["product_id"], set()).add(r["app_no"])
    return [{"product_id": pid, "valid_uses": len(apps),
             "valid_use_inventions": sum(1 for a in apps
                                         if facts[a].patent_type == "invention"),
             "use_top": _best(apps, tier_of, score_of)} for pid, apps in sorted(uses.items())]


def _enterprise_rank_rows(store: Store, owned: dict[str, set[str]],
                          facts: dict[str, scoring.Facts], tier_of: dict[str, str],
                          score_of: dict[str, float],
                          ent_awards: dict[str, set[str]], patent_awards: dict[str, set[str]],
                          filed_product: dict[str, bool] | None = None
                          ) -> list[dict[str, Any]]:
    """Counts and page positions of every enterprise for the roadshow and pledge questions,
    in their orders (roadshow: 专精特新, A/B-tier valid patents, valid patents, awards;
    pledge: has trademarks/copyrights, valid patents + trademarks + copyrights, A/B tier),
    and for the overseas (§23) and product-filing (§9) questions.
    Trademark validity is taken on the day of the refresh (``ranks_date``)."""
    today = date.today().isoformat()
    ent_read = store.read(ENTERPRISE_TAGS_READ)
    tags = {r["org_key"]: r.get("tags") or [] for r in ent_read}
    overseas = {r["org_key"]: r.get("overseas") is True for r in ent_read}
    filed_product = filed_product or {}
    marks = {r["org_key"]: int(r["n"]) for r in store.read(ENTERPRISE_TRADEMARKS,
                                                          {"today": today})}
    crs = {r["org_key"]: int(r["n"]) for r in store.read(ENTERPRISE_COPYRIGHTS)}
    award_name = {r["award_id"]: r.get("name") for r in store.read(AWARD_NAMES)}

    rows = []
    for ent in sorted(tags):
        pats = owned.get(ent, set())
        valid = [a for a in pats if a in facts and facts[a].is_valid is True]
        own_awards = ent_awards.get(ent, set())
        # the question's count: its own awards plus each (owned patent, award) not among them
        awards = len(own_awards) + sum(len(patent_awards.get(a, set()) - own_awards)
                                       for a in pats)
        tm, cr = marks.get(ent, 0), crs.get(ent, 0)
        tiers = [sum(1 for a in valid if tier_of.get(a) == t) for t in ("A", "B", "C", "X")]
        best = sorted(valid, key=lambda a: (TIER_RANK.get(tier_of.get(a) or "", 9),
                                            -float(score_of.get(a) or 0.0), a))[:OWNED_TOP]
        names = [award_name.get(x) for x in sorted(own_awards)] + [
            award_name.get(x) for a in sorted(pats) for x in sorted(
                patent_awards.get(a, set()) - own_awards)]
        rows.append({
            "owned_tiers": tiers, "owned_top": best,
            "award_names": [n for n in names if n],
            "org_key": ent, "owned_valid": len(valid),
            "owned_tier_ab": sum(1 for a in valid if tier_of.get(a) in ("A", "B")),
            "award_count": awards, "trademarks": tm, "copyrights": cr, "ranks_date": today,
            "zjtx": 1 if "专精特新" in tags[ent] else 0, "bundle": 1 if tm + cr else 0,
            **_overseas_counts(pats, facts, overseas[ent]),
            **_invention_counts(ent, valid, tags[ent], facts, tier_of, score_of,
                                filed_product.get(ent, False))})

    def place(key: Any, name: str) -> None:
        ordered = sorted(rows, key=key)
        for i, r in enumerate(ordered, 1):
            r[name] = i
        for i, r in enumerate((r for r in ordered if r["owned_valid"] >= 1), 1):
            r[name.replace("_pos", "_valid_pos")] = i
        for r in rows:
            r.setdefault(name.replace("_pos", "_valid_pos"), None)

    place(lambda r: (-r["zjtx"], -r["owned_tier_ab"], -r["owned_valid"], -r["award_count"],
                     r["org_key"]), "roadshow_pos")
    place(lambda r: (-r["bundle"], -(r["owned_valid"] + r["trademarks"] + r["copyrights"]),
                     -r["owned_tier_ab"], r["org_key"]), "pledge_pos")

    def rank(name: str, keep: Any, key: Any) -> None:
        for r in rows:
            r[name] = None
        for i, r in enumerate(sorted((r for r in rows if keep(r)), key=key), 1):
            r[name] = i

    # §23: overseas business or owned patents with families abroad (all / valid only)
    for part in ("abroad", "abroad_valid"):
        rank(part.replace("abroad", "overseas") + "_pos",
             lambda r, p=part: r["overseas"] or r[f"{p}_count"] > 0,
             lambda r, p=part: (-r[f"{p}_count"], -int(r["overseas"]), -r[f"{p}_family"],
                                r["org_key"]))
    # §9: tagged enterprises with valid inventions and no filed product, most inventions
    # first (so any minimum count is a prefix of this order)
    rank("product_cand_pos", lambda r: r["cand"] and r["valid_inventions"] >= 1,
         lambda r: (-r["valid_inventions"], r["org_key"]))
    return rows


def _overseas_counts(pats: set[str], facts: dict[str, scoring.Facts], overseas: bool
                     ) -> dict[str, Any]:
    """An enterprise's owned patents with families abroad (all / valid): count, biggest
    family, the five biggest (family size desc, app_no)."""
    out: dict[str, Any] = {"overseas": overseas}
    abroad = sorted(((int(facts[a].family_size or 0), a) for a in pats
                     if a in facts and facts[a].has_family_abroad is True),
                    key=lambda x: (-x[0], x[1]))
    for part, items in (("abroad", abroad),
                        ("abroad_valid", [x for x in abroad if facts[x[1]].is_valid is True])):
        out[f"{part}_count"] = len(items)
        out[f"{part}_family"] = max([n for n, _ in items], default=0)
        out[f"{part}_top"] = [a for _, a in items[:5]]
    return out


def _invention_counts(ent: str, valid: list[str], tags: list[str],
                      facts: dict[str, scoring.Facts], tier_of: dict[str, str],
                      score_of: dict[str, float], filed: bool) -> dict[str, Any]:
    """An enterprise's valid owned inventions (count, best five) and whether it is a §9
    filing candidate (a priority qualification, no filed product)."""
    inventions = [a for a in valid if facts[a].patent_type == "invention"]
    return {"valid_inventions": len(inventions),
            "invention_top": _best(inventions, tier_of, score_of), "filed_product": filed,
            "cand": any(t in PRIORITY_TAGS for t in tags) and not filed}


# -- round 3: the questions that scanned at query time ------------------------------------------
# §11: the three kinds of evidence per (institute, enterprise) pair, with exactly the patterns
# of the live question (industry_academia_network), so the stored counts are the same answer.
COOP_CO_APPLIED = """
MATCH (i:Institute)<-[:APPLIED_BY]-(p:Patent)-[:APPLIED_BY]->(e:Enterprise)
RETURN DISTINCT i.org_key AS i, e.org_key AS e, p.app_no AS app_no
"""
COOP_CO_INVENTED = """
MATCH (i:Institute)<-[:AFFILIATED_WITH]-(:Inventor)-[:INVENTED]->(p:Patent)
      <-[:INVENTED]-(:Inventor)-[:AFFILIATED_WITH]->(e:Enterprise)
RETURN DISTINCT i.org_key AS i, e.org_key AS e, p.app_no AS app_no
"""
COOP_SHARED = """
MATCH (i:Institute)<-[:AFFILIATED_WITH]-(a:Inventor)-[:AFFILIATED_WITH]->(e:Enterprise)
OPTIONAL MATCH (a)-[:INVENTED]->(p:Patent)
RETURN DISTINCT i.org_key AS i, e.org_key AS e, a.inventor_id AS inventor, p.app_no AS app_no
"""
ALL_INSTITUTES = "MATCH (i:Institute) RETURN i.org_key AS org_key"
# 保障二: which contracts cover a patent (and so a transferred or licensed one)
CONTRACT_COVERS = """
MATCH (c:TechContract) OPTIONAL MATCH (c)-[:COVERS]->(p:Patent)
RETURN c.contract_id AS contract_id, collect(p.app_no) AS app_nos
"""
CONTRACT_FLAGS_PROPS = (
    "covers_patent", "covers_transferred", "covers_licensed",)
INSTITUTE_DERIVED_PROPS = (
    "coop_pos", "coop_first", "coop_partners", "coop_linked", "coop_applied", "coop_invented",
    "coop_shared", "coop_detail", "target_counts", "target_patents", "stock_all",
    "stock_all_valid", "stock_a", "stock_a_valid", "stock_b", "stock_b_valid", "stock_c",
    "stock_c_valid", "stock_x", "stock_x_valid",)
TARGET_COUNTS_PROPS = (
    "target_counts", "target_patents",)

# Institute properties holding the ranked stock per filter: all / one tier, x valid only
STOCK_LISTS = tuple(sorted(set(STOCK_LIST_OF.values())))
AWARD_LEVEL_RANK = {"国家": 0, "天津市": 1, "河东区": 2}


def _coop_rows(store: Store) -> dict[str, dict[str, Any]]:
    """Each institute's (institute, enterprise) pairs ranked like the §11 question (linked
    patents, co-applied, shared inventors desc, then keys), with 1-based positions over all
    pairs: any min_patents >= 1 is a prefix of this order, so a default page is a position
    range. The evidence is read with the live question's own patterns (three reads)."""
    applied: dict[tuple[str, str], set[str]] = defaultdict(set)
    invented: dict[tuple[str, str], set[str]] = defaultdict(set)
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in store.read(COOP_CO_APPLIED):
        applied[(r["i"], r["e"])].add(r["app_no"])
    for r in store.read(COOP_CO_INVENTED):
        invented[(r["i"], r["e"])].add(r["app_no"])
    for r in store.read(COOP_SHARED):
        pair = (r["i"], r["e"])
        invented[pair]  # the pair exists even when the inventor invented nothing
        if r.get("app_no") is not None:
            invented[pair].add(r["app_no"])
        if r.get("inventor") is not None:
            shared[pair].add(r["inventor"])
    ranked = []
    for pair in set(applied) | set(invented) | set(shared):
        co_applied, co_invented = applied.get(pair, set()), invented.get(pair, set())
        linked = co_applied | co_invented
        ranked.append((-len(linked), -len(co_applied), -len(shared.get(pair, ())), pair[0],
                       pair[1], linked, co_applied, co_invented))
    ranked.sort(key=lambda x: x[:5])
    out: dict[str, dict[str, Any]] = {}
    for pos, (_, _, shared_n, inst, ent, linked, co_applied, co_invented) in enumerate(ranked, 1):
        row = out.setdefault(inst, {k: [] for k in (
            "coop_pos", "coop_partners", "coop_linked", "coop_applied", "coop_invented",
            "coop_shared", "coop_detail")})
        row["coop_pos"].append(pos)
        row["coop_partners"].append(ent)
        row["coop_linked"].append(len(linked))
        row["coop_applied"].append(len(co_applied))
        row["coop_invented"].append(len(co_invented))
        row["coop_shared"].append(-shared_n)
        row["coop_detail"].append(json.dumps({"patents": sorted(linked)[:5],
                                              "applied": sorted(co_applied)[:3]},
                                             ensure_ascii=False))
    for row in out.values():
        row["coop_first"] = row["coop_pos"][0]
    return out


def _stock_lists(institute_patents: dict[str, set[str]], owners: dict[str, Any],
                 owned_by_inst: dict[str, set[str]], facts: dict[str, scoring.Facts],
                 tier_of: dict[str, str], score_of: dict[str, float]
                 ) -> dict[str, dict[str, list[str]]]:
    """Each institute's stock (held now, or applied for when no holder is named), ranked by
    value score desc, app_no: the first STOCK_CAP per filter (all / a tier) x (valid only?)."""
    out: dict[str, dict[str, list[str]]] = {}
    for inst, pats in institute_patents.items():
        stock = sorted((a for a in pats if a in owned_by_inst.get(inst, ())
                        or not owners.get(a)), key=lambda a: (-score_of[a], a))
        lists: dict[str, list[str]] = {}
        for tier in (None, "A", "B", "C", "X"):
            part = [a for a in stock if tier is None or tier_of.get(a) == tier]
            name = "stock_" + (tier.lower() if tier else "all")
            lists[name] = part[:STOCK_CAP]
            lists[name + "_valid"] = [a for a in part if facts[a].is_valid is True][:STOCK_CAP]
        out[inst] = lists
    return out


def _target_count_rows(org_patents: dict[str, set[str]],
                       patent_targets: dict[str, set[tuple[str, str]]]) -> dict[str, Any]:
    """Per organisation: its patents (OWNED_BY or APPLIED_BY) per cluster/subsector (JSON
    {target key: count}) and their number, so §13 reads one node instead of every patent."""
    out = {}
    for org_key, pats in org_patents.items():
        counts: Counter[str] = Counter()
        for a in pats:
            counts.update(key for _, key in patent_targets.get(a, ()))
        out[org_key] = {"target_counts": json.dumps(dict(sorted(counts.items())),
                                                    ensure_ascii=False),
                        "target_patents": len(pats)}
    return out


def _contract_flag_rows(store: Store, facts: dict[str, scoring.Facts]) -> list[dict[str, Any]]:
    """Per contract: covers a patent / a transferred patent / a licensed patent (the 保障二
    statistics sum amounts by these flags instead of walking the graph per contract)."""
    rows = []
    for r in store.read(CONTRACT_COVERS):
        covered = [facts[a] for a in r["app_nos"] if a in facts]
        rows.append({"contract_id": r["contract_id"], "covers_patent": bool(r["app_nos"]),
                     "covers_transferred": any(f.transfer_edges > 0 for f in covered),
                     "covers_licensed": any(f.licence_edges > 0 for f in covered)})
    return rows


def _award_positions(award_rows: list[dict[str, Any]]) -> dict[str, int]:
    """1-based positions of the §22 default list: best award level, latest year desc, app_no."""
    best: dict[str, int] = {}
    years: dict[str, list[int]] = defaultdict(list)
    for r in award_rows:
        a = r["app_no"]
        best[a] = min(best.get(a, 9), AWARD_LEVEL_RANK.get(r.get("level") or "", 3))
        if r.get("year") is not None:
            years[a].append(r["year"])
    latest = {a: max(years[a]) if years.get(a) else None for a in best}
    # Cypher sorts null above every value: a patent without any award year comes first
    # within its level on `latest_year DESC`
    order = sorted(best, key=lambda a: (best[a], latest[a] is not None, -(latest[a] or 0), a))
    return {a: i for i, a in enumerate(order, 1)}
