"""Neighbourhoods, relation paths, profiles and answer subgraphs against networkx.

The graph is a seeded random one written with plain Cypher; the expected answers are computed
by networkx over the very edge list the test wrote (independent of the code under test)."""

from __future__ import annotations

import random
from collections import Counter

import networkx as nx
import pytest

from patentkg.errors import InputError
from queries import explore
from queries.catalogue import ask

SEED = 11


def _make_graph(seed: int = SEED):
    rnd = random.Random(seed)
    patents = [f"CN2022100{i:05d}.{i % 10}" for i in range(60)]
    insts = [f"INST{i}" for i in range(5)]
    ents = [f"91120000MA0{i:07d}" for i in range(12)]
    parks = ["P01", "P02"]
    ipcs = ["A61B5/00", "H02J3/00", "G01V1/00", "G21C17/00"]
    edges: list[tuple[tuple[str, str], str, tuple[str, str]]] = []
    for p in patents:
        owner = rnd.choice([("Institute", k) for k in insts] + [("Enterprise", k) for k in ents])
        edges.append((("Patent", p), "APPLIED_BY", owner))
        edges.append((("Patent", p), "CLASSIFIED_AS", ("IPC", rnd.choice(ipcs))))
        if rnd.random() < 0.3:
            q = rnd.choice(patents)
            if q != p:
                edges.append((("Patent", p), "CITES", ("Patent", q)))
    for e in ents:
        edges.append((("Enterprise", e), "LOCATED_IN", ("Park", rnd.choice(parks))))
    for i in insts[:3]:
        edges.append((("Institute", i), "CO_APPLIED_WITH", ("Enterprise", rnd.choice(ents))))
    edges = sorted(set(edges))
    nodes = ([("Patent", p, {"app_no": p, "title": f"测试专利{i}", "tier": "ABC"[i % 3],
                             "value_score": float(i)}) for i, p in enumerate(patents)]
             + [("Institute", k, {"org_key": k, "name": f"天津研究院{k}"}) for k in insts]
             + [("Enterprise", k, {"org_key": k, "name": f"河东企业{k[-3:]}"}) for k in ents]
             + [("Park", k, {"park_id": k, "name": f"园区{k}"}) for k in parks]
             + [("IPC", k, {"code": k}) for k in ipcs])
    return nodes, edges


KEYS = {"Patent": "app_no", "Institute": "org_key", "Enterprise": "org_key", "Park": "park_id",
        "IPC": "code"}


@pytest.fixture(scope="module")
def graph(falkor_server):
    from conftest import fresh_falkor_store

    store = fresh_falkor_store(falkor_server, prefix="explore")
    store.ensure_schema()
    nodes, edges = _make_graph()
    for label, _k, props in nodes:
        store.write(f"CREATE (n:{label}) SET n = $props", {"props": props})
    by_type: dict[tuple[str, str, str], list[dict]] = {}
    for (sl, sk), rel, (tl, tk) in edges:
        by_type.setdefault((sl, rel, tl), []).append({"s": sk, "t": tk})
    for (sl, rel, tl), rows in by_type.items():
        store.write(f"UNWIND $rows AS row MATCH (a:{sl} {{{KEYS[sl]}: row.s}}) "
                    f"MATCH (b:{tl} {{{KEYS[tl]}: row.t}}) CREATE (a)-[:{rel}]->(b)",
                    {"rows": rows})
    g = nx.MultiGraph()
    for label, key, _p in nodes:
        g.add_node(f"{label}:{key}")
    for (sl, sk), rel, (tl, tk) in edges:
        g.add_edge(f"{sl}:{sk}", f"{tl}:{tk}", type=rel)
    yield store, g, edges
    store.clear()
    store.close()


@pytest.mark.parametrize("centre,depth", [("Institute:INST0", 1), ("Institute:INST1", 2),
                                          ("Park:P01", 2), ("Patent:CN202210000003.3", 3)])
def test_neighbourhood_equals_networkx_ego_graph(graph, centre, depth) -> None:
    store, g, _edges = graph
    label, key = centre.split(":", 1)
    expected = set(nx.ego_graph(g, centre, radius=depth).nodes)
    result = explore.neighborhood(store, label=label, key=key, depth=depth, limit=2000)
    assert {n["id"] for n in result["nodes"]} == expected
    assert result["total_nodes"] == len(expected) and result["truncated"] is False
    lengths = nx.single_source_shortest_path_length(g, centre)
    assert all(n["depth"] == lengths[n["id"]] for n in result["nodes"])
    induced = {(u, d["type"], v) for u, v, d in g.subgraph(expected).edges(data=True)}
    got = {(e["source"], e["type"], e["target"]) for e in result["edges"]}
    assert {frozenset((u, v)) for u, _t, v in induced} == {
        frozenset((s, t)) for s, _t, t in got}


def test_neighbourhood_cap_is_honest_and_deterministic(graph) -> None:
    store, g, _edges = graph
    expected = set(nx.ego_graph(g, "IPC:A61B5/00", radius=2).nodes)
    small = explore.neighborhood(store, label="IPC", key="A61B5/00", depth=2, limit=10)
    assert len(small["nodes"]) == 10 and small["truncated"] is True
    assert small["total_nodes"] == len(expected)
    assert {n["id"] for n in small["nodes"]} <= expected
    assert small == explore.neighborhood(store, label="IPC", key="A61B5/00", depth=2, limit=10)
    # nearer nodes are kept first
    depths = [n["depth"] for n in small["nodes"]]
    assert depths == sorted(depths)
    node_ids = {n["id"] for n in small["nodes"]}
    assert all(e["source"] in node_ids and e["target"] in node_ids for e in small["edges"])


