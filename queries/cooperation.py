"""Industry-academia network (§11): institute-enterprise co-application and co-invention links."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from queries._ops_util import join_zh
from queries.catalogue import Column, Param, question

# Three kinds of evidence per (institute, enterprise) pair, gathered by one UNION:
# 1 = a patent both applied for; 2 = a patent with inventors affiliated with each side;
# 3 = an inventor affiliated with both sides (with the patents that inventor invented).
INDUSTRY_ACADEMIA_NETWORK = """
CALL {
  MATCH (i:Institute)<-[:APPLIED_BY]-(p:Patent)-[:APPLIED_BY]->(e:Enterprise)
  WHERE ($institute IS NULL OR i.name CONTAINS $institute OR i.org_key = $institute)
    AND ($enterprise IS NULL OR e.name CONTAINS $enterprise OR e.org_key = $enterprise)
  RETURN i, e, p.app_no AS app_no, 1 AS via, null AS inventor
  UNION ALL
  MATCH (i:Institute)<-[:AFFILIATED_WITH]-(:Inventor)-[:INVENTED]->(p:Patent)
        <-[:INVENTED]-(:Inventor)-[:AFFILIATED_WITH]->(e:Enterprise)
  WHERE ($institute IS NULL OR i.name CONTAINS $institute OR i.org_key = $institute)
    AND ($enterprise IS NULL OR e.name CONTAINS $enterprise OR e.org_key = $enterprise)
  RETURN i, e, p.app_no AS app_no, 2 AS via, null AS inventor
  UNION ALL
  MATCH (i:Institute)<-[:AFFILIATED_WITH]-(a:Inventor)-[:AFFILIATED_WITH]->(e:Enterprise)
  WHERE ($institute IS NULL OR i.name CONTAINS $institute OR i.org_key = $institute)
    AND ($enterprise IS NULL OR e.name CONTAINS $enterprise OR e.org_key = $enterprise)
  OPTIONAL MATCH (a)-[:INVENTED]->(p:Patent)
  RETURN i, e, p.app_no AS app_no, 3 AS via, a.inventor_id AS inventor
}
WITH i, e,
     collect(DISTINCT CASE WHEN via = 1 THEN app_no END) AS co_applied,
     collect(DISTINCT CASE WHEN via > 1 THEN app_no END) AS co_invented,
     collect(DISTINCT inventor) AS shared_inventors
WITH i, e, co_applied, co_invented, shared_inventors,
     co_applied + [x IN co_invented WHERE NOT x IN co_applied] AS linked
WHERE size(linked) >= $min_patents
RETURN i.org_key AS org_key, i.name AS org_name,
       e.org_key AS partner_org_key, e.name AS partner_name,
       size(linked) AS linked_count, size(co_applied) AS co_applied_count,
       size(co_invented) AS co_invented_count, size(shared_inventors) AS shared_count,
       linked, co_applied
ORDER BY linked_count DESC, co_applied_count DESC, shared_count DESC, org_key, partner_org_key
SKIP $offset LIMIT $limit
"""


@question(
    title_zh="产学研合作网络",
    description_zh="科研机构与企业之间的合作关系：共同申请的专利、双方发明人共同完成的专利、同时任职于双方的"
                   "发明人，给出合作次数和代表专利。",
    measures="§11",
    params=(
        Param("institute", "str", "科研机构", "名称包含的文字或机构编号"),
        Param("enterprise", "str", "企业", "名称包含的文字或企业编号"),
        Param("min_patents", "int", "最少合作专利数", default=1, minimum=0),
    ),
    columns=(
        Column("org_key", "科研机构", "entity"), Column("org_name", "科研机构名称"),
        Column("partner_org_key", "合作企业", "entity"), Column("partner_name", "企业名称"),
        Column("linked_patents", "合作专利", "int"), Column("co_applied", "共同申请", "int"),
        Column("co_invented", "共同发明", "int"),
        Column("shared_inventors", "双重任职发明人", "int"),
        Column("patents", "代表专利", "list"), Column("reasons", "合作依据", "list"),
    ),
    order=110,
)
def industry_academia_network(store: Store, *, limit: int = 50, offset: int = 0,
                              institute: str | None = None, enterprise: str | None = None,
                              min_patents: int = 1) -> list[dict[str, Any]]:
    """Which institutes work with which enterprises, by joint applications and joint inventions?"""
    rows = store.read(INDUSTRY_ACADEMIA_NETWORK, {
        "institute": institute, "enterprise": enterprise, "min_patents": min_patents,
        "limit": limit, "offset": offset})
    out: list[dict[str, Any]] = []
    for r in rows:
        reasons: list[str] = []
        if r["co_applied_count"]:
            reasons.append(f"共同申请专利 {r['co_applied_count']} 件："
                           f"{join_zh(sorted(r['co_applied']), 3)}")
        if r["co_invented_count"]:
            reasons.append(f"双方发明人共同完成专利 {r['co_invented_count']} 件")
        if r["shared_count"]:
            reasons.append(f"{r['shared_count']} 名发明人同时任职于双方")
        out.append({
            "org_key": r["org_key"], "org_label": "Institute", "org_name": r["org_name"],
            "partner_org_key": r["partner_org_key"], "partner_org_label": "Enterprise",
            "partner_name": r["partner_name"], "linked_patents": r["linked_count"],
            "co_applied": r["co_applied_count"], "co_invented": r["co_invented_count"],
            "shared_inventors": r["shared_count"], "patents": sorted(r["linked"])[:5],
            "reasons": reasons})
    return out
