"""Technology clusters from IPC co-classification, and district subsector membership.

Pure computation over plain Python data (no store): derive.py reads the graph, calls these,
and writes the results back. Deterministic: inputs are sorted and Louvain has a fixed seed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx

_CUT = re.compile(r"[；;，,（(〔\[：:]")


def subclass_of(code: str) -> str:
    """The subclass (first 4 characters) of an IPC code like ``A61B5/00``."""
    return code[:4].upper()


def short_title(title: str | None, chars: int) -> str:
    """An IPC title cut at its first clause and to ``chars`` characters (for cluster names)."""
    if not title:
        return ""
    head = _CUT.split(title, maxsplit=1)[0].strip()
    return head[:chars]


@dataclass
class Cluster:
    cluster_id: str
    name: str
    top_ipc: list[str]
    members: list[str]  # subclasses in the community
    size: int = 0  # patents whose main IPC falls in the cluster
    patents: list[str] = field(default_factory=list)


def cooccurrence_graph(patent_subclasses: Iterable[Sequence[str]]) -> nx.Graph:
    """Weighted graph of subclasses: edge weight = number of patents carrying both."""
    weights: Counter[tuple[str, str]] = Counter()
    nodes: Counter[str] = Counter()
    for subs in patent_subclasses:
        uniq = sorted(set(subs))
        nodes.update(uniq)
        weights.update(combinations(uniq, 2))
    graph = nx.Graph()
    # Sorted insertion: Louvain's result depends on node order even with a fixed seed.
    for node in sorted(nodes):
        graph.add_node(node, patents=nodes[node])
    for (a, b), w in sorted(weights.items()):
        graph.add_edge(a, b, weight=w)
    return graph


def detect_clusters(patents: Mapping[str, tuple[str | None, Sequence[str]]],
                    titles: Mapping[str, str], *, seed: int, resolution: float = 1.0,
                    name_subclasses: int = 2, top_ipc: int = 3,
                    title_chars: int = 10) -> tuple[list[Cluster], dict[str, str]]:
    """Louvain communities of the subclass co-occurrence network; returns clusters and
    ``{app_no: cluster_id}`` (a patent joins the cluster of its main IPC's subclass)."""
    subs_per_patent: dict[str, list[str]] = {}
    for app_no in sorted(patents):
        main, codes = patents[app_no]
        found = {subclass_of(c) for c in codes if c}
        if main:
            found.add(subclass_of(main))
        if found:
            subs_per_patent[app_no] = sorted(found)
    graph = cooccurrence_graph(subs_per_patent.values())
    if graph.number_of_nodes() == 0:
        return [], {}
    communities = nx.community.louvain_communities(graph, weight="weight", seed=seed,
                                                   resolution=resolution)
    community_of = {node: i for i, comm in enumerate(communities) for node in comm}

    main_sub: dict[str, str] = {}
    for app_no, subs in subs_per_patent.items():
        main = patents[app_no][0]
        main_sub[app_no] = subclass_of(main) if main else subs[0]
    # Rank subclasses inside a community by how many patents name them as main, then by
    # how many carry them at all: the cluster is named after what its patents are mostly about.
    main_counts = Counter(main_sub.values())
    clusters: list[Cluster] = []
    id_of_comm: dict[int, str] = {}
    for i, comm in enumerate(communities):
        ranked = sorted(comm, key=lambda s: (-main_counts.get(s, 0),
                                             -graph.nodes[s]["patents"], s))
        cid = f"TC-{ranked[0]}"
        id_of_comm[i] = cid
        names = [short_title(titles.get(s), title_chars) or s for s in ranked[:name_subclasses]]
        clusters.append(Cluster(cid, "·".join(dict.fromkeys(names)), ranked[:top_ipc],
                                sorted(comm)))
    by_id = {c.cluster_id: c for c in clusters}
    assignment: dict[str, str] = {}
    for app_no in sorted(main_sub):
        cid = id_of_comm[community_of[main_sub[app_no]]]
        assignment[app_no] = cid
        by_id[cid].patents.append(app_no)
    for c in clusters:
        c.size = len(c.patents)
    clusters = sorted((c for c in clusters if c.size), key=lambda c: (-c.size, c.cluster_id))
    return clusters, assignment


@dataclass(frozen=True)
class Subsector:
    industry_id: str
    name: str
    ipc_prefixes: tuple[str, ...]
    sei_codes: tuple[str, ...]
    parent_id: str | None = None


def _norm_prefix(prefix: str) -> str:
    return prefix.strip().upper().replace(" ", "")


def _sei_match(code: str, wanted: Iterable[str]) -> bool:
    return any(code == w or code.startswith(w + ".") for w in wanted)


def subsectors_of(codes: Sequence[str], subsectors: Sequence[Subsector],
                  sei_of_ipc: Mapping[str, Sequence[str]]) -> list[str]:
    """Ids of the district subsectors a patent belongs to: an IPC code starts with one of the
    subsector's prefixes, or the code (or its subclass) maps to one of its SEI codes."""
    out: list[str] = []
    norm = [c.upper() for c in codes if c]
    seis = sorted({s for c in norm for key in (c, subclass_of(c)) for s in sei_of_ipc.get(key, ())})
    for sub in subsectors:
        prefixes = [_norm_prefix(p) for p in sub.ipc_prefixes if p and p.strip()]
        if any(c.startswith(p) for c in norm for p in prefixes) or (
                sub.sei_codes and any(_sei_match(s, sub.sei_codes) for s in seis)):
            out.append(sub.industry_id)
    return out


class SubsectorMatcher:
    """`subsectors_of` for many patents: each distinct IPC code is matched against the
    subsectors once (a million patents repeat a few thousand codes), same ids, same order."""

    def __init__(self, subsectors: Sequence[Subsector],
                 sei_of_ipc: Mapping[str, Sequence[str]]) -> None:
        self.subsectors = list(subsectors)
        self.sei_of_ipc = sei_of_ipc
        self._prefixes = [[_norm_prefix(p) for p in sub.ipc_prefixes if p and p.strip()]
                          for sub in self.subsectors]
        self._by_code: dict[str, frozenset[int]] = {}

    def _code_hits(self, code: str) -> frozenset[int]:
        hits = self._by_code.get(code)
        if hits is None:
            c = code.upper()
            seis = {s for key in (c, subclass_of(c)) for s in self.sei_of_ipc.get(key, ())}
            hits = self._by_code[code] = frozenset(
                i for i, sub in enumerate(self.subsectors)
                if any(c.startswith(p) for p in self._prefixes[i])
                or (sub.sei_codes and any(_sei_match(s, sub.sei_codes) for s in seis)))
        return hits

    def __call__(self, codes: Sequence[str]) -> list[str]:
        hits: set[int] = set()
        for c in codes:
            if c:
                hits |= self._code_hits(c)
        return [self.subsectors[i].industry_id for i in sorted(hits)]


def cluster_industry_shares(assignment: Mapping[str, str],
                            patent_subsectors: Mapping[str, Sequence[str]]
                            ) -> dict[str, dict[str, float]]:
    """{cluster_id: {industry_id: share of the cluster's patents in that subsector}}."""
    totals: Counter[str] = Counter(assignment.values())
    hits: dict[str, Counter[str]] = defaultdict(Counter)
    for app_no, cid in assignment.items():
        hits[cid].update(set(patent_subsectors.get(app_no, ())))
    return {cid: {ind: n / totals[cid] for ind, n in sorted(c.items())}
            for cid, c in sorted(hits.items())}
