"""Kill -9 the embedded FalkorDB server, or the loader, in the middle of a load; restart; check.

Three scenarios, each in its own throw-away data directory (never the user's):

* ``acks``   a writer process prints ``ACK n`` after each batch the server answered; the
             server is killed after a few acks. After a restart every acknowledged batch must
             be there in full, at most the one batch in flight besides, and no partial batch
             (a batch is one GRAPH.QUERY: all or nothing).
* ``server`` ``patentkg load`` runs in a subprocess; once patents are arriving the server is
             killed. The loader must fail with a one-line error (no traceback); after a restart
             everything a reader saw before the kill is still there; re-running the same load
             gives exactly the counts (per label and relationship type) of a clean run and no
             duplicate keys or relationships.
* ``loader`` the same, but the ``patentkg load`` process is the one killed.

Run ``python bench/durability.py --patents 2000`` for a table; tests/test_durability.py runs
the same functions on a small demo. Only processes this script started are ever killed: the
loader it spawned, and the server whose pid is in *its own* data dir's server.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from graph import schema  # noqa: E402
from graph.store.embedded import STATE_FILE, EmbeddedServer, _ping  # noqa: E402
from graph.store.falkor import FalkorStore  # noqa: E402

GRAPH = "durability"
Counts = dict[str, dict[str, int]]


# -- processes --------------------------------------------------------------------------------
def patentkg_exe() -> str:
    """The `patentkg` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("patentkg")
    return str(beside) if beside.exists() else (shutil.which("patentkg") or "patentkg")


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATENTKG_")}
    env.update(PATENTKG_DATA_DIR=str(data_dir), PATENTKG_GRAPH=GRAPH, PYTHONUNBUFFERED="1")
    return env


def server_pid(data_dir: Path) -> int:
    """The pid of the server of *this* data dir (the only server we may kill)."""
    return int(json.loads((data_dir / STATE_FILE).read_text("utf-8"))["pid"])


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")  # a killed daemon may linger as a zombie of its reaper
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def kill_server(data_dir: Path, timeout_s: float = 10.0) -> int:
    """kill -9 the data dir's own server and wait until it is gone."""
    server = EmbeddedServer(data_dir)
    endpoint = server.running()
    if endpoint is None or endpoint.pid != server_pid(data_dir):
        raise RuntimeError(f"no live server of our own in {data_dir}")
    pid = server_pid(data_dir)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not (_gone(pid) and not _ping(endpoint, 0.2)):
        time.sleep(0.02)
    return pid


def open_store(data_dir: Path) -> FalkorStore:
    return FalkorStore.embedded(EmbeddedServer(data_dir), GRAPH)


def stop_server(data_dir: Path) -> None:
    EmbeddedServer(data_dir).stop()


# -- what is in the graph ---------------------------------------------------------------------
def graph_counts(data_dir: Path) -> Counts:
    store = open_store(data_dir)
    try:
        return store.counts()
    finally:
        store.close()


def duplicates(data_dir: Path) -> dict[str, int]:
    """Nodes sharing a business key and relationships repeated between the same two nodes."""
    store = open_store(data_dir)
    found: dict[str, int] = {}
    try:
        for node in schema.NODES:
            row = store.read(f"MATCH (n:{node.label}) RETURN count(n) AS n, "
                             f"count(DISTINCT n.{node.key}) AS k")[0]
            if row["n"] != row["k"]:
                found[node.label] = row["n"] - row["k"]
        for row in store.read("MATCH (a)-[r]->(b) WITH id(a) AS a, type(r) AS t, id(b) AS b, "
                              "count(r) AS c WHERE c > 1 RETURN t, sum(c - 1) AS extra"):
            found[row["t"]] = int(row["extra"])
    finally:
        store.close()
    return found


def not_below(after: Counts, before: Counts) -> dict[str, tuple[int, int]]:
    """Labels/types whose count went down (what a reader saw before the kill was lost)."""
    lost: dict[str, tuple[int, int]] = {}
    for part in ("nodes", "relationships"):
        for name, n in before.get(part, {}).items():
            if after.get(part, {}).get(name, 0) < n:
                lost[name] = (n, after.get(part, {}).get(name, 0))
    return lost


def total(counts: Counts) -> int:
    return sum(counts.get("nodes", {}).values()) + sum(counts.get("relationships", {}).values())


