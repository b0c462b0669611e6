"""§2: push patents to the enterprises that fit them best, with the reasons of each match.

The candidate enterprises of every valid patent are ranked once, in ``derive.refresh``
(`rank_matches`), and stored on the patent (``match_keys``/``match_scores``, best first) with
``match_pos``, the patent's position in its tier's push list. A question then reads one page
by an index range (tier) or over one subsector's patents, and explains only the rows shown.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from heapq import heapify, heappop, heapreplace, merge
from typing import Any

from graph.store import Store
from patentkg.errors import InputError
from queries._lookup import fit_edge, name_patents, subsector_keys, with_fit_reasons
from queries.catalogue import Column, Param, question

# match_pos = TIER_CODE[tier] * POS_SPAN + (pairs of the same tier listed before the patent):
# one integer range per tier, so a page of a tier is one index range scan.
TIER_CODE = {"A": 1, "B": 2, "C": 3, "X": 4}
POS_SPAN = 10**12

# The reasons of the (at most `limit`) pairs on a page: the enterprise's best FITS to the
# patent's cluster/subsectors (ties: the cluster, then subsectors by id), shared IPC,
# co-application with the holder, its parks.
# Each query below binds p, i (rank of the enterprise for the patent), pos, key, score first
# and adds its own deterministic ORDER BY. Both paths are walked a hop at a time from the
# pair's two ends: written as one pattern (p)->(t)<-(e), FalkorDB took ~0.25 ms a pair at 1M
# patents instead of ~0.1 ms.
_EXPLAIN_TAIL = """
MATCH (e:Enterprise) WHERE e.org_key = key
OPTIONAL MATCH (p)-[:IN_CLUSTER|IN_INDUSTRY_OF]->(t) WHERE (e)-[:FITS]->(t)
OPTIONAL MATCH (e)-[f:FITS]->(t)
WITH p, i, pos, score, e, f, t ORDER BY f.score DESC, t.cluster_id IS NULL, t.industry_id
WITH p, i, pos, score, e, max(f.score) AS fit, collect(""" + fit_edge() + """)[0] AS fit_edge
OPTIONAL MATCH (p)-[:OWNED_BY|APPLIED_BY]->(n:Institute)
OPTIONAL MATCH (n)-[co:CO_APPLIED_WITH]->(e)
WITH p, i, pos, score, e, fit, fit_edge, count(co) > 0 AS co_applied
OPTIONAL MATCH (e)-[:LOCATED_IN]->(k:Park)
WITH p, i, pos, score, e, fit, fit_edge, co_applied, collect(DISTINCT k.name) AS parks
RETURN p.app_no AS app_no, p.title AS title, p.tier AS tier, p.value_score AS value_score,
       e.org_key AS org_key, e.name AS enterprise, e.tags AS enterprise_tags, parks,
       score AS match_score, fit AS fit_score, fit_edge, co_applied,
       [c IN coalesce(p.ipc_codes, []) WHERE c IN coalesce(e.ipc_groups, [])] AS shared_groups,
       [sub IN [c IN coalesce(p.ipc_codes, []) | substring(c, 0, 4)]
        WHERE sub IN coalesce(e.ipc_subclasses, [])] AS shared_subclasses,
       p.subsector_ids AS subsectors, p.match_best AS match_best, i AS match_rank, pos
