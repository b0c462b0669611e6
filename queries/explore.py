"""Graph exploration: an entity's neighbourhood, relation paths, profiles, any answer as a network.

Every function returns plain dicts. A **Subgraph** (the API's and the pictures' shape)::

    {"nodes": [{"id": "Patent:CN202210001234.5", "label": "Patent", "label_zh": "专利",
                "key": "CN202210001234.5", "caption": "风力发电机组控制方法",
                "title": "专利：风力发电机组控制方法\\n申请号：CN202210001234.5\\n分级：A…",
                "props": {"tier": "A", "value_score": 81.5, "is_valid": true, "year": 2022},
                "depth": 0}],            # depth: hops from the centre (neighborhood only)
     "edges": [{"id": "Patent:CN…|APPLIED_BY|Institute:91120…", "source": "Patent:CN…",
                "target": "Institute:91120…", "type": "APPLIED_BY", "type_zh": "申请人"}],
     "total_nodes": 57,          # nodes the full answer has (a lower bound when
     "truncated": false,         #   "total_is_lower_bound" is true: a hub was too big to count)
     "total_is_lower_bound": false}

``relation_paths`` adds ``"paths": [[node ids...]]`` and ``"hops"``; edges keep their stored
direction (``source`` -> ``target``) whatever direction a path walks them.

Traversal is done hop by hop with one indexed query per label (``WHERE n.<key> IN $keys``), so
the same Cypher runs on FalkorDB and Neo4j and the choice of nodes kept under a cap is
deterministic: nearer first, then by relationship-type priority (applicants and owners before
classes and citations), then label, then key.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graph import schema
from graph.props import write_props
from graph.store import Store
from graph.store.base import Reads, arun_reads, run_reads
from patentkg.errors import InputError
from queries import scoring
from queries._lookup import NAMES_OF, node_names
from queries.catalogue import Column, Param, question
from queries.search import caption_of

Ref = tuple[str, str]  # (label, key)

# -- Cypher -------------------------------------------------------------------------------------
# The key of any node m, whatever its label: the key properties in an order where no label
# holds another label's key property before its own (checked below), so coalesce() is exact.
_KEY_ORDER = ("app_no", "inventor_id", "org_key", "park_id", "industry_id", "field_id",
              "cluster_id", "award_id", "product_id", "pledge_id", "licence_id", "offer_id",
              "transfer_id", "policy_id", "reg_no", "contract_id", "event_id", "code")
KEY_OF_M = "coalesce(" + ", ".join(f"m.{k}" for k in _KEY_ORDER) + ")"


def _check_key_order() -> None:
    for n in schema.NODES:
        before = _KEY_ORDER[:_KEY_ORDER.index(n.key)]
        clash = [k for k in before if k in n.properties]
        assert not clash, f"{n.label} holds {clash} before its key {n.key}"


_check_key_order()

# Cypher templates are written for Patent (so the linter parses them); `_for_label` swaps in
# another schema label and its key, never anything from input.
# Node reads name the properties they use (`_project` swaps in the label's list, see
# SHOWN_PROPS): derive.refresh stores long ranked lists on hubs (an institute's stock and
# co-operation lists, a park's push list: ~150 KB each) that a whole-node read would return.
NODE_BY_KEYS_NO_AWARDS = ("MATCH (n:Patent) WHERE n.app_no IN $keys "
                          "RETURN n {.app_no, .title} AS n, 0 AS awards")
# Patents and organisations also bring how many awards they won (the ★ badge in every view).
NODE_BY_KEYS_AWARDS = ("MATCH (n:Patent) WHERE n.app_no IN $keys "
                       "OPTIONAL MATCH (n)-[:WON]->(a:Award) "
                       "RETURN n {.app_no, .title} AS n, count(a) AS awards")
# Every node of a label with its degree and awards won: how whole_graph picks what to keep.
DEGREES = ("MATCH (n:Patent) OPTIONAL MATCH (n)-[r]-() "
           "RETURN n.app_no AS key, n.tier AS tier, count(r) AS degree, "
           "sum(CASE WHEN type(r) = 'WON' THEN 1 ELSE 0 END) AS won")
# Every relationship of some nodes, one direction at a time over the types the schema allows
# there (`_for_types`): typed traversals (an untyped `(n)-[r]-(m)` materialises every
# relationship first). Grouped by (node, type, other label): the client parses every value in
# Python, which cost ~3x the server's time when each relationship was a row of five values
# (100 patents of a hub enterprise at 100k: 1,927 rows, ~30 ms server, ~110 ms client).
EXPAND_SIDE = ("MATCH (n:Patent) WHERE n.app_no IN $keys "
               "MATCH (n)-[r:APPLIED_BY|OWNED_BY]->(m) "
               "WITH n.app_no AS src, type(r) AS type, head(labels(m)) AS m_label, "
               + KEY_OF_M + " AS m_key LIMIT $cap "
               "RETURN src, type, true AS out, m_label, collect(m_key) AS m_keys")
EDGES_AMONG = ("MATCH (n:Patent) WHERE n.app_no IN $keys MATCH (n)-[r:APPLIED_BY|OWNED_BY]->(m) "
               "WITH n, r, head(labels(m)) + ':' + " + KEY_OF_M + " AS m_id "
               "WHERE m_id IN $ids RETURN n.app_no AS src, type(r) AS type, m_id")
# Relationship counts of frontier nodes: a hub is shown but not walked through.
# (Distinct neighbours, without binding the relationship: FalkorDB then reads its adjacency
# matrix instead of materialising every relationship, ~20x faster on a hub.)
DEGREE_OF = ("MATCH (n:Patent) WHERE n.app_no IN $keys OPTIONAL MATCH (n)--(m) "
             "RETURN n.app_no AS key, count(DISTINCT m) AS degree")
# Through some types: one typed pattern in both directions (`_for_any_direction`); binding the
# relationship and filtering on type(r) materialised every relationship of a hub (the busiest
# enterprise at 100k, APPLIED_BY: 75 ms; typed: 4 ms).
DEGREE_OF_TYPES = ("MATCH (n:Patent) WHERE n.app_no IN $keys "
                   "OPTIONAL MATCH (n)-[:APPLIED_BY|OWNED_BY]-(m) "
                   "RETURN n.app_no AS key, count(DISTINCT m) AS degree")
# Whether a page's centre is a hub through some types: its distinct neighbours read only as far
# as $cap (a page does not show the count; the typed count of a 60k-patent hub is ~40 ms).
CENTRE_DEGREE_CAPPED = ("MATCH (n:Patent) WHERE n.app_no = $key "
                        "MATCH (n)-[:APPLIED_BY|OWNED_BY]-(m) WITH DISTINCT m LIMIT $cap "
                        "RETURN count(m) AS degree")
# Per relationship type (typed patterns: untyped ones materialise every relationship of a
# hub). Templates are written for APPLIED_BY from Patent; `_for_rel` swaps in an allow-listed
# type, direction and the other end's key.
# A hub centre's first hop, one type at a time in keep-order (label, key). Reading the key
# of every neighbour is most of the cost (a hub's 16k patents at 300k: ~30 ms of the ~45);
# where the schema allows one label at the other end, the label is a parameter
# (EXPAND_TYPE_PAGE_ONE: no labels() call per neighbour, ~20% less).
EXPAND_TYPE_PAGE = ("MATCH (n:Patent) WHERE n.app_no = $key MATCH (n)-[r:APPLIED_BY]->(m) "
                    "WITH head(labels(m)) AS m_label, m.org_key AS m_key "
                    "ORDER BY m_label, m_key LIMIT $n RETURN m_label, m_key")
EXPAND_TYPE_PAGE_ONE = ("MATCH (n:Patent) WHERE n.app_no = $key MATCH (n)-[r:APPLIED_BY]->(m) "
                        "WITH m.org_key AS m_key ORDER BY m_key LIMIT $n "
                        "RETURN $m_label AS m_label, m_key")
# A profile (UNION ALL): the node's properties (PROFILE_PROPS: not the internal ones),
# then per direction one traversal over every relationship type the schema allows there
# (`[r:A|B|...]`: one typed traversal costs ~1 ms where one UNION branch per type cost ~8 ms;
# outgoing it is untyped, see _profile_cypher),
# grouped by (type, other label): the count and the best neighbours (value score, then key)
# with their captions. A hub (one with a `profile_sides` summary from store_profile_links)
# skips the traversals when $stored: its rows come from the summary while the data version
# (read with the node) says the last write was a refresh. All branches return the same
# columns.
PROFILE_NODE = ("MATCH (n:Patent) WHERE n.app_no = $key "
                "RETURN 'node' AS part, n {.app_no, .title} AS props, "
                "n.profile_sides AS sides, n.profile_links AS links, null AS type, null AS out, "
                "null AS m_label, 0 AS n_rels, null AS scores, null AS keys, null AS captions")
PROFILE_LINKS = ("MATCH (n:Patent) WHERE n.app_no = $key "
                 "AND NOT ($stored AND n.profile_sides IS NOT NULL) "
                 "MATCH (n)-[r:APPLIED_BY|OWNED_BY]->(m) "
                 "WITH type(r) AS type, m, coalesce(m.value_score, -1.0) AS score, "
                 + KEY_OF_M + " AS m_key ORDER BY score DESC, m_key "
                 "WITH type, head(labels(m)) AS m_label, count(*) AS n_rels, "
                 "collect(score)[..$top] AS scores, collect(m_key)[..$top] AS keys, "
                 "collect(coalesce(m.title, m.name))[..$top] AS captions "
                 "RETURN 'rel' AS part, null AS props, null AS sides, null AS links, "
                 "type, true AS out, m_label, n_rels, scores, keys, captions")
# The nodes of a label with more than $min neighbours: the only ones that can have a side
# with more than $min relationships (`store_profile_links`). One pass per label; the unbound
# relationship lets FalkorDB read its adjacency matrix (a typed pass per side scans the label
# once per side: 18 scans of every patent).
# Nodes with more than $min relationships, a page of keys at a time: one count over a whole
# label made FalkorDB hold a group per node (~470 B each: +47 MB at 100k patents, the biggest
# transient of a refresh, growing with the graph); a page of 5,000 keys peaks at ~8 MB (an
# `IN` list itself costs FalkorDB ~1 KB per key while the query runs).
LABEL_KEYS = "MATCH (n:Patent) RETURN n.app_no AS key"
HUB_CANDIDATES = ("MATCH (n:Patent) WHERE n.app_no IN $keys MATCH (n)--(m) "
                  "WITH n, count(m) AS c WHERE c > $min RETURN n.app_no AS key")
HUB_KEYS_PAGE = 5_000
# Stored by store_profile_links (graph.props.write_props: the nulls one per statement).
PROFILE_STORED = ("profile_sides", "profile_links", "profile_degree", "profile_first")
# A hub centre's stored first neighbours per heavy side (`_stored_first`), read with the data
# version in one round trip (the DataVersion branch is added in code, see _hub_degrees).
FIRST_STORED = ("MATCH (n:Patent) WHERE n.app_no = $key "
                "RETURN n.profile_first AS first, null AS source")
# The stored distinct-neighbour counts above $min of some nodes (see _hub_degrees).
STORED_DEGREES = ("MATCH (n:Patent) WHERE n.app_no IN $keys AND n.profile_degree > $min "
                  "RETURN n.app_no AS key, n.profile_degree AS degree")


def _for_label(template: str, label: str) -> str:
    """The template with the allow-listed ``label`` and its key in place of Patent/app_no."""
    key = schema.key_of(schema.check_label(label))
    return template.replace("(n:Patent)", f"(n:{label})").replace("n.app_no", f"n.{key}")


def _sides(label: str) -> list[tuple[str, bool, tuple[str, ...]]]:
    """(type, outgoing, labels at the other end) of every relationship the schema allows on
    ``label``, in keep-order (priority, type, outgoing first)."""
    out = []
    for rel in schema.RELATIONSHIPS:
        if label in rel.sources:
            out.append((rel.type, True, rel.targets))
        if label in rel.targets:
            out.append((rel.type, False, rel.sources))
    return sorted(out, key=lambda t: (REL_PRIORITY.get(t[0], 99), t[0], not t[1]))


def _for_rel(template: str, label: str, rel: str, out: bool, others: Sequence[str]) -> str:
    """A per-type template for an allow-listed label, type and direction; the other end's
    key is its label's key when the schema allows one label there, else the coalesce."""
    keys = {schema.key_of(o) for o in others}
    m_key = f"m.{keys.pop()}" if len(keys) == 1 else KEY_OF_M
    rel = schema.check_rel_type(rel)
    arrow = f"-[r:{rel}]->" if out else f"<-[r:{rel}]-"
    return (_for_label(template, label).replace("-[r:APPLIED_BY]->", arrow)
            .replace("m.org_key", m_key).replace("'APPLIED_BY'", f"'{rel}'")
            .replace("true AS out", f"{'true' if out else 'false'} AS out"))


