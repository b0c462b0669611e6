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
    kinds = [("Enterprise", "企业"), ("Institute", "科研机构"), ("Park", "园区"), ("IPC", "IPC分类")]
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


def test_export_neo4j_admin_says_not_built_yet(tmp_path: Path) -> None:
    from patentkg.cli import cli

    result = CliRunner().invoke(cli, ["export", "--format", "neo4j-admin", "-o",
                                      str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "neo4j-admin" in (result.output + str(result.exception))
