"""Patent-intensive product filing candidates (§9): products and enterprises ready to file."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from queries._ops_util import ENTERPRISE_TAGS, uniq_sorted, wan
from queries.catalogue import Column, Param, question

# Filing statuses that mean "already filed or recognised" on the national platform.
FILED_STATUSES = ("已备案", "备案", "已认定", "认定", "备案认定")
# §9 names these enterprise qualifications as the focus of filing work.
PRIORITY_TAGS = ENTERPRISE_TAGS + ("科技型企业",)
CANDIDATE_ZH = {"product": "产品", "enterprise": "企业"}

# Products first (rank 0), then tagged enterprises with valid inventions but no filed product.
# derive.refresh stores the counts (Product.valid_uses / valid_use_inventions / use_top,
# Enterprise.valid_inventions / invention_top / filed_product) and ranks the enterprise
# candidates once (Enterprise.product_cand_pos, most inventions first, so any minimum count
# is a prefix of that order): products (few) are ranked from their stored counts, the
# enterprises are one index range.
_PRODUCT_ROWS = """
MATCH (e:Enterprise)-[:MAKES]->(pr:Product)
WHERE ($include_filed OR NOT coalesce(pr.filing_status, '') IN $filed_statuses)
  AND pr.valid_uses >= $min_valid_patents
"""
PRODUCT_CANDIDATE_COUNT = _PRODUCT_ROWS + "RETURN count(*) AS n"
PRODUCT_CANDIDATES = _PRODUCT_ROWS + """
WITH e, pr ORDER BY pr.valid_uses DESC, pr.valid_use_inventions DESC, pr.product_id, e.org_key
SKIP $offset LIMIT $limit
RETURN 0 AS rank, pr.valid_uses AS support, pr.valid_use_inventions AS inventions,
       pr.use_top AS top, e.org_key AS org_key, e.name AS org_name,
       coalesce(e.tags, []) AS tags, pr.product_id AS product_id, pr.name AS product_name,
       pr.filing_status AS filing_status, pr.revenue AS revenue,
       [(e)-[:LOCATED_IN]->(pk:Park) | pk.park_id] AS parks,
       [(e)-[:MAKES]->(y:Product) | y.product_id] AS products_made
ORDER BY support DESC, inventions DESC, product_id, org_key
"""
ENTERPRISE_CANDIDATES = """
MATCH (e:Enterprise)
WHERE e.product_cand_pos >= $first AND e.product_cand_pos < $last
  AND e.valid_inventions >= $min_valid_patents
RETURN 1 AS rank, e.valid_inventions AS support, e.valid_inventions AS inventions,
       e.invention_top AS top, e.org_key AS org_key, e.name AS org_name,
       coalesce(e.tags, []) AS tags, null AS product_id, null AS product_name,
       null AS filing_status, null AS revenue,
       [(e)-[:LOCATED_IN]->(pk:Park) | pk.park_id] AS parks,
       [(e)-[:MAKES]->(y:Product) | y.product_id] AS products_made, e.product_cand_pos AS pos
ORDER BY pos
"""


@question(
    title_zh="专利密集型产品备案候选",
    description_zh="找出可申请专利密集型产品备案的对象：使用有效专利但尚未备案的产品，以及具有知识产权"
                   "优势示范企业、专精特新、高新技术企业、科技型企业等资质、拥有有效发明专利却还没有已备案"
                   "产品的企业。",
    measures="§9",
    params=(
        Param("candidate", "enum", "候选类型", "product=产品，enterprise=企业；不填为两者",
              choices=("product", "enterprise")),
        Param("min_valid_patents", "int", "最少有效专利数",
              "产品使用的有效专利数或企业有效发明专利数下限",
              default=1, minimum=1),
        Param("include_filed", "bool", "含已备案产品", "是否也列出已备案/认定的产品",
              default=False),
    ),
    columns=(
        Column("candidate", "候选类型"), Column("product_id", "产品编号"),
        Column("product_name", "产品名称"), Column("filing_status", "备案状态"),
        Column("org_key", "企业", "entity"), Column("org_name", "企业名称"),
        Column("tags", "资质", "list"), Column("park_id", "园区", "entity"),
        Column("valid_patents", "支撑有效专利", "int"),
        Column("valid_inventions", "其中发明", "int"),
        Column("patents", "代表专利", "list"), Column("reasons", "入选理由", "list"),
    ),
    order=90,
)
def patent_intensive_product_candidates(
        store: Store, *, limit: int = 50, offset: int = 0, candidate: str | None = None,
        min_valid_patents: int = 1, include_filed: bool = False) -> list[dict[str, Any]]:
    """Which products and enterprises have the valid patents to file as patent-intensive?"""
    params = {"min_valid_patents": min_valid_patents, "include_filed": include_filed,
              "filed_statuses": list(FILED_STATUSES)}
    rows: list[dict[str, Any]] = []
    if candidate in (None, "product"):
        rows = store.read(PRODUCT_CANDIDATES, {**params, "offset": offset, "limit": limit})
    if candidate in (None, "enterprise") and len(rows) < limit:
        before = 0
        if candidate is None:
            before = store.read(PRODUCT_CANDIDATE_COUNT, params)[0]["n"]
        first = max(0, offset - before) + 1  # positions are 1-based
        rows += store.read(ENTERPRISE_CANDIDATES, {
            "min_valid_patents": min_valid_patents, "first": first,
            "last": first + limit - len(rows)})
    out: list[dict[str, Any]] = []
    for r in rows:
        kind = "product" if r["rank"] == 0 else "enterprise"
        tags = [t for t in PRIORITY_TAGS if t in r["tags"]]
        reasons: list[str] = []
        if kind == "product":
            reasons.append(f"产品使用有效专利 {r['support']} 件，其中发明 {r['inventions']} 件")
            status = r["filing_status"] or "未填写"
            reasons.append(f"备案状态：{status}")
            if r["revenue"]:
                reasons.append(f"年销售收入 {wan(r['revenue'])}")
            if tags:
                reasons.append("生产企业资质：" + "、".join(tags))
        else:
            reasons.append("企业资质：" + "、".join(tags) + "（§9 重点企业）")
            reasons.append(f"拥有有效发明专利 {r['support']} 件")
            made = uniq_sorted(r["products_made"])
            reasons.append(f"已登记 {len(made)} 个产品但均未备案" if made else "尚无备案产品")
        parks = uniq_sorted(r["parks"])
        out.append({
            "candidate": kind, "candidate_zh": CANDIDATE_ZH[kind],
            "product_id": r["product_id"], "product_name": r["product_name"],
            "filing_status": r["filing_status"], "org_key": r["org_key"],
            "org_label": "Enterprise", "org_name": r["org_name"], "tags": r["tags"],
            "park_id": parks[0] if parks else None, "valid_patents": r["support"],
            "valid_inventions": r["inventions"], "patents": list(r["top"] or []),
            "reasons": reasons})
    return out