def _for_types(template: str, label: str, types: Sequence[str], out: bool) -> str:
    """A template written for ``-[r:APPLIED_BY|OWNED_BY]->`` from Patent, for an allow-listed
    label, relationship types and direction; the other end's key is coalesced over the keys
    of the labels the schema allows there only."""
    alts = "|".join(schema.check_rel_type(t) for t in sorted(types))
    arrow = f"-[r:{alts}]->" if out else f"<-[r:{alts}]-"
    others = {o for rel, o_out, labels in _sides(label) if rel in types and o_out == out
              for o in labels}
    keys = {schema.key_of(o) for o in others}
    # a subsequence of _KEY_ORDER keeps coalesce() exact (see _check_key_order)
    m_key = "coalesce(" + ", ".join(f"m.{k}" for k in _KEY_ORDER if k in keys) + ")"
    return (_for_label(template, label).replace("-[r:APPLIED_BY|OWNED_BY]->", arrow)
            .replace(KEY_OF_M, m_key if keys else KEY_OF_M)
            .replace("true AS out", f"{'true' if out else 'false'} AS out"))


def _for_any_direction(template: str, label: str, types: Sequence[str]) -> str | None:
    """A template written for ``-[:APPLIED_BY|OWNED_BY]-`` (either direction) from Patent, for
    an allow-listed label and those of ``types`` the schema allows on it; None when none."""
    allowed = sorted({rel for rel, _out, _others in _sides(label) if rel in types})
    if not allowed:
        return None
    alts = "|".join(schema.check_rel_type(t) for t in allowed)
    return _for_label(template, label).replace("-[:APPLIED_BY|OWNED_BY]-", f"-[:{alts}]-")


def _types_of(label: str, out: bool, rel_types: Sequence[str] | None = None) -> list[str]:
    """The relationship types the schema allows on ``label`` in one direction (of
    ``rel_types`` when given)."""
    return sorted({rel for rel, o, _others in _sides(label)
                   if o == out and (rel_types is None or rel in rel_types)})


def _side_id(rel: str, out: bool) -> str:
    """How a profile summary names one side of a node: ``"APPLIED_BY>"`` / ``"APPLIED_BY<"``."""
    return rel + (">" if out else "<")


def _check_captions() -> None:
    # PROFILE_LINKS captions neighbours with coalesce(m.title, m.name): exact (see caption_of)
    # while title is the only display property besides name and the keys, and only on labels
    # that show it.
    for n in schema.NODES:
        assert n.display in ("name", "title", n.key), f"{n.label} displays {n.display}"
        assert n.display == "title" or "title" not in n.properties, n.label


_check_captions()


MAX_DEPTH = 3
MAX_NODES = 2000
MAX_HOPS = 6
# Rows one expansion step may read before the count is reported as a lower bound.
SCAN_CAP = 50_000
# Beyond the centre, a node with more relationships than this (an IPC class, an industry, a
# busy park) is kept as a node but not expanded: walking through it would list thousands of
# unrelated entities. The total is then reported as a lower bound.
HUB_DEGREE = 300
# Each further hop walks out from at most this many nodes of the previous hop (the first in
# keep-order); a hub centre's first hop is read in keep-order only as far as needed.
FRONTIER_CAP = 100
CAPTION_CHARS = 24

# Which relationships matter most when a neighbourhood must be cut (lower = kept first).
REL_PRIORITY: dict[str, int] = {t: i for i, t in enumerate((
    "APPLIED_BY", "OWNED_BY", "CO_APPLIED_WITH", "LICENSED_UNDER", "LICENSEE", "LICENSOR",
    "TRANSFERRED_IN", "FROM", "TO", "OFFERED_AS", "OFFERED_BY_ORG", "WON", "MAKES", "USES",
    "PLEDGED_IN", "PLEDGED_BY", "PLEDGED_TO", "UNDER", "INSURED_BY", "ISSUED_BY", "COVERS",
    "SELLER", "BUYER", "LOCATED_IN", "IN_INDUSTRY", "FOCUSES_ON", "FITS", "IN_CLUSTER",
    "IN_INDUSTRY_OF", "INVENTED", "AFFILIATED_WITH", "ATTENDED", "SHOWCASED_AT",
    "ORGANISED_BY", "USED", "OFFERED_BY", "OWNS_TM", "OWNS_CR", "HANDLED_BY",
    "CLASSIFIED_AS", "CITES", "MAPS_TO", "IN_FIELD", "PART_OF", "SUBSECTOR_OF",
    "IN_DIVISION", "PART_OF_DIVISION"))}

# Chinese names of the properties shown in tooltips and profiles.
PROP_ZH: dict[str, str] = {
    "app_no": "申请号", "title": "专利名称", "abstract": "摘要", "pub_no": "公开号",
    "grant_no": "授权号", "patent_type": "专利类型", "app_date": "申请日", "pub_date": "公开日",
    "grant_date": "授权日", "expiry_date": "届满日", "legal_status": "法律状态",
    "is_valid": "有效", "ipc_main": "主分类号", "ipc_codes": "分类号", "claims_count": "权利要求数",
    "family_size": "同族数量", "has_family_abroad": "海外同族", "cited_by_count": "被引次数",
    "transfer_count": "转让次数", "licence_count": "许可次数", "pledge_count": "质押次数",
    "years_maintained": "维持年数", "remaining_years": "剩余年限", "applicants": "申请人",
    "inventors": "发明人", "agency": "代理机构", "value_score": "价值分", "tier": "分级",
    "tier_reasons": "分级理由", "in_sei": "战略性新兴产业", "cluster_name": "技术集群",
    "subsectors": "产业细分", "name": "名称", "aliases": "别名", "credit_code": "统一社会信用代码",
    "address": "地址", "street_code": "街道代码", "street_name": "街道", "kind": "类型",
    "tags": "标签", "founded_year": "成立年份", "size": "规模", "industry_code": "行业代码",
    "park_name": "所在园区", "resident_in_district": "驻区", "in_registry": "在册",
    "level": "级别", "grade": "等级", "year": "年份", "source": "来源", "code": "代码",
    "title_zh": "中文名称", "amount": "金额", "start_date": "开始日期", "end_date": "结束日期",
    "fee_model": "收费方式", "fee": "费用", "royalty_rate": "提成比例", "date": "日期",
    "declared_date": "声明日期", "platform": "平台", "field": "技术领域", "industry": "产业",
    "filing_status": "备案状态", "revenue": "营收", "signed_date": "签订日期",
    "registered": "已登记", "place": "地点", "terms": "条件", "rate": "利率",
    "max_amount": "最高额度", "premium": "保费", "size_": "规模", "top_ipc": "主要分类",
    "focus_industries": "主导产业", "organisation_key": "所属机构", "from_name": "转让方",
    "to_name": "受让方", "registered_no": "登记号", "pledgor": "出质人", "licensor": "许可方",
    "valid_until": "有效期至", "classes": "类别", "reg_date": "登记日期", "sector": "部门",
    "overseas": "海外业务", "departments": "部门", "prospect_level": "前景",
    "value_components": "价值分构成", "value_strengths": "价值优势",
    "value_missing_share": "缺证据权重占比", "prospects": "转化前景",
}
_PATENT_TYPE_ZH = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}

