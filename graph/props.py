"""Write derived node properties so that no statement removes two properties of one node.

FalkorDB before 4.20 (FalkorDB/FalkorDB#1787) removes or keeps the wrong attributes when one
statement removes two or more properties of the same node: `SET n += {b: null, e: null}`,
`SET n.b = null, n.e = null`, `REMOVE n.b, n.e` and consecutive `SET n.b = null SET n.e = null`
alike (removing b, e and g of {a..g} kept g and removed f). One removal per statement, next to
any number of non-null values, is correct. So a write of derived properties sends only the
non-null values (`SET n += map`), and each property a node must lose is removed in a statement
of its own, only on the nodes that hold it (read first): a refresh that changes nothing
removes nothing. Same Cypher on Neo4j, where the split costs a few reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graph import schema
from graph.store.base import Store, WriteSummary, check_property


def present(row: Mapping[str, Any], props: Sequence[str]) -> dict[str, Any]:
    """The non-null values of ``props`` in ``row`` (a missing one counts as null)."""
    return {k: v for k in props if (v := row.get(k)) is not None}


def set_cypher(label: str) -> str:
    """Set the non-null properties ``r.p`` of the node keyed ``r.k`` (none are removed)."""
    label = schema.check_label(label)
    return f"UNWIND $rows AS r MATCH (n:{label} {{{schema.key_of(label)}: r.k}}) SET n += r.p"


def holders_cypher(label: str, prop: str) -> str:
    """The keys of the nodes of ``label`` that hold ``prop``."""
    label = schema.check_label(label)
    return (f"MATCH (n:{label}) WHERE n.{check_property(prop)} IS NOT NULL "
            f"RETURN n.{schema.key_of(label)} AS k")


def remove_cypher(label: str, prop: str) -> str:
    """Remove one property (only that one) of the nodes keyed ``r.k``."""
    label = schema.check_label(label)
    return (f"UNWIND $rows AS r MATCH (n:{label} {{{schema.key_of(label)}: r.k}}) "
            f"SET n.{check_property(prop)} = null")


def clear_props(store: Store, label: str, rows: Iterable[Mapping[str, Any]],
                props: Sequence[str], *, key: str | None = None, every: bool = False,
                batch_size: int = 5_000) -> int:
    """Remove, one property per statement, each of ``props`` a row's node holds but the row
    has null (or lacks); with ``every``, also all of ``props`` from the nodes of the label no
    row names. Only the properties some node must lose are read. Returns the removals."""
    key = key or schema.key_of(label)
    by_key = {r[key]: r for r in rows}
    removed = 0
    for prop in props:
        if not every and all(r.get(prop) is not None for r in by_key.values()):
            continue  # every row sets it: nothing of it to remove
        gone = []
        for h in store.read(holders_cypher(label, prop), timeout_ms=600_000):
            row = by_key.get(h["k"])
            if (every if row is None else row.get(prop) is None):
                gone.append({"k": h["k"]})
        if gone:
            store.write_batches(remove_cypher(label, prop), gone, batch_size=batch_size)
            removed += len(gone)
    return removed


def write_props(store: Store, label: str, rows: Iterable[Mapping[str, Any]],
                props: Sequence[str], *, key: str | None = None, every: bool = False,
                batch_size: int = 2_000) -> WriteSummary:
    """Give the node of each row (keyed by its ``key`` field, the label's key by default)
    exactly the row's values of ``props``: the non-null ones set in one `SET n += map`, the
    null ones removed by clear_props (see there for ``every``)."""
    key = key or schema.key_of(label)
    rows = list(rows)
    summary = store.write_batches(set_cypher(label), (
        {"k": r[key], "p": present(r, props)} for r in rows), batch_size=batch_size)
    clear_props(store, label, rows, props, key=key, every=every)
    return summary

