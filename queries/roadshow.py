"""Roadshow candidates (§5, §20): enterprises worth showing to investors and banks."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from queries._ops_util import (
    ENTERPRISE_TAGS,
    enterprise_walk,
    filtered_enterprises,
    join_zh,
    tiers_zh,
    uniq_sorted,
)
from queries.catalogue import Column, Param, question

# derive.refresh ranks every enterprise once (Enterprise.roadshow_pos; roadshow_valid_pos
# counts only those owning a valid patent) and stores the counts the order uses; a page is
# an index range (default filters; 专精特新 enterprises rank first, so the tag is a filter on
# the same range) or, with other filters, a scan of the stored counts in stored order.
_ROADSHOW_TAIL = """
RETURN e.org_key AS org_key, e.name AS org_name, coalesce(e.tags, []) AS tags,
       CASE WHEN '专精特新' IN coalesce(e.tags, []) THEN 1 ELSE 0 END AS zjtx,
       e.owned_tier_ab AS tier_ab, e.owned_valid AS valid_count, e.award_count AS award_count,
       e.owned_tiers AS owned_tiers, e.owned_top AS owned_top,
       coalesce(e.award_names, []) AS award_names,
       [(e)-[:LOCATED_IN]->(pk:Park) | {park_id: pk.park_id, name: pk.name}] AS parks,
       [(e)-[:ATTENDED]->(ev:Event) | ev.event_id] AS events,
       [(e)-[:ATTENDED]->(:Event)<-[:ATTENDED]-(fi1:FinancialInstitution) | fi1.name]
           AS event_investors,
       [(e)-[:USED]->(fp:FinancingProduct) | fp.name] AS products_used,
       [(e)-[:USED]->(:FinancingProduct)-[:OFFERED_BY]->(fi2:FinancialInstitution) | fi2.name]
           AS product_investors,
       [(e)<-[:PLEDGED_BY]-(pl:Pledge) | pl.pledge_id] AS pledges,
       [(e)<-[:PLEDGED_BY]-(:Pledge)-[:PLEDGED_TO]->(fi3:FinancialInstitution) | fi3.name]
           AS pledge_investors, pos
ORDER BY pos
"""
ROADSHOW_PAGE = """
MATCH (e:Enterprise)
WHERE e.roadshow_valid_pos >= $first AND e.roadshow_valid_pos < $last
  AND ($tag IS NULL OR $tag IN coalesce(e.tags, []))
WITH e, e.roadshow_valid_pos AS pos
""" + _ROADSHOW_TAIL
ROADSHOW_CANDIDATES = """
MATCH (e:Enterprise)
WHERE e.roadshow_pos > 0 AND e.owned_valid >= $min_valid_patents
  AND ($tag IS NULL OR $tag IN coalesce(e.tags, []))
  AND ($park_id IS NULL OR (e)-[:LOCATED_IN]->(:Park {park_id: $park_id}))
WITH e, e.roadshow_pos AS pos ORDER BY pos SKIP $offset LIMIT $limit
""" + _ROADSHOW_TAIL
# Other filters (_ops_util.filtered_enterprises): windows of the stored order (roadshow_pos
# ranges) filtered by the store until the page is full, then the page's rows by key; a small
# park's page from its members. The same filter as ROADSHOW_CANDIDATES (the whole list read at once:
# the reference in the tests).
ROADSHOW_WALK = enterprise_walk("roadshow_pos", """  AND e.owned_valid >= $min_valid_patents
  AND ($tag IS NULL OR $tag IN coalesce(e.tags, []))
""", _ROADSHOW_TAIL)
RANKED_TAG = "专精特新"  # ranked first, so its enterprises are a prefix of the order


@question(
    title_zh="路演企业遴选",
    description_zh="面向专精特新等中小企业遴选投融资路演对象：按有效专利、A/B级专利数和获奖情况排序，"
                   "并列出其代表专利和已建立联系的投资机构（同场活动、已用金融产品、质押银行）。",
    measures="§5, §20",
    params=(
        Param("tag", "enum", "企业资质", "只看带此资质标签的企业；不填为全部企业（专精特新优先）",
              choices=ENTERPRISE_TAGS),
        Param("min_valid_patents", "int", "最少有效专利数", default=1, minimum=0),
        Param("park_id", "str", "园区编号", "只看入驻该园区的企业"),
    ),
    columns=(
        Column("org_key", "企业", "entity"), Column("org_name", "企业名称"),
        Column("tags", "资质", "list"), Column("park_id", "园区", "entity"),
        Column("park_name", "园区名称"), Column("valid_patents", "有效专利", "int"),
        Column("tier_ab_patents", "A/B级专利", "int"), Column("awards", "获奖数", "int"),
        Column("patents", "代表专利", "list"), Column("investors", "已对接金融/投资机构", "list"),
        Column("events", "参加活动数", "int"), Column("pledges", "质押笔数", "int"),
        Column("reasons", "入选理由", "list"),
    ),
    order=50,
)
def roadshow_candidates(store: Store, *, limit: int = 50, offset: int = 0,
                        tag: str | None = None, min_valid_patents: int = 1,
                        park_id: str | None = None) -> list[dict[str, Any]]:
    """Which enterprises should present at an investment roadshow, and whom do they already know?"""
    if min_valid_patents == 1 and park_id is None and tag in (None, RANKED_TAG):
        rows = store.read(ROADSHOW_PAGE, {"tag": tag, "first": offset + 1,
                                          "last": offset + limit + 1})
    else:
        params = {"tag": tag, "min_valid_patents": min_valid_patents, "park_id": park_id,
                  "limit": limit, "offset": offset}
        rows = filtered_enterprises(store, ROADSHOW_WALK, params, offset, limit)
    out: list[dict[str, Any]] = []
    for r in rows:
        parks = sorted(r["parks"], key=lambda p: str(p["park_id"]))
        investors = uniq_sorted(r["event_investors"] + r["product_investors"]
                                + r["pledge_investors"])
        events, pledges = uniq_sorted(r["events"]), uniq_sorted(r["pledges"])
        reasons: list[str] = []
        marked = [t for t in ENTERPRISE_TAGS if t in r["tags"]]
        if marked:
            reasons.append("企业资质：" + "、".join(marked))
        tiers = tiers_zh(r["owned_tiers"])
        reasons.append(f"有效专利 {r['valid_count']} 件" + (f"（{tiers}）" if tiers else ""))
        if r["award_count"]:
            names = join_zh(uniq_sorted(r["award_names"]), 3)
            reasons.append(f"获奖 {r['award_count']} 项：{names}")
        if investors:
            reasons.append(f"已对接金融/投资机构：{join_zh(investors)}")
        if events:
            reasons.append(f"参加过 {len(events)} 场路演/对接活动")
        if r["products_used"]:
            reasons.append(f"已使用金融产品：{join_zh(uniq_sorted(r['products_used']), 3)}")
        if pledges:
            reasons.append(f"有 {len(pledges)} 笔知识产权质押记录")
        out.append({
            "org_key": r["org_key"], "org_label": "Enterprise", "org_name": r["org_name"],
            "tags": r["tags"], "park_id": parks[0]["park_id"] if parks else None,
            "park_name": parks[0]["name"] if parks else None,
            "valid_patents": r["valid_count"], "tier_ab_patents": r["tier_ab"],
            "awards": r["award_count"], "patents": list(r["owned_top"] or [])[:5],
            "investors": investors, "events": len(events), "pledges": len(pledges),
            "reasons": reasons})
    return out
