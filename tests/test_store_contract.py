"""Contract of the store protocol, run on every configured backend."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from graph import schema
from graph.store.embedded import EmbeddedServer
from graph.store.falkor import FalkorStore
from patentkg.errors import QueryFailed, StoreUnavailable

MERGE_PATENTS = ("UNWIND $rows AS r MERGE (p:Patent {app_no: r.app_no}) "
                 "SET p.title = r.title, p.ipc_codes = r.ipc")


def _rows(n: int) -> list[dict]:
    return [{"app_no": f"CN2022{i:07d}.X", "title": f"一种风力发电机组的控制方法{i}",
             "ipc": ["F03D7/00", "H02J3/38"]} for i in range(n)]


def test_batched_writes_count_every_row(any_store) -> None:
    calls: list[int] = []
    summary = any_store.write_batches(MERGE_PATENTS, _rows(2500), batch_size=1000,
                                      on_batch=calls.append)
    assert calls == [1000, 1000, 500]
    assert summary.nodes_created == 2500 and summary.batches == 3
    assert any_store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": 2500}]


def test_merge_is_idempotent(any_store) -> None:
    any_store.ensure_schema()
    any_store.write_batches(MERGE_PATENTS, _rows(300))
    again = any_store.write_batches(MERGE_PATENTS, _rows(300))
    assert again.nodes_created == 0
    assert any_store.counts()["nodes"] == {"Patent": 300}


def test_values_round_trip(any_store) -> None:
    weird = "名称\"'`;MATCH (n) DETACH DELETE n // 😀 𠀀"
    any_store.write("CREATE (p:Patent {app_no: $k, title: $t, score: $s, codes: $c, ok: $b})",
                    {"k": "A", "t": weird, "s": 1.5, "c": ["A61B5/00"], "b": True})
    row = any_store.read("MATCH (p:Patent {app_no: 'A'}) RETURN p.title AS t, p.score AS s, "
                         "p.codes AS c, p.ok AS b, p AS node")[0]
    assert (row["t"], row["s"], row["c"], row["b"]) == (weird, 1.5, ["A61B5/00"], True)
    assert row["node"]["app_no"] == "A" and row["node"]["_labels"] == ["Patent"]


def test_unique_constraint_rejects_a_whole_batch(any_store) -> None:
    any_store.ensure_schema()
    any_store.write("CREATE (:Patent {app_no: 'DUP'})")
    with pytest.raises(QueryFailed):
        any_store.write("UNWIND ['NEW1', 'DUP'] AS k CREATE (:Patent {app_no: k})")
    # all or nothing: NEW1 was rolled back with the failing row
    assert any_store.read("MATCH (p:Patent) RETURN p.app_no AS k") == [{"k": "DUP"}]


def test_schema_is_created_once(any_store) -> None:
    first = any_store.ensure_schema()
    assert first, "a fresh store gets constraints and indexes"
    if any_store.backend == "falkordb":
        assert any_store.ensure_schema() == []
    keys = {s.label for s in schema.index_specs() if s.unique}
    assert keys == set(schema.LABELS)


def test_fulltext_finds_chinese_words(any_store) -> None:
    any_store.ensure_schema()
    any_store.write_batches(MERGE_PATENTS, _rows(20))
    any_store.write("CREATE (:Patent {app_no: 'Z', title: '一种核电站蒸汽发生器检测装置'})")
    hits = any_store.fulltext("Patent", ["蒸汽发生器"]) or any_store.fulltext("Patent", ["检测"])
    assert [h.node["app_no"] for h in hits] == ["Z"]


def test_fulltext_hits_carry_only_the_named_properties(any_store) -> None:
    any_store.ensure_schema()
    any_store.write("CREATE (:Patent {app_no: 'Z', title: '一种核电站蒸汽发生器检测装置', "
                    "abstract: '检测', match_keys: ['a', 'b']})")
    hits = any_store.fulltext("Patent", ["检测"], properties=("app_no", "title", "nothing"))
    assert [h.node for h in hits] == [
        {"app_no": "Z", "title": "一种核电站蒸汽发生器检测装置", "nothing": None}]
    with pytest.raises(ValueError):
        any_store.fulltext("Patent", ["检测"], properties=("app_no}) RETURN 1 //",))


def test_a_big_update_rebuilds_the_fulltext_index(any_store, monkeypatch) -> None:
    import graph.store.falkor as falkor

    monkeypatch.setattr(falkor, "FULLTEXT_PAUSE_MIN", 2)  # pause from 2 nodes, not 20,000
    any_store.ensure_schema()
    any_store.write("CREATE (:Patent {app_no: 'A', title: '一种风力发电机叶片'}), "
                    "(:Patent {app_no: 'B', title: '一种核电站蒸汽发生器检测装置'})")
    assert [h.node["app_no"] for h in any_store.fulltext("Patent", ["风力"], prefix=True)] == ["A"]
    with any_store.fulltext_paused("Patent", 2):
        any_store.write("MATCH (p:Patent {app_no: 'B'}) SET p.title = '一种风力测量装置', "
                        "p.tier = 'A'")
        if isinstance(any_store, falkor.FalkorStore):  # the index is gone: refused, not empty
            with pytest.raises(StoreUnavailable):
                any_store.fulltext("Patent", ["风力"], prefix=True)
    hits = any_store.fulltext("Patent", ["风力"], prefix=True)
    assert sorted(h.node["app_no"] for h in hits) == ["A", "B"]  # the new text is indexed
    with any_store.fulltext_paused("Patent", 1):  # below the threshold: nothing dropped
        assert len(any_store.fulltext("Patent", ["风力"], prefix=True)) == 2
    with any_store.fulltext_paused("Patent", 2):
        any_store.ensure_schema()  # makes the index again inside the pause: the end copes
    assert len(any_store.fulltext("Patent", ["风力"], prefix=True)) == 2


def test_indexes_are_built_when_ensure_schema_returns(any_store) -> None:
    """FalkorDB builds indexes in the background (the Patent app_no lookups scan until the
    title/abstract text is indexed too); ensure_schema returns once they are built, as
    Neo4j's does."""
    import graph.store.falkor as falkor

    n = 60_000
    any_store.write("UNWIND range(1, $n) AS i CREATE (:Patent {app_no: 'CN' + toString(i), "
                    "title: '一种风力发电机叶片第' + toString(i) + '号'})", {"n": n})
    any_store.ensure_schema()
    if isinstance(any_store, falkor.FalkorStore):
        statuses = {r["label"]: r["status"] for r in any_store.read(
            "CALL db.indexes() YIELD label, status RETURN label, status")}
        assert statuses["Patent"] == "OPERATIONAL", statuses
        assert any_store.status().details["indexes_building"] == {}
        # right after an index is created it is built in the background, and status says so
        any_store.write("CREATE INDEX FOR (p:Patent) ON (p.claims_count)")
        building = any_store.status().details["indexes_building"]
        assert set(building) <= {"Patent"}
        assert all(v != "OPERATIONAL" for v in building.values())
    keys = [f"CN{i}" for i in range(1, n + 1, 997)]
    rows = any_store.read("MATCH (p:Patent) WHERE p.app_no IN $keys RETURN p.app_no AS k",
                          {"keys": keys})
    assert sorted(r["k"] for r in rows) == sorted(keys)
    hits = any_store.fulltext("Patent", ["风力"], prefix=True, limit=5)
    assert len(hits) == 5


