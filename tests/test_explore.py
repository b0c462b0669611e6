"""Neighbourhoods, relation paths, profiles and answer subgraphs against networkx.

The graph is a seeded random one written with plain Cypher; the expected answers are computed
by networkx over the very edge list the test wrote (independent of the code under test)."""

from __future__ import annotations

import asyncio
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


def _neighbour_rows(store, params, *, limit, offset=0):
    """(neighbour id, depth, relationship type, via id) of one entity_neighbourhood page."""
    return [(r["neighbour"]["id"], r["depth"], r["rel_type"], r["via"]["id"])
            for r in ask(store, "entity_neighbourhood", params, limit=limit,
                         offset=offset).rows]


@pytest.mark.parametrize("centre", ["Institute:INST1", "Park:P01", "IPC:H02J3/00"])
def test_entity_neighbourhood_pages_equal_the_whole_answer(graph, centre) -> None:
    """A page is read only as far as it needs (a page inside the first hop does not walk the
    second): the pages, read one by one, are the whole answer, which is networkx's ball."""
    store, g, _edges = graph
    label, key = centre.split(":", 1)
    params = {"label": label, "key": key, "depth": 2}
    whole = _neighbour_rows(store, params, limit=1000)
    lengths = nx.single_source_shortest_path_length(g, centre, cutoff=2)
    assert {n: d for n, d, _t, _v in whole} == {n: d for n, d in lengths.items() if n != centre}
    assert all(g.has_edge(n, v) for n, _d, _t, v in whole)
    first_hop = len(set(g.neighbors(centre)))
    assert 3 < first_hop < len(whole)  # pages inside the first hop, then beyond it
    paged = [row for offset in range(0, len(whole), 3)
             for row in _neighbour_rows(store, params, limit=3, offset=offset)]
    assert paged == whole


def _profile_on_a_loop(store, **kw):
    """The profile as the API reads it: entity_profile_async on an event loop."""
    return asyncio.run(explore.entity_profile_async(store, **kw))


@pytest.mark.parametrize("profile_of", [explore.entity_profile, _profile_on_a_loop],
                         ids=["blocking", "async"])
def test_profile_counts_equal_edge_list(graph, profile_of) -> None:
    store, _g, edges = graph
    centre = ("Institute", "INST0")
    expected = Counter()
    for src, rel, dst in edges:
        if src == centre:
            expected[(rel, "out")] += 1
        if dst == centre:
            expected[(rel, "in")] += 1
    profile = profile_of(store, label="Institute", key="INST0")
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


# -- profiles of hubs: stored summaries against live reads and the edge list ----------------------
@pytest.fixture()
def hub_graph(falkor_server):
    """An institute with 12 patents (value score i), a park with 8 enterprises, one patent
    cited by 7 others; written with plain Cypher, the expected counts from the same lists."""
    from conftest import fresh_falkor_store

    store = fresh_falkor_store(falkor_server, prefix="profilehub")
    store.ensure_schema()
    patents = [{"app_no": f"CN20231000{i:04d}.1", "title": f"枢纽专利{i}", "value_score": float(i)}
               for i in range(12)]
    store.write("UNWIND $rows AS row CREATE (p:Patent) SET p = row", {"rows": patents})
    store.write("CREATE (:Institute {org_key: 'HUB', name: '枢纽研究院', "
                "stock_all: ['x', 'y'], coop_partners: ['z']})")
    store.write("CREATE (:Park {park_id: 'PK', name: '枢纽园区'})")
    store.write("UNWIND range(0, 7) AS i CREATE (:Enterprise {org_key: 'E' + toString(i), "
                "name: '企业' + toString(i)})")
    store.write("MATCH (p:Patent), (i:Institute {org_key: 'HUB'}) CREATE (p)-[:APPLIED_BY]->(i)")
    store.write("MATCH (e:Enterprise), (k:Park {park_id: 'PK'}) CREATE (e)-[:LOCATED_IN]->(k)")
    store.write("MATCH (a:Patent), (b:Patent {app_no: 'CN202310000000.1'}) "
                "WHERE a.value_score >= 5 CREATE (a)-[:CITES]->(b)")
    yield store
    store.clear()
    store.close()


def _counts(profile) -> dict[tuple[str, str], int]:
    return {(g["type"], g["direction"]): g["count"] for g in profile["relationships"]}


