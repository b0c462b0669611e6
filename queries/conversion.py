"""Conversion results (§15) and technology-contract statistics (保障措施二), grouped on demand."""

from __future__ import annotations

from typing import Any

from graph import schema
from graph.props import write_props
from graph.store import Store
from queries._ops_util import wan
from queries.catalogue import Column, Param, question

GROUP_BY = ("institute", "enterprise", "park", "year")
GROUP_ZH = {"institute": "科研机构", "enterprise": "企业", "park": "园区", "year": "年度"}
_GROUP_LABEL = {"institute": "Institute", "enterprise": "Enterprise", "park": "Park"}

# -- conversion_metrics ------------------------------------------------------------------------
# One conversion item per UNION branch: (label, path from an organisation `o` to item `x`,
# kind, date expression, amount expression). A product counts for the enterprise that makes it
# and for the holder of a patent it uses.
_ITEMS = (
    ("Licence", "(o)<-[:LICENSOR|LICENSEE]-(x:Licence)", "licence", "x.start_date", "0.0"),
    ("Transfer", "(o)<-[:FROM|TO]-(x:Transfer)", "transfer", "x.date",
     "coalesce(x.amount, 0.0)"),
    ("Pledge", "(o)<-[:PLEDGED_BY]-(x:Pledge)", "pledge", "x.start_date",
     "coalesce(x.amount, 0.0)"),
    ("Product", "(o)-[:MAKES]->(x:Product)", "product", "toString(x.year)", "0.0"),
    (None, "(o)<-[:OWNED_BY]-(:Patent)<-[:USES]-(x:Product)", "product", "toString(x.year)",
     "0.0"),
    ("TechContract", "(o)<-[:SELLER|BUYER]-(x:TechContract)", "contract",
     "coalesce(toString(x.year), x.signed_date)", "coalesce(x.amount, 0.0)"),
)
# How each grouping reaches the organisations whose items it counts.
_ORG_OF_GROUP = {"institute": "(grp:Institute)", "enterprise": "(grp:Enterprise)",
                 "park": "(grp:Park)<-[:LOCATED_IN]-(o)"}
_KEY_OF_GROUP = {"institute": ("grp.org_key", "grp.name"),
                 "enterprise": ("grp.org_key", "grp.name"),
                 "park": ("grp.park_id", "grp.name"), "year": ("grp", "toString(grp)")}


_WINDOW = "($year_from IS NULL OR year >= $year_from) AND ($year_to IS NULL OR year <= $year_to)"


def _conversion_branches(group_by: str) -> list[str]:
    """One branch per item path: the items in the year window first (few), then their groups.

    Starting from the items keeps a window cheap and never walks every organisation (or every
    patent an institute owns, for the products that use them)."""
    branches = []
    for label, path, kind, day, amount in _ITEMS:
        x_label = label or "Product"
        head = (f"MATCH (x:{x_label}) WITH x, toInteger(substring({day}, 0, 4)) AS year "
                f"WHERE {_WINDOW} ")
        bound = path.replace(f"(x:{x_label})", "(x)")
        start = _ORG_OF_GROUP[group_by]
        match = (bound.replace("(o)", start, 1) if group_by != "park"
                 else f"{start}, {bound}")
        branches.append(f"{head}MATCH {match} RETURN grp, '{kind}' AS kind, x, "
                        f"{amount} AS amount, year")
    return branches


# Per year: no organisation to reach and each item counted once, so each branch counts and
# sums its own items per year (a few rows each) instead of passing every item on.
_YEAR_COUNTS = (("licences", "licence", "count"), ("transfers", "transfer", "count"),
                ("pledges", "pledge", "count"), ("pledge_amount", "pledge", "amount"),
                ("products", "product", "count"), ("contracts", "contract", "count"),
                ("contract_amount", "contract", "amount"))
# The same seven columns over one row per item (kind, amount), for the groupings.
_COUNTS_BY_KIND = ",\n     ".join(
    f"count(CASE WHEN kind = '{kind}' THEN 1 END) AS {name}" if what == "count" else
    f"sum(CASE WHEN kind = '{kind}' THEN amount ELSE 0.0 END) AS {name}"
    for name, kind, what in _YEAR_COUNTS)


