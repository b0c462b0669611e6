"""Graph tables: nodes per label and relationships per (type, source, target), ready to write.

This is the seam between "parse + normalise" and "write": anything that can fill Tables can
use the batched writer, and a bulk writer can consume the same Tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graph import schema

RelKey = tuple[str, str, str]  # (type, source label, target label)


def _present(value: Any) -> bool:
    return value is not None and value != [] and value != ""


@dataclass
class Tables:
    """Nodes keyed by (label, key) and relationships keyed by their end points."""

    nodes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    rels: dict[RelKey, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)

    def node(self, label: str, key: str, props: dict[str, Any] | None = None) -> None:
        """Add or update a node; absent values never overwrite present ones."""
        schema.check_label(label)
        current = self.nodes.setdefault(label, {}).setdefault(key, {})
        current.update({k: v for k, v in (props or {}).items() if _present(v)})

    def has_node(self, label: str, key: str) -> bool:
        return key in self.nodes.get(label, {})

    def rel(self, rel_type: str, src_label: str, src_key: str, dst_label: str, dst_key: str,
            props: dict[str, Any] | None = None) -> None:
        """Add a relationship (one per type and pair of end points)."""
        schema.check_rel_type(rel_type)
        schema.check_label(src_label)
        schema.check_label(dst_label)
        bucket = self.rels.setdefault((rel_type, src_label, dst_label), {})
        current = bucket.setdefault((src_key, dst_key), {})
        current.update({k: v for k, v in (props or {}).items() if _present(v)})

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
