"""Shared fixtures: a throw-away embedded FalkorDB per test session (real database, no mocks)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.store import Store
from graph.store.embedded import EmbeddedServer
from graph.store.falkor import FalkorStore

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def falkor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """A private embedded server in a temp data dir, stopped at the end of the session."""
    server = EmbeddedServer(tmp_path_factory.mktemp("falkordb"))
    server.ensure_running()
    yield server
    server.stop()


_graph_counter = 0


def fresh_falkor_store(server: EmbeddedServer, prefix: str = "t") -> FalkorStore:
    """A store on a new, empty graph of the session server (graphs are cheap in FalkorDB)."""
    global _graph_counter
    _graph_counter += 1
    return FalkorStore.embedded(server, f"{prefix}{os.getpid()}_{_graph_counter}")


def _neo4j_store() -> Store:
    from patentkg.config import load_settings
    from graph.store.neo4j_store import Neo4jStore

    s = load_settings()
    store = Neo4jStore(s.neo4j_uri or "", s.neo4j_user, s.neo4j_password, s.neo4j_database)
    store.clear()
    return store


STORE_PARAMS = [
    pytest.param("falkordb", id="falkordb"),
    pytest.param("neo4j", id="neo4j", marks=[
        pytest.mark.neo4j,
        pytest.mark.skipif(not os.environ.get("PATENTKG_NEO4J_URI"),
                           reason="PATENTKG_NEO4J_URI not set")]),
]


@pytest.fixture(params=STORE_PARAMS)
def any_store(request: pytest.FixtureRequest, falkor_server: EmbeddedServer) -> Iterator[Store]:
    """An empty store on each configured backend (FalkorDB always, Neo4j when configured)."""
    store: Store = (fresh_falkor_store(falkor_server) if request.param == "falkordb"
                    else _neo4j_store())
    try:
        yield store
    finally:
        store.clear()
        store.close()


@pytest.fixture
def falkor_store(falkor_server: EmbeddedServer) -> Iterator[FalkorStore]:
    store = fresh_falkor_store(falkor_server)
    try:
        yield store
    finally:
        store.clear()
        store.close()