def _conversion_year_cypher() -> str:
    branches = []
    for label, _path, kind, day, amount in _ITEMS:
        if label is None:  # the products through a patent are the same Product nodes
            continue
        branches.append(f"MATCH (x:{label}) WITH toInteger(substring({day}, 0, 4)) AS year, "
                        f"{amount} AS amount WHERE year IS NOT NULL AND {_WINDOW} "
                        f"RETURN year, '{kind}' AS kind, count(*) AS n, sum(amount) AS amount")
    union = "\n  UNION ALL\n  ".join(branches)
    sums = ",\n     ".join(
        f"toInteger(sum(CASE WHEN kind = '{kind}' THEN n ELSE 0 END)) AS {name}"
        if what == "count" else
        f"sum(CASE WHEN kind = '{kind}' THEN amount ELSE 0.0 END) AS {name}"
        for name, kind, what in _YEAR_COUNTS)
    return f"""
CALL {{
  {union}
}}
WITH year, {sums}
RETURN year AS group_key, toString(year) AS group_name, licences, transfers, pledges,
       pledge_amount, products, contracts, contract_amount,
       licences + transfers + pledges + products + contracts AS total
ORDER BY group_key
SKIP $offset LIMIT $limit
"""


def _conversion_cypher(group_by: str) -> str:
    """The conversion-metrics query for one allow-listed grouping."""
    if group_by == "year":
        return _conversion_year_cypher()
    key, name = _KEY_OF_GROUP[group_by]
    union = "\n  UNION ALL\n  ".join(_conversion_branches(group_by))
    return f"""
CALL {{
  {union}
}}
WITH DISTINCT grp, kind, x, amount
WITH grp, {_COUNTS_BY_KIND}
RETURN {key} AS group_key, {name} AS group_name, licences, transfers, pledges,
       pledge_amount, products, contracts, contract_amount,
       licences + transfers + pledges + products + contracts AS total
ORDER BY total DESC, contract_amount DESC, group_key
SKIP $offset LIMIT $limit
"""


CONVERSION_METRICS = {g: _conversion_cypher(g) for g in GROUP_BY}

# Without a year window, the organisation groupings are stored by refresh_conversion (the
# live query's own rows, so the same counts and order): a page is one index range on conv_pos.
_STORED_GROUPS = ("institute", "enterprise", "park")
_CONV_COUNTS = ("licences", "transfers", "pledges", "pledge_amount", "products", "contracts",
                "contract_amount")


def _stored(group_by: str, tail: str) -> str:
    """A statement on the stored counts of one grouping's nodes (`grp`)."""
    label = _GROUP_LABEL[group_by]
    return f"MATCH (grp:{label}) " + tail.replace("$key", schema.key_of(label))


_COUNT_COLUMNS = ", ".join(f"grp.conv_{c} AS {c}" for c in _CONV_COUNTS)
CONVERSION_PAGE = {g: _stored(g, f"""WHERE grp.conv_pos >= $first AND grp.conv_pos < $last
RETURN grp.$key AS group_key, grp.name AS group_name, {_COUNT_COLUMNS},
       grp.conv_licences + grp.conv_transfers + grp.conv_pledges + grp.conv_products
       + grp.conv_contracts AS total
ORDER BY grp.conv_pos
""") for g in _STORED_GROUPS}
# conv_pos 1 exists once refresh_conversion ran on a graph with any conversion item.
CONVERSION_DERIVED = {g: _stored(g, "WHERE grp.conv_pos = 1 RETURN grp.conv_pos AS pos LIMIT 1")
                      for g in _STORED_GROUPS}
# Stored per group by refresh_conversion (graph.props.write_props: the nulls one per statement)
CONVERSION_PROPS = tuple(f"conv_{c}" for c in ("pos", *_CONV_COUNTS))


