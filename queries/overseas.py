"""Overseas exposure (§23): patents with families abroad and enterprises exposed abroad."""

from __future__ import annotations

from typing import Any

from graph.props import write_props
from graph.store import Store
from queries._ops_util import join_zh, uniq_sorted
from queries.catalogue import Column, Param, question

# Enterprise view: an overseas business flag or owned patents with family members abroad,
# most such patents first. derive.refresh stores each enterprise's counts (all / valid only),
# its biggest family, its five biggest, and the page positions of both orders: a page is one
# index range.
OVERSEAS_ENTERPRISES = {
    # property names are fixed here, never input
    valid_only: f"""
MATCH (e:Enterprise) WHERE e.{pos} >= $first AND e.{pos} < $last
RETURN e.org_key AS org_key, e.name AS org_name, e.{part}_top AS abroad,
       e.{part}_count AS abroad_count, CASE WHEN e.overseas = true THEN 1 ELSE 0 END AS overseas,
       e.{part}_family AS max_family,
       [(e)-[:INSURED_BY]->(ip:InsurancePolicy) | ip.kind] AS policies,
       [(e)-[:LOCATED_IN]->(pk:Park) | pk.park_id] AS parks, e.{pos} AS pos
ORDER BY pos
""" for valid_only, part, pos in ((False, "abroad", "overseas_pos"),
                                  (True, "abroad_valid", "overseas_valid_pos"))}
# Patent view: every patent with a family member abroad, biggest families first.
_PATENT_ROW = """
RETURN p.app_no AS app_no, p.title AS title, p.tier AS tier, p.is_valid AS is_valid,
       family_size,
       [(p)-[:OWNED_BY]->(o) | {org_key: o.org_key, label: labels(o)[0], name: o.name,
                                overseas: o.overseas}] AS owners,
       [(p)-[:INSURED_BY]->(ip:InsurancePolicy) | ip.kind] AS policies
ORDER BY family_size DESC, app_no
"""
OVERSEAS_PATENTS = """
MATCH (p:Patent)
WHERE p.has_family_abroad = true AND (NOT $valid_only OR p.is_valid = true)
WITH p, coalesce(p.family_size, 0) AS family_size
ORDER BY family_size DESC, p.app_no
SKIP $offset LIMIT $limit
""" + _PATENT_ROW
# refresh_overseas_patents stores each such patent's position in that order (all / valid
# only): a page is one index range instead of a scan and sort of every patent.
OVERSEAS_PATENT_PAGE = {valid_only: f"""
MATCH (p:Patent) WHERE p.{pos} >= $first AND p.{pos} < $last
WITH p, coalesce(p.family_size, 0) AS family_size
""" + _PATENT_ROW for valid_only, pos in ((False, "overseas_pos"), (True, "overseas_valid_pos"))}
OVERSEAS_PATENT_ORDER = """
MATCH (p:Patent) WHERE p.has_family_abroad = true
WITH p, coalesce(p.family_size, 0) AS family_size
ORDER BY family_size DESC, p.app_no
RETURN p.app_no AS app_no, p.is_valid = true AS valid
"""
# Written by graph.props.write_props: FalkorDB before 4.20 removes the wrong attributes when
# one statement removes two properties of a node.
OVERSEAS_PATENT_PROPS = ("overseas_pos", "overseas_valid_pos")
OVERSEAS_PATENT_DERIVED = """
MATCH (p:Patent) WHERE p.overseas_pos = 1 RETURN p.app_no AS app_no LIMIT 1
"""


def refresh_overseas_patents(store: Store) -> int:
    """Store each patent with a family abroad its 1-based position in the patent view's order
    (overseas_pos) and among the valid ones (overseas_valid_pos)."""
    rows = store.read(OVERSEAS_PATENT_ORDER, timeout_ms=600_000)
    out, valid_pos = [], 0
    for pos, r in enumerate(rows, start=1):
        valid_pos += bool(r["valid"])
        out.append({"app_no": r["app_no"], "overseas_pos": pos,
                    "overseas_valid_pos": valid_pos if r["valid"] else None})
    write_props(store, "Patent", out, OVERSEAS_PATENT_PROPS, every=True)
    return len(out)


