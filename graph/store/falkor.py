"""FalkorDB backend: the embedded default (or an external server via PATENTKG_FALKORDB_URL)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import hiredis
from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.helpers import stringify_param_value
from falkordb.node import Node
from falkordb.path import Path as FalkorPath
from falkordb.query_result import parse_scalar
from redis.connection import SSLConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from graph import schema
from graph.store.base import (
    FulltextHit,
    Row,
    StoreStatus,
    WriteSummary,
    batched,
    clean_params,
    node_projection,
)
from graph.store.embedded import EmbeddedServer, Endpoint
from patentkg.errors import (
    IndexBuilding,
    InputError,
    QueryFailed,
    QueryTimeout,
    StoreUnavailable,
)

# RediSearch query syntax: these characters must be escaped inside a term.
# Updates of at least this many nodes drop and rebuild the label's full-text index (see
# FalkorStore.fulltext_paused); below it, re-indexing as they go is cheaper than a rebuild.
FULLTEXT_PAUSE_MIN = 20_000
FULLTEXT_REBUILD_WAIT_S = 900.0
# ensure_schema waits this long for indexes FalkorDB builds in the background (1M: minutes)
INDEX_BUILD_WAIT_S = 3600.0
BUSY_WAIT_S = 120.0  # how long a query waits out the server's BUSY replies
_FT_SPECIAL = re.compile(r"([,.<>{}\[\]\"':;!@#$%^&*()\-+=~|/\\ ])")


def _convert(value: Any) -> Any:
    if isinstance(value, Node):
        return {"_id": value.id, "_labels": list(value.labels or []), **value.properties}
    if isinstance(value, Edge):
        return {"_id": value.id, "_type": value.relation, "_src": value.src_node,
                "_dst": value.dest_node, **value.properties}
    if isinstance(value, FalkorPath):
        return {"nodes": [_convert(n) for n in value.nodes()],
                "relationships": [_convert(e) for e in value.edges()]}
    if isinstance(value, list):
        return [_convert(v) for v in value]
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    return value


# Compact result values (FalkorDB's `--compact` replies: [type, payload]) of the kinds reads
# return are decoded in one pass here; the client's generic parser (one dispatch and one
# object per value, then _convert) was ~40% of the client time of a profile lookup.
_NULL, _STRING, _INTEGER, _BOOLEAN, _DOUBLE, _ARRAY, _MAP = 1, 2, 3, 4, 5, 6, 10


def _decode(value: list[Any], graph: Any) -> Any:
    kind, payload = value
    if kind == _STRING or kind == _INTEGER:
        return payload
    if kind == _NULL:
        return None
    if kind == _DOUBLE:
        return float(payload)
    if kind == _ARRAY:
        return [_decode(v, graph) for v in payload]
    if kind == _BOOLEAN:
        return payload == "true"
    if kind == _MAP:
        return {payload[i]: _decode(payload[i + 1], graph) for i in range(0, len(payload), 2)}
    # nodes, relationships, paths, points, temporal values: the client's parser (it knows
    # the graph's label and property names)
    return _convert(parse_scalar(value, graph))


def _rows(reply: Any, graph: Any) -> list[Row]:
    """The rows of a compact GRAPH.RO_QUERY reply ([header, records, stats] or [stats])."""
    if isinstance(reply, ResponseError):
        raise reply
    if reply and isinstance(reply[-1], ResponseError):  # a run-time error ends the reply
        raise reply[-1]
    if len(reply) < 3:
        return []
    names = [col[1] if isinstance(col, (list, tuple)) else col for col in reply[0]]
    return [dict(zip(names, [_decode(v, graph) for v in record], strict=True))
            for record in reply[1]]


def _params_header(params: Mapping[str, Any]) -> str:
    """The `CYPHER name=value ...` prefix that carries a query's parameters (as the client
    writes it)."""
    if not params:
        return ""
    return "CYPHER " + "".join(f"`{name}`={stringify_param_value(value)} "
                               for name, value in params.items())


def _pack(args: Sequence[Any]) -> bytes:
    """One command in the Redis protocol (RESP)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts += (b"$%d\r\n" % len(data), data, b"\r\n")
    return b"".join(parts)


