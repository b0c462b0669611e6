"""FalkorDB backend: the embedded default (or an external server via PATENTKG_FALKORDB_URL)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.node import Node
from falkordb.path import Path as FalkorPath
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
from patentkg.errors import InputError, QueryFailed, QueryTimeout, StoreUnavailable

# RediSearch query syntax: these characters must be escaped inside a term.
# Updates of at least this many nodes drop and rebuild the label's full-text index (see
# FalkorStore.fulltext_paused); below it, re-indexing as they go is cheaper than a rebuild.
FULLTEXT_PAUSE_MIN = 20_000
FULLTEXT_REBUILD_WAIT_S = 900.0
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
    if "timed out" in message.lower():
        raise QueryTimeout("查询超时", f"query timed out: {message}",
                           hint="narrow the question's parameters") from None
    raise QueryFailed("查询执行失败", f"query failed: {message}",
                      details={"cypher": cypher[:500]}) from None


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
    def _run(self, cypher: str, params: Mapping[str, Any] | None, *, read_only: bool,
             timeout_ms: int | None = None) -> Any:
        _refuse_nul(params)
        waited, pause = 0.0, 0.05
        while True:
            try:
                if read_only:
                    return self._graph.ro_query(cypher, clean_params(params),
                                                timeout=timeout_ms or self.timeout_ms)
                return self._graph.query(cypher, clean_params(params))
            except ResponseError as exc:
                # "BUSY preparing to fork": FalkorDB refuses commands, unexecuted, while it
                # forks for an AOF rewrite (right after a big load) or its GC; it passes.
                if not str(exc).startswith("BUSY") or waited >= BUSY_WAIT_S:
                    _fail(exc, cypher)
                time.sleep(pause)
                waited, pause = waited + pause, min(pause * 2, 1.0)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                raise StoreUnavailable("图数据库连接中断", f"graph store connection failed: {exc}",
                                       hint="run `patentkg store status`") from None

    def read(self, cypher: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None) -> list[Row]:
        result = self._run(cypher, params, read_only=True, timeout_ms=timeout_ms)
        names = [col[1] if isinstance(col, (list, tuple)) else col for col in result.header]
        return [dict(zip(names, (_convert(v) for v in record), strict=True))
                for record in result.result_set]

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
    def ensure_schema(self) -> list[str]:
        existing = {(r["label"], p) for r in self.read(
            "CALL db.indexes() YIELD label, properties RETURN label, properties")
            for p in r["properties"]}
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
        return created

    def _fulltext_states(self) -> dict[str, str]:
        """{label: 'OPERATIONAL' or an '[Indexing] ...' status} of the full-text indexes."""
        return {r["label"]: str(r["status"]) for r in self.read(
            "CALL db.indexes() YIELD label, types, status RETURN label, types, status")
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
                raise StoreUnavailable(
                    "全文检索索引正在重建（数据更新后），请稍后再试",
                    f"the full-text index of {label} is being rebuilt ({state or 'missing'}); "
                    "try again shortly")
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
        })

    def close(self) -> None:
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
