"""Graph tables: nodes per label and relationships per (type, source, target), ready to write.

This is the seam between "parse + normalise" and "write": anything that can fill Tables can
use the batched writer, and a bulk writer can consume the same Tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graph import schema

RelKey = tuple[str, str, str]  # (type, source label, target label)

# The properties of every relationship that has none: one shared dict instead of ~10 million
# empty ones at a million patents. Never mutated: Tables.rel replaces it when props come.
NO_PROPS: dict[str, Any] = {}


def _present(props: dict[str, Any]) -> dict[str, Any]:
    # Most values are truthy: they skip the three comparisons (0, 0.0 and False stay).
    return {k: v for k, v in props.items()
            if v or (v is not None and v != [] and v != "")}


@dataclass
class Tables:
    """Nodes keyed by (label, key) and relationships keyed by their end points."""

    nodes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    rels: dict[RelKey, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    # Labels and relationship keys already checked against the schema: a build makes
    # millions of calls over a few dozen of them.
    _checked: set[Any] = field(default_factory=set, repr=False, compare=False)

    def node(self, label: str, key: str, props: dict[str, Any] | None = None) -> None:
        """Add or update a node; absent values never overwrite present ones."""
        if label not in self._checked:
            schema.check_label(label)
            self._checked.add(label)
        table = self.nodes.get(label)
        if table is None:
            table = self.nodes[label] = {}
        current = table.get(key)
        if current is None:
            table[key] = _present(props) if props else {}
        elif props:
            current.update(_present(props))

    def has_node(self, label: str, key: str) -> bool:
        return key in self.nodes.get(label, {})

    def rel(self, rel_type: str, src_label: str, src_key: str, dst_label: str, dst_key: str,
            props: dict[str, Any] | None = None) -> None:
        """Add a relationship (one per type and pair of end points)."""
        bucket = self.rels.get((rel_type, src_label, dst_label))
        if bucket is None:
            bucket = self.bucket(rel_type, src_label, dst_label)
        add_rel(bucket, (src_key, dst_key), props)

    def bucket(self, rel_type: str, src_label: str,
               dst_label: str) -> dict[tuple[str, str], dict[str, Any]]:
        """The relationships of one (type, source, target), checked against the schema once;
        builders of millions of relationships fill it with ``add_rel``."""
        rel_key = (rel_type, src_label, dst_label)
        if rel_key not in self._checked:
            schema.check_rel_type(rel_type)
            schema.check_label(src_label)
            schema.check_label(dst_label)
            self._checked.add(rel_key)
        bucket = self.rels.get(rel_key)
        if bucket is None:
            bucket = self.rels[rel_key] = {}
        return bucket

    def merge(self, other: Tables) -> None:
        for label, nodes in other.nodes.items():
            for key, props in nodes.items():
                self.node(label, key, props)
        for (rel_type, src, dst), bucket in other.rels.items():
            for (s, d), props in bucket.items():
                self.rel(rel_type, src, s, dst, d, props)

    def node_rows(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for label, nodes in self.nodes.items():
            yield label, [{"k": k, "p": p} for k, p in nodes.items()]

    def rel_rows(self) -> Iterator[tuple[RelKey, list[dict[str, Any]]]]:
        for rel_key, bucket in self.rels.items():
            yield rel_key, [{"s": s, "d": d, "p": p} for (s, d), p in bucket.items()]

    def size(self) -> int:
        return (sum(len(n) for n in self.nodes.values()) +
                sum(len(b) for b in self.rels.values()))


def add_rel(bucket: dict[tuple[str, str], dict[str, Any]], ends: tuple[str, str],
            props: dict[str, Any] | None = None) -> None:
    """Tables.rel on a bucket: add or update one relationship; absent values never overwrite."""
    if not props:
        bucket.setdefault(ends, NO_PROPS)
        return
    clean = _present(props)
    current = bucket.setdefault(ends, clean or NO_PROPS)
    if current is NO_PROPS:
        if clean:
            bucket[ends] = clean
    elif current is not clean and clean:
        current.update(clean)
