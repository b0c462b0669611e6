"""IP finance: pledge-loan candidates (§19, §20) and IP insurance recommendations (§21)."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from queries._ops_util import (
    ENTERPRISE_TAGS,
    enterprise_walk,
    filtered_enterprises,
    join_zh,
    tiers_zh,
    today_iso,
    top_patents,
    uniq_sorted,
    walk_positions,
    wan,
)
from queries.catalogue import Column, Param, question

# -- pledge_financing_candidates ---------------------------------------------------------------
# An active pledge (no end date, or ending today or later) ties a patent up; the rest of the
# valid patents can still be pledged. derive.refresh stores the counts the order uses and the
# page positions (Enterprise.pledge_pos; pledge_valid_pos only counts enterprises owning a
# valid patent): the default page is an index range, and bundled enterprises rank first, so
# require_bundle is a filter on the same range.
_PLEDGE_TAIL = """
WITH e, pos, e.owned_valid AS valid_count, coalesce(e.trademarks, 0) AS trademarks,
     coalesce(e.copyrights, 0) AS copyrights, e.owned_tier_ab AS tier_ab
RETURN e.org_key AS org_key, e.name AS org_name, coalesce(e.tags, []) AS tags,
       e.owned_tiers AS owned_tiers, e.owned_top AS owned_top, valid_count, trademarks, copyrights,
       CASE WHEN trademarks + copyrights > 0 THEN 1 ELSE 0 END AS bundle, tier_ab,
       valid_count + trademarks + copyrights AS ip_total,
       [(e)<-[:PLEDGED_BY]-(pl2:Pledge) | {pledge_id: pl2.pledge_id, amount: pl2.amount,
                                           start_date: pl2.start_date}] AS pledges,
       [(e)<-[:PLEDGED_BY]-(:Pledge)-[:PLEDGED_TO]->(fi:FinancialInstitution) | fi.name]
           AS pledgees,
       [(e)-[:USED]->(fp:FinancingProduct) | fp.product_id] AS used_products,
       [(e)-[:LOCATED_IN]->(pk:Park) | pk.park_id] AS parks, pos
ORDER BY pos
"""
PLEDGE_PAGE = """
MATCH (e:Enterprise)
WHERE e.pledge_valid_pos >= $first AND e.pledge_valid_pos < $last
  AND (NOT $require_bundle OR coalesce(e.trademarks, 0) + coalesce(e.copyrights, 0) > 0)
WITH e, e.pledge_valid_pos AS pos
""" + _PLEDGE_TAIL
PLEDGE_FINANCING_CANDIDATES = """
MATCH (e:Enterprise)
WHERE e.pledge_pos > 0 AND e.owned_valid >= $min_valid_patents
  AND ($tag IS NULL OR $tag IN coalesce(e.tags, []))
  AND ($park_id IS NULL OR (e)-[:LOCATED_IN]->(:Park {park_id: $park_id}))
  AND (NOT $require_bundle OR coalesce(e.trademarks, 0) + coalesce(e.copyrights, 0) > 0)
WITH e, e.pledge_pos AS pos ORDER BY pos SKIP $offset LIMIT $limit
""" + _PLEDGE_TAIL
# Other filters (_ops_util.filtered_enterprises): windows of the stored order (pledge_pos
# ranges) filtered by the store until the page is full, then the page's rows by key; a small
# park's page from its members. The same filter as PLEDGE_FINANCING_CANDIDATES (the whole
# list read at once: the reference in the tests).
PLEDGE_WALK = enterprise_walk("pledge_pos", """  AND e.owned_valid >= $min_valid_patents
  AND ($tag IS NULL OR $tag IN coalesce(e.tags, []))
  AND (NOT $require_bundle OR coalesce(e.trademarks, 0) + coalesce(e.copyrights, 0) > 0)