# A year window on the groupings of few groups (institutes, parks): refresh_conversion also
# stores each group's counts per year (conv_by_year: per year the year and the seven counts,
# flattened, as floats), so a window sums the stored years of a few dozen nodes in Python
# instead of reading every item in the window.
_BY_YEAR_GROUPS = ("institute", "park")


def _conversion_by_year_cypher(group_by: str) -> str:
    union = "\n  UNION ALL\n  ".join(_conversion_branches(group_by))
    return f"""
CALL {{
  {union}
}}
WITH DISTINCT grp, kind, x, amount, year
WHERE year IS NOT NULL
WITH grp, year, {_COUNTS_BY_KIND}
RETURN {_KEY_OF_GROUP[group_by][0]} AS group_key, year, licences, transfers, pledges,
       pledge_amount, products, contracts, contract_amount
ORDER BY group_key, year
"""


CONVERSION_BY_YEAR = {g: _conversion_by_year_cypher(g) for g in _BY_YEAR_GROUPS}
CONVERSION_YEARS = {g: _stored(g, """WHERE grp.conv_by_year IS NOT NULL
RETURN grp.$key AS group_key, grp.name AS group_name, grp.conv_by_year AS by_year
""") for g in _BY_YEAR_GROUPS}


def refresh_conversion(store: Store) -> int:
    """Store each institute's, enterprise's and park's conversion counts without a year window,
    and its 1-based position in the question's default order (conv_pos); each institute's and
    park's counts per year (conv_by_year); the enterprises' tech-contract order (tc_pos)."""
    written = 0
    for group_by in _STORED_GROUPS:
        rows = store.read(CONVERSION_METRICS[group_by], {
            "year_from": None, "year_to": None, "offset": 0, "limit": 2**31 - 1},
            timeout_ms=600_000)
        write_props(store, _GROUP_LABEL[group_by], [
            {"group_key": r["group_key"], "conv_pos": pos,
             **{f"conv_{c}": r[c] for c in _CONV_COUNTS}}
            for pos, r in enumerate(rows, start=1)], CONVERSION_PROPS, key="group_key",
            every=True)
        written += len(rows)
    for group_by in _BY_YEAR_GROUPS:
        by_group: dict[Any, list[float]] = {}
        for r in store.read(CONVERSION_BY_YEAR[group_by], {"year_from": None, "year_to": None},
                            timeout_ms=600_000):
            by_group.setdefault(r["group_key"], []).extend(
                float(r[c]) for c in ("year", *_CONV_COUNTS))
        write_props(store, _GROUP_LABEL[group_by], [
            {"group_key": k, "conv_by_year": v} for k, v in by_group.items()],
            ("conv_by_year",), key="group_key", every=True)
        written += len(by_group)
    return written + refresh_contract_ranks(store)


def _window_rows(store: Store, group_by: str, year_from: int | None,
                 year_to: int | None) -> list[dict[str, Any]] | None:
    """Every group of an institute/park grouping in a year window, in the question's order,
    summed from the stored counts per year (None when they are not stored)."""
    rows = store.read(CONVERSION_YEARS[group_by])
    if not rows:
        return None
    out = []
    for r in rows:
        sums: dict[str, float] = {c: 0.0 if c.endswith("amount") else 0 for c in _CONV_COUNTS}
        values = r["by_year"]
        for i in range(0, len(values), 1 + len(_CONV_COUNTS)):
            year = int(values[i])
            if (year_from is None or year >= year_from) and (year_to is None or year <= year_to):
                for j, c in enumerate(_CONV_COUNTS, start=i + 1):
                    sums[c] += values[j] if c.endswith("amount") else int(values[j])
        total = sum(int(sums[c]) for c in ("licences", "transfers", "pledges", "products",
                                            "contracts"))
        if total:
            out.append({"group_key": r["group_key"], "group_name": r["group_name"], **sums,
                        "total": total})
    out.sort(key=lambda g: (-g["total"], -g["contract_amount"], g["group_key"]))
    return out


