"""kill -9 of the embedded server or the loader loses nothing acknowledged, duplicates nothing.

Each test owns its data dir and its server (the session server is never killed); the scenarios
are the functions of bench/durability.py, run here on a small demo."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from graph.store.embedded import EmbeddedServer
from graph.store.falkor import FalkorStore

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_durability", REPO / "bench" / "durability.py")
assert _spec and _spec.loader
durability = importlib.util.module_from_spec(_spec)
sys.modules["bench_durability"] = durability
_spec.loader.exec_module(durability)

PATENTS = 120


def _short_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    return tmp_path_factory.mktemp(name)


def restart_within(server: EmbeddedServer, limit_s: float = 180.0) -> None:
    """Start the data dir's server again; a replay that never ends fails instead of hanging."""
    errors: list[BaseException] = []

    def start() -> None:
        try:
            server.ensure_running()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=start, daemon=True)
    thread.start()
    thread.join(limit_s)
    if thread.is_alive():
        pid = int((server.data_dir / "falkordb.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)  # our own server, stuck replaying its AOF
        pytest.fail(f"the server did not finish replaying its AOF in {limit_s:.0f} s")
    if errors:
        raise errors[0]


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from loaders.generate import generate_demo

    out = tmp_path_factory.mktemp("durdemo")
    generate_demo(out, patents=PATENTS, seed=11)
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, small_demo: Path):
    """The counts of one uninterrupted `patentkg load` of the small demo."""
    data_dir = _short_dir(tmp_path_factory, "clean")
    counts, _ = durability.clean_counts(data_dir, [small_demo])
    yield counts
    durability.stop_server(data_dir)


def test_acknowledged_batches_survive_server_kill(tmp_path_factory: pytest.TempPathFactory
                                                   ) -> None:
    data_dir = _short_dir(tmp_path_factory, "acks")
    try:
        result = durability.kill_during_acks(data_dir, batches=200, size=1000, kill_after=5)
    finally:
        durability.stop_server(data_dir)
    assert result.acked >= 5
    # every acknowledged batch is there in full; at most the one batch in flight besides
    assert result.complete_prefix in (result.acked, result.acked + 1), result
    assert set(result.batch_sizes.values()) == {1000}, "a batch was written only in part"
    assert len(result.batch_sizes) == result.complete_prefix
    assert "StoreUnavailable" in result.writer_error or "连接" in result.writer_error


def test_restart_replays_indexed_merges_quickly(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Batched MERGEs that found their ends through an index replay at start-up (when no index
    is built yet) as effects, not as Cypher: the restart finishes and everything is there."""
    data_dir = _short_dir(tmp_path_factory, "replay")
    server = EmbeddedServer(data_dir)
    store = FalkorStore.embedded(server, "replay")
    try:
        store.write("CREATE INDEX FOR (n:Code) ON (n.code)")
        codes = [{"k": f"C{i:05d}"} for i in range(6000)]
        store.write_batches("UNWIND $rows AS r MERGE (:Code {code: r.k})", codes)
        pairs = [{"s": f"C{i:05d}", "d": f"C{(i * 7 + 1) % 6000:05d}"} for i in range(6000)]
        store.write_batches("UNWIND $rows AS r MATCH (a:Code {code: r.s}) "
                            "MATCH (b:Code {code: r.d}) MERGE (a)-[:NEXT]->(b)", pairs)
        store.close()
        durability.kill_server(data_dir)
        restart_within(server)
        store = FalkorStore.embedded(server, "replay")
        assert store.counts() == {"nodes": {"Code": 6000}, "relationships": {"NEXT": 6000}}
        # a clean stop and start keeps everything as well
        store.close()
        server.stop()
        restart_within(server)
        store = FalkorStore.embedded(server, "replay")
        assert store.read("MATCH (:Code {code: 'C00003'})-[:NEXT]->(b) RETURN b.code AS c"
                          ) == [{"c": "C00022"}]
    finally:
        store.close()
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["server", "loader"])
def test_kill_mid_load_then_rerun_equals_clean_run(scenario: str, small_demo: Path, clean,
                                                   tmp_path_factory: pytest.TempPathFactory
                                                   ) -> None:
    data_dir = _short_dir(tmp_path_factory, f"kill-{scenario}")
    try:
        r = durability.kill_mid_load(scenario, data_dir, [small_demo])
    finally:
        durability.stop_server(data_dir)
    assert r.mid_load, "the load finished before the kill: nothing was tested"
    assert r.lost == {}, f"seen before the kill, missing after restart: {r.lost}"
    if scenario == "server":
        # the loader says what happened in one line, no traceback
        assert r.loader_rc == 2 and "图数据库连接中断" in r.loader_error, r.loader_error
        assert not r.traceback
    else:
        assert r.loader_rc == -signal.SIGKILL
    assert r.rerun_rc == 0, r.notes
    assert r.final == clean
    assert r.duplicates == {}