# Facts shown per label (tooltip lines and the compact ``props``), in this order.
_FACTS: dict[str, tuple[str, ...]] = {
    "Patent": ("app_no", "patent_type", "app_date", "legal_status", "is_valid", "tier",
               "value_score", "ipc_main", "applicants", "cluster_name"),
    "Enterprise": ("credit_code", "tags", "size", "founded_year", "park_name", "address"),
    "Institute": ("kind", "credit_code", "field", "address"),
    "Park": ("kind", "street_name", "focus_industries"),
    "IPC": ("title_zh", "level"),
    "Award": ("level", "grade", "year", "kind"),
    "Pledge": ("amount", "start_date", "end_date", "pledgor"),
    "Licence": ("kind", "fee_model", "fee", "start_date", "licensor"),
    "OpenLicenceOffer": ("fee_model", "fee", "declared_date", "field", "industry"),
    "Transfer": ("date", "from_name", "to_name", "amount"),
    "InsurancePolicy": ("kind", "amount", "start_date", "end_date"),
    "Product": ("filing_status", "year", "revenue"),
    "TechContract": ("kind", "amount", "signed_date", "registered"),
    "Event": ("kind", "date", "place"),
    "FinancialInstitution": ("kind",),
    "FinancingProduct": ("kind", "rate", "max_amount"),
    "ServiceAgency": ("kind",),
    "Industry": ("level", "source", "code"),
    "TechCluster": ("top_ipc", "size", "method"),
}
_PROPS_KEEP = ("tier", "value_score", "is_valid", "tags", "patent_type", "kind", "level",
               "legal_status", "cluster_id", "size")


# -- small helpers ------------------------------------------------------------------------------
def node_id(label: str, key: str) -> str:
    """The id a Subgraph uses for a node: ``"Label:key"``."""
    return f"{label}:{key}"


def parse_id(ident: str) -> Ref:
    """``"Patent:CN…"`` -> ("Patent", "CN…"); InputError when the label is unknown."""
    label, sep, key = str(ident).partition(":")
    if not sep or label not in schema.NODE_BY_LABEL or not key:
        raise InputError(f"无效的实体编号：{ident}", f"invalid entity id {ident!r}",
                         details={"parameter": "id", "value": str(ident)[:200]})
    return label, key


def _check_label(label: str) -> str:
    if label not in schema.NODE_BY_LABEL:
        by_zh = {n.name_zh: n.label for n in schema.NODES}
        if label in by_zh:
            return by_zh[label]
        raise InputError(f"未知的实体类型：{label}", f"unknown entity type {label!r}",
                         details={"parameter": "label", "value": str(label)[:100],
                                  "expected": list(schema.LABELS)})
    return label


def _check_rel_types(rel_types: Sequence[str] | None) -> list[str] | None:
    if not rel_types:
        return None
    by_zh = {r.name_zh: r.type for r in schema.RELATIONSHIPS}
    out: list[str] = []
    for raw in rel_types:
        rel = raw if raw in schema.REL_BY_TYPE else by_zh.get(raw)
        if rel is None:
            raise InputError(f"未知的关系类型：{raw}", f"unknown relationship type {raw!r}",
                             details={"parameter": "rel_types", "value": str(raw)[:100],
                                      "expected": list(schema.REL_TYPES)})
        out.append(schema.check_rel_type(rel))
    return sorted(set(out))


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return "、".join(_fmt(v) for v in value[:6]) + ("等" if len(value) > 6 else "")
    if isinstance(value, dict):
        return "；".join(f"{k}={_fmt(v)}" for k, v in list(value.items())[:6])
    return str(value)


def _public_props(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if not k.startswith("_")}