"""
MATCH_BY_PATENT = """
MATCH (p:Patent {app_no: $app_no})
UNWIND range(0, size(coalesce(p.match_keys, [])) - 1) AS i
WITH p, i ORDER BY i SKIP $offset LIMIT $limit
WITH p, i, i AS pos, p.match_keys[i] AS key, p.match_scores[i] AS score
""" + _EXPLAIN_TAIL + "ORDER BY match_rank\n"
# A patent holding pairs [match_pos, match_pos + size) overlaps the page [$first, $last)
# only if match_pos lies in [$first - top_n + 1, $last): one index range on match_pos.
MATCH_BY_TIER = """
MATCH (p:Patent) WHERE p.match_pos >= $lo AND p.match_pos < $last
UNWIND range(0, size(p.match_keys) - 1) AS i
WITH p, i, p.match_pos + i AS pos
WHERE pos >= $first AND pos < $last
WITH p, i, pos, p.match_keys[i] AS key, p.match_scores[i] AS score
""" + _EXPLAIN_TAIL + "ORDER BY pos\n"
# A subsector's patents are sorted at query time (one subsector, not the whole graph): on
# their sort keys first, keeping the first $offset + $limit patents (each holds at least one
# pair, so they hold the page), and only those are unwound into pairs.
MATCH_BY_SUBSECTOR = """
MATCH (s:Industry) WHERE s.industry_id IN $subsectors
MATCH (p:Patent)-[:IN_INDUSTRY_OF]->(s)
WITH DISTINCT p
WITH p, p.match_best AS best, p.app_no AS app_no, p.tier AS tier
WHERE best IS NOT NULL AND ($tier IS NULL OR tier = $tier)
WITH p, best, app_no ORDER BY best DESC, app_no LIMIT $upto
UNWIND range(0, size(p.match_keys) - 1) AS i
WITH p, i ORDER BY p.match_best DESC, p.app_no, i SKIP $offset LIMIT $limit
WITH p, i, 0 AS pos, p.match_keys[i] AS key, p.match_scores[i] AS score
""" + _EXPLAIN_TAIL + "ORDER BY match_best DESC, app_no, match_rank\n"
# ... or, for a busy subsector, read in match_pos windows of each tier (whose order, within a
# tier, is the question's: match_best desc, app_no), keeping the subsector's patents: a page
# reads about (offset + limit) / (the subsector's share) positions instead of every patent of
# the subsector. SUBSECTOR_WINDOWS: windows ($windows: {lo, hi}; the first of every tier in
# one read), a row for each window holding a patent (none past the tier's last position).
# The hits come as parallel lists, read after the count (a collected map per hit costs the
# server twice as much: ~11 instead of ~5 ms for 2,000 patents at 1M).
SUBSECTOR_WINDOWS = """
UNWIND $windows AS w
MATCH (p:Patent) WHERE p.match_pos >= w.lo AND p.match_pos < w.hi
WITH w, p, any(s IN coalesce(p.subsector_ids, []) WHERE s IN $subsectors) AS hit
WITH w.lo AS lo, count(p) AS scanned, collect(CASE WHEN hit THEN p END) AS hits
RETURN lo, scanned, [p IN hits | p.app_no] AS app_nos, [p IN hits | p.match_best] AS bests,
       [p IN hits | p.match_pos] AS positions, [p IN hits | size(p.match_keys)] AS sizes