def test_hub_profiles_from_summaries_equal_live_reads(hub_graph, monkeypatch) -> None:
    from graph.version import bump_version

    store = hub_graph
    monkeypatch.setattr(explore, "PROFILE_LIVE_MAX", 5)
    monkeypatch.setattr(explore, "HUB_DEGREE", 10)
    cases = [("Institute", "HUB"), ("Park", "PK"), ("Patent", "CN202310000000.1"),
             ("Enterprise", "E3")]
    live = {c: explore.entity_profile(store, label=c[0], key=c[1]) for c in cases}
    networks = {c: explore.neighborhood(store, label=c[0], key=c[1], depth=2, limit=6)
                for c in cases}
    assert networks[("Institute", "HUB")]["total_nodes"] == 13  # a hub (12 > 10): all counted
    assert _counts(live[("Institute", "HUB")]) == {("APPLIED_BY", "in"): 12}
    assert _counts(live[("Park", "PK")]) == {("LOCATED_IN", "in"): 8}
    top = live[("Institute", "HUB")]["relationships"][0]["top"]
    assert [t["caption"] for t in top] == [f"枢纽专利{i}" for i in (11, 10, 9, 8, 7)]
    # internal lists stored for the questions are not part of a profile
    assert live[("Institute", "HUB")]["properties"] == {"org_key": "HUB", "name": "枢纽研究院"}

    monkeypatch.setattr(explore, "HUB_KEYS_PAGE", 3)  # candidates found page by page
    written = explore.store_profile_links(store)
    assert written["Institute"] == written["Park"] == written["Patent"] == 1
    assert written["Enterprise"] == 0  # one relationship each: read live
    sides = store.read("MATCH (p:Patent) WHERE p.profile_sides IS NOT NULL "
                       "RETURN p.app_no AS k, p.profile_sides AS s")
    assert sides == [{"k": "CN202310000000.1", "s": ["CITES<"]}]  # not its 1 APPLIED_BY
    bump_version(store, source="refresh")
    monkeypatch.setattr(explore, "_degrees", lambda *a: pytest.fail("counted, not read"))
    for case in cases:
        assert explore.entity_profile(store, label=case[0], key=case[1]) == live[case]
        assert _profile_on_a_loop(store, label=case[0], key=case[1]) == live[case]
        assert explore.neighborhood(store, label=case[0], key=case[1], depth=2,
                                    limit=6) == networks[case]
    # hub checks read the stored neighbour counts (12 patents; the park's 8 are too few)
    refs = [("Institute", "HUB"), ("Park", "PK"), ("Enterprise", "E1")]
    assert explore._hub_degrees(store, refs, None) == {("Institute", "HUB"): 12}
    # more than the stored five neighbours: read live, same order
    ten = explore.entity_profile(store, label="Institute", key="HUB", top=10)
    assert [t["caption"] for t in ten["relationships"][0]["top"]] == [
        f"枢纽专利{i}" for i in range(11, 1, -1)]

    # a load after the refresh: summaries are as of the refresh until the version says so
    store.write("CREATE (:Patent {app_no: 'CN202310009999.1', title: '新专利', "
                "value_score: 99.0})-[:APPLIED_BY]->(:Institute {org_key: 'OTHER'})")
    store.write("MATCH (p:Patent {app_no: 'CN202310009999.1'}), (i:Institute {org_key: 'HUB'}) "
                "CREATE (p)-[:APPLIED_BY]->(i)")
    assert _counts(explore.entity_profile(store, label="Institute", key="HUB")) == {
        ("APPLIED_BY", "in"): 12}
    bump_version(store, source="load")
    after = explore.entity_profile(store, label="Institute", key="HUB")
    assert _counts(after) == {("APPLIED_BY", "in"): 13}
    assert after["relationships"][0]["top"][0]["caption"] == "新专利"
    assert _profile_on_a_loop(store, label="Institute", key="HUB") == after  # its second read


def test_profile_of_a_missing_entity_is_an_input_error(graph) -> None:
    store, _g, _edges = graph
    with pytest.raises(InputError):
        explore.entity_profile(store, label="Institute", key="NO-SUCH")
    with pytest.raises(InputError):
        _profile_on_a_loop(store, label="Institute", key="NO-SUCH")


def test_hub_centre_shows_its_first_neighbours_and_counts_them_all(graph, monkeypatch) -> None:
    store, g, edges = graph
    monkeypatch.setattr(explore, "HUB_DEGREE", 5)
    centre = ("IPC", "A61B5/00")
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for src, rel, dst in edges:
        for here, there in ((src, dst), (dst, src)):
            if here == centre and there != centre:
                rank = (explore.REL_PRIORITY.get(rel, 99), rel)
                best[there] = min(best.get(there, rank), rank)
    assert len(best) == len(set(g.neighbors("IPC:A61B5/00"))) > 5  # a hub here
    keep = sorted(best, key=lambda ref: (*best[ref], ref))
    result = explore.neighborhood(store, label="IPC", key="A61B5/00", depth=1, limit=4)
    assert [n["id"] for n in result["nodes"]] == ["IPC:A61B5/00"] + [
        f"{label}:{key}" for label, key in keep[:3]]
    assert result["total_nodes"] == len(best) + 1 and result["truncated"]


@pytest.mark.parametrize("centre,types", [("IPC:A61B5/00", ["CLASSIFIED_AS", "CITES"]),
                                          ("IPC:H02J3/00", ["分类", "引用"]),
                                          ("Institute:INST0", ["APPLIED_BY"])])
