"""Open the configured graph store. Nothing outside graph/ touches a database driver."""

from __future__ import annotations

from graph.store.base import FulltextHit, Row, Store, StoreStatus, WriteSummary
from patentkg.config import Settings, load_settings

__all__ = ["FulltextHit", "Row", "Store", "StoreStatus", "WriteSummary", "open_store",
           "embedded_server"]


def embedded_server(settings: Settings | None = None):
    """The embedded FalkorDB server of the configured data dir (not started yet)."""
    from graph.store.embedded import EmbeddedServer

    settings = settings or load_settings()
    return EmbeddedServer(settings.data_dir, settings.falkordb_port,
                          maxmemory=settings.falkordb_maxmemory)


def open_store(settings: Settings | None = None) -> Store:
    """Neo4j when PATENTKG_NEO4J_URI is set, else FalkorDB (external URL or embedded)."""
    settings = settings or load_settings()
    if settings.neo4j_uri:
        from graph.store.neo4j_store import Neo4jStore

        return Neo4jStore(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password,
                          settings.neo4j_database, timeout_ms=settings.query_timeout_ms)
    from graph.store.falkor import FalkorStore

    if settings.falkordb_url:
        return FalkorStore.from_url(settings.falkordb_url, settings.graph_name,
                                    timeout_ms=settings.query_timeout_ms)
    return FalkorStore.embedded(embedded_server(settings), settings.graph_name,
                                timeout_ms=settings.query_timeout_ms)
