"""Pictures without a browser: layout, the standalone HTML file, GraphML/GEXF, the CLI."""

from __future__ import annotations

import random
import re
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from viz import style
from viz.export import to_gexf, to_graphml, to_networkx
from viz.layout import MAX_NODES, SPRING_MAX, with_layout
from viz.network import assert_offline, render_html

STATIC = Path(__file__).resolve().parent.parent / "viz" / "static"


def make_subgraph(n: int, seed: int = 1) -> dict:
    """Hubs (enterprises, parks…) with patents around them, like a neighbourhood view."""
    rnd = random.Random(seed)
    hubs = max(3, n // 25)
    kinds = [("Enterprise", "企业"), ("Institute", "科研机构"), ("Park", "园区"),
             ("IPC", "IPC分类")]
    nodes, edges = [], []
    for i in range(n):
        label, zh = kinds[i % len(kinds)] if i < hubs else ("Patent", "专利")
        props = {"tier": rnd.choice("ABC"), "value_score": rnd.randint(0, 100),
                 "awards": ["中国专利奖"] if i % 17 == 0 else []} if label == "Patent" else {}
        nodes.append({"id": f"{label}:K{i}", "label": label, "label_zh": zh, "key": f"K{i}",
                      "caption": f"{zh}{i}", "title": f"{zh}{i}", "props": props})
    for i in range(hubs, n):
        for j in {rnd.randrange(hubs), rnd.randrange(hubs)}:
            edges.append({"id": f"e{i}-{j}", "source": nodes[i]["id"],
                          "target": nodes[j]["id"], "type": "APPLIED_BY", "type_zh": "申请人"})
    return {"nodes": nodes, "edges": edges, "total_nodes": n, "truncated": False}


@pytest.mark.parametrize("n", [1, 2, 40, SPRING_MAX, SPRING_MAX + 1, 2000, MAX_NODES])
def test_layout_places_every_node_on_distinct_spread_out_pixels(n: int) -> None:
    out = with_layout(make_subgraph(n))
    xy = [(node["x"], node["y"]) for node in out["nodes"]]
    assert len(xy) == n and all(isinstance(v, int) for p in xy for v in p)
    assert len(set(xy)) >= n * 0.99  # no pile of nodes on one spot
    if n > 1:
        extent = max(max(x for x, _ in xy) - min(x for x, _ in xy),
                     max(y for _, y in xy) - min(y for _, y in xy))
        assert 100 <= extent <= 20000  # a sensible pixel range whatever the size


def test_layout_is_deterministic_and_ignores_input_order() -> None:
    sub = make_subgraph(600)
    shuffled = dict(sub, nodes=list(reversed(sub["nodes"])), edges=list(reversed(sub["edges"])))
    a = {n["id"]: (n["x"], n["y"]) for n in with_layout(sub)["nodes"]}
    b = {n["id"]: (n["x"], n["y"]) for n in with_layout(shuffled)["nodes"]}
    assert a == b
    assert "x" not in sub["nodes"][0]  # the input is left alone


def test_layout_keeps_neighbours_closer_than_strangers() -> None:
    out = with_layout(make_subgraph(200))
    pos = {n["id"]: (n["x"], n["y"]) for n in out["nodes"]}
    dist = lambda a, b: ((pos[a][0] - pos[b][0]) ** 2 + (pos[a][1] - pos[b][1]) ** 2) ** 0.5  # noqa: E731
    linked = sum(dist(e["source"], e["target"]) for e in out["edges"]) / len(out["edges"])
    ids = sorted(pos)
    rnd = random.Random(3)
    pairs = [(rnd.choice(ids), rnd.choice(ids)) for _ in range(500)]
    assert linked < 0.7 * sum(dist(a, b) for a, b in pairs) / len(pairs)


def test_layout_refuses_more_than_the_cap() -> None:
    with pytest.raises(ValueError, match="cap"):
        with_layout(make_subgraph(MAX_NODES + 1))


def test_standalone_html_is_offline_utf8_and_carries_the_graph(tmp_path: Path) -> None:
    sub = make_subgraph(60)
    page = render_html(sub, title="河东区 <专利> 网络", note="演示数据")
    assert page.startswith("<!DOCTYPE html>") and 'charset="utf-8"' in page
    assert "vis-network" in page and "PatentGraph" in page
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    for cdn in ("jsdelivr", "unpkg", "cdnjs", "bootstrapcdn", "googleapis"):
        assert cdn not in page  # none of the CDNs pyvis' own template pulls from
    assert "河东区 &lt;专利&gt; 网络" in page  # the title is escaped, not markup
    assert '"Patent:K10"' in page
    (tmp_path / "v.html").write_text(page, encoding="utf-8")


def test_remote_references_are_caught() -> None:
    for bad in ('<script src="https://cdn.jsdelivr.net/x.js">', "<link href='//x.cn/a.css'>",
                "@import url(http://fonts.example/a.css);"):
        with pytest.raises(ValueError, match="remote"):
            assert_offline(bad)


def test_graphml_and_gexf_round_trip_through_networkx(tmp_path: Path) -> None:
    sub = with_layout(make_subgraph(80))
    g = to_networkx(sub)
    assert isinstance(g, nx.MultiDiGraph)
    assert (g.number_of_nodes(), g.number_of_edges()) == (80, len(sub["edges"]))
    back = nx.read_graphml(to_graphml(sub, tmp_path / "g.graphml"))
    assert back.number_of_nodes() == 80 and back.number_of_edges() == len(sub["edges"])
    node = back.nodes["Patent:K17"]
    assert node["node_type_zh"] == "专利" and node["awards"] == "中国专利奖"
    gexf = nx.read_gexf(to_gexf(sub, tmp_path / "g.gexf"))
    assert gexf.number_of_nodes() == 80 and gexf.number_of_edges() == len(sub["edges"])
    first = gexf.nodes["Enterprise:K0"]
    assert first["label"] == "企业0"  # what Gephi shows
    assert first["viz"]["color"]["r"] == style.rgb_of("Enterprise")[0]
    text = (tmp_path / "g.gexf").read_text(encoding="utf-8")
    assert "申请人" in text


def test_python_and_javascript_style_tables_agree() -> None:
    js = (STATIC / "graphview.js").read_text(encoding="utf-8")
    table = dict((label, (colour, shape)) for label, colour, shape in re.findall(
        r'^\s+(\w+): \{ color: "(#[0-9a-f]{6})", shape: "(\w+)" \}', js, re.M))
    assert table == style.STYLE
    from graph.schema import LABELS

    assert set(LABELS) <= set(table)  # every node type has its own colour and shape


def test_static_assets_have_no_remote_reference() -> None:
    for name in ("index.html", "app.js", "app.css", "graphview.js", "graphview.css"):
        assert_offline((STATIC / name).read_text(encoding="utf-8"))


# -- on the demo store: award badges in node JSON, the whole graph for Gephi, picture titles ---

@pytest.fixture
def demo_cli(demo_store: object, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI on the demo store (the commands open their own store: hand them this one)."""
    from contextlib import contextmanager

    import viz.cli as vcli

    @contextmanager
    def shared() -> object:
        yield demo_store  # shared by other tests: never closed here

    monkeypatch.setattr(vcli, "_store", shared)
    return CliRunner()


def _winners(store: object) -> list[tuple[str, str]]:
    from queries import explore

    refs = []
    for label in sorted(explore.AWARD_LABELS):
        rows = store.read(explore._for_label(  # type: ignore[attr-defined]
            "MATCH (n:Patent)-[:WON]->(:Award) RETURN DISTINCT n.app_no AS k", label), {})
        refs += [(label, str(r["k"])) for r in rows]
    return sorted(refs)


def test_award_winners_carry_an_awards_count_without_the_won_edge(demo_store: object) -> None:
    from queries import explore

    winners = _winners(demo_store)
    assert winners, "the demo has award winners"
    # the nodes alone (no Award node, no WON relationship in the picture)
    sub = explore.subgraph_of(demo_store, winners[:30], expand=False)
    assert not any(e["type"] == "WON" for e in sub["edges"])
    assert all(n["props"]["awards"] >= 1 and "获奖" in n["title"] for n in sub["nodes"])
    # a patent that won nothing says 0; labels that cannot win carry no count
    first_award = explore.neighborhood(demo_store, label=winners[0][0], key=winners[0][1])
    for node in first_award["nodes"]:
        if node["label"] in explore.AWARD_LABELS:
            assert isinstance(node["props"]["awards"], int)
        else:
            assert "awards" not in node["props"]
    # profiles keep stored properties only
    profile = explore.entity_profile(demo_store, label=winners[0][0], key=winners[0][1])
    assert not any(k.startswith("_") for k in profile["properties"])


def test_whole_graph_export_for_gephi_reads_back(demo_cli: CliRunner, demo_store: object,
                                                 tmp_path: Path) -> None:
    from patentkg.cli import cli
    from queries import explore

    whole = explore.whole_graph(demo_store, limit=300)
    assert len(whole["nodes"]) == 300 and whole["truncated"]
    assert whole["total_nodes"] > 300
    ids = {n["id"] for n in whole["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in whole["edges"])
    # half the places go to the hubs, the rest to tier-A patents and award winners
    degree: dict[str, int] = {}
    for e in whole["edges"]:
        degree[e["source"]] = degree.get(e["source"], 0) + 1
        degree[e["target"]] = degree.get(e["target"], 0) + 1
    assert max(degree.get(n["id"], 0) for n in whole["nodes"][:10]) >= 20
    assert all(n["props"].get("tier") == "A" or n["props"].get("awards", 0) > 0
               for n in whole["nodes"][150:])
    winners = {f"{label}:{key}" for label, key in _winners(demo_store)}

    out = tmp_path / "河东.graphml"
    result = demo_cli.invoke(cli, ["export", "--format", "graphml", "--max-nodes", "300",
                                   "-o", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "300 个节点" in result.output and "已截断" in result.output
    g = nx.read_graphml(out)
    assert g.number_of_nodes() == 300 and g.number_of_edges() == len(whole["edges"])
    assert set(g.nodes) == ids
    some = next(iter(winners & ids))
    assert g.nodes[some]["awards"] >= 1 and g.nodes[some]["node_type_zh"]

    # the default: the whole demo graph up to 5000 nodes, also as GEXF
    gexf = tmp_path / "all.gexf"
    result = demo_cli.invoke(cli, ["export", "--format", "gexf", "-o", str(gexf)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    back = nx.read_gexf(gexf)
    assert back.number_of_nodes() == min(whole["total_nodes"], 5000)


def test_viz_pictures_are_titled_in_chinese(demo_cli: CliRunner, demo_store: object,
                                            tmp_path: Path) -> None:
    from patentkg.cli import cli
    from queries import catalogue, explore

    label, key = _winners(demo_store)[0]
    out = tmp_path / "e.html"
    result = demo_cli.invoke(cli, ["viz", "entity", label, key, "-o", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    sub = explore.neighborhood(demo_store, label=label, key=key, limit=80)
    centre = sub["nodes"][0]
    page = out.read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert title == f"关系网络：{centre['caption']}（{centre['label_zh']}）"
    assert f"显示 {len(sub['nodes'])} / 共" in result.output  # the 80-node default
    out = tmp_path / "q.html"
    result = demo_cli.invoke(cli, ["viz", "question", "stock_patent_inventory", "-p", "tier=A",
                                   "-o", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    title = re.search(r"<h1>(.*?)</h1>", out.read_text(encoding="utf-8")).group(1)
    assert title == f"问题网络：{catalogue.get('stock_patent_inventory').title_zh}（分级：A）"
    assert "显示 120 / 共" in result.output