def test_type_filtered_hub_pages_equal_networkx(graph, monkeypatch, centre, types) -> None:
    """A type-filtered page at a hub centre only asks whether the centre is a hub (it does not
    count its neighbours): its rows, page by page, are the ball of networkx's graph of those
    types, the first hop in keep-order; the whole network still counts the hub exactly."""
    store, _g, edges = graph
    wanted = {explore._check_rel_types([t])[0] for t in types}  # Chinese names too
    typed = nx.MultiGraph()
    typed.add_node(centre)
    for (sl, sk), rel, (tl, tk) in edges:
        if rel in wanted:
            typed.add_edge(f"{sl}:{sk}", f"{tl}:{tk}", type=rel)
    first = {n for n in typed.neighbors(centre) if n != centre}
    # the centre alone is a hub through those types (the second hop walks every first one)
    hub = max(len(set(typed.neighbors(n)) - {n}) for n in first)
    assert len(first) > hub
    monkeypatch.setattr(explore, "HUB_DEGREE", hub)
    best: dict[str, tuple[int, str]] = {}
    for u, v, d in typed.edges(data=True):
        for here, there in ((u, v), (v, u)):
            if here == centre and there != centre:
                rank = (explore.REL_PRIORITY.get(d["type"], 99), d["type"])
                best[there] = min(best.get(there, rank), rank)
    keep = sorted(best, key=lambda n: (*best[n], tuple(n.split(":", 1))))
    label, key = centre.split(":", 1)
    params = {"label": label, "key": key, "depth": 2, "rel_types": types}
    whole = _neighbour_rows(store, params, limit=1000)
    lengths = nx.single_source_shortest_path_length(typed, centre, cutoff=2)
    assert {n: d for n, d, _t, _v in whole} == {n: d for n, d in lengths.items() if n != centre}
    assert [n for n, _d, _t, _v in whole[:len(first)]] == keep
    assert all(t in wanted and typed.has_edge(n, v) for n, _d, t, v in whole)
    paged = [row for offset in range(0, len(whole), 2)
             for row in _neighbour_rows(store, params, limit=2, offset=offset)]
    assert paged == whole
    network = explore.neighborhood(store, label=label, key=key, depth=1, limit=2,
                                   rel_types=types)
    assert network["total_nodes"] == len(first) + 1 and network["truncated"]
    assert [n["id"] for n in network["nodes"]] == [centre, *keep[:1]]


def test_hub_first_hop_from_stored_first_neighbours(hub_graph, monkeypatch) -> None:
    """A hub centre's first hop reads the first neighbours store_profile_links kept, while the
    data version says refresh: the same rows as the live read (the hub's patents by key, as
    written), live beyond the stored cap, and live again after a load."""
    from graph.version import bump_version

    store = hub_graph
    monkeypatch.setattr(explore, "PROFILE_LIVE_MAX", 5)
    monkeypatch.setattr(explore, "HUB_DEGREE", 8)
    monkeypatch.setattr(explore, "FRONTIER_CAP", 4)
    bump_version(store, source="load")
    written = sorted(r["k"] for r in store.read(
        "MATCH (p:Patent)-[:APPLIED_BY]->(:Institute {org_key: 'HUB'}) RETURN p.app_no AS k"))
    assert len(written) > 8  # a hub

    def page(limit: int, offset: int, **kw) -> list[str]:
        params = {"label": "Institute", "key": "HUB", **kw}
        return [r["neighbour"]["key"] for r in ask(store, "entity_neighbourhood", params,
                                                   limit=limit, offset=offset).rows]

    cases = [(2, 0, {}), (3, 0, {"rel_types": ["APPLIED_BY"]}), (2, 2, {"depth": 2}),
             (5, 3, {}), (50, 0, {})]
    live = [page(limit, offset, **kw) for limit, offset, kw in cases]
    assert live[-1] == written and live[0] == written[:2] and live[3] == written[3:8]
    network = explore.neighborhood(store, label="Institute", key="HUB", limit=3)
    assert [n["key"] for n in network["nodes"][1:]] == written[:2]

    explore.store_profile_links(store)
    bump_version(store, source="refresh")
    sides: list[tuple[str, bool]] = []
    side_page = explore._side_page
    monkeypatch.setattr(explore, "_side_page",
                        lambda *a: sides.append(a[2:4]) or side_page(*a))
    assert [page(limit, offset, **kw) for limit, offset, kw in cases] == live
    assert explore.neighborhood(store, label="Institute", key="HUB", limit=3) == network
    sides.clear()
    # (a page of n reads n + 1 rows: four from the stored four)
    assert page(2, 0) == written[:2] and page(2, 0, rel_types=["申请人"]) == written[:2]
    assert sides == []  # no live read
    assert page(5, 3) == written[3:8] and sides == [("APPLIED_BY", False)]  # beyond: live

    store.write("MATCH (i:Institute {org_key: 'HUB'}) "
                "CREATE (:Patent {app_no: 'CN202300000000.1', title: '更早的专利'})"
                "-[:APPLIED_BY]->(i)")
    bump_version(store, source="load")
    assert page(2, 0) == ["CN202300000000.1", written[0]]  # the stored list is not used
