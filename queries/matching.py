"""§2: push patents to the enterprises that fit them best, with the reasons of each match."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from patentkg.errors import InputError
from queries._lookup import subsector_keys
from queries.catalogue import Column, Param, question

# The match score is transparent: 60% the enterprise's precomputed fit (FITS) to the patent's
# cluster or subsector, 20 points for shared IPC main groups (10 for only a shared subclass),
# 15 for a past co-application with the patent's holder, 5 for being located in a park.
_MATCH_TAIL = """
MATCH (p)-[:IN_CLUSTER|IN_INDUSTRY_OF]->(t)<-[f:FITS]-(e:Enterprise)
WHERE NOT (p)-[:OWNED_BY|APPLIED_BY]->(e)
WITH p, e, f ORDER BY f.score DESC
WITH p, e, max(f.score) AS fit, collect(f.reasons)[0] AS fit_reasons
OPTIONAL MATCH (p)-[:OWNED_BY|APPLIED_BY]->(:Institute)-[co:CO_APPLIED_WITH]->(e)
OPTIONAL MATCH (e)-[:LOCATED_IN]->(k:Park)
WITH p, e, fit, fit_reasons, count(co) > 0 AS co_applied, collect(DISTINCT k.name) AS parks,
     [c IN coalesce(p.ipc_codes, []) WHERE c IN coalesce(e.ipc_groups, [])] AS shared_groups,
     [c IN coalesce(p.ipc_subclasses, []) WHERE c IN coalesce(e.ipc_subclasses, [])]
       AS shared_subclasses
WITH p, e, fit, fit_reasons, co_applied, parks, shared_groups, shared_subclasses,
     round(100 * (0.6 * fit
       + CASE WHEN size(shared_groups) > 0 THEN 20 WHEN size(shared_subclasses) > 0 THEN 10
              ELSE 0 END
       + CASE WHEN co_applied THEN 15 ELSE 0 END
       + CASE WHEN size(parks) > 0 THEN 5 ELSE 0 END)) / 100.0 AS match_score
RETURN p.app_no AS app_no, p.title AS title, p.tier AS tier, p.value_score AS value_score,
       e.org_key AS org_key, e.name AS enterprise, e.tags AS enterprise_tags, parks,
       match_score, fit AS fit_score, fit_reasons, co_applied, shared_groups, shared_subclasses,
       p.subsectors AS subsectors
ORDER BY match_score DESC, app_no, org_key
SKIP $offset LIMIT $limit
"""
MATCH_BY_PATENT = """
MATCH (p:Patent {app_no: $app_no})
""" + _MATCH_TAIL
MATCH_BY_SUBSECTOR = """
MATCH (s:Industry) WHERE s.industry_id IN $subsectors
MATCH (p:Patent)-[:IN_INDUSTRY_OF]->(s)
WHERE p.is_valid = true AND ($tier IS NULL OR p.tier = $tier)
WITH DISTINCT p
""" + _MATCH_TAIL
MATCH_BY_TIER = """
MATCH (p:Patent) WHERE p.tier = $tier AND p.is_valid = true
""" + _MATCH_TAIL
PATENT_EXISTS = "MATCH (p:Patent {app_no: $app_no}) RETURN p.app_no AS app_no"


def match_reasons(row: dict[str, Any]) -> list[str]:
    """The Chinese reasons of one patent-enterprise match row."""
    reasons = list(row.get("fit_reasons") or [])
    if row.get("shared_groups"):
        reasons.append("共享IPC主组：" + "、".join(row["shared_groups"][:3]))
    elif row.get("shared_subclasses"):
        reasons.append("共享IPC小类：" + "、".join(row["shared_subclasses"][:3]))
    if row.get("co_applied"):
        reasons.append("曾与该专利的权利人（科研机构）联合申请专利")
    if row.get("parks"):
        reasons.append("位于" + "、".join(row["parks"]))
    if row.get("tier"):
        reasons.append(f"专利分级 {row['tier']}，价值分 {row.get('value_score') or 0:.1f}")
    return reasons


@question(
    title_zh="专利-企业匹配推送",
    description_zh="为一件专利、一个分级或一个主导产业细分领域找出最适配的区内企业，"
                   "给出匹配分与理由（共享IPC、产业契合、与权利人合作史、所在园区）。",
    measures="§2",
    params=(
        Param("app_no", "str", "申请号", "一件专利的申请号"),
        Param("tier", "enum", "分级", "按分级推送（可与细分领域合用）", choices=("A", "B", "C")),
        Param("subsector", "str", "主导产业细分领域", "细分领域名称或编号"),
    ),
    columns=(
        Column("app_no", "申请号"), Column("title", "专利名称"), Column("tier", "分级"),
        Column("enterprise", "企业"), Column("org_key", "企业编号"),
        Column("match_score", "匹配分", "float"), Column("parks", "所在园区", "list"),
        Column("subsectors", "主导产业细分领域", "list"), Column("reasons", "匹配理由", "list"),
    ),
    order=20,
)
def patent_enterprise_match(store: Store, *, limit: int, offset: int, app_no: str | None = None,
                            tier: str | None = None, subsector: str | None = None
                            ) -> list[dict[str, Any]]:
    """Which enterprises fit a patent (or a tier / subsector of patents) best, and why?"""
    paging = {"offset": offset, "limit": limit}
    if app_no:
        app_no = app_no.strip().upper()
        if not store.read(PATENT_EXISTS, {"app_no": app_no}):
            raise InputError(f"未找到专利：{app_no}", f"no patent {app_no!r}",
                             details={"parameter": "app_no", "value": app_no})
        rows = store.read(MATCH_BY_PATENT, {"app_no": app_no, **paging})
    elif subsector:
        rows = store.read(MATCH_BY_SUBSECTOR, {"subsectors": subsector_keys(store, subsector),
                                               "tier": tier, **paging})
    elif tier:
        rows = store.read(MATCH_BY_TIER, {"tier": tier, **paging})
    else:
        raise InputError("请至少指定申请号、分级或主导产业细分领域之一",
                         "give app_no, tier or subsector", details={"parameter": "app_no"})
    for row in rows:
        row["reasons"] = match_reasons(row)
    return rows