class _Link(asyncio.Protocol):
    """One connection to the server on one event loop: commands go out in order and their
    replies come back in order (hiredis, the C parser, splits the byte stream)."""

    def __init__(self) -> None:
        self.reader = hiredis.Reader(replyError=ResponseError, encoding="utf-8",
                                     errors="replace")
        self.pending: deque[asyncio.Future[Any]] = deque()
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:
            while (reply := self.reader.gets()) is not False:
                future = self.pending.popleft()
                if not future.done():  # (its caller may have been cancelled)
                    future.set_result(reply)
        except (hiredis.ProtocolError, IndexError) as exc:
            self._fail(exc)
            if self.transport is not None:
                self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc)

    def _fail(self, exc: BaseException | None) -> None:
        self.closed = True
        while self.pending:
            future = self.pending.popleft()
            if not future.done():
                future.set_exception(RedisConnectionError(
                    f"connection to the graph store lost: {exc or 'closed by the server'}"))

    def send(self, payload: bytes) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        if self.closed or self.transport is None:
            future.set_exception(RedisConnectionError("connection to the graph store closed"))
            return future
        self.pending.append(future)
        self.transport.write(payload)
        return future


class _Links:
    """The connections of one event loop. The server runs one command per connection at a
    time, so concurrent requests take the least busy of up to ``size`` connections."""

    def __init__(self, loop: asyncio.AbstractEventLoop, target: Mapping[str, Any],
                 size: int) -> None:
        self.loop = loop
        self.target = target
        self.size = size
        self.links: list[_Link] = []
        self.opening = 0

    async def call(self, payload: bytes) -> Any:
        link = None
        for candidate in self.links:
            if not candidate.closed and (link is None
                                         or len(candidate.pending) < len(link.pending)):
                link = candidate
        if link is None or (link.pending and len(self.links) + self.opening < self.size):
            link = await self._open()
        return await link.send(payload)

    async def _open(self) -> _Link:
        t = self.target
        self.opening += 1
        try:
            if t.get("path"):
                _, link = await self.loop.create_unix_connection(_Link, t["path"])
            else:
                _, link = await self.loop.create_connection(_Link, t.get("host") or "localhost",
                                                            int(t.get("port") or 6379))
            auth = [t["username"]] if t.get("username") else []
            for command in ([["AUTH", *auth, t["password"]]] if t.get("password") else []) + (
                    [["SELECT", t["db"]]] if t.get("db") else []):
                if isinstance(reply := await link.send(_pack(command)), ResponseError):
                    if link.transport is not None:
                        link.transport.close()
                    raise RedisConnectionError(f"graph store refused {command[0]}: {reply}")
        finally:
            self.opening -= 1
        self.links = [x for x in self.links if not x.closed] + [link]
        return link

    def close(self) -> None:
        transports = [x.transport for x in self.links if x.transport is not None]
        self.links = []
        if self.loop.is_closed():
            return  # its transports go with it
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for transport in transports:
            if running is self.loop:
                transport.close()
            else:
                self.loop.call_soon_threadsafe(transport.close)


def _summary(result: Any, rows: int = 0) -> WriteSummary:
    return WriteSummary(
        nodes_created=int(result.nodes_created or 0),
        relationships_created=int(result.relationships_created or 0),
        properties_set=int(result.properties_set or 0),
        nodes_deleted=int(result.nodes_deleted or 0),
        relationships_deleted=int(result.relationships_deleted or 0),
        rows=rows, batches=1)