def test_read_of_an_empty_store_is_empty(any_store) -> None:
    assert any_store.read("MATCH (n) RETURN n LIMIT 1") == []
    assert any_store.counts() == {"nodes": {}, "relationships": {}}


def test_bad_cypher_is_a_clear_error(any_store) -> None:
    with pytest.raises(QueryFailed) as info:
        any_store.read("MATCH (n RETURN n")
    assert "query failed" in info.value.message_en


# -- embedded server lifecycle ----------------------------------------------------------

def test_data_survives_restart_and_kill(tmp_path) -> None:
    server = EmbeddedServer(tmp_path / "data")
    store = FalkorStore.embedded(server, "g")
    store.write_batches(MERGE_PATENTS, _rows(100))
    store.close()
    server.stop()
    assert server.running() is None
    store = FalkorStore.embedded(server, "g")
    assert store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": 100}]
    store.write("CREATE (:Patent {app_no: 'after-restart'})")
    pid = server.running().pid
    os.kill(pid, signal.SIGKILL)  # acknowledged writes are fsynced to the AOF
    deadline = time.monotonic() + 10
    while server.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    store = FalkorStore.embedded(server, "g")
    assert store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": 101}]
    store.close()
    server.stop()


def _started_not_waited_for(tmp_path, patents: int) -> tuple[EmbeddedServer, int]:
    """A server on a data dir holding `patents` patents, started by a call that gave up
    waiting at once (as for a big graph still replaying its files): no state written."""
    server = EmbeddedServer(tmp_path / "data")
    store = FalkorStore.embedded(server, "g")
    store.write_batches(MERGE_PATENTS, _rows(patents))
    store.close()
    server.stop()
    with pytest.raises(StoreUnavailable):
        server._start(timeout_s=0)
    pid_file, deadline = tmp_path / "data" / "falkordb.pid", time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the daemon writes its pid file after the start command returned
    return server, int(pid_file.read_text().strip())


