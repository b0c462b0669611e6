"""Resolve what users type (a name, a key, part of a name) to business keys, and shared
helpers of the core question modules. Private: not a question module."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from graph.store import Store
from patentkg.errors import InputError

INSTITUTE_EXACT = """
MATCH (i:Institute) WHERE i.org_key = $q OR i.name = $q OR $q IN coalesce(i.aliases, [])
RETURN i.org_key AS key ORDER BY key
"""
INSTITUTE_CONTAINS = """
MATCH (i:Institute) WHERE i.name CONTAINS $q RETURN i.org_key AS key ORDER BY key LIMIT 20
"""
RESIDENT_INSTITUTES = """
MATCH (i:Institute) WHERE i.resident_in_district = true RETURN i.org_key AS key ORDER BY key
"""
ORG_EXACT = """
MATCH (o) WHERE (o:Institute OR o:Enterprise)
  AND (o.org_key = $q OR o.name = $q OR $q IN coalesce(o.aliases, []))
RETURN o.org_key AS key, o.name AS name, labels(o)[0] AS label ORDER BY key
"""
PARK_EXACT = """
MATCH (k:Park) WHERE k.park_id = $q OR k.name = $q RETURN k.park_id AS key ORDER BY key
"""
PARK_CONTAINS = """
MATCH (k:Park) WHERE k.name CONTAINS $q OR $q CONTAINS k.name
RETURN k.park_id AS key ORDER BY key LIMIT 20
"""
SUBSECTOR_KEYS = """
MATCH (s:Industry) WHERE s.source = 'district' AND (s.industry_id = $q OR s.name = $q)
OPTIONAL MATCH (c:Industry)-[:SUBSECTOR_OF]->(s)
RETURN s.industry_id AS key, collect(c.industry_id) AS children ORDER BY key
"""
CLUSTER_KEYS = """
MATCH (c:TechCluster) WHERE c.cluster_id = $q OR c.name = $q OR c.name CONTAINS $q
RETURN c.cluster_id AS key ORDER BY key LIMIT 20
"""


def _not_found(kind_zh: str, kind_en: str, param: str, value: str) -> InputError:
    return InputError(f"未找到{kind_zh}：{value}", f"no {kind_en} matches {value!r}",
                      hint="check the spelling, or leave the parameter empty",
                      details={"parameter": param, "value": value})


def institute_keys(store: Store, name: str | None) -> list[str]:
    """Keys of the institute named (key, name, alias, else part of a name); all resident
    institutes when no name is given."""
    if not name:
        return [r["key"] for r in store.read(RESIDENT_INSTITUTES)]
    keys = [r["key"] for r in store.read(INSTITUTE_EXACT, {"q": name})]
    keys = keys or [r["key"] for r in store.read(INSTITUTE_CONTAINS, {"q": name})]
    if not keys:
        raise _not_found("科研机构", "institute", "institute", name)
    return keys


def park_keys(store: Store, name: str, param: str = "park") -> list[str]:
    """Keys of the park named (id or name, else a park whose name contains it or vice versa)."""
    keys = [r["key"] for r in store.read(PARK_EXACT, {"q": name})]
    keys = keys or [r["key"] for r in store.read(PARK_CONTAINS, {"q": name})]
    if not keys:
        raise _not_found("园区", "park", param, name)
    return keys


def subsector_keys(store: Store, name: str, param: str = "subsector") -> list[str]:
    """The district subsector (id or name) and its child subsectors."""
    keys: set[str] = set()
    for r in store.read(SUBSECTOR_KEYS, {"q": name}):
        keys.add(r["key"])
        keys.update(c for c in r["children"] if c)
    if not keys:
        raise _not_found("主导产业细分领域", "district subsector", param, name)
    return sorted(keys)


def cluster_keys(store: Store, name: str, param: str = "cluster") -> list[str]:
    """Technology clusters by id, name or part of a name."""
    keys = [r["key"] for r in store.read(CLUSTER_KEYS, {"q": name})]
    if not keys:
        raise _not_found("技术集群", "technology cluster", param, name)
    return keys


def org(store: Store, name: str) -> dict[str, Any] | None:
    """The organisation (institute or enterprise) with this key, name or alias, if any."""
    rows = store.read(ORG_EXACT, {"q": name})
    return rows[0] if rows else None



# -- names read with question rows --------------------------------------------------------
# Stored FITS edges and patents keep keys (FITS: the counts and keys of its reasons; Patent:
# cluster_id, subsector_ids); the names a user sees are the nodes' own, read per page here.
NAMES_OF = """
UNWIND $industries AS k MATCH (s:Industry {industry_id: k})
RETURN 'Industry' AS label, k AS key, s.name AS name, s.source AS source
UNION ALL
UNWIND $institutes AS k MATCH (i:Institute {org_key: k})
RETURN 'Institute' AS label, k AS key, i.name AS name, null AS source
UNION ALL
UNWIND $clusters AS k MATCH (c:TechCluster {cluster_id: k})
RETURN 'TechCluster' AS label, k AS key, c.name AS name, null AS source
"""


def fit_edge(f: str = "f", t: str = "t", src: str = "'Enterprise'") -> str:
    """A Cypher expression: FITS edge `f` to target `t` from a source of label `src` (a
    Cypher expression) as the map ``explain_fits`` reads, or null when `f` is null."""
    return (f"CASE WHEN {f} IS NULL THEN null ELSE {{src: {src}, label: labels({t})[0], "
            f"key: coalesce({t}.cluster_id, {t}.industry_id), name: {t}.name, "
            f"source: {t}.source, patents: {f}.patents, total: {f}.total, "
            f"declared: {f}.declared, partners: {f}.partners, members: {f}.members}} END")


def node_names(store: Store, *, industries: Collection[str] = (),
               institutes: Collection[str] = (), clusters: Collection[str] = (),
               ) -> dict[tuple[str, str], tuple[Any, Any]]:
    """{(label, key): (name, source)} of these industries, institutes and clusters (NAMES_OF;
    absent: no such node)."""
    if not (industries or institutes or clusters):
        return {}
    return {(r["label"], r["key"]): (r["name"], r["source"]) for r in store.read(
        NAMES_OF, {"industries": sorted(industries), "institutes": sorted(institutes),
                   "clusters": sorted(clusters)})}


def explain_fits(store: Store, edges: list[Any]) -> list[list[str]]:
    """The reasons of FITS edges read with ``fit_edge`` (null: none), as derive scored them
    (queries.fit.fit_reasons); one name lookup for all of them."""
    from queries.fit import SUBJECT_ZH, edge_evidence, fit_reasons, fit_target_name

    evidence = [edge_evidence(e) if e else None for e in edges]
    raw = node_names(store, industries={i for ev in evidence if ev for i in ev.declared},
                    institutes={i for ev in evidence if ev for i in ev.partners})
    names: dict[tuple[str, str], str] = {}
    for (label, key), (name, source) in raw.items():
        names[(label, key)] = (fit_target_name(label, key, name, source)
                               if label == "Industry" else name or key)
    out: list[list[str]] = []
    for e, ev in zip(edges, evidence, strict=True):
        if not e or ev is None:
            out.append([])
            continue
        target = (e["label"], e["key"])
        named = {**names, target: fit_target_name(e["label"], e["key"], e["name"], e["source"])}
        out.append(fit_reasons(SUBJECT_ZH.get(e["src"], e["src"]), target, ev, named))
    return out


def with_fit_reasons(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their `fit_edge` (read by ``fit_edge``) replaced, in its place among the
    keys, by `fit_reasons`: that FITS edge's reasons text (null when there is no edge)."""
    texts = explain_fits(store, [r.get("fit_edge") for r in rows])
    return [{("fit_reasons" if k == "fit_edge" else k):
             ((text or None) if k == "fit_edge" else v) for k, v in r.items()}
            for r, text in zip(rows, texts, strict=True)]


def name_patents(store: Store, rows: list[dict[str, Any]], *, cluster: str | None = None,
                 subsectors: str | None = None) -> None:
    """Replace, in place, each row's cluster id under `cluster` by the cluster's name and its
    subsector ids under `subsectors` by their names (a row keeps its keys and their order),
    read from the TechCluster and Industry nodes, as derive named them."""
    raw = node_names(
        store, clusters={r[cluster] for r in rows if r.get(cluster)} if cluster else (),
        industries={i for r in rows for i in r.get(subsectors) or ()} if subsectors else ())
    for r in rows:
        if cluster and r.get(cluster):
            r[cluster] = raw.get(("TechCluster", r[cluster]), (None, None))[0]
        if subsectors and r.get(subsectors) is not None:
            r[subsectors] = [raw.get(("Industry", i), (None, None))[0] or i
                             for i in r[subsectors]]