# -- loads ------------------------------------------------------------------------------------
def run_load(data_dir: Path, paths: list[Path],
             timeout_s: float = 1800) -> subprocess.CompletedProcess:
    """`patentkg load` to completion in a subprocess."""
    return subprocess.run([patentkg_exe(), "load", "--no-derive", "--rejects",
                           str(data_dir / "rejects.csv"), *map(str, paths)],
                          env=env_for(data_dir), capture_output=True, text=True,
                          timeout=timeout_s, cwd=data_dir)


def clean_counts(data_dir: Path, paths: list[Path]) -> tuple[Counts, float]:
    """The counts of an uninterrupted load into a fresh data dir (and its duration)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = run_load(data_dir, paths)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"clean load failed ({done.returncode}): {done.stderr[-2000:]}")
    return graph_counts(data_dir), seconds


@dataclass
class KillResult:
    scenario: str
    mid_load: bool  # the loader was still running when the kill came
    seen_before_kill: Counts
    loader_rc: int | None
    loader_error: str  # the loader's last stderr line
    traceback: bool  # the loader printed a Python traceback
    recovered: Counts  # after restart, before the re-run
    lost: dict[str, tuple[int, int]]  # seen before the kill but missing after restart
    rerun_rc: int
    final: Counts
    duplicates: dict[str, int]
    restart_s: float
    rerun_s: float
    notes: list[str] = field(default_factory=list)


def _patents_arriving(store: FalkorStore, threshold: int) -> bool:
    return store.read("MATCH (p:Patent) RETURN count(p) AS n")[0]["n"] >= threshold


def kill_mid_load(scenario: str, data_dir: Path, paths: list[Path], *,
                  patents_before_kill: int = 1, timeout_s: float = 600) -> KillResult:
    """Start `patentkg load`, kill -9 the server or the loader once patents arrive, recover."""
    assert scenario in ("server", "loader")
    data_dir.mkdir(parents=True, exist_ok=True)
    monitor = open_store(data_dir)  # starts this data dir's server before the loader runs
    loader = subprocess.Popen([patentkg_exe(), "load", "--no-derive", "--rejects",
                               str(data_dir / "rejects.csv"), *map(str, paths)],
                              env=env_for(data_dir), cwd=data_dir, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    seen: Counts = {}
    mid_load = False
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and loader.poll() is None:
            if _patents_arriving(monitor, patents_before_kill):
                seen = monitor.counts()  # committed: a reader saw it
                mid_load = loader.poll() is None
                if scenario == "server":
                    kill_server(data_dir)
                else:
                    loader.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        out, err = loader.communicate(timeout=120)
    finally:
        if loader.poll() is None:
            loader.kill()
            loader.wait()
        try:
            monitor.close()
        except Exception:  # noqa: BLE001 - the server may be dead: nothing to close
            pass
    err_lines = [line for line in err.splitlines() if line.strip()]
    started = time.perf_counter()
    recovered = graph_counts(data_dir)  # restarts the server from its AOF if it was killed
    restart_s = time.perf_counter() - started
    started = time.perf_counter()
    rerun = run_load(data_dir, paths)
    rerun_s = time.perf_counter() - started
    notes = [] if rerun.returncode == 0 else [rerun.stderr[-1000:]]
    return KillResult(scenario, mid_load, seen, loader.returncode,
                      err_lines[-1] if err_lines else "", "Traceback" in err,
                      recovered, not_below(recovered, seen), rerun.returncode,
                      graph_counts(data_dir), duplicates(data_dir), restart_s, rerun_s, notes)


# -- acknowledged batches ---------------------------------------------------------------------
WRITER = r"""
import sys
from graph.store.embedded import EmbeddedServer
from graph.store.falkor import FalkorStore
data_dir, graph, batches, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = FalkorStore.embedded(EmbeddedServer(data_dir), graph)
pad = "专利" * 50
def rows():
    for b in range(1, batches + 1):
        for i in range(size):
            yield {"k": f"{b:06d}-{i:05d}", "b": b, "pad": pad}
done = 0
def ack(n):
    global done
    done += 1
    print(f"ACK {done}", flush=True)
