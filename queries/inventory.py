"""§1, §3: the stock-patent inventory of research institutes, tiered with reasons."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from queries import scoring
from queries._lookup import institute_keys, name_patents
from queries.catalogue import Column, Param, question
from queries.matching import POS_SPAN, TIER_CODE

# Stock = patents the institute holds now (OWNED_BY), or applied for when the export names no
# current holder; a patent held by two listed institutes is one row. The queries below return
# the cluster id and subsector ids under the `cluster_name` and `subsectors` columns:
# stock_patent_inventory replaces them by the names (_lookup.name_patents), in place.
STOCK_PATENT_INVENTORY = """
MATCH (i:Institute) WHERE i.org_key IN $institutes
MATCH (p:Patent)-[r:OWNED_BY|APPLIED_BY]->(i)
WHERE (type(r) = 'OWNED_BY' OR NOT (p)-[:OWNED_BY]->())
  AND ($tier IS NULL OR p.tier = $tier)
  AND ($valid_only = false OR p.is_valid = true)
WITH p, collect(DISTINCT i.name) AS institutes
RETURN p.app_no AS app_no, p.title AS title, institutes, p.patent_type AS patent_type,
       p.legal_status AS legal_status, p.is_valid AS is_valid, p.value_score AS value_score,
       p.value_missing_share AS value_missing_share, p.tier AS tier,
       coalesce(p.tier_basis, p.tier_reasons) AS tier_reasons, p.subsector_ids AS subsectors,
       p.cluster_id AS cluster_name, p.prospect_level AS prospect_level,
       coalesce(p.prospects, [p.prospect_counts, p.fit_enterprises])
       AS prospects, p.value_strengths AS value_strengths
ORDER BY value_score DESC, app_no
SKIP $offset LIMIT $limit
"""
# All resident institutes (the default view, and the one that grows with the district): the
# page is an index range on a position derive.refresh wrote in this very order, one position
# property per filter combination (tier given?, valid only?).
_RESIDENT_RETURN = """
RETURN p.app_no AS app_no, p.title AS title, p.stock_institutes AS institutes,
       p.patent_type AS patent_type, p.legal_status AS legal_status, p.is_valid AS is_valid,
       p.value_score AS value_score, p.value_missing_share AS value_missing_share,
       p.tier AS tier, coalesce(p.tier_basis, p.tier_reasons) AS tier_reasons,
       p.subsector_ids AS subsectors, p.cluster_id AS cluster_name,
       p.prospect_level AS prospect_level,
       coalesce(p.prospects, [p.prospect_counts, p.fit_enterprises])
       AS prospects, p.value_strengths AS value_strengths, pos
ORDER BY pos
"""
RESIDENT_STOCK = {
    (False, False): "MATCH (p:Patent) WHERE p.stock_pos >= $first AND p.stock_pos < $last "
                    "WITH p, p.stock_pos AS pos" + _RESIDENT_RETURN,
    (False, True): "MATCH (p:Patent) WHERE p.stock_valid_pos >= $first "
                   "AND p.stock_valid_pos < $last WITH p, p.stock_valid_pos AS pos"
                   + _RESIDENT_RETURN,
    (True, False): "MATCH (p:Patent) WHERE p.stock_tier_pos >= $first "
                   "AND p.stock_tier_pos < $last WITH p, p.stock_tier_pos AS pos"
                   + _RESIDENT_RETURN,
    (True, True): "MATCH (p:Patent) WHERE p.stock_tier_valid_pos >= $first "
                  "AND p.stock_tier_valid_pos < $last WITH p, p.stock_tier_valid_pos AS pos"
                  + _RESIDENT_RETURN,
}

TIERS = ("A", "B", "C", "X")

# Named institutes: derive.refresh ranks each institute's stock once (value score desc, app_no)
# and keeps the first STOCK_CAP per filter on the institute (stock_<all|a|b|c|x>[_valid]).
# One page reads those lists (a slice each), merges them when several institutes are named
# and reads the page's patents by key; deeper pages, or a graph not derived yet, query live.
STOCK_CAP = 2000
STOCK_LIST_OF = {(tier, valid): f"stock_{(tier or 'all').lower()}{'_valid' if valid else ''}"
                 for tier in (None, *TIERS) for valid in (False, True)}
INSTITUTE_STOCK = {
    key: f"""
MATCH (i:Institute) WHERE i.org_key IN $institutes
RETURN i.name AS name, i.{prop}[0..$n] AS apps, size(i.{prop}) AS size
""" for key, prop in STOCK_LIST_OF.items()}
STOCK_SCORES = """
UNWIND $apps AS a MATCH (p:Patent {app_no: a}) RETURN p.app_no AS app_no, p.value_score AS score
"""
STOCK_PAGE = """
UNWIND range(0, size($apps) - 1) AS k
MATCH (p:Patent {app_no: $apps[k]})
RETURN p.app_no AS app_no, p.title AS title, p.patent_type AS patent_type,
       p.legal_status AS legal_status, p.is_valid AS is_valid, p.value_score AS value_score,
       p.value_missing_share AS value_missing_share, p.tier AS tier,
       coalesce(p.tier_basis, p.tier_reasons) AS tier_reasons, p.subsector_ids AS subsectors,
       p.cluster_id AS cluster_name, p.prospect_level AS prospect_level,
       coalesce(p.prospects, [p.prospect_counts, p.fit_enterprises])
       AS prospects, p.value_strengths AS value_strengths, k
