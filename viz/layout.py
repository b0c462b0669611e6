"""Precomputed, deterministic node positions for network pictures.

The browser shows a graph with physics OFF at the positions computed here, so a picture is
still from the first frame (a projector in a meeting is no place for a wobbling network).

* up to ``SPRING_MAX`` nodes: networkx's spring layout (Fruchterman-Reingold), seeded, with a
  bounded number of iterations;
* larger graphs (up to ``MAX_NODES``): a hub-and-satellite layout that is linear in the size
  of the graph: the best-connected nodes get a spring layout, every other node is placed on
  rings around the neighbour that is already placed (leaves around their hub), and components
  that never touch the skeleton are packed on a grid beside it. It needs numpy only (no scipy).

Node order in the input does not matter: nodes are sorted by id before anything is computed.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from typing import Any

import networkx as nx

SPRING_MAX = 300  # dense Fruchterman-Reingold is O(n^2) per iteration
SKELETON = 250  # nodes laid out by spring in a large graph
MAX_NODES = 5000
SPRING_ITERATIONS = 60
EDGE_PX = 120.0  # rough distance between neighbours in the small-graph picture
RING_PX = 34.0  # spacing of satellites around a hub
SEED = 7


def with_layout(subgraph: dict[str, Any], *, seed: int = SEED) -> dict[str, Any]:
    """Return a copy of a Subgraph JSON whose every node carries integer pixel ``x`` and ``y``.

    The input is not modified. ``layout`` in the answer names the method used. Graphs above
    ``MAX_NODES`` are refused with ValueError: the caller caps them (and says so) first."""
    nodes = subgraph.get("nodes") or []
    if len(nodes) > MAX_NODES:
        raise ValueError(f"{len(nodes)} nodes is above the layout cap of {MAX_NODES}")
    ids = sorted({str(n["id"]) for n in nodes})
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    for edge in subgraph.get("edges") or []:
        s, t = str(edge["source"]), str(edge["target"])
        if s != t and s in graph and t in graph:
            graph.add_edge(s, t)
    if len(ids) <= SPRING_MAX:
        pos, method = _spring(graph, seed), "spring"
    else:
        pos, method = _hub_layout(graph, seed), "hub"
    out = dict(subgraph)
    out["nodes"] = [{**n, "x": int(round(pos[str(n["id"])][0])),
                     "y": int(round(pos[str(n["id"])][1]))} for n in nodes]
    out["layout"] = method
    return out


def _spring(graph: nx.Graph, seed: int) -> dict[str, tuple[float, float]]:
    """Spring layout per connected component, components packed in rows (largest first).

    One spring layout over several components pushes them to the rim and squeezes each into
    a clump; laying them out apart keeps every star and chain readable."""
    comps = sorted((sorted(c) for c in nx.connected_components(graph)),
                   key=lambda c: (-len(c), c[0]))
    boxes = [_spring_one(graph.subgraph(c), seed) for c in comps]
    area = sum((2 * h + EDGE_PX) ** 2 for _, h in boxes)
    row_max = max(math.sqrt(area) * 1.3, max((2 * h for _, h in boxes), default=0.0))
    pos: dict[str, tuple[float, float]] = {}
    x = y = row_h = 0.0
    for local, half in boxes:
        size = 2 * half + EDGE_PX
        if x > 0 and x + size > row_max:
            x, y, row_h = 0.0, y + row_h, 0.0
        for k, (lx, ly) in local.items():
            pos[k] = (x + half + lx, y + half + ly)
        x += size
        row_h = max(row_h, size)
    if pos:  # centre the picture on the origin
        cx = (min(p[0] for p in pos.values()) + max(p[0] for p in pos.values())) / 2
        cy = (min(p[1] for p in pos.values()) + max(p[1] for p in pos.values())) / 2
        pos = {k: (px - cx, py - cy) for k, (px, py) in pos.items()}
    return pos


def _spring_one(graph: nx.Graph, seed: int) -> tuple[dict[str, tuple[float, float]], float]:
    """Spring layout of one connected component, in pixels around (0, 0), and its half size."""
    n = graph.number_of_nodes()
    if n == 1:
        return {next(iter(graph)): (0.0, 0.0)}, 20.0
    raw = nx.spring_layout(graph, seed=seed, iterations=SPRING_ITERATIONS)
    # spring_layout fits into [-1, 1]; grow the picture with the square root of its size so
    # that neighbours sit about EDGE_PX apart whatever the node count.
    half = max(EDGE_PX * 0.6, EDGE_PX * math.sqrt(n) / 1.5)
    return {k: (float(v[0]) * half, float(v[1]) * half) for k, v in raw.items()}, half


def _hub_layout(graph: nx.Graph, seed: int) -> dict[str, tuple[float, float]]:
    degree = dict(graph.degree())
    order = sorted(graph, key=lambda v: (-degree[v], v))
    skeleton = set(order[:SKELETON])
    # Hubs are often linked only through small nodes (patent -> IPC <- patent): join two
    # skeleton nodes that share a neighbour so the spring layout keeps them close.
    core = nx.Graph()
    core.add_nodes_from(skeleton)
    core.add_edges_from((u, v) for u, v in graph.edges(skeleton) if u in skeleton and v in skeleton)
    for v in order[SKELETON:]:
        hubs = sorted(u for u in graph[v] if u in skeleton)[:8]
        core.add_edges_from((a, b) for i, a in enumerate(hubs) for b in hubs[i + 1:])
    pos = _spring(core, seed)
    # the skeleton spreads wider in a big picture: its nodes carry whole rings of satellites
    pos = {k: (x * 2.5, y * 2.5) for k, (x, y) in pos.items()}
    _place_around(graph, pos, deque(sorted(skeleton, key=lambda v: (-degree[v], v))), degree)
    rest = [v for v in order if v not in pos]
    if rest:
        _pack_components(graph, pos, rest, degree)
    return pos


def _place_around(graph: nx.Graph, pos: dict[str, tuple[float, float]], queue: deque[str],
                  degree: dict[str, int]) -> None:
    """Breadth-first from placed nodes: each new node goes on a ring around its first placed
    neighbour (the highest-degree one, so leaves gather around their hub)."""
    children: dict[str, list[str]] = defaultdict(list)
    while queue:
        parent = queue.popleft()
        fresh = sorted((v for v in graph[parent] if v not in pos), key=lambda v: (-degree[v], v))
        if not fresh:
            continue
        px, py = pos[parent]
        placed = len(children[parent])
        for v in fresh:
            ring, slot, capacity = _ring_slot(placed)
            radius = RING_PX * (ring + 1.5)
            # rotate every ring a little so the spokes do not line up
            angle = 2 * math.pi * slot / capacity + ring * 0.37
            pos[v] = (px + radius * math.cos(angle), py + radius * math.sin(angle))
            children[parent].append(v)
            placed += 1
            queue.append(v)


def _ring_slot(index: int) -> tuple[int, int, int]:
    """Ring number, slot on the ring and ring capacity for the index-th satellite."""
    ring = 0
    while True:
        capacity = max(6, int(2 * math.pi * (ring + 1.5)))  # about RING_PX apart on the ring
        if index < capacity:
            return ring, index, capacity
        index -= capacity
        ring += 1


def _pack_components(graph: nx.Graph, pos: dict[str, tuple[float, float]], rest: list[str],
                     degree: dict[str, int]) -> None:
    """Components with no skeleton node: one grid cell each, below the main picture."""
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    left, top = min(xs), max(ys) + 4 * RING_PX
    width = max(max(xs) - left, 1200.0)
    cell = 5 * RING_PX
    x, y = left, top
    for start in rest:  # highest degree first, so each component starts at its hub
        if start in pos:
            continue
        pos[start] = (x, y)
        size_before = len(pos)
        _place_around(graph, pos, deque([start]), degree)
        grown = len(pos) - size_before
        step = cell * max(1.0, math.sqrt(grown + 1) / 2)
        x += step
        if x > left + width:
            x, y = left, y + step
