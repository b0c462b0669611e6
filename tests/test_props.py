"""No statement removes two properties of one node (graph.props): FalkorDB before 4.20 removes
the wrong attributes then (FalkorDB/FalkorDB#1787). A re-derive of a changed graph must leave
every node exactly as a derive of the changed input into an empty store does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import fresh_falkor_store

from graph import schema
from graph.props import write_props
from graph.store import Store

NODE = {"k": "n1", "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7}


def _props(store: Store, label: str, key: str) -> dict[str, dict[str, Any]]:
    rows = store.read(f"MATCH (n:{label}) RETURN n.{key} AS k, properties(n) AS p")
    return {r["k"]: r["p"] for r in rows}


def test_write_props_removes_exactly_the_null_properties(falkor_store) -> None:
    """{a..g} losing b, e and g (and c changing) keeps exactly a, c, d, f; a node no row names
    keeps everything, unless every=True."""
    label, key = "Park", schema.key_of("Park")
    node = {key if k == "k" else k: v for k, v in NODE.items()}
    other = {**node, key: "n2"}
    for row in (node, other):
        falkor_store.write(f"CREATE (n:{label}) SET n = $p", {"p": row})
    change = {key: "n1", "a": 1, "b": None, "c": 30, "d": 4, "f": 6}
    write_props(falkor_store, label, [change], ("a", "b", "c", "d", "e", "f", "g"))
    got = _props(falkor_store, label, key)
    assert got["n1"] == {key: "n1", "a": 1, "c": 30, "d": 4, "f": 6}
    assert got["n2"] == other
    write_props(falkor_store, label, [{key: "n1", "a": 1}], ("a", "b", "c", "d", "e", "f", "g"),
                every=True)
    got = _props(falkor_store, label, key)
    assert got["n1"] == {key: "n1", "a": 1}
    assert got["n2"] == {key: "n2"}


# -- a re-derive of a changed graph equals a derive of the changed input ---------------------
# The changes (each a single non-null SET or an edge delete, which FalkorDB does right): an
# enterprise's and an institute's patents all turn invalid, parks lose members, patents lose
# their owners, families abroad and licence offers: many derived properties of many nodes go.
def _change(store: Store) -> None:
    for label in ("Enterprise", "Institute"):
        top = store.read(f"MATCH (p:Patent)-[:OWNED_BY]->(o:{label}) WHERE p.is_valid = true "
                         "RETURN o.org_key AS k, count(p) AS n ORDER BY n DESC, k LIMIT 2")
        for r in top:
            store.write(f"MATCH (p:Patent)-[:OWNED_BY]->(o:{label} {{org_key: $k}}) "
                        "SET p.is_valid = false", {"k": r["k"]})
    store.write("MATCH (e:Enterprise)-[r:LOCATED_IN]->(:Park) WHERE e.org_key ENDS WITH '1' "
                "OR e.org_key ENDS WITH '3' DELETE r")
    store.write("MATCH (p:Patent)-[r:OWNED_BY]->() WHERE p.app_no ENDS WITH '2' "
                "OR p.app_no ENDS WITH '5' DELETE r")
    store.write("MATCH (p:Patent) WHERE p.has_family_abroad = true AND p.app_no ENDS WITH '7' "
                "SET p.has_family_abroad = false")
    store.write("MATCH (:Patent)-[r:OFFERED_AS]->() WHERE r IS NOT NULL WITH r LIMIT 5 DELETE r")


def _every_node(store: Store) -> dict[str, dict[str, dict[str, Any]]]:
    return {label: _props(store, label, schema.key_of(label)) for label in schema.LABELS
            if label != "DataVersion"}


def _derived_rels(store: Store) -> list[tuple[Any, ...]]:
    rows = store.read("MATCH (a)-[r]->(b) WHERE type(r) IN $types RETURN type(r) AS t, "
                      "coalesce(a.app_no, a.org_key, a.park_id) AS a, "
                      "coalesce(b.cluster_id, b.industry_id, b.org_key) AS b, properties(r) AS p",
                      {"types": [r.type for r in schema.RELATIONSHIPS if r.derived]})
    return sorted((r["t"], r["a"], r["b"], sorted(r["p"].items())) for r in rows)


def _diff(got: dict[str, Any], want: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
            if got.get(k) != want.get(k)}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from loaders.generate import generate_demo

    out = tmp_path_factory.mktemp("props-demo")
    generate_demo(out, patents=600, seed=11)
    return out


def test_rederive_of_a_changed_graph_equals_a_fresh_derive(falkor_server, small_demo) -> None:
    from loaders.pipeline import load_paths
    from queries.derive import refresh

    again = fresh_falkor_store(falkor_server, prefix="rederive")
    fresh = fresh_falkor_store(falkor_server, prefix="freshderive")
    try:
        load_paths(again, [small_demo])
        refresh(again)
        before = _every_node(again)
        _change(again)
        refresh(again)
        load_paths(fresh, [small_demo])
        _change(fresh)
        refresh(fresh)
        want, got = _every_node(fresh), _every_node(again)
        # the change removed derived properties of nodes of several labels
        lost = {label for label, nodes in before.items() for k, p in nodes.items()
                if k in want[label] and set(p) - set(want[label][k])}
        assert {"Patent", "Enterprise", "OpenLicenceOffer"} <= lost, lost
        for label in want:
            assert got[label].keys() == want[label].keys(), label
            bad = [k for k in want[label] if got[label][k] != want[label][k]]
            assert not bad, (label, len(bad), bad[:3], _diff(got[label][bad[0]],
                                                             want[label][bad[0]]))
        assert _derived_rels(again) == _derived_rels(fresh)
    finally:
        for store in (again, fresh):
            store.clear()
            store.close()