store.write_batches("UNWIND $rows AS r MERGE (n:Probe {k: r.k}) SET n.batch = r.b, n.pad = r.pad",
                    rows(), batch_size=size, on_batch=ack)
"""


@dataclass
class AckResult:
    acked: int  # batches the writer saw answered
    batch_sizes: dict[int, int]  # batch number -> rows present after restart
    writer_error: str
    restart_s: float

    @property
    def complete_prefix(self) -> int:
        n = 0
        while self.batch_sizes.get(n + 1) is not None:
            n += 1
        return n


def kill_during_acks(data_dir: Path, *, batches: int = 400, size: int = 2000,
                     kill_after: int = 10, timeout_s: float = 120) -> AckResult:
    """kill -9 the server after ``kill_after`` acknowledged batches; count what survived."""
    data_dir.mkdir(parents=True, exist_ok=True)
    EmbeddedServer(data_dir).ensure_running()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir), GRAPH, str(batches),
                               str(size)], env=env_for(data_dir), cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked = 0
    try:
        assert writer.stdout is not None
        deadline = time.monotonic() + timeout_s
        for line in writer.stdout:
            if line.startswith("ACK "):
                acked = int(line.split()[1])
            if acked >= kill_after or time.monotonic() > deadline:
                kill_server(data_dir)
                break
        rest, err = writer.communicate(timeout=60)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    for line in rest.splitlines():  # acks the writer printed between our read and the kill
        if line.startswith("ACK "):
            acked = int(line.split()[1])
    started = time.perf_counter()
    store = open_store(data_dir)
    restart_s = time.perf_counter() - started
    try:
        sizes = {int(r["b"]): int(r["n"]) for r in store.read(
            "MATCH (n:Probe) RETURN n.batch AS b, count(n) AS n")}
    finally:
        store.close()
    err_lines = [line for line in err.splitlines() if line.strip()]
    return AckResult(acked, sizes, err_lines[-1] if err_lines else "", restart_s)


# -- the script -------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patents", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where data dirs go (default: a temp dir, removed afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    args = parser.parse_args(argv)

    from loaders.generate import generate_demo

    work = Path(args.workdir or tempfile.mkdtemp(prefix="pkg-dur-"))
    work.mkdir(parents=True, exist_ok=True)
    dirs: list[Path] = []
    failures = 0
    try:
        demo = work / "demo"
        generate_demo(demo, patents=args.patents, seed=11)
        dirs.append(work / "clean")
        clean, clean_s = clean_counts(dirs[-1], [demo])
        print(f"clean load of {args.patents} patents: {clean_s:.1f} s, "
              f"{sum(clean['nodes'].values())} nodes, "
              f"{sum(clean['relationships'].values())} relationships\n")
        print("| scenario | killed mid-load | seen before kill | recovered | lost | "
              "loader exit / message | re-run | final == clean | duplicates | restart s |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for scenario in ("server", "loader"):
            dirs.append(work / scenario)
            r = kill_mid_load(scenario, dirs[-1], [demo])
            ok = (r.mid_load and not r.lost and r.final == clean and not r.duplicates
                  and r.rerun_rc == 0 and not r.traceback)
            failures += not ok
            print(f"| kill -9 {scenario} | {r.mid_load} | {total(r.seen_before_kill)} | "
                  f"{total(r.recovered)} | {len(r.lost)} | {r.loader_rc}: "
                  f"{r.loader_error[:60]} | {r.rerun_rc} ({r.rerun_s:.1f} s) | "
                  f"{r.final == clean} | {sum(r.duplicates.values())} | {r.restart_s:.2f} |")
        dirs.append(work / "acks")
        a = kill_during_acks(dirs[-1])
        ok = a.complete_prefix in (a.acked, a.acked + 1) and set(a.batch_sizes.values()) <= {2000} \
            and len(a.batch_sizes) == a.complete_prefix
        failures += not ok
        print(f"\nacknowledged batches: {a.acked}; after restart: {len(a.batch_sizes)} batches, "
              f"complete prefix {a.complete_prefix}, sizes {sorted(set(a.batch_sizes.values()))}; "
              f"restart {a.restart_s:.2f} s; writer: {a.writer_error[:80]}")
        print("PASS" if not failures else f"FAIL ({failures} scenario(s))")
    finally:
        for d in dirs:
            if d.exists():
                stop_server(d)
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