""", _PLEDGE_TAIL)
# The page's valid owned patents under a pledge in force today. Active pledges are few, while
# a big owner has thousands of patents: start from the pledges, not from each row's patents.
PLEDGED_NOW = """
MATCH (pl:Pledge) WHERE pl.end_date IS NULL OR pl.end_date >= $today
WITH pl
MATCH (pp:Patent)-[:PLEDGED_IN]->(pl) WHERE pp.is_valid = true
WITH DISTINCT pp
MATCH (pp)-[:OWNED_BY]->(e:Enterprise) WHERE e.org_key IN $keys
RETURN e.org_key AS org_key, pp.app_no AS app_no
"""
# An enterprise's valid patents, for the rare page row whose stored best patents are all
# pledged now.
OWNED_VALID = """
MATCH (p:Patent)-[:OWNED_BY]->(e:Enterprise {org_key: $org_key}) WHERE p.is_valid = true
RETURN p.app_no AS app_no, p.tier AS tier, p.value_score AS value_score
"""
# Pledge-loan products on offer (few rows): suggested to each candidate that has not used them.
PLEDGE_PRODUCTS = """
MATCH (fp:FinancingProduct)
WHERE coalesce(fp.kind, '') CONTAINS '质押' OR coalesce(fp.name, '') CONTAINS '质押'
OPTIONAL MATCH (fp)-[:OFFERED_BY]->(fi:FinancialInstitution)
RETURN fp.product_id AS product_id, fp.name AS name, fp.max_amount AS max_amount,
       fp.rate AS rate, fi.name AS institution
