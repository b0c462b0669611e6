"""Industry-academia network (§11): institute-enterprise co-application and co-invention links."""

from __future__ import annotations

import json
from typing import Any

from graph.store import Store
from queries.catalogue import Column, Param, question
from queries.search import keys_named_like

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


# Ranked by derive.refresh (Institute.coop_*: parallel lists, one entry per pair, 1-based
# positions over every pair in the question's order). Any min_patents >= 1 is a prefix of that
# order, so the unfiltered page is the position range [offset + 1, offset + limit]; the
# institute and enterprise names are read live.
_COOP_RETURN = """
WITH i, k, i.coop_partners[k] AS partner
MATCH (e:Enterprise {org_key: partner})
WITH i, e, i.coop_pos[k] AS pos, i.coop_linked[k] AS linked_count,
     i.coop_applied[k] AS co_applied_count, i.coop_invented[k] AS co_invented_count,
     i.coop_shared[k] AS shared_count, i.coop_detail[k] AS detail
WHERE linked_count >= $min_patents
  AND ($enterprise IS NULL OR e.name CONTAINS $enterprise OR e.org_key = $enterprise)
RETURN i.org_key AS org_key, i.name AS org_name,
       e.org_key AS partner_org_key, e.name AS partner_name, linked_count,
       co_applied_count, co_invented_count, shared_count, detail, pos
ORDER BY pos
"""
COOP_PAGE = """
MATCH (i:Institute) WHERE i.coop_first < $last
WITH i, size([x IN i.coop_pos WHERE x < $first]) AS s,
     size([x IN i.coop_pos WHERE x < $last]) AS t
WHERE t > s
UNWIND range(s, t - 1) AS k
""" + _COOP_RETURN
COOP_FILTERED = """
MATCH (i:Institute)
WHERE i.coop_first >= 1
  AND ($institute IS NULL OR i.name CONTAINS $institute OR i.org_key = $institute)
UNWIND range(0, size(i.coop_pos) - 1) AS k
""" + _COOP_RETURN + "SKIP $offset LIMIT $limit\n"
# The enterprise filter reads only the pairs of the enterprises it can name: those whose names
# may contain it (search's names, kept per data version) and the value as a key, found in each
# institute's stored partner list in Python; _COOP_RETURN then applies the filter itself.
# (Reading every stored pair's partner to test its name: 0.42 s at 1M patents.)
COOP_PARTNERS = """
MATCH (i:Institute)
WHERE i.coop_first >= 1
  AND ($institute IS NULL OR i.name CONTAINS $institute OR i.org_key = $institute)
RETURN i.org_key AS org_key, i.coop_partners AS partners
"""
COOP_PICKED = """
UNWIND $picks AS pick
MATCH (i:Institute {org_key: pick.org_key})
UNWIND pick.at AS k
""" + _COOP_RETURN + "SKIP $offset LIMIT $limit\n"
COOP_DERIVED = "MATCH (i:Institute) WHERE i.target_patents >= 0 RETURN i.org_key LIMIT 1"


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
    params = {"institute": institute, "enterprise": enterprise, "min_patents": min_patents,
              "limit": limit, "offset": offset}
    named = None if enterprise is None else keys_named_like(store, "Enterprise", enterprise)
    if institute is None and enterprise is None:
        rows = store.read(COOP_PAGE, {**params, "first": offset + 1,
                                      "last": offset + limit + 1})
    elif enterprise is not None and named is not None:
        wanted = {*named, enterprise}
        picks = [{"org_key": r["org_key"], "at": at} for r in store.read(COOP_PARTNERS, params)
                 if (at := [k for k, e in enumerate(r["partners"] or ()) if e in wanted])]
        rows = store.read(COOP_PICKED, {**params, "picks": picks}) if picks else []
    else:
        rows = store.read(COOP_FILTERED, params)
    if not rows and not store.read(COOP_DERIVED):  # not derived yet: ask the graph itself
        rows = store.read(INDUSTRY_ACADEMIA_NETWORK, params)
    for r in rows:
        if "detail" in r:
            detail = json.loads(r.pop("detail"))
            r["linked"], r["co_applied"] = detail["patents"], detail["applied"]
            r.pop("pos", None)
    out: list[dict[str, Any]] = []
    for r in rows:
        reasons: list[str] = []
        if r["co_applied_count"]:
            # a stored pair keeps its first three co-applied patents (join_zh's 等N个 needs the
            # count, not the list)
            shown = "、".join(sorted(r["co_applied"])[:3])
            more = f"等{r['co_applied_count']}个" if r["co_applied_count"] > 3 else ""
            reasons.append(f"共同申请专利 {r['co_applied_count']} 件：{shown}{more}")
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
