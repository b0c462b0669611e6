"""Write graph tables with idempotent, batched ``UNWIND ... MERGE`` queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from graph import schema
from graph.store.base import Store
from loaders.tables import Tables


@dataclass
class WriteCounts:
    """Nodes and relationships created per label / type (0 on an idempotent re-run)."""

    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)


def node_cypher(label: str) -> str:
    """MERGE one batch of nodes of a label on its business key (``SET n += props`` never
    removes: the label's retired properties are removed explicitly)."""
    label = schema.check_label(label)
    retired = schema.NODE_BY_LABEL[label].retired
    remove = " REMOVE " + ", ".join(f"n.{p}" for p in retired) if retired else ""
    return (f"UNWIND $rows AS r MERGE (n:{label} {{{schema.key_of(label)}: r.k}}) "
            "SET n += r.p" + remove)


def rel_cypher(rel_type: str, src_label: str, dst_label: str) -> str:
    """MERGE one batch of relationships between existing nodes (missing ends are skipped)."""
    rel_type = schema.check_rel_type(rel_type)
    src, dst = schema.check_label(src_label), schema.check_label(dst_label)
    return (f"UNWIND $rows AS r MATCH (a:{src} {{{schema.key_of(src)}: r.s}}) "
            f"MATCH (b:{dst} {{{schema.key_of(dst)}: r.d}}) "
            f"MERGE (a)-[x:{rel_type}]->(b) SET x += r.p")


def write_tables(store: Store, tables: Tables, *, batch_size: int = 2000,
                 on_rows: Callable[[int], None] | None = None) -> WriteCounts:
    """Write all nodes, then all relationships; each batch is one atomic query."""
    counts = WriteCounts()
    for label, rows in tables.node_rows():
        summary = store.write_batches(node_cypher(label), rows, batch_size=batch_size,
                                      on_batch=on_rows)
        counts.nodes[label] = counts.nodes.get(label, 0) + summary.nodes_created
    for (rel_type, src, dst), rows in tables.rel_rows():
        summary = store.write_batches(rel_cypher(rel_type, src, dst), rows,
                                      batch_size=batch_size, on_batch=on_rows)
        counts.relationships[rel_type] = (counts.relationships.get(rel_type, 0) +
                                          summary.relationships_created)
    return counts
