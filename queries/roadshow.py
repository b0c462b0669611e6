"""Roadshow candidates (§5, §20): enterprises worth showing to investors and banks."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from queries._ops_util import ENTERPRISE_TAGS, join_zh, tier_counts_zh, top_patents, uniq_sorted
from queries.catalogue import Column, Param, question

# Rank on cheap per-enterprise counts first, page, then fetch the investor context of the page.
ROADSHOW_CANDIDATES = """
MATCH (e:Enterprise)
WHERE ($tag IS NULL OR $tag IN coalesce(e.tags, []))
  AND ($park_id IS NULL OR (e)-[:LOCATED_IN]->(:Park {park_id: $park_id}))
WITH e, [(p:Patent)-[:OWNED_BY]->(e) WHERE p.is_valid = true |
         {app_no: p.app_no, tier: p.tier, value_score: p.value_score,
          patent_type: p.patent_type}] AS valid
WHERE size(valid) >= $min_valid_patents
WITH e, valid,
     [(e)-[:WON]->(a:Award) | a] AS own_awards,
     [(e)<-[:OWNED_BY]-(:Patent)-[:WON]->(a2:Award) | a2] AS patent_awards
WITH e, valid, own_awards + [x IN patent_awards WHERE NOT x IN own_awards] AS awards
WITH e, valid, awards,
     CASE WHEN '专精特新' IN coalesce(e.tags, []) THEN 1 ELSE 0 END AS zjtx,
     size([v IN valid WHERE v.tier IN ['A', 'B']]) AS tier_ab
WITH e, valid, awards, zjtx, tier_ab, size(valid) AS valid_count, size(awards) AS award_count
ORDER BY zjtx DESC, tier_ab DESC, valid_count DESC, award_count DESC, e.org_key
SKIP $offset LIMIT $limit
RETURN e.org_key AS org_key, e.name AS org_name, coalesce(e.tags, []) AS tags,
       zjtx, tier_ab, valid_count, award_count, valid,
       [y IN awards | y.name] AS award_names,
       [(e)-[:LOCATED_IN]->(pk:Park) | {park_id: pk.park_id, name: pk.name}] AS parks,
       [(e)-[:ATTENDED]->(ev:Event) | ev.event_id] AS events,
       [(e)-[:ATTENDED]->(:Event)<-[:ATTENDED]-(fi1:FinancialInstitution) | fi1.name]
           AS event_investors,
       [(e)-[:USED]->(fp:FinancingProduct) | fp.name] AS products_used,
       [(e)-[:USED]->(:FinancingProduct)-[:OFFERED_BY]->(fi2:FinancialInstitution) | fi2.name]
           AS product_investors,
       [(e)<-[:PLEDGED_BY]-(pl:Pledge) | pl.pledge_id] AS pledges,
       [(e)<-[:PLEDGED_BY]-(:Pledge)-[:PLEDGED_TO]->(fi3:FinancialInstitution) | fi3.name]
           AS pledge_investors
ORDER BY zjtx DESC, tier_ab DESC, valid_count DESC, award_count DESC, org_key
"""


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
    rows = store.read(ROADSHOW_CANDIDATES, {
        "tag": tag, "min_valid_patents": min_valid_patents, "park_id": park_id,
        "limit": limit, "offset": offset})
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
        tiers = tier_counts_zh(r["valid"])
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
            "awards": r["award_count"], "patents": top_patents(r["valid"]),
            "investors": investors, "events": len(events), "pledges": len(pledges),
            "reasons": reasons})
    return out
