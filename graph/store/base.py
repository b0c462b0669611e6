"""The store protocol every backend implements, and the plain result types it returns."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

Row = dict[str, Any]
T = TypeVar("T")
# A computation that needs reads: it yields (cypher, params), is sent the rows and returns its
# answer; run_reads / arun_reads drive it with a store, blocking or on an event loop.
Reads = Generator[tuple[str, Mapping[str, Any]], list[Row], T]


@dataclass
class WriteSummary:
    """Counters of one or more write queries (plain ints, engine-neutral)."""

    nodes_created: int = 0
    relationships_created: int = 0
    properties_set: int = 0
    nodes_deleted: int = 0
    relationships_deleted: int = 0
    rows: int = 0
    batches: int = 0

    def add(self, other: WriteSummary) -> WriteSummary:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@dataclass
class FulltextHit:
    node: Row
    score: float


@dataclass
class StoreStatus:
    backend: str
    location: str
    reachable: bool
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Store(Protocol):
    """What loaders, queries and the API may ask of a graph database."""

    backend: str

    def read(self, cypher: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None) -> list[Row]:
        """Run a read-only query; rows are plain dicts, nodes become dicts of properties."""
        ...

    async def aread(self, cypher: str, params: Mapping[str, Any] | None = None, *,
                    timeout_ms: int | None = None) -> list[Row]:
        """``read`` for an event loop: the same rows, without blocking the loop (the API's
        lookups await it instead of taking a worker thread)."""
        ...

    def write(self, cypher: str, params: Mapping[str, Any] | None = None) -> WriteSummary:
        """Run one write query atomically."""
        ...

    def write_batches(self, cypher: str, rows: Iterable[Mapping[str, Any]], *,
                      batch_size: int = 2000, param: str = "rows",
                      extra_params: Mapping[str, Any] | None = None,
                      on_batch: Callable[[int], None] | None = None) -> WriteSummary:
        """Run ``cypher`` once per batch with ``$rows`` bound; each batch is all or nothing."""
        ...

    def ensure_schema(self) -> list[str]:
        """Create the constraints, indexes and full-text indexes of graph.schema (idempotent)."""
        ...

    def fulltext(self, label: str, terms: Sequence[str], *, match_all: bool = False,
                 limit: int = 50, prefix: bool = False,
                 properties: Sequence[str] | None = None,
                 rank_within: int | None = None) -> list[FulltextHit]:
        """Full-text search over the label's schema.fulltext properties.

        ``prefix=True`` also matches indexed words that start with a term (风力 finds
        风力发电, which FalkorDB's Chinese tokenizer indexes as one word). ``properties``
        names the node properties a hit carries (default: all of them; hub nodes carry long
        precomputed lists, so callers that show a few fields should name them).
        ``rank_within=N`` ranks by score among the first N matches only: exact when fewer
        match, and bounded when a common word matches a large share of the graph (FalkorDB
        sorts every match: 255k patents for 新能源 | 电池 took 340 ms at 1M, 5 ms within
        2,000). Stores that keep a top-k index (Neo4j's Lucene) rank every match anyway.
        Raises ``IndexBuilding`` while the label's index is not (yet) queryable, e.g. being
        rebuilt after a restart."""
        ...

    def fulltext_paused(self, label: str, nodes: int) -> AbstractContextManager[None]:
        """Around an update of `nodes` nodes of `label`: where the store re-indexes a node's
        text on every property write (FalkorDB), drop the label's full-text index and build it
        again afterwards; full-text searches of the label in between are refused as
        StoreUnavailable, never answered from a half-built index. Elsewhere: nothing."""
        ...

    def counts(self) -> dict[str, dict[str, int]]:
        """{'nodes': {label: n}, 'relationships': {type: n}}."""
        ...

    def clear(self) -> None:
        """Delete the whole graph (tests and `patentkg load --replace`)."""
        ...

    def status(self) -> StoreStatus: ...

    def close(self) -> None: ...


def run_reads(store: Store, reads: Reads[T]) -> T:
    """The answer of ``reads``, its queries run with ``store.read``."""
    try:
        cypher, params = next(reads)
        while True:
            cypher, params = reads.send(store.read(cypher, params))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def arun_reads(store: Store, reads: Reads[T]) -> T:
    """The answer of ``reads``, its queries awaited with ``store.aread``."""
    try:
        cypher, params = next(reads)
        while True:
            cypher, params = reads.send(await store.aread(cypher, params))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_property(name: str) -> str:
    """A property name from our code (never input), checked before it goes into Cypher."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a property name: {name!r}")
    return name


def node_projection(properties: Sequence[str] | None) -> str:
    """`node` or `node {.a, .b}` (map projection, valid on both stores) for a RETURN clause."""
    if properties is None:
        return "node"
    return "node {" + ", ".join(f".{check_property(name)}" for name in properties) + "}"


def batched(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def clean_value(value: Any) -> Any:
    """Turn a Python/pandas/numpy value into one both engines accept as a parameter."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (int, str)):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k).replace("`", "'"): clean_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [clean_value(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return clean_value(item())
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist):
        return clean_value(tolist())
    return str(value)


def clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: clean_value(v) for k, v in (params or {}).items()}