ORDER BY coalesce(fp.max_amount, 0.0) DESC, product_id
"""


def _suggest(products: list[dict[str, Any]], used: set[str], known_fis: set[str],
             most: int = 3) -> list[dict[str, Any]]:
    """Unused pledge products, those of banks the enterprise already works with first."""
    fresh = [p for p in products if p["product_id"] not in used]
    fresh.sort(key=lambda p: (p["institution"] not in known_fis, -(p["max_amount"] or 0.0),
                              str(p["product_id"])))
    return fresh[:most]


@question(
    title_zh="质押融资候选",
    description_zh="找出有效知识产权组合（有效专利+商标+著作权）适合打包质押融资的企业，列出可用的质押"
                   "贷款产品和已有质押记录。",
    measures="§19, §20",
    params=(
        Param("tag", "enum", "企业资质", choices=ENTERPRISE_TAGS),
        Param("park_id", "str", "园区编号"),
        Param("min_valid_patents", "int", "最少有效专利数", default=1, minimum=0),
        Param("require_bundle", "bool", "须有商标或著作权",
              "只列出可打包质押（另有商标或著作权）的企业",
              default=False),
    ),
    columns=(
        Column("org_key", "企业", "entity"), Column("org_name", "企业名称"),
        Column("tags", "资质", "list"), Column("park_id", "园区", "entity"),
        Column("valid_patents", "有效专利", "int"),
        Column("pledgeable_patents", "可质押专利", "int"),
        Column("trademarks", "有效商标", "int"), Column("copyrights", "著作权", "int"),
        Column("patents", "代表专利", "list"), Column("suggested_products", "可对接产品", "list"),
        Column("past_pledges", "历史质押", "int"), Column("reasons", "入选理由", "list"),
    ),
    order=190,
)
def pledge_financing_candidates(store: Store, *, limit: int = 50, offset: int = 0,
                                tag: str | None = None, park_id: str | None = None,
                                min_valid_patents: int = 1,
                                require_bundle: bool = False) -> list[dict[str, Any]]:
    """Which enterprises hold a valid IP bundle suited to a pledge loan, and with which products?"""
    today = today_iso()
    if min_valid_patents == 1 and tag is None and park_id is None:
        rows = store.read(PLEDGE_PAGE, {"require_bundle": require_bundle, "today": today,
                                        "first": offset + 1, "last": offset + limit + 1})
    else:
        params = {"tag": tag, "park_id": park_id, "min_valid_patents": min_valid_patents,
                  "require_bundle": require_bundle, "today": today, "limit": limit,
                  "offset": offset}
        rows = filtered_enterprises(store, PLEDGE_WALK, params, offset, limit)
    products = store.read(PLEDGE_PRODUCTS) if rows else []
    pledged: dict[str, set[str]] = {}
    for p in store.read(PLEDGED_NOW, {"today": today, "keys": [r["org_key"] for r in rows]}
                        ) if rows else []:
        pledged.setdefault(p["org_key"], set()).add(p["app_no"])
    out: list[dict[str, Any]] = []
    for r in rows:
        pledged_now = pledged.get(r["org_key"], set())
        # pledged_now holds only valid owned patents; owned_top is the best OWNED_TOP of them
        free_count = r["valid_count"] - len(pledged_now)
        best = list(r["owned_top"] or [])
        free = [a for a in best if a not in pledged_now]
        if len(free) < 5 and len(free) < free_count:
            free = top_patents([p for p in store.read(OWNED_VALID, {"org_key": r["org_key"]})
                                if p["app_no"] not in pledged_now])
        patents = free[:5] if free else best[:5]
        pledges = sorted({p["pledge_id"]: p for p in r["pledges"]}.values(),
                         key=lambda p: (str(p["start_date"]), str(p["pledge_id"])))
        pledgees = uniq_sorted(r["pledgees"])
        suggested = _suggest(products, set(r["used_products"]), set(pledgees))
        tiers = tiers_zh(r["owned_tiers"])
        reasons = [f"有效专利 {r['valid_count']} 件" + (f"（{tiers}）" if tiers else "")
                   + f"，其中未处于质押状态 {free_count} 件"]
        if r["bundle"]:
            reasons.append(f"可打包质押：另有有效商标 {r['trademarks']} 件、著作权 "
                           f"{r['copyrights']} 件")
        if pledges:
            total = sum(float(p["amount"] or 0.0) for p in pledges)
            reasons.append(f"已有质押融资 {len(pledges)} 笔，共 {wan(total)}"
                           + (f"，质权人：{join_zh(pledgees, 3)}" if pledgees else ""))
        if suggested:
            reasons.append("可对接质押贷款产品：" + join_zh(
                [f"{p['name']}（{p['institution'] or '未注明机构'}）" for p in suggested]))
        marked = [t for t in ENTERPRISE_TAGS if t in r["tags"]]
        if marked:
            reasons.append("企业资质：" + "、".join(marked))
        parks = uniq_sorted(r["parks"])
        out.append({
            "org_key": r["org_key"], "org_label": "Enterprise", "org_name": r["org_name"],
            "tags": r["tags"], "park_id": parks[0] if parks else None,
            "valid_patents": r["valid_count"], "pledgeable_patents": free_count,
            "trademarks": r["trademarks"], "copyrights": r["copyrights"],
            "bundle": bool(r["bundle"]), "patents": patents,
            "suggested_products": [p["product_id"] for p in suggested],
            "past_pledges": len(pledges), "reasons": reasons})
    return out


# -- insurance_recommendations ------------------------------------------------------------------
INSURANCE_KINDS = {"专利执行险": "执行", "专利被侵权损失险": "侵权"}

# Default thresholds: derive.refresh ranks each kind's candidates at these once.
INSURE_MIN_SCORE = 70.0
INSURE_MIN_CITATIONS = 5

# The signals of one valid patent for one kind `k`, then the row (shared by both paths).
_INSURANCE_SIGNALS = """
WITH p, k, pos{carry},
     size([(p)-[:LICENSED_UNDER]->(l:Licence) | l]) AS licences,
     size([(pr:Product)-[:USES]->(p) | pr]) AS products