def _group_columns(group_by: str, key: Any) -> dict[str, Any]:
    """The conventional entity columns (org_key/org_label, park_id, year) of one group row."""
    if group_by == "year":
        return {"year": key}
    if group_by == "park":
        return {"park_id": key}
    return {"org_key": key, "org_label": _GROUP_LABEL[group_by]}


@question(
    title_zh="转化成效",
    description_zh="以转化成效而非专利数量评价：按科研机构、企业、园区或年度统计专利许可、转让、质押、"
                   "专利产品和技术合同成交额。",
    measures="§15",
    params=(
        Param("group_by", "enum", "统计维度",
              "institute=科研机构，enterprise=企业，park=园区，year=年度",
              default="institute", choices=GROUP_BY),
        Param("year_from", "int", "起始年度", minimum=1985, maximum=2100),
        Param("year_to", "int", "截止年度", minimum=1985, maximum=2100),
    ),
    columns=(
        Column("group_key", "统计对象", "entity"), Column("group_name", "名称"),
        Column("licences", "许可", "int"), Column("transfers", "转让", "int"),
        Column("pledges", "质押", "int"), Column("pledge_amount", "质押金额（元）", "float"),
        Column("products", "专利产品", "int"), Column("contracts", "技术合同", "int"),
        Column("contract_amount", "合同成交额（元）", "float"),
        Column("total", "转化事项合计", "int"), Column("reasons", "说明", "list"),
    ),
    order=150,
)
def conversion_metrics(store: Store, *, limit: int = 50, offset: int = 0,
                       group_by: str = "institute", year_from: int | None = None,
                       year_to: int | None = None) -> list[dict[str, Any]]:
    """How many licences, transfers, pledges, products and contracts did each group achieve?"""
    if group_by not in CONVERSION_METRICS:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}")
    rows = None
    if group_by in CONVERSION_PAGE and year_from is None and year_to is None:
        rows = store.read(CONVERSION_PAGE[group_by], {"first": offset + 1,
                                                      "last": offset + limit + 1})
        if len(rows) < limit and not store.read(CONVERSION_DERIVED[group_by]):
            rows = None  # not derived yet
    if rows is None and group_by in CONVERSION_YEARS and (year_from, year_to) != (None, None):
        every = _window_rows(store, group_by, year_from, year_to)
        rows = None if every is None else every[offset:offset + limit]
    if rows is None:
        rows = store.read(CONVERSION_METRICS[group_by], {
            "year_from": year_from, "year_to": year_to, "limit": limit, "offset": offset})
    out: list[dict[str, Any]] = []
    for r in rows:
        parts = [f"{zh} {r[k]} 项" for k, zh in (("licences", "许可"), ("transfers", "转让"),
                                                  ("pledges", "质押"), ("products", "专利产品"),
                                                  ("contracts", "技术合同")) if r[k]]
        reasons = ["转化事项：" + "、".join(parts)]
        if r["pledges"]:
            reasons.append(f"质押融资 {wan(r['pledge_amount'])}")
        if r["contracts"]:
            reasons.append(f"技术合同成交额 {wan(r['contract_amount'])}")
        out.append({**_group_columns(group_by, r["group_key"]),
                    "group_by": group_by, "group_key": r["group_key"],
                    "group_name": r["group_name"], "licences": r["licences"],
                    "transfers": r["transfers"], "pledges": r["pledges"],
                    "pledge_amount": float(r["pledge_amount"] or 0.0),
                    "products": r["products"], "contracts": r["contracts"],
                    "contract_amount": float(r["contract_amount"] or 0.0),
                    "total": r["total"], "reasons": reasons})
    return out


