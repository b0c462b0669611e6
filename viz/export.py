"""Subgraph JSON -> networkx, GraphML and GEXF (for Gephi and other graph tools).

Attribute names avoid what the file formats reserve: GEXF takes a node's or edge's ``label``
as its display text and an edge's ``type`` as directed/undirected, so the graph label goes to
``node_type`` and the relationship type to ``rel_type``. GraphML and GEXF hold scalars only:
lists become ``;``-joined text, dicts JSON text, and missing values are left out (a missing
value is not a zero).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx

from viz.style import rgb_of

_RESERVED = {"id", "label", "node_type", "node_type_zh", "key", "x", "y", "viz"}


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None:
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set)):
        return ";".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def to_networkx(subgraph: dict[str, Any]) -> nx.MultiDiGraph:
    """A directed multigraph: one node per subgraph node (id = ``Label:key``), one edge per
    relationship keyed by its id, with the Chinese names and flattened properties."""
    g = nx.MultiDiGraph(total_nodes=int(subgraph.get("total_nodes") or 0),
                        truncated=bool(subgraph.get("truncated")))
    for node in subgraph.get("nodes") or []:
        attrs: dict[str, Any] = {
            "label": str(node.get("caption") or node.get("key") or node["id"]),
            "node_type": node.get("label", ""), "node_type_zh": node.get("label_zh", ""),
            "key": str(node.get("key", "")),
        }
        for name, value in (node.get("props") or {}).items():
            flat = _scalar(value)
            if flat is not None and name not in _RESERVED:
                attrs[name] = flat
        if isinstance(node.get("x"), (int, float)) and isinstance(node.get("y"), (int, float)):
            attrs["x"], attrs["y"] = float(node["x"]), float(node["y"])
        g.add_node(str(node["id"]), **attrs)
    for edge in subgraph.get("edges") or []:
        source, target = str(edge["source"]), str(edge["target"])
        if source not in g or target not in g:
            continue  # an edge to a node cut by the cap has nothing to attach to
        attrs = {"label": edge.get("type_zh") or edge.get("type", ""),
                 "rel_type": edge.get("type", "")}
        for name, value in (edge.get("props") or {}).items():
            flat = _scalar(value)
            if flat is not None and name not in {"label", "rel_type", "type", "id"}:
                attrs[name] = flat
        key = str(edge.get("id") or f"{source}|{edge.get('type', '')}|{target}")
        g.add_edge(source, target, key=key, **attrs)
    _one_type_per_attribute(data for _, data in g.nodes(data=True))
    _one_type_per_attribute(data for _, _, data in g.edges(data=True))
    return g


def _one_type_per_attribute(items: Any) -> None:
    """GraphML and GEXF declare one type per attribute name, but node types may store the same
    property differently (``size`` is a number for a cluster, "小型" for an enterprise): such an
    attribute becomes text everywhere, ints mixed with floats become floats."""
    items = list(items)
    kinds: dict[str, set[type]] = {}
    for data in items:
        for name, value in data.items():
            kinds.setdefault(name, set()).add(type(value))
    for name, seen in kinds.items():
        if len(seen) < 2:
            continue
        to: type = float if seen <= {int, float} else str
        for data in items:
            if name in data:
                value = data[name]
                data[name] = ("是" if value else "否") if to is str and isinstance(value, bool) \
                    else to(value)


def to_graphml(subgraph: dict[str, Any], path: str | Path) -> Path:
    """Write the subgraph as GraphML (UTF-8); returns the path written."""
    path = Path(path)
    nx.write_graphml(to_networkx(subgraph), path, encoding="utf-8")
    return path


def to_gexf(subgraph: dict[str, Any], path: str | Path) -> Path:
    """Write the subgraph as GEXF 1.2 for Gephi, with node colours and positions."""
    path = Path(path)
    g = to_networkx(subgraph)
    for _, data in g.nodes(data=True):
        r, gr, b = rgb_of(data["node_type"])
        viz: dict[str, Any] = {"color": {"r": r, "g": gr, "b": b, "a": 1.0}}
        if "x" in data:
            # GEXF's y axis points up, the screen's down
            viz["position"] = {"x": data.pop("x"), "y": -data.pop("y"), "z": 0.0}
        data["viz"] = viz
    nx.write_gexf(g, path, encoding="utf-8", version="1.2draft")
    return path