WITH p, k, pos{carry}, licences, products,
     licences > 0 OR coalesce(p.licence_count, 0) > 0 AS licensed,
     p.tier = 'A' OR coalesce(p.value_score, 0.0) >= $min_score AS high_value,
     coalesce(p.cited_by_count, 0) >= $min_citations AS cited,
     p.has_family_abroad = true AS abroad
"""
_INSURANCE_RETURN = """
RETURN k.name AS insurance, k.rank AS kind_rank, signals, p.app_no AS app_no,
       p.title AS title, p.tier AS tier, p.value_score AS value_score,
       p.cited_by_count AS cited_by_count, p.family_size AS family_size,
       p.licence_count AS licence_count, licences, products, licensed, high_value, cited,
       abroad,
       [(p)-[:OWNED_BY]->(o) | {org_key: o.org_key, label: labels(o)[0], name: o.name}]
           AS owners, pos
"""
_SIGNAL_COUNT = """
     CASE WHEN licensed THEN 1 ELSE 0 END + CASE WHEN products > 0 THEN 1 ELSE 0 END
     + CASE WHEN high_value THEN 1 ELSE 0 END + CASE WHEN cited THEN 1 ELSE 0 END
     + CASE WHEN abroad THEN 1 ELSE 0 END AS signals
"""
# Default thresholds: one index range of the kind's stored positions (derive.refresh), minus
# the positions of patents holding an active policy of that kind ($skip, a few).
INSURANCE_PAGE = {
    # position properties are fixed here, never input
    prop: f"""
MATCH (p:Patent) WHERE p.{prop} >= $first AND p.{prop} < $last AND NOT p.{prop} IN $skip
WITH p, $kind AS k, p.{prop} AS pos""" + _INSURANCE_SIGNALS.format(carry="") + """
WITH p, k, pos, licences, products, licensed, high_value, cited, abroad,""" + _SIGNAL_COUNT
    + _INSURANCE_RETURN + "ORDER BY pos\n"
    for prop in ("insure_enforce_pos", "insure_loss_pos", "insure_loss_all_pos")}
# Patents with an active policy (few): their positions are skipped on the page.
INSURED_NOW = """
MATCH (ip:InsurancePolicy) WHERE ip.end_date IS NULL OR ip.end_date >= $today
MATCH (p:Patent)-[:INSURED_BY]->(ip)
RETURN DISTINCT coalesce(ip.kind, '') AS kind, p.insure_enforce_pos AS insure_enforce_pos,
       p.insure_loss_pos AS insure_loss_pos, p.insure_loss_all_pos AS insure_loss_all_pos
"""
# Other thresholds. A patent's signals are the three derive.refresh stores (licensed, used in
# products, family abroad: only on the valid patents having any) plus the two thresholds'
# (high value, cited). insure_signals = insure_code(count, position, bits): the stored signals
# as bits (licensed 1, used 2, abroad 4), their count, and the patent's position among those
# with as many by value score desc, app_no, so an index range lists them in the question's
# order within a count. A kind's ranked list is built per number of signals, most first, from
# three sources merged by value score: patents with 2-3 stored signals (few: read at once),
# with 1 (read in position windows) and with none (at most the thresholds' two signals; they
# fit 执行险 only when high value, 侵权损失险 only when cited: read in windows of the value_score
# index), each read only as deep as the page needs (_insurance_ranked).
INSURE_SPAN = 10**9  # positions per stored-signal count


def insure_code(count: int, pos: int, bits: int) -> int:
    """The stored insure_signals of a patent (derive.refresh; 0 for pos and bits: a bound)."""
    return (count * INSURE_SPAN + pos) * 8 + bits


# (a patent without a tier is not high value by it, as in the live query's count and fit)
_HIGH_VALUE = "(coalesce(p.tier = 'A', false) OR coalesce(p.value_score, 0.0) >= $min_score)"
_CITED = "coalesce(p.cited_by_count, 0) >= $min_citations"
# Of patents with stored signals: those fitting kind $rank with $least..$most signals.
_STORED_SIGNALS = f"""
WITH p, p.insure_signals % 8 AS b, {_HIGH_VALUE} AS h, {_CITED} AS c
WHERE p.is_valid = true AND CASE WHEN $rank = 0 THEN b % 4 > 0 OR h ELSE c OR b >= 2 END
WITH p, [0, 1, 1, 2, 1, 2, 2, 3][b] + CASE WHEN h THEN 1 ELSE 0 END
        + CASE WHEN c THEN 1 ELSE 0 END AS signals