# -- tech_contract_statistics ------------------------------------------------------------------
# A contract is "linked" to a transfer (licence) when a patent it covers has a transfer
# (licence) record: the cross-check between contract registration and patent registrations.
_CONTRACT_TAIL = """
WITH grp, c, toInteger(substring(coalesce(toString(c.year), c.signed_date), 0, 4)) AS year
WHERE grp IS NOT NULL
  AND ($year_from IS NULL OR year >= $year_from) AND ($year_to IS NULL OR year <= $year_to)
  AND ($kind IS NULL OR c.kind = $kind)
{flags}WITH grp, count(c) AS contracts, sum(amount) AS amount,
     count(CASE WHEN c.registered = true THEN 1 END) AS registered,
     count(CASE WHEN has_patent THEN 1 END) AS patent_contracts,
     sum(CASE WHEN has_patent THEN amount ELSE 0.0 END) AS patent_amount,
     count(CASE WHEN has_transfer THEN 1 END) AS transfer_contracts,
     sum(CASE WHEN has_transfer THEN amount ELSE 0.0 END) AS transfer_amount,
     count(CASE WHEN has_licence THEN 1 END) AS licence_contracts,
     sum(CASE WHEN has_licence THEN amount ELSE 0.0 END) AS licence_amount
RETURN {key} AS group_key, {name} AS group_name, contracts, amount, registered,
       patent_contracts, patent_amount, transfer_contracts, transfer_amount,
       licence_contracts, licence_amount
ORDER BY {order}
{page}"""
# The flags walked per contract (live) or stored per contract by derive.refresh.
_LIVE_FLAGS = """WITH grp, c, coalesce(c.amount, 0.0) AS amount,
     size([(c)-[:COVERS]->(p:Patent) | p]) > 0 AS has_patent,
     size([(c)-[:COVERS]->(:Patent)-[:TRANSFERRED_IN]->(t:Transfer) | t]) > 0 AS has_transfer,
     size([(c)-[:COVERS]->(:Patent)-[:LICENSED_UNDER]->(l:Licence) | l]) > 0 AS has_licence
"""
_STORED_FLAGS = """WITH grp, c, coalesce(c.amount, 0.0) AS amount, c.covers_patent AS has_patent,
     c.covers_transferred AS has_transfer, c.covers_licensed AS has_licence
"""


# Per year: the contracts are first counted and summed per (year, registered, flags) (two
# aggregates per contract instead of nine; a few rows per year), then those rows per year.
_CONTRACT_YEAR = """
MATCH (c:TechContract)
WITH toInteger(substring(coalesce(toString(c.year), c.signed_date), 0, 4)) AS grp, c
WHERE grp IS NOT NULL
  AND ($year_from IS NULL OR grp >= $year_from) AND ($year_to IS NULL OR grp <= $year_to)
  AND ($kind IS NULL OR c.kind = $kind)
{flags}WITH grp, c.registered = true AS registered, has_patent, has_transfer, has_licence,
     count(c) AS n, sum(amount) AS amount
WITH grp, toInteger(sum(n)) AS contracts, sum(amount) AS amount,
     toInteger(sum(CASE WHEN registered THEN n ELSE 0 END)) AS registered,
     toInteger(sum(CASE WHEN has_patent THEN n ELSE 0 END)) AS patent_contracts,
     sum(CASE WHEN has_patent THEN amount ELSE 0.0 END) AS patent_amount,
     toInteger(sum(CASE WHEN has_transfer THEN n ELSE 0 END)) AS transfer_contracts,
     sum(CASE WHEN has_transfer THEN amount ELSE 0.0 END) AS transfer_amount,
     toInteger(sum(CASE WHEN has_licence THEN n ELSE 0 END)) AS licence_contracts,
     sum(CASE WHEN has_licence THEN amount ELSE 0.0 END) AS licence_amount
RETURN grp AS group_key, toString(grp) AS group_name, contracts, amount, registered,
       patent_contracts, patent_amount, transfer_contracts, transfer_amount,
       licence_contracts, licence_amount
ORDER BY group_key
SKIP $offset LIMIT $limit
"""
# Enterprises (many groups) start from the contracts in the year window and of the kind and are
# ranked on the two sort keys first (no per-group flag sums: those cost per group); the page's
# enterprises only then walk back to their contracts for the other columns.
_CONTRACT_FILTER = """
WITH c, toInteger(substring(coalesce(toString(c.year), c.signed_date), 0, 4)) AS year
WHERE ($year_from IS NULL OR year >= $year_from) AND ($year_to IS NULL OR year <= $year_to)
  AND ($kind IS NULL OR c.kind = $kind)
"""
_CONTRACT_HEADS = {  # few groups: one pass (a park is reached from the park's side)
    "institute": "MATCH (c:TechContract)-[:SELLER|BUYER]->(grp:Institute) WITH DISTINCT grp, c",
    "park": "MATCH (c:TechContract)-[:SELLER|BUYER]->()-[:LOCATED_IN]->(grp:Park) "
            "WITH DISTINCT grp, c",
}