def test_neighbourhood_rel_type_filter(graph) -> None:
    store, g, _edges = graph
    sub = nx.MultiGraph([(u, v) for u, v, d in g.edges(data=True) if d["type"] == "APPLIED_BY"])
    expected = set(nx.ego_graph(sub, "Institute:INST2", radius=1).nodes)
    result = explore.neighborhood(store, label="Institute", key="INST2",
                                  rel_types=["申请人"])
    assert {n["id"] for n in result["nodes"]} == expected
    assert {e["type"] for e in result["edges"]} <= {"APPLIED_BY"}


def test_unknown_entity_and_bad_depth_are_input_errors(graph) -> None:
    store, _g, _e = graph
    with pytest.raises(InputError) as err:
        explore.neighborhood(store, label="Enterprise", key="NOPE")
    assert "未找到企业" in err.value.message_zh and "NOPE" in err.value.message_zh
    with pytest.raises(InputError):
        explore.neighborhood(store, label="Enterprise", key="91120000MA00000001", depth=4)
    with pytest.raises(InputError):
        explore.neighborhood(store, label="Bogus", key="x")


@pytest.mark.parametrize("pair", [
    ("Patent:CN202210000001.1", "Park:P02"), ("Institute:INST0", "IPC:G21C17/00"),
    ("Patent:CN202210000010.0", "Patent:CN202210000050.0"), ("Park:P01", "Park:P02")])
def test_relation_paths_are_shortest(graph, pair) -> None:
    store, g, _edges = graph
    (fl, fk), (tl, tk) = (p.split(":", 1) for p in pair)
    try:
        expected = nx.shortest_path_length(g, pair[0], pair[1])
    except nx.NetworkXNoPath:
        expected = None
    result = explore.relation_paths(store, from_label=fl, from_key=fk, to_label=tl,
                                    to_key=tk, max_hops=6, limit=5)
    if expected is None or expected > 6:
        assert result["paths"] == []
        return
    assert result["hops"] == expected
    simple = nx.Graph(g)
    for path in result["paths"]:
        assert path[0] == pair[0] and path[-1] == pair[1] and len(path) - 1 == expected
        assert all(simple.has_edge(u, v) for u, v in zip(path, path[1:], strict=False))
    all_shortest = list(nx.all_shortest_paths(simple, pair[0], pair[1]))
    assert len(result["paths"]) == min(5, len(all_shortest))
    node_ids = {n["id"] for n in result["nodes"]}
    assert node_ids == {n for p in result["paths"] for n in p}


def test_relation_path_question_rows(graph) -> None:
    store, g, _edges = graph
    answer = ask(store, "relation_path", {"from_label": "Institute", "from_key": "INST0",
                                          "to_label": "Park", "to_key": "P01", "max_hops": 6},
                 limit=3)
    expected = nx.shortest_path_length(g, "Institute:INST0", "Park:P01")
    assert answer.rows and all(r["hops"] == expected for r in answer.rows)
    sentence = answer.rows[0]["reasons"][0]
    assert sentence.startswith("科研机构 天津研究院INST0") and "园区 园区P01" in sentence


def test_entity_neighbourhood_question(graph) -> None:
    store, g, _edges = graph
    rows = list(ask(store, "entity_neighbourhood", {"label": "Institute", "key": "INST1"},
                    limit=1000).rows)
    assert {r["neighbour"]["id"] for r in rows} == set(g.neighbors("Institute:INST1"))
    assert all(r["reasons"] and r["depth"] == 1 for r in rows)


def test_profile_counts_equal_edge_list(graph) -> None:
    store, _g, edges = graph
    centre = ("Institute", "INST0")
    expected = Counter()
    for src, rel, dst in edges:
        if src == centre:
            expected[(rel, "out")] += 1
        if dst == centre:
            expected[(rel, "in")] += 1
    profile = explore.entity_profile(store, label="Institute", key="INST0")
    got = Counter({(r["type"], r["direction"]): r["count"] for r in profile["relationships"]})
    assert got == expected
    assert profile["label_zh"] == "科研机构" and profile["properties"]["name"] == "天津研究院INST0"
    applied = next(r for r in profile["relationships"] if r["type"] == "APPLIED_BY")
    assert applied["type_zh"] == "申请人" and len(applied["top"]) == min(5, applied["count"])
    scores = [int(t["caption"].removeprefix("测试专利")) for t in applied["top"]]
    assert scores == sorted(scores, reverse=True)  # value_score == index, best first


def test_subgraph_of_answer_rows(graph) -> None:
    store, g, _edges = graph
    rows = [{"app_no": "CN202210000001.1", "reasons": []},
            {"org_key": "INST0", "org_label": "Institute"},
            {"park": {"label": "Park", "key": "P01", "caption": "x"}}]
    refs = explore.refs_from_rows(rows)
    assert refs == [("Patent", "CN202210000001.1"), ("Institute", "INST0"), ("Park", "P01")]
    seeds = [f"{label}:{key}" for label, key in refs]
    neighbours = set().union(*(set(g.neighbors(s)) for s in seeds)) - set(seeds)
    result = explore.subgraph_of(store, refs, limit=1000)
    assert {n["id"] for n in result["nodes"]} == set(seeds) | neighbours
    assert result["total_nodes"] == len(seeds) + len(neighbours)
    capped = explore.subgraph_of(store, refs, limit=5)
    assert len(capped["nodes"]) == 5 and capped["truncated"]
    assert {n["id"] for n in capped["nodes"]} >= set(seeds)
    bare = explore.subgraph_of(store, refs, expand=False)
    assert {n["id"] for n in bare["nodes"]} == set(seeds)
