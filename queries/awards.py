"""Award-winning patents for investment promotion (§22), with owners, industry and park."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from queries._ops_util import TIER_LABEL_ZH, join_zh, uniq_sorted
from queries.catalogue import Column, Param, question

AWARD_LEVELS = ("国家", "天津市", "河东区")
AWARD_KINDS = ("科技奖", "专利奖")

# A patent's awards and its best award (the ranking keys), and its answer row: shared by the
# live query and the stored pages.
_BEST_LEVEL = ("min(CASE a.level WHEN '国家' THEN 0 WHEN '天津市' THEN 1 WHEN '河东区' THEN 2 "
               "ELSE 3 END)")
_AWARDS_OF_P = """
WITH p, collect({name: a.name, level: a.level, grade: a.grade, year: a.year, kind: a.kind})
        AS awards,
     """ + _BEST_LEVEL + """ AS best_level,
     max(a.year) AS latest_year
"""
_AWARD_ROW = """
RETURN p.app_no AS app_no, p.title AS title, p.tier AS tier, p.is_valid AS is_valid,
       p.patent_type AS patent_type, awards, best_level, latest_year,
       [(p)-[:OWNED_BY]->(o) | {org_key: o.org_key, label: labels(o)[0], name: o.name}]
           AS owners,
       [(p)-[:OWNED_BY]->(o2)-[:LOCATED_IN]->(pk:Park) |
        {org_key: o2.org_key, park_id: pk.park_id, name: pk.name}] AS owner_parks,
       [(p)-[:IN_INDUSTRY_OF]->(i2:Industry) | i2.name] AS industries"""

# Start from the awards (few), reach their patents; a patent's best award decides its rank.
# The rank needs only each patent's best level and latest year (no award maps, owners or
# industries): those are read for the page's rows only, after SKIP/LIMIT. The park and
# industry filters are tested once per candidate patent, and only in the variants that set
# them (a pattern comprehension in a WITH is evaluated even when its parameter is null).
_AWARD_FILTER = """($level IS NULL OR a.level = $level) AND ($kind IS NULL OR a.kind = $kind)
  AND ($year_from IS NULL OR a.year >= $year_from) AND ($year_to IS NULL OR a.year <= $year_to)"""
# (one path MATCH each: FalkorDB expands it in batches, a pattern predicate per row is slower)
_PARK_FILTER = """MATCH (p)-[:OWNED_BY]->()-[:LOCATED_IN]->(:Park {park_id: $park_id})
WITH DISTINCT p, best_level, latest_year
"""
_INDUSTRY_FILTER = """MATCH (p)-[:IN_INDUSTRY_OF]->(i:Industry) WHERE i.name CONTAINS $industry
WITH DISTINCT p, best_level, latest_year
"""


def _award_cypher(park: bool, industry: bool) -> str:
    """The live list for one combination of the park / industry filters being set."""
    where = (_PARK_FILTER if park else "") + (_INDUSTRY_FILTER if industry else "")
    return f"""