def _enterprise_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        reasons = []
        if r["overseas"]:
            reasons.append("企业有海外业务")
        if r["abroad_count"]:
            # the five biggest families are stored; join_zh names three and counts them all
            examples = list(r["abroad"] or [])
            named = "、".join(examples[:3]) + (f"等{r['abroad_count']}个"
                                                if r["abroad_count"] > 3 else "")
            reasons.append(f"{r['abroad_count']} 件专利有海外同族"
                           f"（最大同族 {r['max_family']} 件）：{named}")
        else:
            examples = []
            reasons.append("尚无海外同族专利，出海前宜提前布局")
        policies = uniq_sorted(r["policies"])
        reasons.append("已投保：" + "、".join(policies) if policies
                       else "尚无知识产权保险，可对接海外维权服务通道与侵权损失险")
        parks = uniq_sorted(r["parks"])
        out.append({"view": "enterprise", "app_no": None, "title": None,
                    "org_key": r["org_key"], "org_label": "Enterprise",
                    "org_name": r["org_name"], "overseas": bool(r["overseas"]),
                    "patents_abroad": r["abroad_count"], "family_size": r["max_family"],
                    "patents": examples[:5], "park_id": parks[0] if parks else None,
                    "reasons": reasons})
    return out


def _patent_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        owners = sorted(r["owners"], key=lambda o: (o["label"] != "Enterprise",
                                                    str(o["org_key"])))
        first = owners[0] if owners else {}
        reasons = [f"有海外同族，同族 {r['family_size']} 件"]
        if owners:
            reasons.append(f"权利人：{join_zh([o['name'] for o in owners], 3)}")
        if any(o.get("overseas") for o in owners):
            reasons.append("权利人有海外业务，存在境外纠纷风险")
        policies = uniq_sorted(r["policies"])
        reasons.append("已投保：" + "、".join(policies) if policies else "尚未投保知识产权保险")
        if not r["is_valid"]:
            reasons.append("国内专利已失效")
        out.append({"view": "patent", "app_no": r["app_no"], "title": r["title"],
                    "org_key": first.get("org_key"), "org_label": first.get("label"),
                    "org_name": first.get("name"),
                    "overseas": any(bool(o.get("overseas")) for o in owners),
                    "patents_abroad": 1, "family_size": r["family_size"],
                    "patents": [r["app_no"]], "park_id": None, "reasons": reasons})
    return out


@question(
    title_zh="海外布局与维权",
    description_zh="服务企业“走出去”和海外维权：列出有海外业务或海外同族专利的企业（view=enterprise），或"
                   "全部有海外同族的专利（view=patent），附保险情况。",
    measures="§23",
    params=(
        Param("view", "enum", "视角", "enterprise=企业，patent=专利", default="enterprise",
              choices=("enterprise", "patent")),
        Param("valid_only", "bool", "仅有效专利", default=False),
    ),
    columns=(
        Column("org_key", "企业/权利人", "entity"), Column("org_name", "名称"),
        Column("app_no", "专利", "entity"), Column("title", "专利名称"),
        Column("overseas", "海外业务", "bool"), Column("patents_abroad", "海外同族专利", "int"),
        Column("family_size", "同族数", "int"), Column("patents", "代表专利", "list"),
        Column("reasons", "说明", "list"),
    ),
    order=230,
)
def overseas_exposure(store: Store, *, limit: int = 50, offset: int = 0,
                      view: str = "enterprise", valid_only: bool = False) -> list[dict[str, Any]]:
    """Which enterprises and patents are exposed abroad and may need overseas rights protection?"""
    if view == "patent":
        rows = store.read(OVERSEAS_PATENT_PAGE[bool(valid_only)], {
            "first": offset + 1, "last": offset + limit + 1})  # positions are 1-based
        if len(rows) < limit and not store.read(OVERSEAS_PATENT_DERIVED):
            rows = store.read(OVERSEAS_PATENTS, {  # not derived yet
                "valid_only": valid_only, "limit": limit, "offset": offset})
        return _patent_rows(rows)
    if view != "enterprise":
        raise ValueError("view must be 'enterprise' or 'patent'")
    return _enterprise_rows(store.read(OVERSEAS_ENTERPRISES[bool(valid_only)], {
        "first": offset + 1, "last": offset + limit + 1}))  # positions are 1-based