def test_a_server_that_started_slowly_is_taken_over_not_doubled(tmp_path) -> None:
    """A 1M graph replays its files for about a minute: the call that started the server gives
    up waiting, and the next one must use that server once it answers (it used to say
    "still starting" for as long as the server ran, and a second server would corrupt the
    files)."""
    server, pid = _started_not_waited_for(tmp_path, 50)
    try:
        assert server.running() is None
        endpoint = server.ensure_running()
        assert endpoint.pid == pid  # the same server, taken over
        store = FalkorStore.embedded(server, "g")
        assert store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": 50}]
        store.close()
    finally:
        if not server.stop():  # never taken over: stop the server this test started
            os.kill(pid, signal.SIGKILL)


def test_a_write_over_the_memory_limit_is_refused_whole(tmp_path) -> None:
    """PATENTKG_FALKORDB_MAXMEMORY: over the limit a batch is refused with a clear error,
    the batches before it stay, nothing is evicted and reads go on."""
    from patentkg.config import load_settings

    settings = load_settings({"PATENTKG_DATA_DIR": str(tmp_path / "data"),
                              "PATENTKG_FALKORDB_MAXMEMORY": "12MB"})
    server = EmbeddedServer(settings.data_dir, maxmemory=settings.falkordb_maxmemory)
    store = FalkorStore.embedded(server, "g")
    try:
        written, refused = 0, None
        for batch in range(200):  # ~1 MB a batch: the limit is reached well before the end
            rows = [{**r, "app_no": f"{batch}-{r['app_no']}", "title": r["title"] * 20}
                    for r in _rows(500)]
            try:
                store.write_batches(MERGE_PATENTS, rows, batch_size=500)
            except StoreUnavailable as exc:
                refused = exc
                break
            written += len(rows)
        assert refused is not None and "maxmemory" in str(refused)
        assert written > 0
        assert store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": written}]
    finally:
        store.close()
        server.stop()


def test_a_memory_limit_that_is_not_a_size_is_a_clear_error() -> None:
    from patentkg.config import load_settings
    from patentkg.errors import ConfigError

    with pytest.raises(ConfigError, match="PATENTKG_FALKORDB_MAXMEMORY"):
        load_settings({"PATENTKG_FALKORDB_MAXMEMORY": "4 GB please"})


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1].startswith("Z")  # exited, not yet reaped
    except FileNotFoundError:
        return True