def _fail(exc: ResponseError, cypher: str) -> NoReturn:
    message = str(exc)
    if message.startswith("BUSY"):
        raise StoreUnavailable("图数据库正忙（正在保存数据），请稍后再试",
                               f"graph store busy for {BUSY_WAIT_S:.0f} s: {message}") from None
    if message.startswith("OOM") or "> 'maxmemory'" in message:
        raise StoreUnavailable("内置数据库内存已达上限（maxmemory），本次写入未执行，已有数据不变",
                               f"graph store is over its memory limit: {message}",
                               hint="raise PATENTKG_FALKORDB_MAXMEMORY (then `patentkg store "
                                    "stop`) or free memory") from None
    if "timed out" in message.lower():
        raise QueryTimeout("查询超时", f"query timed out: {message}",
                           hint="narrow the question's parameters") from None
    raise QueryFailed("查询执行失败", f"query failed: {message}",
                      details={"cypher": cypher[:500]}) from None


class _BusyWait:
    """Back-off over FalkorDB's BUSY replies ("BUSY preparing to fork": commands are refused,
    unexecuted, while it forks for an AOF rewrite after a big load, or its GC; it passes)."""

    def __init__(self) -> None:
        self.waited, self.pause = 0.0, 0.05

    def next_pause(self, exc: ResponseError, cypher: str) -> float:
        """Seconds to wait before sending again; any other error, or BUSY for longer than
        BUSY_WAIT_S, is raised as the store's error."""
        if not str(exc).startswith("BUSY") or self.waited >= BUSY_WAIT_S:
            _fail(exc, cypher)
        pause = self.pause
        self.waited, self.pause = self.waited + pause, min(pause * 2, 1.0)
        return pause


