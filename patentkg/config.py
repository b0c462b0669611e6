"""Settings from the environment; nothing is read or created at import time."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("patentkg", appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    graph_name: str = "patentkg"
    falkordb_port: int | None = None  # None: a unix socket in the data dir
    falkordb_maxmemory: str | None = None  # embedded server's memory limit, Redis units ("4gb")
    falkordb_url: str | None = None  # an external FalkorDB/redis URL instead of the embedded one
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str | None = None
    query_timeout_ms: int = 30_000

    @property
    def backend(self) -> str:
        return "neo4j" if self.neo4j_uri else "falkordb"


def _int_env(env: dict[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    from patentkg.errors import ConfigError

    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"环境变量 {name} 应为整数，实际为 {raw!r}",
                          f"{name} must be an integer, got {raw!r}",
                          hint=f"unset {name} or set it to a number") from None


_MEMORY = re.compile(r"^[1-9][0-9]*(b|k|kb|m|mb|g|gb)?$", re.IGNORECASE)


def _memory_env(env: dict[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not _MEMORY.match(raw):
        from patentkg.errors import ConfigError

        raise ConfigError(f"环境变量 {name} 应为内存大小（如 4gb、512mb），实际为 {raw!r}",
                          f"{name} must be a memory size such as 4gb or 512mb, got {raw!r}",
                          hint=f"unset {name} or set it like 4gb")
    return raw.lower()


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read PATENTKG_* variables (see README, 'Configuration')."""
    env = dict(os.environ if env is None else env)
    kwargs: dict = {}
    if env.get("PATENTKG_DATA_DIR"):
        kwargs["data_dir"] = Path(env["PATENTKG_DATA_DIR"]).expanduser()
    if env.get("PATENTKG_GRAPH"):
        kwargs["graph_name"] = env["PATENTKG_GRAPH"]
    kwargs["falkordb_port"] = _int_env(env, "PATENTKG_FALKORDB_PORT")
    kwargs["falkordb_maxmemory"] = _memory_env(env, "PATENTKG_FALKORDB_MAXMEMORY")
    kwargs["falkordb_url"] = env.get("PATENTKG_FALKORDB_URL") or None
    kwargs["neo4j_uri"] = env.get("PATENTKG_NEO4J_URI") or None
    if env.get("PATENTKG_NEO4J_USER"):
        kwargs["neo4j_user"] = env["PATENTKG_NEO4J_USER"]
    kwargs["neo4j_password"] = env.get("PATENTKG_NEO4J_PASSWORD", "")
    kwargs["neo4j_database"] = env.get("PATENTKG_NEO4J_DATABASE") or None
    timeout = _int_env(env, "PATENTKG_QUERY_TIMEOUT_MS")
    if timeout is not None:
        kwargs["query_timeout_ms"] = timeout
    return Settings(**kwargs)