def test_stop_stops_a_server_nobody_waited_for(tmp_path) -> None:
    """`patentkg store stop` after a `status` that gave up while a big graph loaded: the
    server had no state file, so stop said "not running" and left it running (and a restore
    would have moved its files aside under it)."""
    server, pid = _started_not_waited_for(tmp_path, 20)
    try:
        assert server.running() is None  # no state: nobody took it over
        assert server.stop() is True
        assert _gone(pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    store = FalkorStore.embedded(server, "g")  # the data is intact
    assert store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": 20}]
    store.close()
    server.stop()


def test_second_process_sees_the_same_graph(tmp_path) -> None:
    env = {**os.environ, "PATENTKG_DATA_DIR": str(tmp_path / "d"), "PATENTKG_GRAPH": "shared"}
    env.pop("PATENTKG_NEO4J_URI", None)
    write = ("from graph.store import open_store; s = open_store(); "
             "s.write(\"CREATE (:Park {park_id: 'P1', name: '棉三创意街区'})\")")
    subprocess.run([sys.executable, "-c", write], env=env, check=True, timeout=60)
    out = subprocess.run([sys.executable, "-m", "patentkg.cli", "store", "status", "--json"],
                         env=env, capture_output=True, text=True, timeout=60, check=True)
    report = json.loads(out.stdout)
    assert report["labels"] == {"Park": 1}
    subprocess.run([sys.executable, "-m", "patentkg.cli", "store", "stop"], env=env, check=True,
                   timeout=60)


@pytest.mark.parametrize("env, expected", [
    ({"PATENTKG_DATA_DIR": "/proc/patentkg-cannot-write"}, "PATENTKG_DATA_DIR"),
    ({"PATENTKG_NEO4J_URI": "bolt://127.0.0.1:1"}, "cannot reach Neo4j"),
    ({"PATENTKG_FALKORDB_PORT": "not-a-number"}, "must be an integer"),
    ({"PATENTKG_FALKORDB_URL": "redis://127.0.0.1:1"}, "cannot reach FalkorDB"),
])
def test_bad_configuration_is_one_clear_line(env, expected, tmp_path) -> None:
    full = {**os.environ, "PATENTKG_DATA_DIR": str(tmp_path), **env}
    out = subprocess.run([sys.executable, "-m", "patentkg.cli", "store", "status"], env=full,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert expected in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_port_in_use_is_reported(tmp_path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "PATENTKG_DATA_DIR": str(tmp_path),
               "PATENTKG_FALKORDB_PORT": str(port)}
        env.pop("PATENTKG_NEO4J_URI", None)
        out = subprocess.run([sys.executable, "-m", "patentkg.cli", "store", "status"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and f"port {port} is already in use" in out.stderr


def test_backup_and_restore_round_trip(tmp_path) -> None:
    server = EmbeddedServer(tmp_path / "data")
    store = FalkorStore.embedded(server, "g")
    store.write_batches(MERGE_PATENTS, _rows(200))
    backup = server.backup(tmp_path / "b.rdb")
    store.write("MATCH (p:Patent) WITH p LIMIT 50 DETACH DELETE p")
    store.close()
    aside = server.restore(backup)
    assert aside.is_dir()
    store = FalkorStore.embedded(server, "g")
    assert store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": 200}]
    store.write("CREATE (:Patent {app_no: 'after-restore'})")  # later writes persist too
    store.close()
    server.stop()
    store = FalkorStore.embedded(server, "g")
    assert store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": 201}]
    store.close()
    server.stop()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path) -> None:
    from patentkg.errors import ConfigError

    bogus = tmp_path / "x.rdb"
    bogus.write_text("not a backup")
    with pytest.raises(ConfigError):
        EmbeddedServer(tmp_path / "data").restore(bogus)


def test_a_nul_character_is_refused_as_input(falkor_store) -> None:
    from patentkg.errors import InputError

    with pytest.raises(InputError):
        falkor_store.write("CREATE (:Patent {app_no: $k, title: $t})", {"k": "N", "t": "a\x00b"})
    assert falkor_store.read("MATCH (p:Patent) RETURN count(p) AS n") == [{"n": 0}]
