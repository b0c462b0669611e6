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


@pytest.fixture(scope="session", autouse=True)
def _private_default_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A command a test runs without naming a data dir must not start a server in the user's
    own default data dir (~/.local/share/patentkg): point the default at a temp dir."""
    data_dir = tmp_path_factory.mktemp("default-data")
    previous = os.environ.get("PATENTKG_DATA_DIR")
    os.environ.setdefault("PATENTKG_DATA_DIR", str(data_dir))
    yield
    if previous is None and (data_dir / "server.json").exists():
        EmbeddedServer(data_dir).stop()
    if previous is None:
        os.environ.pop("PATENTKG_DATA_DIR", None)


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
    from graph.store.neo4j_store import Neo4jStore
    from patentkg.config import load_settings

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


# -- the generated demo, loaded once per session through the real loader ----------------------
DEMO_PATENTS = int(os.environ.get("PATENTKG_TEST_PATENTS", "1500"))
DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data set as files (the generator's real export formats)."""
    from loaders.generate import generate_demo

    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, patents=DEMO_PATENTS, seed=DEMO_SEED)
    return out


@pytest.fixture(scope="session")
def demo_store(falkor_server: EmbeddedServer, demo_dir: Path) -> Iterator[FalkorStore]:
    """A store holding the demo loaded by the real loader plus the derived knowledge.

    Shared by many tests: read it, never write to it (use `falkor_store` for writes)."""
    from loaders.pipeline import load_paths
    from queries.derive import refresh

    store = fresh_falkor_store(falkor_server, prefix="demo")
    report = load_paths(store, [demo_dir])
    assert report.rejected_rows == 0, report.summary()
    refresh(store)
    yield store
    store.clear()
    store.close()
