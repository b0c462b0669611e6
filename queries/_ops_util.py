"""Small helpers shared by the operations questions (roadshow, finance, licensing, ...).

Pure Python: formatting money and lists for the Chinese reasons, ordering tiers, today's date;
and walking a stored ranking in windows (the roadshow and pledge questions' filters).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from graph.store import Store

TIER_RANK = {"A": 0, "B": 1, "C": 2, "X": 3}
TIER_LABEL_ZH = {"A": "A级", "B": "B级", "C": "C级", "X": "X级"}
FEE_MODEL_ZH = {"lump_sum": "一次性付费", "base_plus_royalty": "基本许可费加提成",
                "try_then_pay": "先试用后付费", "royalty": "按销售额提成"}
FEE_MODELS = tuple(FEE_MODEL_ZH)
ENTERPRISE_TAGS = ("专精特新", "高新技术企业", "科技型中小企业", "知识产权优势示范企业")
PATENT_TYPE_ZH = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}


def today_iso() -> str:
    """Today's date as an ISO string (the graph stores dates as ISO strings)."""
    return date.today().isoformat()


def wan(amount: float | int | None) -> str:
    """Format an amount in yuan as 万元 for the Chinese reasons."""
    value = float(amount or 0.0) / 10_000
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}万元"


def join_zh(items: Iterable[Any], most: int = 5) -> str:
    """Join names with 、, shortening long lists with 等N个."""
    names = [str(x) for x in items if x not in (None, "")]
    if len(names) <= most:
        return "、".join(names)
    return "、".join(names[:most]) + f"等{len(names)}个"


def uniq_sorted(items: Iterable[Any]) -> list[Any]:
    """Distinct non-empty values in a stable sorted order (graph lists come unordered)."""
    return sorted({x for x in items if x not in (None, "")}, key=str)


def patent_sort_key(p: dict[str, Any]) -> tuple[int, float, str]:
    """Best patents first: tier A before B before C, then higher value score, then app_no."""
    return (TIER_RANK.get(p.get("tier") or "", 9), -float(p.get("value_score") or 0.0),
            str(p.get("app_no")))


def top_patents(patents: Iterable[dict[str, Any]], most: int = 5) -> list[str]:
    """The application numbers of the best few patents of a list of patent maps."""
    return [p["app_no"] for p in sorted(patents, key=patent_sort_key)[:most]]


def tier_counts_zh(patents: Iterable[dict[str, Any]]) -> str:
    """'A级 2 件、B级 3 件' for the tiers present in a list of patent maps."""
    counts: dict[str, int] = {}
    for p in patents:
        if p.get("tier") in TIER_RANK:
            counts[p["tier"]] = counts.get(p["tier"], 0) + 1
    ordered = sorted(counts, key=lambda t: TIER_RANK[t])
    return "、".join(f"{TIER_LABEL_ZH[t]} {counts[t]} 件" for t in ordered)


def tiers_zh(counts: list[int] | None) -> str:
    """The same text as tier_counts_zh from stored per-tier counts [A, B, C, X]."""
    return "、".join(f"{TIER_LABEL_ZH[t]} {n} 件"
                    for t, n in zip(("A", "B", "C", "X"), counts or (), strict=False) if n)


