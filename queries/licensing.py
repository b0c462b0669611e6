"""Open-licence search (§12, §16): offers with fee terms, technical field and the patent's tier."""

from __future__ import annotations

from typing import Any

from graph.props import write_props
from graph.store import Store
from queries._ops_util import FEE_MODEL_ZH, FEE_MODELS, TIER_LABEL_ZH, wan
from queries.catalogue import Column, Param, question

# Offers are far fewer than patents, so the offer label is the starting point (the WITH
# keeps FalkorDB from starting at the Patent label because the filters name p).
# One answer row per (offer, patent), shared by the live query and the stored pages.
_OFFER_ROW = """
RETURN o.offer_id AS offer_id, p.app_no AS app_no, p.title AS title,
       p.patent_type AS patent_type, p.tier AS tier, p.value_score AS value_score,
       p.is_valid AS is_valid, o.field AS field, o.industry AS industry,
       o.fee_model AS fee_model, o.fee AS fee, o.royalty_rate AS royalty_rate,
       o.declared_date AS declared_date, o.platform AS platform, tier_rank,
       [(o)-[:OFFERED_BY_ORG]->(org) | {org_key: org.org_key, label: labels(org)[0],
                                         name: org.name}] AS licensors
ORDER BY tier_rank, declared_date DESC, offer_id
"""
# An offer's rank by its patent's tier (the first key of the default order).
_TIER_RANK = """
WITH p, o, CASE p.tier WHEN 'A' THEN 0 WHEN 'B' THEN 1 WHEN 'C' THEN 2 WHEN 'X' THEN 3
                       ELSE 4 END AS tier_rank
"""
# The offer's own filters (the live query and the stored-position page share them).
_OFFER_FILTERS = """ ($field IS NULL OR o.field CONTAINS $field)
  AND ($industry IS NULL OR o.industry CONTAINS $industry)
  AND ($fee_model IS NULL OR o.fee_model = $fee_model)"""
OPEN_LICENCE_SEARCH = """
MATCH (o:OpenLicenceOffer)
WITH o
MATCH (p:Patent)-[:OFFERED_AS]->(o)
WHERE""" + _OFFER_FILTERS + """
  AND ($keyword IS NULL OR p.title CONTAINS $keyword)
  AND ($tier IS NULL OR p.tier = $tier)
  AND (NOT $valid_only OR p.is_valid = true)
""" + _TIER_RANK + """ORDER BY tier_rank, o.declared_date DESC, o.offer_id
SKIP $offset LIMIT $limit
""" + _OFFER_ROW

# Positions in the default order (all offers / offers of valid patents), stored by
# refresh_open_licence: an unfiltered page is one index range instead of a sort of every offer.
_STORED_PAGE = """
MATCH (o:OpenLicenceOffer) WHERE o.licence_pos >= $first AND o.licence_pos < $last
WITH o
MATCH (p:Patent)-[:OFFERED_AS]->(o)
""" + _TIER_RANK + _OFFER_ROW
OPEN_LICENCE_PAGE = {False: _STORED_PAGE, True: _STORED_PAGE.replace("licence_pos",
                                                                      "licence_valid_pos")}
# With filters: the patent's title, tier and validity as of the refresh are stored on the offer
# too (patent_title/_tier/_valid), so the filters and the order read offers only and just the
# page's rows walk to their patents.
OPEN_LICENCE_FILTERED = """
MATCH (o:OpenLicenceOffer)
WHERE o.licence_pos >= 1
  AND""" + _OFFER_FILTERS + """
  AND ($keyword IS NULL OR o.patent_title CONTAINS $keyword)
  AND ($tier IS NULL OR o.patent_tier = $tier)
  AND (NOT $valid_only OR o.patent_valid = true)
WITH o ORDER BY o.licence_pos SKIP $offset LIMIT $limit
MATCH (p:Patent)-[:OFFERED_AS]->(o)
""" + _TIER_RANK + _OFFER_ROW
# The default order as the engine sorts it (so positions equal the live query's order).
OPEN_LICENCE_ORDER = """
MATCH (o:OpenLicenceOffer)
WITH o
MATCH (p:Patent)-[:OFFERED_AS]->(o)
""" + _TIER_RANK + """ORDER BY tier_rank, o.declared_date DESC, o.offer_id
RETURN o.offer_id AS offer_id, p.is_valid = true AS valid, p.title AS title, p.tier AS tier
"""
# Stored per offer by refresh_open_licence (graph.props.write_props: the nulls one per statement)
OPEN_LICENCE_PROPS = ("licence_pos", "licence_valid_pos", "patent_title", "patent_tier",
                      "patent_valid")
# An offer without a position (loaded after the last refresh) sends pages to the live query.
OPEN_LICENCE_POS_MISSING = """
MATCH (o:OpenLicenceOffer) WHERE o.licence_pos IS NULL
MATCH (:Patent)-[:OFFERED_AS]->(o)
RETURN o.offer_id AS offer_id LIMIT 1
"""