WHERE signals >= $least AND signals <= $most
"""
INSURE_SIGNALLED = """
MATCH (p:Patent) WHERE p.insure_signals >= $lo""" + _STORED_SIGNALS + """
RETURN p.app_no AS app_no, signals, coalesce(p.value_score, 0.0) AS score
ORDER BY signals DESC, score DESC, app_no LIMIT $n
"""
INSURE_ONE_SIGNAL = """
MATCH (p:Patent) WHERE p.insure_signals >= $lo AND p.insure_signals < $hi""" + _STORED_SIGNALS \
    + """
RETURN p.app_no AS app_no, signals, coalesce(p.value_score, 0.0) AS score,
       p.insure_signals AS code
ORDER BY code
"""
INSURE_ANY = """
MATCH (p:Patent) WHERE p.insure_signals >= $lo AND p.insure_signals < $hi
RETURN p.app_no AS app_no LIMIT 1
"""
# One window [$lo, $hi) of the value_score index (at most $cap patents read: a fuller window
# is read again narrower): how many it held, and its valid patents without stored signals
# whose high-value / cited flags are $h / $c.
_WINDOW_HITS = f"""
WITH count(p) AS scanned,
     collect(CASE WHEN p.is_valid = true AND p.insure_signals IS NULL AND {_HIGH_VALUE} = $h
                   AND ({_CITED}) = $c
              THEN {{app_no: p.app_no, score: coalesce(p.value_score, 0.0)}} END) AS hits
RETURN scanned, hits
"""
INSURE_WINDOW = """
MATCH (p:Patent) WHERE p.value_score >= $lo AND p.value_score < $hi
WITH p LIMIT $cap""" + _WINDOW_HITS
# The last window: every valid patent scoring below $hi (a missing score counts as 0).
INSURE_WINDOW_BOTTOM = """
MATCH (p:Patent) WHERE p.is_valid = true
WITH p WHERE coalesce(p.value_score, 0.0) < $hi""" + _WINDOW_HITS
# The page's rows: each (patent, kind) with its signals and owners, in the given order.
INSURANCE_ROWS = """
UNWIND $rows AS r
MATCH (p:Patent {app_no: r.app_no})
WITH p, r.kind AS k, r.pos AS pos""" + _INSURANCE_SIGNALS.format(carry="") + """
WITH p, k, pos, licences, products, licensed, high_value, cited, abroad,""" + _SIGNAL_COUNT \
    + _INSURANCE_RETURN + "ORDER BY pos\n"
# Patents with an active policy (few): left out of the kind they hold.
INSURED_NOW_KINDS = """
MATCH (ip:InsurancePolicy) WHERE ip.end_date IS NULL OR ip.end_date >= $today
MATCH (p:Patent)-[:INSURED_BY]->(ip)
RETURN DISTINCT coalesce(ip.kind, '') AS kind, p.app_no AS app_no
"""
# The same list read live (every valid patent's signals at query time; the reference the
# stored inputs are tested against): features per valid patent, then one candidate row per
# fitting kind that the patent does not already hold an active policy of.
INSURANCE_RECOMMENDATIONS = """
MATCH (p:Patent)
WHERE p.is_valid = true
WITH p, null AS pos,
     [(p)-[:INSURED_BY]->(ip:InsurancePolicy)
      WHERE ip.end_date IS NULL OR ip.end_date >= $today | coalesce(ip.kind, '')] AS insured