"""
SUBSECTOR_SIZE = """
MATCH (s:Industry) WHERE s.industry_id IN $subsectors
RETURN sum(coalesce(s.valid_patents, 0)) AS n
"""
# The page's pairs ($pairs: {app_no, i: rank of the enterprise, pos: row on the page}).
MATCH_PAIRS = """
UNWIND $pairs AS r
MATCH (p:Patent {app_no: r.app_no})
WITH p, r.i AS i, r.pos AS pos, p.match_keys[r.i] AS key, p.match_scores[r.i] AS score
""" + _EXPLAIN_TAIL + "ORDER BY pos\n"
PATENT_EXISTS = "MATCH (p:Patent {app_no: $app_no}) RETURN p.app_no AS app_no"


def match_score(fit: float, *, shared_groups: bool, shared_subclasses: bool, co_applied: bool,
                in_park: bool, weights: Mapping[str, float]) -> float:
    """The transparent match score: a share of the enterprise's fit plus fixed points for
    shared IPC main groups (or only subclasses), a past co-application and a park address."""
    points = weights["fit"] * fit
    if shared_groups:
        points += weights["shared_group"]
    elif shared_subclasses:
        points += weights["shared_subclass"]
    if co_applied:
        points += weights["co_application"]
    if in_park:
        points += weights["in_park"]
    return round(points, 2)


def rank_matches(*, patent_targets: Iterable[tuple[str, Iterable[tuple[str, str]]]],
                 fits_by_target: Mapping[tuple[str, str], list[tuple[str, float]]],
                 holders: Mapping[str, set[str]], patent_codes: Mapping[str, set[str]],
                 patent_subclasses: Mapping[str, set[str]],
                 enterprise_groups: Mapping[str, set[str]],
                 enterprise_subclasses: Mapping[str, set[str]],
                 patent_institutes: Mapping[str, set[str]],
                 co_applied: set[tuple[str, str]], in_park: set[str],
                 weights: Mapping[str, float], top_n: int
                 ) -> dict[str, list[tuple[str, float]]]:
    """For each patent, its best `top_n` enterprises (not its own holders) as
    (org_key, match score), best first, ties by org_key. Pure: derive.refresh calls it.

    Scoring every enterprise fitting a patent's targets would cost patents x enterprises
    (both grow with the graph: ~1,000 s at 100k patents). Instead a threshold walk: outside a
    co-application an enterprise's score depends on the patent only through its class (shares
    an IPC main group of the patent / only a subclass / neither), so per distinct target set
    the candidates are sorted once by their score in each class (all candidates; those holding
    an IPC group; those holding a subclass; an institute's co-applicants, by the best score
    they could have). A patent merges the lists of its groups, subclasses and institutes
    (plus the plain list) best first and stops when no list's next candidate can still reach
    its top_n. Same result, same order as scoring them all."""
    out: dict[str, list[tuple[str, float]]] = {}
    if top_n <= 0:
        return out
    empty: set[str] = set()
    partners: dict[str, set[str]] = defaultdict(set)  # institute -> co-applied enterprises
    for inst, ent in co_applied:
        partners[inst].add(ent)
    ents_by_group: dict[str, list[str]] = defaultdict(list)
    for ent, codes in enterprise_groups.items():
        for c in codes:
            ents_by_group[c].append(ent)
    ents_by_subclass: dict[str, list[str]] = defaultdict(list)
    for ent, codes in enterprise_subclasses.items():
        for c in codes:
            ents_by_subclass[c].append(ent)

    def class_score(fit: float, ent: str, kind: str) -> float:
        if kind == "c":  # a co-applied partner: the best of the three IPC classes
            return max(match_score(fit, shared_groups=g, shared_subclasses=s, co_applied=True,
                                   in_park=ent in in_park, weights=weights)
                       for g, s in ((True, False), (False, True), (False, False)))
        return match_score(fit, shared_groups=kind == "g", shared_subclasses=kind == "s",
                           co_applied=False, in_park=ent in in_park, weights=weights)

    Entry = tuple[float, str, float]  # (-score in the list's class, org_key, fit)
    best_of: dict[tuple[tuple[str, str], ...], dict[str, float]] = {}
    lists: dict[tuple[Any, ...], list[Entry]] = {}

    def ranked(key: tuple[tuple[str, str], ...], kind: str, code: str | None) -> list[Entry]:
        cached = lists.get((key, kind, code))
        if cached is None:
            best_all = best_of[key]
            index: dict[str, Mapping[str, Collection[str]]] = {
                "g": ents_by_group, "s": ents_by_subclass, "c": partners}
            ents = best_all if kind == "n" else index[kind].get(code or "", ())
            cached = lists[(key, kind, code)] = sorted(
                (-class_score(best_all[e], e, kind), e, best_all[e]) for e in ents
                if e in best_all)
        return cached

    for app_no, targets in patent_targets:
        key = tuple(targets)
        best_all = best_of.get(key)
        if best_all is None:
            best_all = best_of[key] = {}
            for target in key:
                for ent, fit in fits_by_target.get(target, ()):
                    if fit > best_all.get(ent, -1.0):
                        best_all[ent] = fit
        if not best_all:
            continue
        own = holders.get(app_no, empty)
        codes = patent_codes.get(app_no, empty)
        subs = patent_subclasses.get(app_no, empty)
        insts = patent_institutes.get(app_no, empty)
        top: list[tuple[float, str]] = []  # (-score, org_key), sorted, at most top_n
        seen: set[str] = set(own)

        # each list holds every candidate of its class, sorted by the exact score of that
        # class (co-applied partners: by the best score they could have): a list's head
        # bounds the rest of its class
        streams = [ranked(key, "n", None)]
        streams += [ranked(key, "c", i) for i in sorted(insts) if i in partners]
        streams += [ranked(key, "g", c) for c in sorted(codes)]
        streams += [ranked(key, "s", c) for c in sorted(subs)]
        heads = [(lst[0], n, 0) for n, lst in enumerate(streams) if lst]
        heapify(heads)
        while heads:
            entry, n, i = heads[0]
            if len(top) >= top_n and (entry[0], entry[1]) > top[-1]:
                break
            if i + 1 < len(streams[n]):
                heapreplace(heads, (streams[n][i + 1], n, i + 1))
            else:
                heappop(heads)
            ent, fit = entry[1], entry[2]
            if ent in seen:
                continue
            seen.add(ent)
            item = (-match_score(
                fit, shared_groups=bool(codes & enterprise_groups.get(ent, empty)),
                shared_subclasses=bool(subs & enterprise_subclasses.get(ent, empty)),
                co_applied=any((i, ent) in co_applied for i in insts), in_park=ent in in_park,
                weights=weights), ent)
            if len(top) < top_n:
                insort(top, item)
            elif item < top[-1]:
                top.pop()
                insort(top, item)
        if top:
            out[app_no] = [(ent, -neg) for neg, ent in top]
    return out


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


class _Budget(Exception):
    """The windows would read more patents than sorting the subsector costs: sort it instead."""


# Windows scan ~1.3 us a patent at 1M patents, MATCH_BY_SUBSECTOR ~10 us a patent of the
# subsector (9,213 patents: ~100 ms): the windows may read this many patents per patent of
# the subsector before the sort is cheaper.
WINDOW_BUDGET = 4


def _subsector_windows(store: Store, subsectors: list[str], tier: str | None, *,
                       offset: int, limit: int, budget: int | None = None,
                       width: int | None = None) -> list[dict[str, Any]] | None:
    """The page's rows of a subsector filter, from match_pos windows of each tier merged in
    the question's order (match_best desc, app_no), or None when the windows would read more
    patents than `budget` (default WINDOW_BUDGET x the subsector's stored valid patent count:
    a small subsector, which MATCH_BY_SUBSECTOR sorts faster; a window that would overrun it,
    at the tier's density of patents so far, is not read). `width`: of the first window,
    in positions (default max(1000, offset + limit)); each next one is sized by the density
    of the subsector's pairs read so far in the tier (a tier the merge hardly reaches reads
    little, a deep page few windows)."""
    if budget is None:
        size = store.read(SUBSECTOR_SIZE, {"subsectors": subsectors})
        budget = WINDOW_BUDGET * int(size[0]["n"] or 0) if size else 0
    need = offset + limit
    first = width or max(1000, need)
    scanned = 0
    codes = [TIER_CODE[tier]] if tier else sorted(TIER_CODE.values())

    def windows(spans: list[tuple[int, int]]) -> dict[int, dict[str, Any]]:
        return {int(r["lo"]): r for r in store.read(SUBSECTOR_WINDOWS, {
            "windows": [{"lo": lo, "hi": lo + w} for lo, w in spans],
            "subsectors": subsectors})}

    firsts = windows([(c * POS_SPAN + 1, first) for c in codes])

    def stream(code: int) -> Iterator[tuple[float, str, int]]:
        nonlocal scanned
        lo, width = code * POS_SPAN + 1, first
        read = held = patents = 0  # positions, the subsector's pairs, patents read in the tier
        while True:
            if read and scanned + -(-width * patents // read) > budget:
                raise _Budget
            got = (firsts if read == 0 else windows([(lo, width)])).get(lo)
            if not got:
                return
            patents += int(got["scanned"])
            scanned += int(got["scanned"])
            if scanned > budget:
                raise _Budget
            hits = sorted(zip(got["positions"], got["bests"], got["app_nos"], got["sizes"],
                              strict=True))
            for _pos, best, app_no, n in hits:
                yield (-float(best), str(app_no), int(n))
            lo, read, held = lo + width, read + width, held + sum(int(h[3]) for h in hits)
            # next: the positions that, at the density read so far (+20%), hold the pairs
            # this tier could still have to give (at most the page's need), at least twice
            # the first width; four times the last one while the tier had no hit
            width = max(2 * first, -(-max(0, need - held) * read * 6 // (5 * held)) if held
                        else 4 * width)

    pairs: list[dict[str, Any]] = []
    seen = 0  # pairs listed before the current patent
    try:
        for _neg, app_no, n in merge(*(stream(c) for c in codes)):
            for i in range(max(0, offset - seen), min(n, need - seen)):
                pairs.append({"app_no": app_no, "i": i, "pos": len(pairs)})
            seen += n
            if seen >= need:
                break
    except _Budget:
        return None
    return store.read(MATCH_PAIRS, {"pairs": pairs}) if pairs else []


@question(
    title_zh="专利-企业匹配推送",
    description_zh="为一件专利、一个分级或一个主导产业细分领域找出最适配的区内企业，"
                   "给出匹配分与理由（共享IPC、产业契合、与权利人合作史、所在园区）。"
                   "按专利的最佳匹配分从高到低排列，每件专利列出匹配分最高的若干家企业。",
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
    from queries.scoring import load_rules

    paging = {"offset": offset, "limit": limit}
    if app_no:
        app_no = app_no.strip().upper()
        if not store.read(PATENT_EXISTS, {"app_no": app_no}):
            raise InputError(f"未找到专利：{app_no}", f"no patent {app_no!r}",
                             details={"parameter": "app_no", "value": app_no})
        rows = store.read(MATCH_BY_PATENT, {"app_no": app_no, **paging})
    elif subsector:
        subs = subsector_keys(store, subsector)
        got = _subsector_windows(store, subs, tier, offset=offset, limit=limit)
        rows = got if got is not None else store.read(MATCH_BY_SUBSECTOR, {
            "subsectors": subs, "tier": tier, "upto": offset + limit, **paging})
    elif tier:
        first = TIER_CODE[tier] * POS_SPAN + offset + 1  # positions are 1-based
        top_n = int(load_rules()["match"]["top_n"])
        rows = store.read(MATCH_BY_TIER, {"lo": first - top_n + 1, "first": first,
                                          "last": first + limit})
    else:
        raise InputError("请至少指定申请号、分级或主导产业细分领域之一",
                         "give app_no, tier or subsector", details={"parameter": "app_no"})
    rows = with_fit_reasons(store, rows)
    name_patents(store, rows, subsectors="subsectors")  # the ids read above
    for row in rows:
        for helper in ("pos", "match_best", "match_rank"):
            row.pop(helper, None)
        # the patent's subclasses are computed from its codes: each once, in order
        row["shared_subclasses"] = list(dict.fromkeys(row["shared_subclasses"]))
        row["reasons"] = match_reasons(row)
    return rows