def walk_positions(read: Callable[[int, int], list[dict[str, Any]]],
                   more: Callable[[int], bool], need: int) -> list[dict[str, Any]]:
    """The first `need` rows of a stored 1-based ranking that a filter keeps, in position
    order: ``read(first, last)`` returns the kept rows of positions [first, last) (an index
    range), ``more(last)`` whether any position >= last is stored. Each next window is at
    least twice as wide and, at the share of rows the last one kept, holds the rest one and a
    half times over: a page of a filter keeping a share s of the ranking reads a few times
    need / s positions in a few reads, the whole ranking only when the filter keeps fewer
    than `need` rows."""
    found: list[dict[str, Any]] = []
    first, width = 1, max(2 * need, 64)
    while need > 0:
        last = first + width
        got = read(first, last)
        found += got
        if len(found) >= need or not more(last):
            break
        first, width = last, max(2 * width, 3 * (need - len(found)) * width
                                 // (2 * max(len(got), 1)))
    return found[:need]


# A filtered page of a stored enterprise ranking: (window reads: False anywhere, True within
# the park $park_id; whether any position >= $last is stored; the page's rows by key; a park's
# page read from its members).
EnterpriseWalk = tuple[dict[bool, str], str, str, str]


def enterprise_walk(pos: str, filters: str, tail: str) -> EnterpriseWalk:
    """The reads of a filtered page of a stored enterprise ranking (``pos``, e.g. roadshow_pos;
    ``filters``: the ``AND ...`` lines over `e`; ``tail`` reads a row of `e` and `pos`): windows
    of positions [$first, $last) (within a park the park is bound once, then one edge test per
    enterprise instead of a park lookup per row), whether any position >= $last is stored, the
    page's rows by key, and a small park's page from its members (an index lookup, not every
    enterprise). ``pos`` is a fixed property name."""
    keep = f"\nWHERE e.{pos} >= $first AND e.{pos} < $last\n" + filters
    ret = f"RETURN e.org_key AS org_key, e.{pos} AS pos ORDER BY pos\n"
    return ({False: "MATCH (e:Enterprise)" + keep + ret,
             True: "MATCH (k:Park {park_id: $park_id}) MATCH (e:Enterprise)" + keep
             + "  AND (e)-[:LOCATED_IN]->(k)\n" + ret},
            f"\nMATCH (e:Enterprise) WHERE e.{pos} >= $last RETURN e.org_key AS org_key LIMIT 1\n",
            "\nUNWIND $keys AS key\nMATCH (e:Enterprise {org_key: key})\n"
            f"WITH e, e.{pos} AS pos\n" + tail,
            "\nMATCH (:Park {park_id: $park_id})<-[:LOCATED_IN]-(m:Enterprise)\n"
            f"WITH DISTINCT m AS e\nWHERE e.{pos} > 0\n" + filters
            + f"WITH e, e.{pos} AS pos ORDER BY pos SKIP $offset LIMIT $limit\n" + tail)


def filtered_enterprises(store: Store, walk: EnterpriseWalk, params: dict[str, Any],
                         offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows offset..offset+limit-1 of a stored enterprise ranking that the filter in ``params``
    keeps (``walk`` from enterprise_walk): a small park's from its members, else by walking the
    stored order in windows (within the park when params has one)."""
    windows, more, rows, members = walk
    park_id = params.get("park_id")
    if park_id and not walk_park(store, park_id, offset + limit):
        return store.read(members, params)
    window = windows[bool(park_id)]
    keys = [r["org_key"] for r in walk_positions(
        lambda first, last: store.read(window, {**params, "first": first, "last": last}),
        lambda last: bool(store.read(more, {"last": last})), offset + limit)[offset:]]
    return store.read(rows, {"keys": keys}) if keys else []


# A park's member count (stored by derive.refresh) and every enterprise's: a small park is
# read from its members, a big one by walking the stored order (fewer rows for a page).
PARK_MEMBERS = """
MATCH (k:Park {park_id: $park_id}) RETURN k.enterprises AS members
"""
ENTERPRISE_COUNT = "MATCH (e:Enterprise) RETURN count(e) AS n"


def walk_park(store: Store, park_id: str, need: int) -> bool:
    """Whether a page of `need` rows of a park's enterprises is read with fewer rows by
    walking the stored order (about need x all / members positions) than from its members."""
    park = store.read(PARK_MEMBERS, {"park_id": park_id})
    members = int(park[0]["members"] or 0) if park else 0
    if members == 0:
        return False
    total = int(store.read(ENTERPRISE_COUNT)[0]["n"])
    return need * total < members * members