def refresh_open_licence(store: Store) -> int:
    """Store each offer's 1-based position in the default order (licence_pos; and among the
    offers of valid patents, licence_valid_pos) and its patent's title, tier and validity
    (the filters of the question). An offer of several patents is several
    answer rows, which one position cannot name: then no positions, and pages query live."""
    rows = store.read(OPEN_LICENCE_ORDER, timeout_ms=600_000)
    out: list[dict[str, Any]] = []
    if len({r["offer_id"] for r in rows}) == len(rows):  # else no offer keeps a position
        valid_pos = 0
        for pos, r in enumerate(rows, start=1):
            valid_pos += bool(r["valid"])
            out.append({"offer_id": r["offer_id"], "licence_pos": pos, "patent_title": r["title"],
                        "patent_tier": r["tier"], "patent_valid": bool(r["valid"]),
                        "licence_valid_pos": valid_pos if r["valid"] else None})
    write_props(store, "OpenLicenceOffer", out, OPEN_LICENCE_PROPS, every=True)
    return len(out)


def _fee_terms_zh(model: str | None, fee: float | None, rate: float | None) -> str:
    """'基本许可费加提成（许可费 5万元，提成 3%）' from an offer's fee terms."""
    parts = []
    if fee:
        parts.append(f"许可费 {wan(fee)}")
    if rate:
        pct = rate * 100 if rate <= 1 else rate  # stored as a fraction; tolerate percentages
        parts.append(f"提成 {pct:g}%")
    name = FEE_MODEL_ZH.get(model or "", model or "未注明付费方式")
    return name + (f"（{'，'.join(parts)}）" if parts else "")


@question(
    title_zh="开放许可检索",
    description_zh="检索开放许可声明：按技术领域、适用产业、付费方式和专利名称关键词筛选，列出许可费条件、"
                   "技术领域和专利分级。",
    measures="§12, §16",
    params=(
        Param("keyword", "str", "关键词", "专利名称中包含的文字"),
        Param("field", "str", "技术领域", "技术领域包含的文字"),
        Param("industry", "str", "适用产业", "适用产业包含的文字"),
        Param("fee_model", "enum", "付费方式",
              "lump_sum=一次性付费，base_plus_royalty=基本许可费加提成，"
              "try_then_pay=先试用后付费，royalty=按销售额提成", choices=FEE_MODELS),
        Param("tier", "enum", "专利分级", choices=("A", "B", "C", "X")),
        Param("valid_only", "bool", "仅有效专利", default=True),
    ),
    columns=(
        Column("offer_id", "声明编号"), Column("app_no", "专利", "entity"),
        Column("title", "专利名称"), Column("field", "技术领域"), Column("industry", "适用产业"),
        Column("fee_model_zh", "付费方式"), Column("fee", "许可费（元）", "float"),
        Column("royalty_rate", "提成比例", "float"), Column("declared_date", "声明日"),
        Column("platform", "发布平台"), Column("tier", "分级"),
        Column("org_key", "许可人", "entity"), Column("org_name", "许可人名称"),
        Column("reasons", "说明", "list"),
    ),
    order=120,
)
def open_licence_search(store: Store, *, limit: int = 50, offset: int = 0,
                        keyword: str | None = None, field: str | None = None,
                        industry: str | None = None, fee_model: str | None = None,
                        tier: str | None = None, valid_only: bool = True) -> list[dict[str, Any]]:
    """Which open-licence offers match a field, industry, fee model or title keyword?"""
    params = {"keyword": keyword, "field": field, "industry": industry,
              "fee_model": fee_model, "tier": tier, "valid_only": valid_only, "limit": limit,
              "offset": offset}
    if keyword is None and field is None and industry is None and fee_model is None \
            and tier is None:
        rows = store.read(OPEN_LICENCE_PAGE[bool(valid_only)],
                          {"first": offset + 1, "last": offset + limit + 1})
    else:
        rows = store.read(OPEN_LICENCE_FILTERED, params)
    if len(rows) < limit and store.read(OPEN_LICENCE_POS_MISSING):
        # not derived yet, or an offer of several patents: ask live
        rows = store.read(OPEN_LICENCE_SEARCH, params)
    out: list[dict[str, Any]] = []
    for r in rows:
        licensors = sorted(r["licensors"], key=lambda o: str(o["org_key"]))
        first = licensors[0] if licensors else {}
        reasons = [f"付费方式：{_fee_terms_zh(r['fee_model'], r['fee'], r['royalty_rate'])}",
                   f"技术领域：{r['field'] or '未注明'}；适用产业：{r['industry'] or '未注明'}"]
        if r["tier"]:
            score = f"，价值分 {r['value_score']:.0f}" if r["value_score"] is not None else ""
            reasons.append(f"专利分级：{TIER_LABEL_ZH.get(r['tier'], r['tier'])}{score}")
        reasons.append("专利有效" if r["is_valid"] else "专利已失效或未授权")
        if keyword:
            reasons.append(f"专利名称含“{keyword}”")
        out.append({
            "offer_id": r["offer_id"], "app_no": r["app_no"], "title": r["title"],
            "field": r["field"], "industry": r["industry"], "fee_model": r["fee_model"],
            "fee_model_zh": FEE_MODEL_ZH.get(r["fee_model"] or "", r["fee_model"]),
            "fee": r["fee"], "royalty_rate": r["royalty_rate"],
            "declared_date": r["declared_date"], "platform": r["platform"],
            "tier": r["tier"], "value_score": r["value_score"], "is_valid": r["is_valid"],
            "org_key": first.get("org_key"), "org_label": first.get("label"),
            "org_name": first.get("name"), "reasons": reasons})
    return out