def _connection_lost(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable("图数据库连接中断", f"graph store connection failed: {exc}",
                            hint="run `patentkg store status`")


class FalkorStore:
    backend = "falkordb"

    def __init__(self, client: FalkorDB, graph_name: str, *, location: str,
                 server: EmbeddedServer | None = None, timeout_ms: int = 30_000) -> None:
        self._db = client
        self.location = location
        self._graph = self._select(graph_name)
        self.graph_name = graph_name
        self.location = location
        self.server = server
        self.timeout_ms = timeout_ms
        self._links: dict[asyncio.AbstractEventLoop, _Links] = {}
        self._links_lock = threading.Lock()

    # Concurrent reads of one event loop share up to this many connections (aread): the
    # server runs a read per core at a time, more connections only queue there.
    ASYNC_CONNECTIONS = 4

    # -- construction --------------------------------------------------------------------
    @classmethod
    def embedded(cls, server: EmbeddedServer, graph_name: str, **kw: Any) -> FalkorStore:
        endpoint = server.ensure_running()
        return cls(_client_for(endpoint), graph_name, location=endpoint.describe(),
                   server=server, **kw)

    @classmethod
    def from_url(cls, url: str, graph_name: str, **kw: Any) -> FalkorStore:
        try:
            client = FalkorDB.from_url(url)
        except (RedisConnectionError, OSError, ValueError) as exc:
            raise StoreUnavailable(f"无法连接 FalkorDB：{url}",
                                   f"cannot reach FalkorDB at {url}: {exc}",
                                   hint="check PATENTKG_FALKORDB_URL, or unset it to use the "
                                        "embedded store") from None
        return cls(client, graph_name, location=url, **kw)

    # -- queries -------------------------------------------------------------------------
    def _read_command(self, cypher: str, params: Mapping[str, Any] | None,
                      timeout_ms: int | None) -> list[Any]:
        _refuse_nul(params)
        return ["GRAPH.RO_QUERY", self.graph_name, _params_header(clean_params(params)) + cypher,
                "--compact", "timeout", int(timeout_ms or self.timeout_ms)]

    def _run(self, cypher: str, params: Mapping[str, Any] | None, *, read_only: bool,
             timeout_ms: int | None = None) -> Any:
        if read_only:
            command = self._read_command(cypher, params, timeout_ms)
        else:
            _refuse_nul(params)
        busy = _BusyWait()
        while True:
            try:
                if read_only:  # the raw compact reply: read() decodes it
                    reply = self._graph.execute_command(*command)
                    if reply and isinstance(reply[-1], ResponseError):
                        raise reply[-1]
                    return reply
                return self._graph.query(cypher, clean_params(params))
            except ResponseError as exc:
                time.sleep(busy.next_pause(exc, cypher))
            except (RedisConnectionError, RedisTimeoutError) as exc:
                raise _connection_lost(exc) from None

    def read(self, cypher: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None) -> list[Row]:
        return _rows(self._run(cypher, params, read_only=True, timeout_ms=timeout_ms),
                     self._graph)

    async def aread(self, cypher: str, params: Mapping[str, Any] | None = None, *,
                    timeout_ms: int | None = None) -> list[Row]:
        payload = _pack(self._read_command(cypher, params, timeout_ms))
        links = self._loop_links()
        if links is None:  # a TLS connection: the client's own, in a thread
            return await asyncio.to_thread(self.read, cypher, params, timeout_ms=timeout_ms)
        busy, reconnected = _BusyWait(), False
        while True:
            try:
                return _rows(await links.call(payload), self._graph)
            except ResponseError as exc:
                await asyncio.sleep(busy.next_pause(exc, cypher))
            except (RedisConnectionError, OSError) as exc:
                if not reconnected:  # a connection the server dropped (e.g. restarted): a
                    reconnected = True  # read is safe to send once more, on a new one
                    continue
                raise _connection_lost(exc) from None

    def _loop_links(self) -> _Links | None:
        """This event loop's connections (made on first use; those of closed loops, e.g. of
        finished test clients, are dropped)."""
        loop = asyncio.get_running_loop()
        links = self._links.get(loop)
        if links is not None:
            return links
        pool = self._db.connection.connection_pool
        if issubclass(pool.connection_class, SSLConnection):
            return None
        with self._links_lock:
            for old in [x for x in self._links if x.is_closed()]:
                self._links.pop(old).close()
            links = self._links[loop] = _Links(loop, dict(pool.connection_kwargs),
                                                self.ASYNC_CONNECTIONS)
        return links

    def write(self, cypher: str, params: Mapping[str, Any] | None = None) -> WriteSummary:
        return _summary(self._run(cypher, params, read_only=False))

    def write_batches(self, cypher: str, rows: Iterable[Mapping[str, Any]], *,
                      batch_size: int = 2000, param: str = "rows",
                      extra_params: Mapping[str, Any] | None = None,
                      on_batch: Callable[[int], None] | None = None) -> WriteSummary:
        # One GRAPH.QUERY per batch: FalkorDB applies a query's changes all or nothing.
        total = WriteSummary()
        for batch in batched(rows, batch_size):
            params = {**(extra_params or {}), param: batch}
            total.add(_summary(self._run(cypher, params, read_only=False), rows=len(batch)))
            if on_batch:
                on_batch(len(batch))
        return total

    def bulk_create(self, nodes: Any, rels: Any, *,
                    on_rows: Callable[[int], None] | None = None) -> Any:
        """Create this (empty) graph from node/relationship tables with GRAPH.BULK
        (see graph.store.falkor_bulk); returns a BulkSummary."""
        from graph.store.falkor_bulk import bulk_create

        return bulk_create(self, nodes, rels, on_rows=on_rows)

    # -- dialect hooks -------------------------------------------------------------------
    def _indexes(self) -> list[Row]:
        """One row per indexed label: label, properties, types (per property), status."""
        return self.read("CALL db.indexes() YIELD label, properties, types, status "
                         "RETURN label, properties, types, status")

    def ensure_schema(self) -> list[str]:
        existing = {(r["label"], p) for r in self._indexes() for p in r["properties"]}
        created: list[str] = []
        for spec in schema.index_specs():
            if (spec.label, spec.property) not in existing:
                self.write(f"CREATE INDEX FOR (n:{spec.label}) ON (n.{spec.property})")
                existing.add((spec.label, spec.property))
                created.append(f"index {spec.label}.{spec.property}")
        constraints = {(c["label"], tuple(c["properties"])) for c in
                       self._graph.list_constraints() if c.get("type") == "UNIQUE"}
        for spec in schema.index_specs():
            if spec.unique and (spec.label, (spec.property,)) not in constraints:
                try:
                    self._graph.create_node_unique_constraint(spec.label, spec.property)
                    created.append(f"unique {spec.label}.{spec.property}")
                except ResponseError as exc:
                    if "already exists" not in str(exc):
                        raise
        ft_existing = self._fulltext_states()
        for label in schema.fulltext_specs():
            if label not in ft_existing:
                self._create_fulltext(label)
                created.append(f"fulltext {label}")
        self._await_indexes()
        return created

    def _await_indexes(self) -> None:
        """Wait until no index is being built, as Neo4j's ensure_schema does (db.awaitIndexes).

        FalkorDB builds indexes in the background and one label's range and full-text
        indexes are one index: until the Patent title/abstract text is indexed, lookups by
        app_no scan every patent (a 50,000-key page of the first refresh after a 1M load
        timed out at 3 ms per key)."""
        deadline = time.monotonic() + INDEX_BUILD_WAIT_S
        while True:
            building = sorted(r["label"] for r in self._indexes()
                              if not str(r["status"]).startswith("OPERATIONAL"))
            if not building:
                return
            if time.monotonic() > deadline:
                raise StoreUnavailable(
                    "数据库索引仍在构建，请稍后再试", "indexes still being built: "
                    + ", ".join(building), hint="retry in a few minutes")
            time.sleep(0.5)

    def _fulltext_states(self) -> dict[str, str]:
        """{label: 'OPERATIONAL' or an '[Indexing] ...' status} of the full-text indexes."""
        return {r["label"]: str(r["status"]) for r in self._indexes()
                if any("FULLTEXT" in t for ts in r["types"].values() for t in ts)}

    def _fulltext_state(self, label: str) -> str | None:
        """The label's full-text index status, or None without one."""
        return self._fulltext_states().get(label)

    def _create_fulltext(self, label: str) -> None:
        fields = ", ".join(f"'{p}'" for p in schema.fulltext_specs()[label])
        self.write("CALL db.idx.fulltext.createNodeIndex("
                   f"{{label: '{label}', language: 'chinese'}}, {fields})")

    @contextmanager
    def fulltext_paused(self, label: str, nodes: int) -> Iterator[None]:
        # FalkorDB 4.16 re-tokenises a node's indexed text on every SET of any of its
        # properties: writing derived properties to 100k patents spent ~50 s re-indexing
        # Chinese titles and abstracts; building the index again takes ~1-4 s per 100k.
        schema.check_label(label)
        if (nodes < FULLTEXT_PAUSE_MIN or label not in schema.fulltext_specs()
                or self._fulltext_state(label) is None):
            yield
            return
        self.write("CALL db.idx.fulltext.drop($label)", {"label": label})
        try:
            yield
        finally:
            if self._fulltext_state(label) is None:  # (ensure_schema may have made it again)
                self._create_fulltext(label)
            # FalkorDB builds it in the background: searches until then are refused, so wait
            deadline = time.monotonic() + FULLTEXT_REBUILD_WAIT_S
            while (self._fulltext_state(label) != "OPERATIONAL"
                   and time.monotonic() < deadline):
                time.sleep(0.2)

    def fulltext(self, label: str, terms: Sequence[str], *, match_all: bool = False,
                 limit: int = 50, prefix: bool = False,
                 properties: Sequence[str] | None = None,
                 rank_within: int | None = None) -> list[FulltextHit]:
        schema.check_label(label)
        escaped = [_FT_SPECIAL.sub(r"\\\1", t) + ("*" if prefix else "")
                   for t in terms if t and t.strip()]
        if not escaped:
            return []
        query = (" " if match_all else " | ").join(escaped)
        rows = self.read(
            "CALL db.idx.fulltext.queryNodes($label, $q) YIELD node, score "
            + ("WITH node, score LIMIT $within " if rank_within else "")
            + f"RETURN {node_projection(properties)} AS node, score ORDER BY score DESC "
            "LIMIT $limit",
            {"label": label, "q": query, "limit": limit, "within": rank_within})
        if len(rows) < limit:  # maybe complete, maybe an index not (yet) there: say which
            state = self._fulltext_state(label)
            if state != "OPERATIONAL":
                raise IndexBuilding(
                    "全文检索索引正在重建（数据更新或重启后），请稍后再试",
                    f"the full-text index of {label} is being rebuilt ({state or 'missing'}); "
                    "try again shortly", details={"label": label, "status": state or "missing"})
        return [FulltextHit(node=r["node"], score=float(r["score"])) for r in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        nodes = {r["label"]: int(r["n"]) for r in self.read(
            "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n")}
        # One count per type (answered from its matrix): the single `MATCH ()-[r]->()` scan
        # timed out on a graph of 11 million relationships.
        types = [r["t"] for r in self.read(
            "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS t")]
        rels = {rel: int(self.read(f"MATCH ()-[r:`{rel}`]->() RETURN count(r) AS n")[0]["n"])
                for rel in types if "`" not in rel}
        rels = {rel: n for rel, n in rels.items() if n}
        return {"nodes": nodes, "relationships": rels}

    def clear(self) -> None:
        try:
            self._graph.delete()
        except ResponseError as exc:
            if "empty key" not in str(exc).lower() and "invalid graph" not in str(exc).lower():
                raise
        self._graph = self._select(self.graph_name)

    def _select(self, name: str) -> Any:
        graph = self._db.select_graph(name)
        try:
            # A read on a graph that was never written is an 'empty key' error, before the
            # query is even parsed; a no-op write creates the (empty) graph.
            graph.query("RETURN 1")
        except (RedisConnectionError, OSError) as exc:
            raise StoreUnavailable(f"无法连接 FalkorDB：{self.location}",
                                   f"cannot reach FalkorDB at {self.location}: {exc}",
                                   hint="check PATENTKG_FALKORDB_URL, or unset it to use the "
                                        "embedded store") from None
        return graph

    def status(self) -> StoreStatus:
        info = self._db.connection.info("server")
        memory = self._db.connection.info("memory")
        return StoreStatus(self.backend, self.location, True, {
            "graph": self.graph_name,
            "pid": info.get("process_id"),
            "redis_version": info.get("redis_version"),
            "used_memory_human": memory.get("used_memory_human"),
            "data_dir": str(self.server.data_dir) if self.server else None,
            # FalkorDB does not persist indexes: after a restart it rebuilds them in the
            # background (1M patents: minutes), meanwhile search is refused and range lookups
            # of the label scan
            "indexes_building": {r["label"]: str(r["status"]) for r in self._indexes()
                                 if str(r["status"]) != "OPERATIONAL"},
        })

    def close(self) -> None:
        with self._links_lock:
            for links in self._links.values():
                links.close()
            self._links.clear()
        self._db.connection.close()


def _refuse_nul(value: Any) -> None:
    """FalkorDB passes parameters inside the query text, where a NUL ends the text: every
    query with such a value fails to parse, so it is refused as the caller's input instead."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InputError("值中含有 NUL 控制字符（\\x00），无法保存",
                             "a value contains a NUL character (\\x00), which cannot be stored",
                             details={"value": value[:80].replace("\x00", "\\x00")})
    elif isinstance(value, Mapping):
        for item in value.values():
            _refuse_nul(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refuse_nul(item)


def _client_for(endpoint: Endpoint) -> FalkorDB:
    if endpoint.unix_socket:
        return FalkorDB(unix_socket_path=endpoint.unix_socket)
    return FalkorDB(host="127.0.0.1", port=endpoint.port)