def _contract_cypher(group_by: str, flags: str) -> str:
    key, name = _KEY_OF_GROUP[group_by]
    order = "amount DESC, contracts DESC, group_key"
    if group_by == "year":
        return _CONTRACT_YEAR.format(flags=flags)
    if group_by != "enterprise":
        return _CONTRACT_HEADS[group_by] + _CONTRACT_TAIL.format(
            key=key, name=name, flags=flags, order=order, page="SKIP $offset LIMIT $limit\n")
    head = ("MATCH (c:TechContract)" + _CONTRACT_FILTER
            + "MATCH (c)-[:SELLER|BUYER]->(grp:Enterprise)\nWITH DISTINCT grp, c")
    return head + f"""
WITH grp, count(c) AS contracts, sum(coalesce(c.amount, 0.0)) AS amount
WITH grp, contracts, amount ORDER BY amount DESC, contracts DESC, {key}
SKIP $offset LIMIT $limit
MATCH (grp)<-[:SELLER|BUYER]-(c:TechContract)
WITH DISTINCT grp, c""" + _CONTRACT_TAIL.format(key=key, name=name, flags=flags, order=order,
                                                page="")


TECH_CONTRACT_STATISTICS = {g: _contract_cypher(g, _LIVE_FLAGS) for g in GROUP_BY}
TECH_CONTRACT_STATISTICS_STORED = {g: _contract_cypher(g, _STORED_FLAGS) for g in GROUP_BY}
# Without a filter, the enterprises' order is stored by refresh_contract_ranks (their 1-based
# position, Enterprise.tc_pos, indexed): a page is an index range, its columns read live.
CONTRACT_RANK = """
MATCH (c:TechContract)-[:SELLER|BUYER]->(grp:Enterprise)
WITH DISTINCT grp, c
WITH grp, count(c) AS contracts, sum(coalesce(c.amount, 0.0)) AS amount
RETURN grp.org_key AS org_key ORDER BY amount DESC, contracts DESC, org_key
"""
CONTRACT_ENTERPRISE_PAGE = """
MATCH (grp:Enterprise) WHERE grp.tc_pos >= $first AND grp.tc_pos < $last
MATCH (grp)<-[:SELLER|BUYER]-(c:TechContract)
WITH DISTINCT grp, c""" + _CONTRACT_TAIL.format(
    key="grp.org_key", name="grp.name", flags=_STORED_FLAGS,
    order="amount DESC, contracts DESC, group_key", page="")
# tc_pos 1 exists once refresh_contract_ranks ran on a graph with an enterprise's contract.
CONTRACT_ENTERPRISE_DERIVED = """
MATCH (grp:Enterprise) WHERE grp.tc_pos = 1 RETURN grp.tc_pos AS pos LIMIT 1
"""


def refresh_contract_ranks(store: Store) -> int:
    """Store each enterprise's position in tech_contract_statistics' order without a filter
    (contract amount, then contract count, then org_key) as Enterprise.tc_pos."""
    ranked = store.read(CONTRACT_RANK, timeout_ms=600_000)
    write_props(store, "Enterprise", [{"org_key": r["org_key"], "tc_pos": pos}
                                      for pos, r in enumerate(ranked, start=1)],
                ("tc_pos",), every=True)
    return len(ranked)


# Any contract without stored flags (loaded after the last refresh): walk the graph instead.
CONTRACT_FLAGS_MISSING = """
MATCH (c:TechContract) WHERE c.covers_patent IS NULL RETURN c.contract_id AS id LIMIT 1
"""