UNWIND $kinds AS k
""" + _INSURANCE_SIGNALS.format(carry=", insured") + """
WITH p, k, pos, licences, products, licensed, high_value, cited, abroad,
     (k.rank = 0 AND (licensed OR products > 0 OR high_value))
     OR (k.rank = 1 AND (cited OR products > 0 OR abroad)) AS fits,
     any(x IN insured WHERE x CONTAINS k.keyword) AS already_insured
WHERE fits AND NOT already_insured
WITH p, k, pos, licences, products, licensed, high_value, cited, abroad,""" + _SIGNAL_COUNT + """
ORDER BY k.rank, signals DESC, coalesce(p.value_score, 0.0) DESC, p.app_no
SKIP $offset LIMIT $limit""" + _INSURANCE_RETURN + """
ORDER BY kind_rank, signals DESC, coalesce(value_score, 0.0) DESC, app_no
"""


def _page_range(offset: int, limit: int, skip: list[int]) -> tuple[int, int]:
    """The position range [first, last) holding rows offset..offset+limit-1 of a 1-based
    ranked list once the (sorted) positions in `skip` are left out."""
    first = offset + 1
    rest = iter(sorted(set(skip)))
    pending = None
    for s in rest:
        if s > first:
            pending = s
            break
        first += 1
    last = first + limit
    for s in ([pending] if pending is not None else []) + list(rest):
        if s >= last:
            break
        last += 1
    return first, last


def _insurance_page(store: Store, kinds: list[dict[str, Any]], limit: int, offset: int
                    ) -> list[dict[str, Any]]:
    """One page at the default thresholds from the stored positions: both kinds are one
    ranked list (执行险 first), each kind alone its own."""
    insured = store.read(INSURED_NOW, {"today": today_iso()})
    props = ([("insure_enforce_pos", kinds[0]), ("insure_loss_all_pos", kinds[1])]
             if len(kinds) == 2 else
             [("insure_enforce_pos" if kinds[0]["rank"] == 0 else "insure_loss_pos", kinds[0])])
    skips = {prop: sorted({r[prop] for r in insured
                           if r[prop] is not None and k["keyword"] in r["kind"]})
             for prop, k in props}
    first, last = _page_range(offset, limit, [s for v in skips.values() for s in v])
    rows: list[dict[str, Any]] = []
    for prop, k in props:
        rows += store.read(INSURANCE_PAGE[prop], {
            "first": first, "last": last, "skip": skips[prop], "kind": k,
            "min_score": INSURE_MIN_SCORE, "min_citations": INSURE_MIN_CITATIONS})
    return sorted(rows, key=lambda r: r["pos"])[:limit]


WINDOW_CAP = 20_000  # patents one value-score window reads at most


def _insurance_walk(store: Store, params: dict[str, Any], high_value: bool, cited: bool,
                    need: int, insured: set[str]) -> list[tuple[float, str]]:
    """The best `need` valid patents without stored signals whose flags are (high_value,
    cited), not in `insured`, by value score desc, app_no: windows of the value_score index
    walked down (from the score threshold when not high value: no patent above it is)."""
    found: list[tuple[float, str]] = []
    args = {**params, "h": high_value, "c": cited}
    hi = params["min_score"] if not high_value else 1e9  # (scores are 0..100)
    width = 1.0
    while True:
        top = min(hi, 100.0)
        lo = top - width
        if lo <= 0.0:
            got = store.read(INSURE_WINDOW_BOTTOM, {**args, "hi": hi})[0]
        else:
            # (a window narrower than 0.001 is read whole: many patents may share a score)
            cap = WINDOW_CAP if width > 1e-3 else 2**31 - 1
            got = store.read(INSURE_WINDOW, {**args, "lo": lo, "hi": hi, "cap": cap})[0]
            if got["scanned"] >= cap:  # too many to read at once: narrower
                width /= 4
                continue
        hits = [(-float(h["score"]), str(h["app_no"])) for h in got["hits"]
                if h["app_no"] not in insured]
        found += hits
        if lo <= 0.0 or len(found) >= need:
            return [(-s, a) for s, a in sorted(found)[:need]]
        scanned = int(got["scanned"])
        if scanned == 0:
            width *= 2
        else:  # enough rows for the rest at this window's share, within the cap
            per_unit = scanned / (top - lo)
            rows = (need - len(found)) * 2 * scanned / max(len(hits), 1)
            width = max(width, min(rows, WINDOW_CAP / 2) / per_unit)
        hi = lo


def _insurance_ranked(store: Store, kind: dict[str, Any], params: dict[str, Any], n: int,
                      insured: set[str]) -> list[tuple[int, float, str]]:
    """The first `n` (signals, value score, app_no) of one kind's ranked list (signals desc,
    value score desc, app_no) without the patents in `insured`."""
    args = {**params, "rank": kind["rank"]}

    def rows(cypher: str, extra: dict[str, Any]) -> list[tuple[int, float, str]]:
        return [(int(r["signals"]), float(r["score"]), str(r["app_no"]))
                for r in store.read(cypher, {**args, **extra}) if r["app_no"] not in insured]

    def several(level: int, want: int) -> list[tuple[int, float, str]]:
        """Patents with 2-3 stored signals and `level`.. signals (4-5 for level 4)."""
        return rows(INSURE_SIGNALLED, {"lo": insure_code(2, 0, 0), "least": level,
                                       "most": 5 if level >= 4 else level,
                                       "n": want + len(insured)})[:want]

    def one(level: int, want: int) -> list[tuple[int, float, str]]:
        """Patents with 1 stored signal and `level` signals, in position windows."""
        end = insure_code(2, 0, 0)
        found = walk_positions(
            lambda first, last: [{"row": r} for r in rows(INSURE_ONE_SIGNAL, {
                "lo": insure_code(1, first, 0), "hi": insure_code(1, last, 0),
                "least": level, "most": level})],
            lambda last: bool(store.read(INSURE_ANY, {"lo": insure_code(1, last, 0),
                                                      "hi": end})), want)
        return [r["row"] for r in found]

    out = several(4, n)  # 4-5 signals: only patents with 2-3 stored ones
    for level in (3, 2, 1):
        need = n - len(out)
        if need <= 0:
            break
        merged = (several(level, need) if level >= 2 else []) + one(level, need)
        if level <= 2:  # without stored signals: 2 = high value and cited, 1 = the kind's own
            flags = (True, True) if level == 2 else ((True, False) if kind["rank"] == 0
                                                     else (False, True))
            merged += [(level, s, a) for s, a in _insurance_walk(store, params, *flags, need,
                                                                 insured)]
        out += sorted(merged, key=lambda x: (-x[1], x[2]))[:need]
    return out[:n]


def _insurance_thresholds(store: Store, kinds: list[dict[str, Any]], limit: int, offset: int,
                          min_score: float, min_citations: int) -> list[dict[str, Any]]:
    """One page at other thresholds: the kinds' ranked lists one after the other (执行险
    first), each read only as deep as the page needs, then the page's rows."""
    params = {"min_score": min_score, "min_citations": min_citations}
    if not store.read(INSURE_ANY, {"lo": 1, "hi": insure_code(4, 0, 0)}):
        # no stored signals (a graph refreshed by an older version, or none has any): live
        return store.read(INSURANCE_RECOMMENDATIONS, {
            "kinds": kinds, "today": today_iso(), "limit": limit, "offset": offset, **params})
    insured = store.read(INSURED_NOW_KINDS, {"today": today_iso()})
    picked: list[dict[str, Any]] = []
    n = offset + limit
    for k in kinds:
        held = {r["app_no"] for r in insured if k["keyword"] in r["kind"]}
        picked += [{"app_no": a, "kind": k}
                   for _, _, a in _insurance_ranked(store, k, params, n - len(picked), held)]
        if len(picked) >= n:
            break
    page = [{**r, "pos": i} for i, r in enumerate(picked[offset:n])]
    if not page:
        return []
    return store.read(INSURANCE_ROWS, {"rows": page, **params})