def node_json(label: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """One Subgraph node from a label and the node's stored properties."""
    spec = schema.NODE_BY_LABEL[label]
    key = str(props.get(spec.key))
    caption = caption_of(label, props, CAPTION_CHARS)
    full = str(props.get(spec.display) or props.get("name") or key)
    lines = [f"{spec.name_zh}：{full}"]
    if spec.display != spec.key:
        lines.append(f"{PROP_ZH.get(spec.key, spec.key)}：{key}")
    facts: dict[str, Any] = {}
    for prop in _FACTS.get(label, ()):
        value = props.get(prop)
        if value is None or value == "" or value == [] or prop == spec.key:
            continue
        shown = _PATENT_TYPE_ZH.get(value, value) if prop == "patent_type" else value
        lines.append(f"{PROP_ZH.get(prop, prop)}：{_fmt(shown)}")
    for prop in _PROPS_KEEP:
        if props.get(prop) is not None:
            facts[prop] = props[prop]
    if label in AWARD_LABELS and props.get("_awards") is not None:
        facts["awards"] = int(props["_awards"])
        if facts["awards"]:
            lines.append(f"获奖：{facts['awards']} 项")
    date = props.get("app_date") or props.get("date") or props.get("signed_date")
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        facts["year"] = int(date[:4])
    elif isinstance(props.get("year"), int):
        facts["year"] = props["year"]
    return {"id": node_id(label, key), "label": label, "label_zh": spec.name_zh, "key": key,
            "caption": caption, "title": "\n".join(lines), "props": facts}


def entity_ref(label: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """A compact node reference for answer rows: {"label", "label_zh", "key", "id", "caption"}."""
    key = str(props.get(schema.key_of(label)))
    return {"label": label, "label_zh": schema.label_zh(label), "key": key,
            "id": node_id(label, key), "caption": caption_of(label, props, CAPTION_CHARS)}


def edge_json(source: str, rel_type: str, target: str) -> dict[str, Any]:
    """One Subgraph edge; ``source`` and ``target`` are node ids in stored direction."""
    return {"id": f"{source}|{rel_type}|{target}", "source": source, "target": target,
            "type": rel_type, "type_zh": schema.rel_zh(rel_type)
            if rel_type in schema.REL_BY_TYPE else rel_type}


def _by_label(refs: Iterable[Ref]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for label, key in refs:
        grouped[label].append(key)
    return grouped


# Labels that can win an award (sources of WON): their nodes carry an ``awards`` count.
AWARD_LABELS = frozenset(schema.REL_BY_TYPE["WON"].sources)


# The properties node_json, entity_ref and caption_of read, per label (what SHOWN_PROPS names).
def _shown_props(label: str) -> tuple[str, ...]:
    spec = schema.NODE_BY_LABEL[label]
    wanted = (spec.key, spec.display, "name", *_FACTS.get(label, ()), *_PROPS_KEEP,
              "app_date", "date", "signed_date", "year")
    return tuple(dict.fromkeys(wanted))


SHOWN_PROPS: dict[str, tuple[str, ...]] = {n.label: _shown_props(n.label) for n in schema.NODES}


def _project(template: str, label: str, props: Mapping[str, Sequence[str]] = SHOWN_PROPS
             ) -> str:
    """``_for_label`` plus the label's ``props`` in place of the ``n {.app_no, .title}``."""
    shown = ", ".join(f".{p}" for p in props[schema.check_label(label)])
    return _for_label(template, label).replace("n {.app_no, .title}", f"n {{{shown}}}")


def fetch_nodes(store: Store, refs: Iterable[Ref]) -> dict[str, dict[str, Any]]:
    """The shown properties (SHOWN_PROPS) of the given nodes, by node id (missing nodes are
    simply absent; so are properties a node does not have).

    For labels in AWARD_LABELS the dict also holds ``_awards``: how many awards the node won
    (underscore: not a stored property, left out of profiles; ``node_json`` shows it)."""
    out: dict[str, dict[str, Any]] = {}
    groups = sorted(_by_label(refs).items())
    if not groups:
        return out
    # all labels in one round trip: one branch per (allow-listed) label, its own $keys<i>
    branches, params = [], {}
    for i, (label, keys) in enumerate(groups):
        template = NODE_BY_KEYS_AWARDS if label in AWARD_LABELS else NODE_BY_KEYS_NO_AWARDS
        branches.append(_project(template, label).replace("$keys", f"$keys{i}")
                        .replace("RETURN n ", f"RETURN '{label}' AS label, n "))
        params[f"keys{i}"] = sorted(set(keys))
    for row in store.read("\nUNION ALL\n".join(branches), params):
        label = row["label"]
        node = schema.readable(label, {k: v for k, v in row["n"].items() if v is not None})
        if label in AWARD_LABELS:
            node["_awards"] = int(row["awards"] or 0)
        out[node_id(label, str(node.get(schema.key_of(label))))] = node
    clusters = {n["cluster_id"] for n in out.values() if n.get("cluster_id")}
    if clusters:  # a patent's cluster is shown by name (the TechCluster's, not stored on it)
        raw = node_names(store, clusters=clusters)
        for n in out.values():
            name = raw.get(("TechCluster", str(n.get("cluster_id"))), (None, None))[0]
            if name is not None:
                n["cluster_name"] = name
    return out


def _require(store: Store, label: str, key: str) -> dict[str, Any]:
    label = _check_label(label)
    key = str(key or "").strip()
    if not key:
        raise InputError(f"请指定{schema.label_zh(label)}的编号",
                         f"missing the key of the {label}", details={"parameter": "key"})
    node = fetch_nodes(store, [(label, key)]).get(node_id(label, key))
    if node is None:
        raise InputError(f"未找到{schema.label_zh(label)}：{key}",
                         f"no {label} with key {key!r}",
                         hint="用检索功能查找正确的编号 / use search to find the key",
                         details={"label": label, "key": key})
    return node


def _expand(store: Store, frontier: Iterable[Ref], rel_types: list[str] | None,
            cap: int = SCAN_CAP) -> tuple[list[tuple[Ref, str, bool, Ref]], bool]:
    """Every relationship of the frontier nodes: (node, type, outgoing, neighbour), capped."""
    out: list[tuple[Ref, str, bool, Ref]] = []
    capped = False
    for label, keys in sorted(_by_label(frontier).items()):
        schema.check_label(label)
        branches = [_for_types(EXPAND_SIDE, label, types, way) for way in (True, False)
                    if (types := _types_of(label, way, rel_types))]
        if not branches:
            continue
        found: list[tuple[Ref, str, bool, Ref]] = []
        for row in store.read("\nUNION ALL\n".join(branches),
                              {"keys": sorted(set(keys)), "cap": cap + 1}):
            if row["m_label"] not in schema.NODE_BY_LABEL:
                continue
            src = (label, str(row["src"]))
            found.extend((src, row["type"], bool(row["out"]), (row["m_label"], str(m)))
                         for m in row["m_keys"] if m is not None)
        if len(found) > cap:
            capped, found = True, found[:cap]
        out.extend(found)
    return out, capped


def _degrees(store: Store, refs: Iterable[Ref], rel_types: list[str] | None
             ) -> dict[Ref, int]:
    """How many distinct neighbours (through ``rel_types``) each of ``refs`` has (absent: the
    node is missing, or the schema allows none of ``rel_types`` on its label)."""
    out: dict[Ref, int] = {}
    for label, keys in sorted(_by_label(refs).items()):
        schema.check_label(label)
        cypher = (_for_any_direction(DEGREE_OF_TYPES, label, rel_types) if rel_types
                  else _for_label(DEGREE_OF, label))
        if cypher is None:
            continue
        for row in store.read(cypher, {"keys": sorted(set(keys))}):
            out[(label, str(row["key"]))] = int(row["degree"])
    return out


def _centre_degree(store: Store, ref: Ref, rel_types: list[str], cap: int) -> int:
    """The distinct neighbours of one node through ``rel_types``, counted up to ``cap``."""
    label, key = ref
    cypher = _for_any_direction(CENTRE_DEGREE_CAPPED, label, rel_types)
    if cypher is None:
        return 0
    rows = store.read(cypher, {"key": key, "cap": cap})
    return int(rows[0]["degree"]) if rows else 0


def _hub_degrees(store: Store, refs: Iterable[Ref], rel_types: list[str] | None
                 ) -> dict[Ref, int]:
    """The distinct-neighbour counts (via ``rel_types``) of the hubs among ``refs``, the
    nodes with more than HUB_DEGREE neighbours; the others are absent.

    Counting a hub's neighbours costs as much as walking them (a cluster of 28k patents: ~10
    ms at 100k), so without a type filter the counts store_profile_links keeps on every node
    with more than PROFILE_LIVE_MAX neighbours are read instead, while they are current (the
    data version says the last write was a refresh); a node without one has fewer."""
    refs = list(refs)
    groups = sorted(_by_label(refs).items())
    if not rel_types and groups and HUB_DEGREE >= PROFILE_LIVE_MAX:
        branches: list[str] = []
        params: dict[str, Any] = {"min": HUB_DEGREE}
        for i, (label, keys) in enumerate(groups):
            branches.append(_for_label(STORED_DEGREES, label).replace("$keys", f"$keys{i}")
                            .replace("RETURN n.", f"RETURN '{label}' AS label, n."))
            params[f"keys{i}"] = sorted(set(keys))
        # built here, not a constant: DataVersion is bookkeeping outside the schema's labels
        branches.append(f"MATCH (v:{schema.DATA_VERSION.label}) "
                        "RETURN v.source AS label, null AS key, null AS degree")
        rows = store.read("\nUNION ALL\n".join(branches), params)
        if any(r["key"] is None and r["label"] == "refresh" for r in rows):
            return {(r["label"], str(r["key"])): int(r["degree"])
                    for r in rows if r["key"] is not None}
    return {ref: n for ref, n in _degrees(store, refs, rel_types).items() if n > HUB_DEGREE}


def _hubs(store: Store, refs: Iterable[Ref], rel_types: list[str] | None) -> set[Ref]:
    """The nodes among ``refs`` with more than HUB_DEGREE neighbours (via ``rel_types``)."""
    return set(_hub_degrees(store, refs, rel_types))


def edges_among(store: Store, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Every stored relationship whose both ends are among the given node ids (sorted)."""
    ids = sorted(set(ids))
    if not ids:
        return []
    refs = [parse_id(i) for i in ids]
    edges: dict[str, dict[str, Any]] = {}
    for label, keys in sorted(_by_label(refs).items()):
        schema.check_label(label)
        types = _types_of(label, True)
        if not types:
            continue
        for row in store.read(_for_types(EDGES_AMONG, label, types, True),
                              {"keys": keys, "ids": ids}):
            edge = edge_json(node_id(label, str(row["src"])), row["type"], row["m_id"])
            edges[edge["id"]] = edge
    return [edges[k] for k in sorted(edges)]


def _subgraph(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], total: int,
              lower_bound: bool = False) -> dict[str, Any]:
    return {"nodes": nodes, "edges": edges, "total_nodes": total,
            "truncated": total > len(nodes), "total_is_lower_bound": lower_bound}


# -- neighbourhood ------------------------------------------------------------------------------
def _side_page(store: Store, start: Ref, rel: str, out: bool, others: Sequence[str], n: int
               ) -> list[tuple[Any, Any]]:
    """The first ``n`` (label, key) rows of one side of a node in keep-order (label, key),
    read live: every neighbour's key is read to sort them."""
    label, key = start
    one = len(set(others)) == 1
    template = EXPAND_TYPE_PAGE_ONE if one else EXPAND_TYPE_PAGE
    return [(row["m_label"], row["m_key"]) for row in store.read(
        _for_rel(template, label, rel, out, others),
        {"key": key, "n": n, "m_label": others[0] if one else None})]


def _pack_first(rows: Sequence[tuple[Any, Any]]) -> list[list[Any]]:
    """A side's first rows as runs of one label: [[label, [keys...]], ...] (stored compactly)."""
    runs: list[list[Any]] = []
    for m_label, m_key in rows:
        if not runs or runs[-1][0] != m_label:
            runs.append([m_label, []])
        runs[-1][1].append(m_key)
    return runs


def _stored_first(store: Store, start: Ref) -> tuple[int, dict[str, list[tuple[Any, Any]]]]:
    """A hub's stored first rows per heavy side (store_profile_links) and the cap they were
    stored with (a side with fewer rows is all of it), while the data version says the last
    write was a refresh; (0, {}) otherwise."""
    label, key = start
    cypher = (_for_label(FIRST_STORED, label) + "\nUNION ALL\n"
              f"MATCH (v:{schema.DATA_VERSION.label}) RETURN null AS first, v.source AS source")
    rows = store.read(cypher, {"key": key})
    first = next((r["first"] for r in rows if r["first"] is not None), None)
    if first is None or not any(r["source"] == "refresh" for r in rows):
        return 0, {}
    packed = json.loads(first)
    return int(packed["cap"]), {
        side: [(m_label, m_key) for m_label, keys in runs for m_key in keys]
        for side, runs in packed["sides"].items()}


def _centre_layer(store: Store, start: Ref, rel_types: list[str] | None, need: int
                  ) -> list[dict[str, Any]]:
    """The first ``need`` neighbours of a hub in keep-order (a neighbour linked by several
    types counts under the first), read type by type: a heavy side from the hub's stored
    first neighbours when they reach ``need`` (or are all of it), else live."""
    label, _key = start
    layer: list[dict[str, Any]] = []
    seen: set[Ref] = set()
    cap, stored = _stored_first(store, start)
    for rel, out, others in _sides(label):
        if len(layer) >= need:
            break
        if rel_types is not None and rel not in rel_types:
            continue
        # at most len(layer) of this type's neighbours were already listed under earlier types
        kept = stored.get(_side_id(rel, out))
        rows = (kept[:need] if kept is not None and (need <= len(kept) or len(kept) < cap)
                else _side_page(store, start, rel, out, others, need))
        for m_label, m_key in rows:
            ref = (m_label, str(m_key))
            if m_label not in schema.NODE_BY_LABEL or m_key is None or ref in seen:
                continue
            seen.add(ref)
            layer.append({"ref": ref, "depth": 1, "type": rel, "out": out, "parent": start,
                          "rank": (REL_PRIORITY.get(rel, 99), rel, start)})
    # one neighbour linked both ways sorts by (type, label, key) within the layer
    layer.sort(key=lambda e: (REL_PRIORITY.get(e["type"], 99), e["type"], e["ref"]))
    return layer[:need]


def _ball(store: Store, label: str, key: str, depth: int, rel_types: list[str] | None,
          need: int = MAX_NODES, *, page: bool = False
          ) -> tuple[list[dict[str, Any]], bool, int]:
    """Nodes within ``depth`` hops in keep-order (dicts with ref, depth, via type/direction),
    whether the walk was bounded, and the node count (a lower bound when bounded).

    Exact for ordinary nodes. Bounded around hubs: a hub centre's first hop is read only as
    far as ``need`` (at least FRONTIER_CAP) nodes, later hops walk out from at most
    FRONTIER_CAP nodes of the previous hop and never through a hub (see HUB_DEGREE).

    Nearer nodes come first, so once ``need`` nodes are known a further hop cannot change
    them: the walk stops there when only those are wanted (``page``: the count is then a
    lower bound, and a type-filtered hub centre's neighbours are not counted at all) or when
    the count is a lower bound already (a hub centre)."""
    start: Ref = (label, key)
    seen: dict[Ref, dict[str, Any]] = {start: {"ref": start, "depth": 0, "type": None,
                                               "out": None, "parent": None, "rank": ()}}
    ordered = [seen[start]]
    frontier = [start]
    lower_bound = False
    unseen = 0  # first-hop neighbours of a hub centre that were counted but not read
    for level in range(1, depth + 1):
        if level > 1 and len(ordered) >= need and (page or lower_bound):
            # the frontier's further neighbours are not counted
            lower_bound = lower_bound or bool(frontier)
            break
        if level > 1 and frontier:
            if len(frontier) > FRONTIER_CAP:
                lower_bound, frontier = True, frontier[:FRONTIER_CAP]
            hubs = _hubs(store, frontier, rel_types)
            if hubs:
                lower_bound = True
                frontier = [r for r in frontier if r not in hubs]
        if not frontier:
            break
        # the centre's distinct neighbours, counted once; a page with a type filter only asks
        # whether it is a hub (the stored counts hold every type, a live typed count grows
        # with the hub)
        exact, count = not (page and rel_types), 0
        if level == 1:
            count = (_hub_degrees(store, frontier, rel_types).get(start, 0) if exact
                     else _centre_degree(store, start, rel_types or [], HUB_DEGREE + 1))
        if count > HUB_DEGREE:
            wanted = max(need, FRONTIER_CAP)
            layer = _centre_layer(store, start, rel_types, wanted)
            if exact:
                unseen = count - len(layer)
                lower_bound = lower_bound or unseen > 0
            else:  # a full layer may have more neighbours beyond it, uncounted
                lower_bound = lower_bound or len(layer) >= wanted
            for entry in layer:
                seen[entry["ref"]] = entry
            ordered.extend(layer)
            frontier = [e["ref"] for e in layer]
            continue
        rels, capped = _expand(store, frontier, rel_types)
        lower_bound = lower_bound or capped
        found: dict[Ref, dict[str, Any]] = {}
        for src, rel, out, dst in rels:
            if dst in seen:
                continue
            parent = seen[src]
            rank = (*parent["rank"], REL_PRIORITY.get(rel, 99), rel, src)
            prior = found.get(dst)
            if prior is None or rank < prior["rank"]:
                found[dst] = {"ref": dst, "depth": level, "type": rel, "out": out,
                              "parent": src, "rank": rank}
        # Simple, explainable order within a hop: relationship priority, type, label, key.
        layer = sorted(found.values(), key=lambda e: (
            REL_PRIORITY.get(e["type"], 99), e["type"], e["ref"]))
        seen.update(found)
        ordered.extend(layer)
        frontier = [e["ref"] for e in layer]
        if len(seen) > SCAN_CAP:
            lower_bound = lower_bound or level < depth
            break
    return ordered, lower_bound, len(ordered) + unseen


def neighborhood(store: Store, *, label: str, key: str, depth: int = 1, limit: int = 200,
                 rel_types: Sequence[str] | None = None) -> dict[str, Any]:
    """The entity and its neighbours up to ``depth`` hops, as a Subgraph capped at ``limit``."""
    label = _check_label(label)
    if not 1 <= int(depth) <= MAX_DEPTH:
        raise InputError(f"层数应为 1 到 {MAX_DEPTH}", f"depth must be 1..{MAX_DEPTH}",
                         details={"parameter": "depth", "value": str(depth)})
    limit = max(1, min(int(limit), MAX_NODES))
    types = _check_rel_types(rel_types)
    _require(store, label, key)
    ordered, lower_bound, total = _ball(store, label, str(key).strip(), int(depth), types,
                                        need=limit)
    kept = ordered[:limit]
    props = fetch_nodes(store, [e["ref"] for e in kept])
    nodes = []
    for entry in kept:
        ident = node_id(*entry["ref"])
        node = node_json(entry["ref"][0], props.get(ident, {schema.key_of(entry["ref"][0]):
                                                            entry["ref"][1]}))
        node["depth"] = entry["depth"]
        nodes.append(node)
    edges = edges_among(store, [n["id"] for n in nodes])
    if types:
        edges = [e for e in edges if e["type"] in types]
    return _subgraph(nodes, edges, total, lower_bound)


# -- relation paths -----------------------------------------------------------------------------
def _shortest_paths(store: Store, a: Ref, b: Ref, max_hops: int, limit: int
                    ) -> list[list[tuple[Ref, str | None, bool | None]]]:
    """Up to ``limit`` shortest paths a..b (bidirectional BFS), each as [(node, rel, out)].

    ``rel``/``out`` on an element describe the step *into* that node from the previous one,
    ``out`` meaning the stored relationship points along the walk."""
    if a == b:
        return [[(a, None, None)]]
    # parents[side][node] = list of (previous node, rel type, stored direction along walk)
    dist = [{a: 0}, {b: 0}]
    parents: list[dict[Ref, list[tuple[Ref, str, bool]]]] = [defaultdict(list),
                                                             defaultdict(list)]
    frontiers = [[a], [b]]
    meet: set[Ref] = set()
    while not meet and frontiers[0] and frontiers[1] and dist_sum(dist) < max_hops:
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        # paths may end at a hub but do not pass through one (see HUB_DEGREE)
        walk = frontiers[side]
        if dist[side][walk[0]] > 0:
            hubs = _hubs(store, walk, None)
            walk = [r for r in walk if r not in hubs]
        rels, _capped = _expand(store, walk, None) if walk else ([], False)
        level = dist[side][frontiers[side][0]] + 1
        nxt: list[Ref] = []
        for src, rel, out, dst in rels:
            known = dist[side].get(dst)
            if known is None:
                dist[side][dst] = level
                nxt.append(dst)
                known = level
            if known == level:
                # side 0 walks a->…; side 1 walks b->… (reversed later)
                parents[side][dst].append((src, rel, out))
        frontiers[side] = sorted(set(nxt))
        meet = {n for n in frontiers[side] if n in dist[1 - side]}
    if not meet:
        return []

    def walks(side: int, node: Ref) -> list[list[tuple[Ref, str, bool, Ref]]]:
        """Walks from the side's origin to node: list of steps (prev, rel, out, node)."""
        if dist[side][node] == 0:
            return [[]]
        result: list[list[tuple[Ref, str, bool, Ref]]] = []
        for prev, rel, out in sorted(parents[side][node]):
            for walk in walks(side, prev):
                result.append(walk + [(prev, rel, out, node)])
                if len(result) >= limit * 4:
                    return result
        return result

    paths: list[list[tuple[Ref, str | None, bool | None]]] = []
    best = min(dist[0][m] + dist[1][m] for m in meet)
    for m in sorted(n for n in meet if dist[0][n] + dist[1][n] == best):
        for left in walks(0, m):
            for right in walks(1, m):
                path: list[tuple[Ref, str | None, bool | None]] = [(a, None, None)]
                for _prev, rel, out, node in left:
                    path.append((node, rel, out))
                # right walks b -> m; walking m -> b reverses each step and its direction.
                for prev, rel, out, _node in reversed(right):
                    path.append((prev, rel, not out))
                paths.append(path)
    unique: dict[tuple, list] = {}
    for path in paths:
        unique.setdefault(tuple((p[0], p[1], p[2]) for p in path), path)
    ordered = sorted(unique.values(), key=lambda p: (
        [REL_PRIORITY.get(s[1] or "", 99) for s in p], [s[0] for s in p]))
    return ordered[:limit]


def dist_sum(dist: list[dict[Ref, int]]) -> int:
    return max(dist[0].values()) + max(dist[1].values())


def _describe_path(path: list[tuple[Ref, str | None, bool | None]],
                   props: Mapping[str, Mapping[str, Any]]) -> str:
    parts = []
    for ref, rel, out in path:
        ident = node_id(*ref)
        name = caption_of(ref[0], props.get(ident, {schema.key_of(ref[0]): ref[1]}),
                          CAPTION_CHARS)
        text = f"{schema.label_zh(ref[0])} {name}"
        if rel is not None:
            zh = schema.rel_zh(rel) if rel in schema.REL_BY_TYPE else rel
            parts.append(f"—{zh}→ " if out else f"←{zh}— ")
        parts.append(text)
    return " ".join(p.strip() for p in parts)


def relation_paths(store: Store, *, from_label: str, from_key: str, to_label: str,
                   to_key: str, max_hops: int = 4, limit: int = 5) -> dict[str, Any]:
    """How are two entities connected? The union of up to ``limit`` shortest paths."""
    from_label, to_label = _check_label(from_label), _check_label(to_label)
    if not 1 <= int(max_hops) <= MAX_HOPS:
        raise InputError(f"最大跳数应为 1 到 {MAX_HOPS}", f"max_hops must be 1..{MAX_HOPS}",
                         details={"parameter": "max_hops", "value": str(max_hops)})
    limit = max(1, min(int(limit), 100))
    _require(store, from_label, from_key)
    _require(store, to_label, to_key)
    a, b = (from_label, str(from_key).strip()), (to_label, str(to_key).strip())
    paths = _shortest_paths(store, a, b, int(max_hops), limit)
    refs = sorted({step[0] for path in paths for step in path})
    props = fetch_nodes(store, refs)
    nodes = [node_json(r[0], props.get(node_id(*r), {schema.key_of(r[0]): r[1]})) for r in refs]
    edges: dict[str, dict[str, Any]] = {}
    for path in paths:
        for (prev, _r, _o), (ref, rel, out) in zip(path, path[1:], strict=False):
            src, dst = (prev, ref) if out else (ref, prev)
            edge = edge_json(node_id(*src), str(rel), node_id(*dst))
            edges[edge["id"]] = edge
    result = _subgraph(nodes, [edges[k] for k in sorted(edges)], len(nodes))
    result["paths"] = [[node_id(*s[0]) for s in path] for path in paths]
    result["descriptions"] = [_describe_path(path, props) for path in paths]
    result["hops"] = len(paths[0]) - 1 if paths else None
    return result


# -- profile ------------------------------------------------------------------------------------
# A profile shows the facts stored on the node, not what derive.refresh stores for the
# questions to page through (positions, ranked key lists, pair lists: an institute's are
# ~150 KB) nor the profile's own summary: those properties stay on the server.
_HIDDEN_PREFIXES = ("coop_", "stock_", "match_", "push_", "target_", "profile_")
_HIDDEN_SUFFIXES = ("_pos", "_top")
_HIDDEN_NAMES = frozenset({"ipc_groups", "ranks_date", "top_cluster_ids"})


def _hidden(prop: str) -> bool:
    return (prop in _HIDDEN_NAMES or prop.startswith(_HIDDEN_PREFIXES)
            or prop.endswith(_HIDDEN_SUFFIXES))


# What a profile reads and shows of each label: its key and every schema property but those.
PROFILE_PROPS: dict[str, tuple[str, ...]] = {
    n.label: (n.key, *(p for p in n.properties if not _hidden(p) and p != n.key))
    for n in schema.NODES}
# A side of a node with more relationships than this is summarised by store_profile_links
# (count, per-label counts and the PROFILE_TOP best neighbours) instead of sorted per lookup.
PROFILE_LIVE_MAX = 100
PROFILE_TOP = 5
_PROFILE_COLUMNS = ("part", "props", "sides", "links", "type", "out", "m_label", "n_rels",
                    "scores", "keys", "captions")


@functools.cache
def _profile_cypher(label: str, node: bool = True) -> str:
    """A ``label`` node's profile as one UNION ALL: the node with the data version's source
    (in the node row's ``type``) and its relationships, one branch per direction; without
    ``node`` the relationships only (live, whatever the node stores)."""
    branches = []
    if node:
        # built here, not in the constant: DataVersion is bookkeeping outside the schema's
        # labels (the Cypher linter knows the schema's only)
        branches.append(_patent_texts(_project(PROFILE_NODE, label, PROFILE_PROPS), label)
                        .replace("RETURN 'node' AS part",
                                 f"OPTIONAL MATCH (v:{schema.DATA_VERSION.label}) "
                                 "RETURN 'node' AS part")
                        .replace("null AS type", "v.source AS type"))
    for out in (True, False):
        if types := _types_of(label, out):
            branch = _for_types(PROFILE_LINKS, label, types, out)
            if out and len(types) > 1:
                # The schema allows only these types out of the label, so the untyped walk
                # reads the same relationships: FalkorDB walks a node's outgoing adjacency in
                # one pass where a k-type union costs k (a patent's 14 types: 0.16 -> 0.07 ms,
                # ~15% of the profile's server time); incoming, the untyped walk is the slower.
                branch = branch.replace(f"-[r:{'|'.join(types)}]->", "-[r]->")
            branches.append(branch)
    return "\nUNION ALL\n".join(branches)


# A patent's tier reasons and prospect note are stored compactly (scoring.tier_basis, the
# prospect counts) and its tier rules version once per refresh (DataVersion): the profile
# reads them in the place of the texts (coalesce: a graph derived before), which
# _profile_reads builds. The rules version is shown on scored patents only, as when each
# patent stored it.
_PATENT_TEXTS = {
    ".tier_basis": "tier_reasons: coalesce(n.tier_basis, n.tier_reasons), "
                   "tier_rules_version: CASE WHEN n.tier IS NULL THEN null "
                   "ELSE coalesce(v.tier_rules_version, n.tier_rules_version) END",
    ".prospect_counts": "prospects: coalesce(n.prospects, "
                        "[n.prospect_counts, n.fit_enterprises])",
}


def _patent_texts(cypher: str, label: str) -> str:
    if label != "Patent":
        return cypher
    for stored, shown in _PATENT_TEXTS.items():
        assert stored in cypher, stored
        cypher = cypher.replace(stored, shown)
    return cypher


def _stored_links(node_row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of a node's stored summary (same shape as the relationship rows)."""
    raw = node_row.get("links")
    return [dict(zip(_PROFILE_COLUMNS[4:], row, strict=True))
            for row in (json.loads(raw) if raw else [])]


def _profile_ref(label: str, key: str, caption: str | None) -> dict[str, Any]:
    """entity_ref of a neighbour from its key and the caption text PROFILE_LINKS read."""
    spec = schema.NODE_BY_LABEL[label]
    props: dict[str, Any] = {spec.key: key}
    if caption is not None and spec.display != spec.key:
        props[spec.display] = caption
    return entity_ref(label, props)


def entity_profile(store: Store, *, label: str, key: str, top: int = PROFILE_TOP
                   ) -> dict[str, Any]:
    """Everything a profile page shows: properties, relationship counts and top links."""
    return run_reads(store, _profile_reads(label, key, top))


async def entity_profile_async(store: Store, *, label: str, key: str, top: int = PROFILE_TOP
                               ) -> dict[str, Any]:
    """``entity_profile`` on an event loop (the API's lookups: no worker thread)."""
    return await arun_reads(store, _profile_reads(label, key, top))


def _with_names(node: dict[str, Any], names: Mapping[tuple[str, str], Any]
                ) -> dict[str, Any]:
    """The patent's properties with cluster_name after cluster_id and subsectors (names)
    after subsector_ids, where a refresh used to store them."""
    out: dict[str, Any] = {}
    for k, v in node.items():
        out[k] = v
        if k == "cluster_id" and v and names.get(("TechCluster", v)) is not None:
            out["cluster_name"] = names[("TechCluster", v)]
        elif k == "subsector_ids":
            out["subsectors"] = [names.get(("Industry", i)) or i for i in v]
    return out


def _profile_reads(label: str, key: str, top: int) -> Reads[dict[str, Any]]:
    """The profile as a computation that yields its reads (one; two for a hub loaded since
    the last refresh)."""
    label = _check_label(label)
    key = str(key or "").strip()
    if not key:
        raise InputError(f"请指定{schema.label_zh(label)}的编号",
                         f"missing the key of the {label}", details={"parameter": "key"})
    spec = schema.NODE_BY_LABEL[label]
    # A summary holds PROFILE_TOP neighbours as of the last refresh: a longer list, or a load
    # since that refresh (the data version says so), means reading the heavy sides live.
    use_stored = top <= PROFILE_TOP
    params = {"key": key, "top": top, "stored": use_stored}
    rows = yield _profile_cypher(label), params
    node_row = next((r for r in rows if r["part"] == "node"), None)
    if node_row is None:
        raise InputError(f"未找到{schema.label_zh(label)}：{key}",
                         f"no {label} with key {key!r}",
                         hint="用检索功能查找正确的编号 / use search to find the key",
                         details={"label": label, "key": key})
    links = [r for r in rows if r["part"] == "rel"]
    if use_stored and node_row["sides"]:  # a hub: its traversals were skipped
        if node_row["type"] == "refresh":  # the last write was the refresh that stored them
            links = _stored_links(node_row)
        else:  # loaded since the summary was written: read live
            links = yield _profile_cypher(label, node=False), {**params, "stored": False}
    raw = node_row["props"]
    if label == "Patent" and raw.get("tier_reasons") is not None:
        # the texts of what the patent stores compactly (_PATENT_TEXTS)
        raw["tier_reasons"] = scoring.tier_reasons(raw["tier_reasons"])
    node = schema.readable(label, {k: v for k, v in raw.items() if v is not None})
    if node.get("cluster_id") or node.get("subsector_ids") is not None:
        # a patent's cluster and subsectors are shown by name, read from their nodes
        got = yield NAMES_OF, {"clusters": [node["cluster_id"]] if node.get("cluster_id")
                               else [], "industries": sorted(node.get("subsector_ids") or ()),
                               "institutes": []}
        node = _with_names(node, {(r["label"], r["key"]): r["name"] for r in got})
    if label == "Patent" and "prospects" in node:  # the note needs the subsectors' names
        note = scoring.prospect_note(node.get("tier"), node["prospects"], node.get("subsectors"))
        if note is None:
            del node["prospects"]
        else:
            node["prospects"] = note

    groups: dict[tuple[str, bool], dict[str, Any]] = {}
    best: dict[tuple[str, bool], list[tuple[float, str, str, Any]]] = defaultdict(list)
    for row in links:
        rel, out = row["type"], bool(row["out"])
        group = groups.setdefault((rel, out), {
            "type": rel, "type_zh": schema.rel_zh(rel) if rel in schema.REL_BY_TYPE else rel,
            "direction": "out" if out else "in", "count": 0, "by_label": {}, "top": []})
        group["count"] += int(row["n_rels"])
        other = row["m_label"]
        group["by_label"][other] = group["by_label"].get(other, 0) + int(row["n_rels"])
        best[(rel, out)].extend(
            (score, str(k), other, caption) for score, k, caption in zip(
                row["scores"], row["keys"], row["captions"], strict=False) if k is not None)
    relationships = []
    for (rel, out), group in sorted(groups.items(), key=lambda kv: (
            REL_PRIORITY.get(kv[0][0], 99), kv[0][0], not kv[0][1])):
        for _score, k, other, caption in sorted(best[(rel, out)],
                                                key=lambda t: (-t[0], t[1]))[:top]:
            if other in schema.NODE_BY_LABEL:
                group["top"].append(_profile_ref(other, k, caption))
        group["by_label_zh"] = {schema.label_zh(k) if k in schema.NODE_BY_LABEL else k: v
                                for k, v in sorted(group["by_label"].items())}
        relationships.append(group)
    if label in AWARD_LABELS:
        node["_awards"] = groups.get(("WON", True), {}).get("count", 0)
    props = _public_props(node)
    if isinstance(props.get("value_components"), str):  # stored compactly: shown in words
        props["value_components"] = scoring.describe(props["value_components"])
    return {"id": node_id(label, key), "label": label, "label_zh": spec.name_zh, "key": key,
            "caption": caption_of(label, node, CAPTION_CHARS),
            "name": str(node.get(spec.display) or node.get("name") or key),
            "properties": props,
            "property_names_zh": {p: PROP_ZH.get(p, p) for p in sorted(props)},
            "degree": sum(g["count"] for g in relationships),
            "relationships": relationships,
            "node": node_json(label, node)}


def _hub_candidates(store: Store, label: str) -> list[str]:
    """Keys (as text) of the label's nodes with more than PROFILE_LIVE_MAX relationships."""
    keys = [r["key"] for r in store.read(_for_label(LABEL_KEYS, label), timeout_ms=600_000)]
    return [str(r["key"]) for i in range(0, len(keys), HUB_KEYS_PAGE)
            for r in store.read(_for_label(HUB_CANDIDATES, label),
                                {"keys": keys[i:i + HUB_KEYS_PAGE], "min": PROFILE_LIVE_MAX},
                                timeout_ms=600_000)]


def store_profile_links(store: Store) -> dict[str, int]:
    """Summarise every heavy side of every node for its profile (a derive.refresh post-step).

    A node with a side (relationship type and direction) of more than PROFILE_LIVE_MAX
    relationships, named in ``profile_sides``, keeps the profile rows of all its sides (count
    per other label, the PROFILE_TOP best neighbours with their captions) as JSON in
    ``profile_links``; a lookup then skips sorting the hub's neighbours. Summaries are
    rewritten on every refresh and ignored by lookups after a later load (see
    entity_profile). Every node with more than
    PROFILE_LIVE_MAX neighbours also keeps their count in ``profile_degree`` (_hub_degrees),
    and a hub (more than HUB_DEGREE) the first FRONTIER_CAP neighbours of each heavy side in
    keep-order in ``profile_first`` (_centre_layer).
    Returns how many nodes of each label have a summary."""
    written: dict[str, int] = {}
    for label in schema.LABELS:
        rows: list[dict[str, Any]] = []
        for key in _hub_candidates(store, label):
            found = store.read(_profile_cypher(label, node=False),
                               {"key": key, "top": PROFILE_TOP, "stored": False},
                               timeout_ms=600_000)
            count: dict[str, int] = defaultdict(int)
            for r in found:
                count[_side_id(r["type"], r["out"])] += int(r["n_rels"])
            heavy = sorted(side for side, n in count.items() if n > PROFILE_LIVE_MAX)
            # all its sides: a hub's lookup is then one round trip
            links = [[r[c] for c in _PROFILE_COLUMNS[4:]] for r in found]
            rows.append({"key": key, "profile_sides": heavy or None,
                         "profile_links": (json.dumps(links, ensure_ascii=False) if heavy
                                           else None)})
        # every candidate keeps its distinct-neighbour count (hub checks, see _hub_degrees)
        for i in range(0, len(rows), 500):
            part = rows[i:i + 500]
            degrees = _degrees(store, [(label, r["key"]) for r in part], None)
            for r in part:
                r["profile_degree"] = degrees.get((label, r["key"]), 0)
                hub = r["profile_sides"] and r["profile_degree"] > HUB_DEGREE
                r["profile_first"] = (_first_json(store, (label, r["key"]), r["profile_sides"])
                                      if hub else None)
        write_props(store, label, rows, PROFILE_STORED, key="key", every=True, batch_size=500)
        written[label] = sum(1 for r in rows if r["profile_sides"])
    return written


def _first_json(store: Store, ref: Ref, heavy: Sequence[str]) -> str:
    """The first FRONTIER_CAP rows of each heavy side of a hub, as ``profile_first`` holds
    them: {"cap": FRONTIER_CAP, "sides": {side id: [[label, [keys...]], ...]}}."""
    sides = {_side_id(rel, out): (rel, out, others) for rel, out, others in _sides(ref[0])}
    return json.dumps({"cap": FRONTIER_CAP, "sides": {
        side: _pack_first(_side_page(store, ref, *sides[side], FRONTIER_CAP))
        for side in heavy if side in sides}}, ensure_ascii=False)


# -- any answer as a network --------------------------------------------------------------------
# Conventional columns of answer rows that name an entity (column -> label, key from value).
REF_COLUMNS: dict[str, str] = {
    "app_no": "Patent", "park_id": "Park", "industry_id": "Industry", "cluster_id": "TechCluster",
    "award_id": "Award", "ipc": "IPC", "ipc_main": "IPC", "product_id": "Product",
    "licence_id": "Licence", "offer_id": "OpenLicenceOffer", "transfer_id": "Transfer",
    "pledge_id": "Pledge", "policy_id": "InsurancePolicy", "contract_id": "TechContract",
    "event_id": "Event", "inventor_id": "Inventor", "enterprise_key": "Enterprise",
    "institute_key": "Institute",
}
# Pairs of columns: a key column and the column that holds its label.
REF_PAIRS: tuple[tuple[str, str], ...] = (("org_key", "org_label"), ("key", "label"),
                                          ("entity_key", "entity_label"))


def refs_from_rows(rows: Sequence[Mapping[str, Any]]) -> list[Ref]:
    """Entity references (label, key) found in answer rows, first-seen order, no duplicates.

    The convention question modules follow so that any answer can be drawn as a network:
    - any value that is a dict with ``"label"`` and ``"key"`` (an entity column, e.g. the
      output of ``entity_ref``), also inside lists;
    - column pairs ``org_key`` + ``org_label``, ``key`` + ``label``,
      ``entity_key`` + ``entity_label``; a bare ``org_key`` without label is looked up as
      Enterprise or Institute by ``subgraph_of`` (whichever exists);
    - conventional key columns: ``app_no`` -> Patent, ``park_id`` -> Park, ``industry_id`` ->
      Industry, ``cluster_id`` -> TechCluster, ``award_id`` -> Award, ``ipc``/``ipc_main`` -> IPC,
      ``product_id`` -> Product, ``licence_id``, ``offer_id``, ``transfer_id``, ``pledge_id``,
      ``policy_id``, ``contract_id``, ``event_id``, ``inventor_id``, ``enterprise_key``,
      ``institute_key`` (see REF_COLUMNS); a list of such keys (e.g. ``app_nos``) counts too
      when the column is the plural (``app_nos``, ``park_ids``...).
    """
    out: dict[Ref, None] = {}

    def add(label: Any, key: Any) -> None:
        if isinstance(label, str) and label in schema.NODE_BY_LABEL and key not in (None, ""):
            out.setdefault((label, str(key)), None)

    def visit(value: Any) -> None:
        if isinstance(value, Mapping):
            if "label" in value and "key" in value:
                add(value["label"], value["key"])
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, Mapping):
                    visit(item)

    for row in rows:
        for value in row.values():
            visit(value)
        for key_col, label_col in REF_PAIRS:
            if key_col in row and label_col in row:
                add(row[label_col], row[key_col])
        if "org_key" in row and "org_label" not in row and row["org_key"]:
            out.setdefault(("Enterprise|Institute", str(row["org_key"])), None)
        for column, label in REF_COLUMNS.items():
            if row.get(column) not in (None, "") and not isinstance(row.get(column), (list, dict)):
                add(label, row[column])
            plural = row.get(column + "s")
            if isinstance(plural, (list, tuple)):
                for item in plural:
                    if isinstance(item, (str, int)):
                        add(label, item)
    return list(out)


def subgraph_of(store: Store, refs: Sequence[Ref], *, limit: int = 300,
                expand: bool = True) -> dict[str, Any]:
    """The given entities, the relationships among them and (expand) their direct neighbours."""
    limit = max(1, min(int(limit), MAX_NODES))
    resolved: list[Ref] = []
    for label, key in refs:
        if label == "Enterprise|Institute":
            found = fetch_nodes(store, [("Enterprise", key), ("Institute", key)])
            label = "Enterprise" if node_id("Enterprise", key) in found else "Institute"
        else:
            label = _check_label(label)
        if (label, str(key)) not in resolved:
            resolved.append((label, str(key)))
    props = fetch_nodes(store, resolved)
    seeds = [r for r in resolved if node_id(*r) in props]
    total = len(seeds)
    kept: list[tuple[Ref, int]] = [(r, 0) for r in seeds[:limit]]
    lower_bound = False
    if expand and seeds:
        rels, lower_bound = _expand(store, seeds, None)
        seed_set = set(seeds)
        best: dict[Ref, tuple] = {}
        for _src, rel, _out, dst in rels:
            if dst in seed_set:
                continue
            rank = (REL_PRIORITY.get(rel, 99), rel)
            if dst not in best or rank < best[dst]:
                best[dst] = rank
        # neighbours shared by more seeds first, then relationship priority, then label/key
        shared: dict[Ref, int] = defaultdict(int)
        for _src, _rel, _out, dst in {(s, r, o, d) for s, r, o, d in rels}:
            shared[dst] += 1
        extra = sorted(best, key=lambda d: (-shared[d], best[d], d))
        total += len(extra)
        room = max(0, limit - len(kept))
        kept.extend((d, 1) for d in extra[:room])
        props.update(fetch_nodes(store, [d for d, _ in kept[len(seeds):]]))
    nodes = []
    for ref, depth in kept:
        node = node_json(ref[0], props.get(node_id(*ref), {schema.key_of(ref[0]): ref[1]}))
        node["depth"] = depth
        nodes.append(node)
    edges = edges_among(store, [n["id"] for n in nodes])
    return _subgraph(nodes, edges, total, lower_bound)


# -- the whole graph (bounded) ------------------------------------------------------------------
WHOLE_MAX_NODES = 5000


def whole_graph(store: Store, *, limit: int = WHOLE_MAX_NODES) -> dict[str, Any]:
    """The whole graph for Gephi, bounded to ``limit`` nodes, as a Subgraph.

    Which nodes are kept when the graph is bigger than ``limit`` (explainable, deterministic):
    1. the best-connected nodes (most relationships) fill up to half of the places;
    2. then tier-A patents and award winners (patents and organisations), best-connected first;
    3. the remaining places go to the next best-connected nodes.
    Ties go by label, then key. Edges are every stored relationship among the kept nodes;
    ``total_nodes`` counts every node of the graph and ``truncated`` says whether some were cut.
    """
    limit = max(1, min(int(limit), WHOLE_MAX_NODES))
    stats: list[tuple[int, bool, Ref]] = []
    for label in sorted(schema.LABELS):
        for row in store.read(_for_label(DEGREES, label), {}):
            if row["key"] is None:
                continue
            key_ = str(row["key"])
            notable = row.get("tier") == "A" or int(row.get("won") or 0) > 0
            stats.append((int(row["degree"] or 0), notable, (label, key_)))
    by_degree = sorted(stats, key=lambda s: (-s[0], s[2]))
    chosen: dict[Ref, None] = {}
    for _deg, _notable, ref in by_degree[:limit // 2]:
        chosen.setdefault(ref, None)
    for _deg, notable, ref in by_degree:
        if len(chosen) >= limit:
            break
        if notable:
            chosen.setdefault(ref, None)
    for _deg, _notable, ref in by_degree:
        if len(chosen) >= limit:
            break
        chosen.setdefault(ref, None)
    refs = list(chosen)
    props = fetch_nodes(store, refs)
    nodes = [node_json(r[0], props.get(node_id(*r), {schema.key_of(r[0]): r[1]})) for r in refs]
    edges = edges_among(store, [n["id"] for n in nodes])
    return _subgraph(nodes, edges, len(stats))


# -- catalogue questions ------------------------------------------------------------------------
_LABEL_CHOICES = tuple(schema.LABELS)


@question(
    title_zh="关系路径", measures="§2, §4, §11, §22",
    description_zh="两个实体（专利、机构、企业、园区等）之间如何相连：列出最短的关系路径，"
                   "每条路径用一句话说明经过哪些实体和关系。",
    params=(
        Param("from_label", "enum", "起点类型", default="Patent", choices=_LABEL_CHOICES),
        Param("from_key", "str", "起点编号", "申请号、统一社会信用代码或其他编号", required=True),
        Param("to_label", "enum", "终点类型", default="Enterprise", choices=_LABEL_CHOICES),
        Param("to_key", "str", "终点编号", required=True),
        Param("max_hops", "int", "最大跳数", "路径最多经过几步关系（1-6）", default=4,
              minimum=1, maximum=MAX_HOPS),
    ),
    columns=(Column("path_no", "序号", "int"), Column("hops", "跳数", "int"),
             Column("nodes", "经过的实体", "list"), Column("reasons", "路径说明", "list")),
    order=170)
def relation_path(store: Store, *, limit: int, offset: int, from_label: str = "Patent",
                  from_key: str = "", to_label: str = "Enterprise", to_key: str = "",
                  max_hops: int = 4) -> list[dict[str, Any]]:
    """Which chains of relationships connect two entities (one row per shortest path)?"""
    result = relation_paths(store, from_label=from_label, from_key=from_key,
                            to_label=to_label, to_key=to_key, max_hops=max_hops,
                            limit=min(offset + limit, 100))
    by_id = {n["id"]: n for n in result["nodes"]}
    rows = []
    for i, (path, sentence) in enumerate(zip(result["paths"], result["descriptions"],
                                             strict=True)):
        nodes = [{k: by_id[p][k] for k in ("label", "label_zh", "key", "id", "caption")}
                 for p in path]
        rows.append({"path_no": i + 1, "hops": len(path) - 1, "nodes": nodes,
                     "reasons": [sentence]})
    return rows[offset:offset + limit]


@question(
    title_zh="实体关系网络", measures="§2, §4, §11, §22",
    description_zh="一个实体（专利、机构、企业、园区等）在图谱中的直接和间接关联：列出相邻的实体、"
                   "关系和距离，可在网页上以网络图展示。",
    params=(
        Param("label", "enum", "实体类型", default="Enterprise", choices=_LABEL_CHOICES),
        Param("key", "str", "实体编号", "申请号、统一社会信用代码或其他编号", required=True),
        Param("depth", "int", "层数", "向外扩展几步关系（1-3）", default=1, minimum=1,
              maximum=MAX_DEPTH),
        Param("rel_types", "list", "关系类型", "只看这些关系（英文或中文名，可多选）"),
    ),
    columns=(Column("neighbour", "相邻实体", "entity"), Column("label_zh", "类型"),
             Column("relationship", "关系"), Column("direction", "方向"),
             Column("depth", "距离", "int"), Column("via", "经由", "entity"),
             Column("reasons", "说明", "list")),
    order=171)
def entity_neighbourhood(store: Store, *, limit: int, offset: int, label: str = "Enterprise",
                         key: str = "", depth: int = 1, rel_types: Sequence[str] | None = None
                         ) -> list[dict[str, Any]]:
    """Which entities are linked to this one, through which relationship, how far away?"""
    label = _check_label(label)
    types = _check_rel_types(rel_types)
    centre = _require(store, label, key)
    ordered, _lb, _total = _ball(store, label, str(key).strip(), int(depth), types,
                                 need=offset + limit + 1, page=True)
    page = ordered[1:][offset:offset + limit]
    refs = {e["ref"] for e in page} | {e["parent"] for e in page}
    props = fetch_nodes(store, refs)
    props[node_id(label, str(key).strip())] = centre
    rows = []
    for entry in page:
        ref, parent = entry["ref"], entry["parent"]
        here = props.get(node_id(*ref), {schema.key_of(ref[0]): ref[1]})
        there = props.get(node_id(*parent), {schema.key_of(parent[0]): parent[1]})
        rel_zh = schema.rel_zh(entry["type"])
        a = f"{schema.label_zh(parent[0])}「{caption_of(parent[0], there)}」"
        b = f"{schema.label_zh(ref[0])}「{caption_of(ref[0], here)}」"
        sentence = f"{a} —{rel_zh}→ {b}" if entry["out"] else f"{b} —{rel_zh}→ {a}"
        rows.append({"neighbour": entity_ref(ref[0], here),
                     "label_zh": schema.label_zh(ref[0]), "relationship": rel_zh,
                     "rel_type": entry["type"], "direction": "出" if entry["out"] else "入",
                     "depth": entry["depth"], "via": entity_ref(parent[0], there),
                     "reasons": [sentence]})
    return rows
