"""Resolve what users type (a name, a key, part of a name) to business keys, and shared
helpers of the core question modules. Private: not a question module."""

from __future__ import annotations

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