@question(
    title_zh="保险推荐",
    description_zh="推荐投保知识产权保险的专利及其权利人：专利执行险面向已许可、已用于产品或高价值的有效"
                   "专利；专利被侵权损失险面向被引用多、已用于产品或有海外同族的有效专利；已投保同类险种的除外。",
    measures="§21",
    params=(
        Param("insurance", "enum", "险种", "不填为两种都推荐", choices=tuple(INSURANCE_KINDS)),
        Param("min_score", "float", "高价值分数线", "价值分不低于此值（或A级）视为高价值",
              default=INSURE_MIN_SCORE, minimum=0, maximum=100),
        Param("min_citations", "int", "被引次数下限", default=INSURE_MIN_CITATIONS, minimum=1),
    ),
    columns=(
        Column("insurance", "推荐险种"), Column("app_no", "专利", "entity"),
        Column("title", "专利名称"), Column("tier", "分级"),
        Column("value_score", "价值分", "float"), Column("org_key", "权利人", "entity"),
        Column("org_name", "权利人名称"), Column("reasons", "推荐理由", "list"),
    ),
    order=210,
)
def insurance_recommendations(store: Store, *, limit: int = 50, offset: int = 0,
                              insurance: str | None = None,
                              min_score: float = INSURE_MIN_SCORE,
                              min_citations: int = INSURE_MIN_CITATIONS) -> list[dict[str, Any]]:
    """Which valid patents should be insured against enforcement costs or infringement losses?"""
    kinds = [{"name": name, "keyword": kw, "rank": rank}
             for rank, (name, kw) in enumerate(INSURANCE_KINDS.items())
             if insurance is None or insurance == name]
    if float(min_score) == INSURE_MIN_SCORE and min_citations == INSURE_MIN_CITATIONS:
        rows = _insurance_page(store, kinds, limit, offset)
    else:
        rows = _insurance_thresholds(store, kinds, limit, offset, float(min_score),
                                     int(min_citations))
    out: list[dict[str, Any]] = []
    for r in rows:
        owners = sorted(r["owners"], key=lambda o: (o["label"] != "Enterprise", str(o["org_key"])))
        first = owners[0] if owners else {}
        reasons = [f"专利有效，尚未投保{r['insurance']}"]
        if r["kind_rank"] == 0:
            if r["licensed"]:
                n = max(r["licences"], r["licence_count"] or 0)
                reasons.append(f"已许可实施 {n} 次，维权需求明确")
            if r["products"]:
                reasons.append(f"已用于 {r['products']} 个产品")
            if r["high_value"]:
                score = f"价值分 {r['value_score']:.0f}" if r["value_score"] is not None else ""
                reasons.append("高价值专利：" + "，".join(
                    x for x in (f"{r['tier']}级" if r["tier"] == "A" else "", score) if x))
        else:
            if r["cited"]:
                reasons.append(f"被引证 {r['cited_by_count']} 次，易被模仿")
            if r["products"]:
                reasons.append(f"已用于 {r['products']} 个产品，市场暴露度高")
            if r["abroad"]:
                reasons.append(f"有海外同族（同族 {r['family_size'] or '?'} 件），面临境外侵权风险")
        out.append({
            "insurance": r["insurance"], "app_no": r["app_no"], "title": r["title"],
            "tier": r["tier"], "value_score": r["value_score"],
            "org_key": first.get("org_key"), "org_label": first.get("label"),
            "org_name": first.get("name"), "owners": [o["name"] for o in owners],
            "reasons": reasons})
    return out