@question(
    title_zh="技术合同统计",
    description_zh="涉及专利的技术合同成交额统计：按年度、科研机构、企业或园区统计合同数、成交额、涉及专利的"
                   "合同金额，以及其中涉及已转让、已许可专利的金额，便于技术合同登记与专利转让许可备案信息共享。",
    measures="保障措施（二）",
    params=(
        Param("group_by", "enum", "统计维度",
              "year=年度，institute=科研机构，enterprise=企业，park=园区",
              default="year", choices=GROUP_BY),
        Param("year_from", "int", "起始年度", minimum=1985, maximum=2100),
        Param("year_to", "int", "截止年度", minimum=1985, maximum=2100),
        Param("kind", "str", "合同类型", "如 技术开发、技术转让、技术许可、技术咨询、技术服务"),
    ),
    columns=(
        Column("group_key", "统计对象", "entity"), Column("group_name", "名称"),
        Column("contracts", "合同数", "int"), Column("amount", "成交额（元）", "float"),
        Column("registered", "已登记", "int"),
        Column("patent_contracts", "涉及专利合同数", "int"),
        Column("patent_amount", "涉及专利成交额（元）", "float"),
        Column("transfer_amount", "其中涉及已转让专利（元）", "float"),
        Column("licence_amount", "其中涉及已许可专利（元）", "float"),
        Column("reasons", "说明", "list"),
    ),
    order=160,
)
def tech_contract_statistics(store: Store, *, limit: int = 50, offset: int = 0,
                             group_by: str = "year", year_from: int | None = None,
                             year_to: int | None = None,
                             kind: str | None = None) -> list[dict[str, Any]]:
    """How much technology-contract turnover involves patents, transferred or licensed ones?"""
    if group_by not in TECH_CONTRACT_STATISTICS:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}")
    stale = store.read(CONTRACT_FLAGS_MISSING)
    params = {"year_from": year_from, "year_to": year_to, "kind": kind, "limit": limit,
              "offset": offset}
    rows = None
    if (group_by == "enterprise" and not stale and year_from is None and year_to is None
            and kind is None):
        rows = store.read(CONTRACT_ENTERPRISE_PAGE, {**params, "first": offset + 1,
                                                     "last": offset + limit + 1})
        if len(rows) < limit and not store.read(CONTRACT_ENTERPRISE_DERIVED):
            rows = None  # not derived yet
    if rows is None:
        rows = store.read((TECH_CONTRACT_STATISTICS if stale else
                           TECH_CONTRACT_STATISTICS_STORED)[group_by], params)
    out: list[dict[str, Any]] = []
    for r in rows:
        reasons = [f"技术合同 {r['contracts']} 项，成交额 {wan(r['amount'])}"
                   f"（已登记 {r['registered']} 项）"]
        if r["patent_contracts"]:
            reasons.append(f"涉及专利的合同 {r['patent_contracts']} 项，{wan(r['patent_amount'])}")
            reasons.append(f"其中涉及已转让专利 {r['transfer_contracts']} 项"
                           f"（{wan(r['transfer_amount'])}），涉及已许可专利 "
                           f"{r['licence_contracts']} 项（{wan(r['licence_amount'])}）")
        else:
            reasons.append("无涉及专利的合同")
        out.append({**_group_columns(group_by, r["group_key"]),
                    "group_by": group_by, "group_key": r["group_key"],
                    "group_name": r["group_name"], "contracts": r["contracts"],
                    "amount": float(r["amount"] or 0.0), "registered": r["registered"],
                    "patent_contracts": r["patent_contracts"],
                    "patent_amount": float(r["patent_amount"] or 0.0),
                    "transfer_contracts": r["transfer_contracts"],
                    "transfer_amount": float(r["transfer_amount"] or 0.0),
                    "licence_contracts": r["licence_contracts"],
                    "licence_amount": float(r["licence_amount"] or 0.0),
                    "reasons": reasons})
    return out