MATCH (p:Patent)-[:WON]->(a:Award)
WHERE {_AWARD_FILTER}
WITH p, {_BEST_LEVEL} AS best_level, max(a.year) AS latest_year
{where}WITH p, best_level, latest_year ORDER BY best_level, latest_year DESC, p.app_no
SKIP $offset LIMIT $limit
WITH p
MATCH (p)-[:WON]->(a:Award)
WHERE {_AWARD_FILTER}""" + _AWARDS_OF_P + _AWARD_ROW + """
ORDER BY best_level, latest_year DESC, app_no
"""


# keyed by (park_id set, industry set)
AWARD_WINNING_PATENTS = {(park, industry): _award_cypher(park, industry)
                         for park in (False, True) for industry in (False, True)}


# The default list (no filter): derive.refresh stored each awarded patent's position in the
# order above (Patent.award_pos, indexed), so the page is an index range; the awards, owners,
# parks and industries of its rows are read live.
AWARD_PAGE = """
MATCH (p:Patent) WHERE p.award_pos >= $first AND p.award_pos < $last
MATCH (p)-[:WON]->(a:Award)
""" + _AWARDS_OF_P + _AWARD_ROW + """, p.award_pos AS pos
ORDER BY pos
"""
AWARD_DERIVED = "MATCH (p:Patent) WHERE p.award_pos >= 1 RETURN p.app_no AS app_no LIMIT 1"

# Only the park / industry filters set: they keep every award of a patent, so its best level
# and latest year, hence its rank, are those of the default list (Patent.award_pos). The
# filtered page is then the stored order read in windows of positions, each window's patents
# tested against the filters, until the page is full (a park holds ~6% of the awarded
# patents: the first page reads ~1k of the 8k positions at 1M instead of ranking all 8k).
_PARK_AT = """MATCH (p)-[:OWNED_BY]->()-[:LOCATED_IN]->(:Park {park_id: $park_id})
WITH DISTINCT p
"""
_INDUSTRY_AT = """MATCH (p)-[:IN_INDUSTRY_OF]->(i:Industry) WHERE i.name CONTAINS $industry
WITH DISTINCT p
"""
AWARD_WINDOW = {(park, industry): """
MATCH (p:Patent) WHERE p.award_pos >= $first AND p.award_pos < $last
WITH p
""" + (_PARK_AT if park else "") + (_INDUSTRY_AT if industry else "") + """RETURN p.award_pos AS pos
ORDER BY pos
""" for park in (False, True) for industry in (False, True) if park or industry}
# whether any stored position lies past a window (the windows stop at the list's end)
AWARD_AFTER = "MATCH (p:Patent) WHERE p.award_pos >= $last RETURN p.award_pos AS pos LIMIT 1"
# the page's rows, by their stored positions
AWARD_PAGE_AT = """
UNWIND $positions AS at
MATCH (p:Patent) WHERE p.award_pos = at
MATCH (p)-[:WON]->(a:Award)
""" + _AWARDS_OF_P + _AWARD_ROW + """, p.award_pos AS pos
ORDER BY pos
"""
AWARD_WINDOW_SIZE = 1024


def _filtered_page(store: Store, *, park_id: str | None, industry: str | None, offset: int,
                   limit: int, window: int = AWARD_WINDOW_SIZE) -> list[dict[str, Any]] | None:
    """A park / industry filtered page from the stored order; None when it is not derived."""
    cypher = AWARD_WINDOW[park_id is not None, industry is not None]
    need = offset + limit
    positions: list[int] = []
    first = 1
    while len(positions) < need:
        last = first + window
        positions += [r["pos"] for r in store.read(cypher, {
            "first": first, "last": last, "park_id": park_id, "industry": industry})]
        if len(positions) >= need or not store.read(AWARD_AFTER, {"last": last}):
            break
        first, window = last, window * 2  # sparse filters: fewer, larger windows
    if not positions and not store.read(AWARD_DERIVED):
        return None  # not derived yet: the live ranking
    page = positions[offset:need]
    return store.read(AWARD_PAGE_AT, {"positions": page}) if page else []


def _award_zh(a: dict[str, Any]) -> str:
    """'2022年 天津市 专利奖 一等奖：XX奖' for one award map."""
    head = " ".join(str(x) for x in (f"{a['year']}年" if a["year"] else "", a["level"],
                                      a["kind"], a["grade"]) if x)
    return f"{head}：{a['name']}" if head else str(a["name"])


@question(
    title_zh="获奖专利招商清单",
    description_zh="梳理获得科技奖、专利奖的专利技术清单，附权利人、所属产业细分领域和所在园区，用于招商"
                   "引资推介；可按奖项级别、类别、年度和园区筛选。",
    measures="§22",
    params=(
        Param("level", "enum", "奖项级别", choices=AWARD_LEVELS),
        Param("kind", "enum", "奖项类别", choices=AWARD_KINDS),
        Param("year_from", "int", "起始年度", minimum=1949, maximum=2100),
        Param("year_to", "int", "截止年度", minimum=1949, maximum=2100),
        Param("park_id", "str", "园区编号", "权利人入驻的园区"),
        Param("industry", "str", "产业", "所属产业细分领域名称包含的文字"),
    ),
    columns=(
        Column("app_no", "专利", "entity"), Column("title", "专利名称"),
        Column("awards", "获奖情况", "list"), Column("org_key", "权利人", "entity"),
        Column("org_name", "权利人名称"), Column("industries", "产业细分领域", "list"),
        Column("park_id", "园区", "entity"), Column("park_name", "园区名称"),
        Column("tier", "分级"), Column("reasons", "推介理由", "list"),
    ),
    order=220,
)
def award_winning_patents(store: Store, *, limit: int = 50, offset: int = 0,
                          level: str | None = None, kind: str | None = None,
                          year_from: int | None = None, year_to: int | None = None,
                          park_id: str | None = None,
                          industry: str | None = None) -> list[dict[str, Any]]:
    """Which award-winning patents, owners, industries and parks can investment promotion show?"""
    params = {"level": level, "kind": kind, "year_from": year_from, "year_to": year_to,
              "park_id": park_id, "industry": industry, "limit": limit, "offset": offset}
    rows = None
    if all(v is None for v in (level, kind, year_from, year_to, park_id, industry)):
        rows = store.read(AWARD_PAGE, {"first": offset + 1, "last": offset + limit + 1})
        if not rows and not store.read(AWARD_DERIVED):
            rows = None  # not derived yet
    elif all(v is None for v in (level, kind, year_from, year_to)):
        rows = _filtered_page(store, park_id=park_id, industry=industry, offset=offset,
                              limit=limit)
    if rows is None:
        rows = store.read(AWARD_WINNING_PATENTS[park_id is not None, industry is not None],
                          params)
    out: list[dict[str, Any]] = []
    for r in rows:
        awards = sorted(r["awards"], key=lambda a: (-(a["year"] or 0), str(a["name"])))
        # The owner shown is the one in the filtered park, else enterprises before institutes.
        for o in r["owners"]:
            o["parks"] = [pk for pk in r["owner_parks"] if pk["org_key"] == o["org_key"]]
        owners = sorted(r["owners"], key=lambda o: (
            not any(pk["park_id"] == park_id for pk in o["parks"]) if park_id else False,
            not o["parks"], o["label"] != "Enterprise", str(o["org_key"])))
        first = owners[0] if owners else {"parks": []}
        parks = sorted(first["parks"], key=lambda pk: (pk["park_id"] != park_id,
                                                       str(pk["park_id"])))
        industries = uniq_sorted(r["industries"])
        reasons = [f"获奖：{_award_zh(a)}" for a in awards[:3]]
        if len(awards) > 3:
            reasons.append(f"共获奖 {len(awards)} 项")
        if owners:
            reasons.append(f"权利人：{join_zh([o['name'] for o in owners], 3)}")
        if industries:
            reasons.append(f"所属产业：{join_zh(industries, 3)}")
        if parks:
            reasons.append(f"所在园区：{parks[0]['name']}")
        if r["tier"]:
            reasons.append(f"专利分级：{TIER_LABEL_ZH.get(r['tier'], r['tier'])}"
                           + ("" if r["is_valid"] else "（已失效）"))
        out.append({
            "app_no": r["app_no"], "title": r["title"], "tier": r["tier"],
            "is_valid": r["is_valid"], "awards": [_award_zh(a) for a in awards],
            "org_key": first.get("org_key"), "org_label": first.get("label"),
            "org_name": first.get("name"), "owners": [o["name"] for o in owners],
            "industries": industries, "park_id": parks[0]["park_id"] if parks else None,
            "park_name": parks[0]["name"] if parks else None, "reasons": reasons})
    return out
