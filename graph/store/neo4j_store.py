"""Neo4j 5 backend through the official driver (production; docker-compose runs it)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ClientError, Neo4jError, ServiceUnavailable
from neo4j.graph import Node, Path, Relationship

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
from patentkg.errors import QueryFailed, QueryTimeout, StoreUnavailable

# Lucene query syntax: these characters must be escaped inside a term.
_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|\s])')
_CJK = re.compile(r"[\u3400-\u9fff]")


def _convert(value: Any) -> Any:
    if isinstance(value, Node):
        return {"_id": value.element_id, "_labels": sorted(value.labels), **dict(value)}
    if isinstance(value, Relationship):
        return {"_id": value.element_id, "_type": value.type,
                "_src": value.start_node.element_id if value.start_node else None,
                "_dst": value.end_node.element_id if value.end_node else None, **dict(value)}
    if isinstance(value, Path):
        return {"nodes": [_convert(n) for n in value.nodes],
                "relationships": [_convert(r) for r in value.relationships]}
    if isinstance(value, list):
        return [_convert(v) for v in value]
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time types
        return value.iso_format()
    return value


def _summary(counters: Any, rows: int = 0) -> WriteSummary:
    return WriteSummary(nodes_created=counters.nodes_created,
                        relationships_created=counters.relationships_created,
                        properties_set=counters.properties_set,
                        nodes_deleted=counters.nodes_deleted,
                        relationships_deleted=counters.relationships_deleted,
                        rows=rows, batches=1)


def _ft_index_name(label: str) -> str:
    return f"ft_{label.lower()}"


AWAIT_INDEXES = "CALL db.awaitIndexes(300)"


def schema_ddl() -> list[tuple[str, str]]:
    """(name, Neo4j 5 statement) for every constraint, range index and Chinese full-text index
    of graph.schema: what ``ensure_schema`` runs, and the ``schema.cypher`` that `patentkg
    export --format neo4j-admin` writes for after an offline import. Idempotent (IF NOT EXISTS)."""
    ddl: list[tuple[str, str]] = []
    for spec in schema.index_specs():
        name = f"{spec.label.lower()}_{spec.property}"
        if spec.unique:
            ddl.append((name, f"CREATE CONSTRAINT {name}_unique IF NOT EXISTS "
                              f"FOR (n:{spec.label}) REQUIRE n.{spec.property} IS UNIQUE"))
        else:
            ddl.append((name, f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{spec.label}) "
                              f"ON (n.{spec.property})"))
    for label, props in schema.fulltext_specs().items():
        fields = ", ".join(f"n.{p}" for p in props)
        ddl.append((_ft_index_name(label),
                    f"CREATE FULLTEXT INDEX {_ft_index_name(label)} IF NOT EXISTS "
                    f"FOR (n:{label}) ON EACH [{fields}] "
                    "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}"))
    return ddl


class Neo4jStore:
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str | None = None, *,
                 timeout_ms: int = 30_000) -> None:
        self.location = uri
        self.database = database
        self.timeout_ms = timeout_ms
        try:
            self._driver = GraphDatabase.driver(uri, auth=(user, password),
                                                connection_timeout=5.0)
            self._driver.verify_connectivity()
        except AuthError:
            raise StoreUnavailable(f"Neo4j 用户名或密码错误：{uri}",
                                   f"Neo4j rejected the credentials for {uri}",
                                   hint="check PATENTKG_NEO4J_USER / PATENTKG_NEO4J_PASSWORD"
                                   ) from None
        except (ServiceUnavailable, OSError, ValueError, Neo4jError) as exc:
            raise StoreUnavailable(f"无法连接 Neo4j：{uri}", f"cannot reach Neo4j at {uri}: {exc}",
                                   hint="start it (docker compose up -d neo4j) or unset "
                                        "PATENTKG_NEO4J_URI to use the embedded store") from None

    def _session(self, mode: str) -> neo4j.Session:
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _wrap(self, fn: Callable[[], Any], cypher: str) -> Any:
        try:
            return fn()
        except ServiceUnavailable as exc:
            raise StoreUnavailable("图数据库连接中断", f"graph store connection failed: {exc}",
                                   hint="run `patentkg store status`") from None
        except (ClientError, Neo4jError) as exc:
            if "TimedOut" in (exc.code or "") or "Timeout" in (exc.code or ""):
                raise QueryTimeout("查询超时", f"query timed out: {exc.message or exc}",
                                   hint="narrow the question's parameters") from None
            raise QueryFailed("查询执行失败", f"query failed: {exc.message or exc}",
                              details={"cypher": cypher[:500]}) from None

    def read(self, cypher: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None) -> list[Row]:
        # the timeout of a managed transaction is set on its work function (a Query object is
        # refused inside a transaction: "only supported for session.run")
        @neo4j.unit_of_work(timeout=(timeout_ms or self.timeout_ms) / 1000)
        def work(tx: neo4j.ManagedTransaction) -> list[Row]:
            result = tx.run(cypher, clean_params(params))
            return [{k: _convert(v) for k, v in record.items()} for record in result]

        def run() -> list[Row]:
            with self._session(neo4j.READ_ACCESS) as session:
                return session.execute_read(work)
        return self._wrap(run, cypher)

    async def aread(self, cypher: str, params: Mapping[str, Any] | None = None, *,
                    timeout_ms: int | None = None) -> list[Row]:
        # the synchronous driver in a worker thread (Neo4j's latency dwarfs the hop)
        return await asyncio.to_thread(self.read, cypher, params, timeout_ms=timeout_ms)

    def write(self, cypher: str, params: Mapping[str, Any] | None = None) -> WriteSummary:
        def work(tx: neo4j.ManagedTransaction) -> WriteSummary:
            return _summary(tx.run(cypher, clean_params(params)).consume().counters)

        def run() -> WriteSummary:
            with self._session(neo4j.WRITE_ACCESS) as session:
                return session.execute_write(work)
        return self._wrap(run, cypher)

    def write_batches(self, cypher: str, rows: Iterable[Mapping[str, Any]], *,
                      batch_size: int = 2000, param: str = "rows",
                      extra_params: Mapping[str, Any] | None = None,
                      on_batch: Callable[[int], None] | None = None) -> WriteSummary:
        total = WriteSummary()
        for batch in batched(rows, batch_size):
            summary = self.write(cypher, {**(extra_params or {}), param: batch})
            summary.rows = len(batch)
            total.add(summary)
            if on_batch:
                on_batch(len(batch))
        return total

    def _ddl(self, statement: str) -> None:
        with self._session(neo4j.WRITE_ACCESS) as session:
            session.run(statement).consume()

    def ensure_schema(self) -> list[str]:
        created: list[str] = []
        for name, statement in schema_ddl():
            self._ddl(statement)
            created.append(name)
        self._ddl(AWAIT_INDEXES)
        return created

    def fulltext(self, label: str, terms: Sequence[str], *, match_all: bool = False,
                 limit: int = 50, prefix: bool = False,
                 properties: Sequence[str] | None = None,
                 rank_within: int | None = None) -> list[FulltextHit]:
        schema.check_label(label)
        # The cjk analyzer indexes CJK text as bigrams, so a quoted CJK term already matches
        # inside longer words; only non-CJK terms need a trailing wildcard for prefix=True.
        escaped = [_LUCENE_SPECIAL.sub(r"\\\1", t) + "*"
                   if prefix and not _CJK.search(t) and len(t.strip()) > 1
                   else '"' + _LUCENE_SPECIAL.sub(r"\\\1", t) + '"'
                   for t in terms if t and t.strip()]
        if not escaped:
            return []
        query = (" AND " if match_all else " OR ").join(escaped)
        rows = self.read(
            "CALL db.index.fulltext.queryNodes($index, $q) YIELD node, score "
            f"RETURN {node_projection(properties)} AS node, score ORDER BY score DESC "
            "LIMIT $limit",
            {"index": _ft_index_name(label), "q": query, "limit": limit})
        return [FulltextHit(node=r["node"], score=float(r["score"])) for r in rows]

    def fulltext_paused(self, label: str, nodes: int) -> AbstractContextManager[None]:
        return nullcontext()  # Lucene re-indexes a node only when an indexed property changes

    def counts(self) -> dict[str, dict[str, int]]:
        nodes = {r["label"]: int(r["n"]) for r in self.read(
            "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n")}
        rels = {r["type"]: int(r["n"]) for r in self.read(
            "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n")}
        return {"nodes": nodes, "relationships": rels}

    def clear(self) -> None:
        self.write("MATCH (n) DETACH DELETE n")

    def status(self) -> StoreStatus:
        info = self._driver.get_server_info()
        return StoreStatus(self.backend, self.location, True,
                           {"agent": info.agent, "protocol": str(info.protocol_version),
                            "database": self.database})

    def close(self) -> None:
        self._driver.close()