ORDER BY k
"""


def _institute_stock(store: Store, keys: list[str], *, tier: str | None, valid_only: bool,
                     offset: int, limit: int) -> list[dict[str, Any]] | None:
    """One page of the named institutes' stock from the lists derive.refresh ranked, or None
    when the lists do not reach the page (or were never written)."""
    need = offset + limit
    lists = store.read(INSTITUTE_STOCK[(tier, valid_only)], {"institutes": keys, "n": need})
    if any(r["apps"] is None or (r["size"] >= STOCK_CAP and need > STOCK_CAP) for r in lists):
        return None
    holders: dict[str, set[str]] = {}
    for r in lists:
        for a in r["apps"]:
            holders.setdefault(a, set()).add(r["name"])
    if len(lists) == 1:
        order = list(lists[0]["apps"])
    else:  # several institutes: merge their ranked heads in the same order
        score = {r["app_no"]: r["score"] for r in store.read(STOCK_SCORES,
                                                              {"apps": sorted(holders)})}
        order = sorted(holders, key=lambda a: (-(score.get(a) or 0.0), a))
    page = order[offset:need]
    rows = store.read(STOCK_PAGE, {"apps": page}) if page else []
    return [{"app_no": r["app_no"], "title": r["title"],
             "institutes": sorted(n for n in holders[r["app_no"]] if n is not None),
             **{k: v for k, v in r.items() if k not in ("app_no", "title", "k")}}
            for r in rows]


@question(
    title_zh="存量专利盘点",
    description_zh="驻区科研机构（或指定机构）的存量专利：价值分、分级（A/B/C/X）及理由、"
                   "所属主导产业细分领域与技术集群、产业化前景。按价值分从高到低排列。",
    measures="§1, §3",
    params=(
        Param("institute", "str", "科研机构", "机构名称、别名或编号；留空为全部驻区科研机构"),
        Param("tier", "enum", "分级", "只看某一级", choices=TIERS),
        Param("valid_only", "bool", "仅有效专利", default=False),
    ),
    columns=(
        Column("app_no", "申请号"), Column("title", "专利名称"),
        Column("institutes", "权利人", "list"), Column("patent_type", "专利类型"),
        Column("legal_status", "法律状态"), Column("value_score", "价值分", "float"),
        Column("tier", "分级"), Column("tier_reasons", "分级理由", "list"),
        Column("subsectors", "主导产业细分领域", "list"), Column("cluster_name", "技术集群"),
        Column("prospect_level", "产业化前景"), Column("prospects", "前景说明"),
        Column("value_missing_share", "证据缺失比例", "float"),
        Column("reasons", "理由", "list"),
    ),
    order=10,
)
def stock_patent_inventory(store: Store, *, limit: int, offset: int, institute: str | None = None,
                           tier: str | None = None, valid_only: bool = False
                           ) -> list[dict[str, Any]]:
    """Which stock patents do the district's research institutes hold, and how valuable are they?"""
    if institute:
        keys = institute_keys(store, institute)
        stored = _institute_stock(store, keys, tier=tier, valid_only=bool(valid_only),
                                  offset=offset, limit=limit)
        rows = stored if stored is not None else store.read(STOCK_PATENT_INVENTORY, {
            "institutes": keys, "tier": tier, "valid_only": bool(valid_only),
            "offset": offset, "limit": limit})
    else:
        first = (TIER_CODE[tier] * POS_SPAN if tier else 0) + offset + 1  # 1-based
        rows = store.read(RESIDENT_STOCK[(tier is not None, bool(valid_only))],
                          {"first": first, "last": first + limit})
    name_patents(store, rows, cluster="cluster_name", subsectors="subsectors")  # ids read above
    for row in rows:
        row.pop("pos", None)
        # stored compactly (scoring.tier_basis, the prospect counts): the texts users see
        if row.get("tier_reasons") is not None:
            row["tier_reasons"] = scoring.tier_reasons(row["tier_reasons"])
        row["prospects"] = scoring.prospect_note(row.get("tier"), row.get("prospects"),
                                                 row.get("subsectors"))
        strengths = row.pop("value_strengths") or []  # the strongest score components
        missing = row.get("value_missing_share") or 0.0
        row["reasons"] = list(row.get("tier_reasons") or []) + list(strengths) + (
            [f"{missing:.0%} 的评分证据缺失，分值仅基于已有证据"] if missing >= 0.3 else [])
    return rows
