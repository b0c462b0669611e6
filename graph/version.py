"""The data version: one small node that every load and every derive.refresh bumps.

Every process that answers from the graph (API workers, the CLI) reads it to know whether what
it cached is still current; the token is random so that a graph cleared and loaded again never
repeats an earlier version. Plain Cypher that runs unchanged on FalkorDB and Neo4j."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graph.schema import DATA_VERSION

_LABEL = DATA_VERSION.label
_NAME = "graph"  # the one DataVersion node's key

READ_VERSION = (f"MATCH (v:{_LABEL}) RETURN v.serial AS serial, v.token AS token, "
                "v.updated_at AS updated_at, v.loaded_at AS loaded_at, v.source AS source, "
                "v.tier_rules_version AS tier_rules_version LIMIT 1")
BUMP_VERSION = (f"MERGE (v:{_LABEL} {{name: $name}}) "
                "SET v.serial = coalesce(v.serial, 0) + 1, v.token = $token, "
                "v.updated_at = $now, v.source = $source, "
                "v.loaded_at = CASE WHEN $is_load THEN $now ELSE v.loaded_at END")
SET_RULES_VERSION = f"MERGE (v:{_LABEL} {{name: $name}}) SET v.tier_rules_version = $rules"
HAS_DATA = "MATCH (n) RETURN 1 AS one LIMIT 1"

# Bumps made by this process: a reader in the same process sees its own writes at once,
# without waiting for its cached copy of the version to expire.
_local = {"bumps": 0}
_local_lock = threading.Lock()


@dataclass(frozen=True)
class DataVersion:
    """What the marker says; ``token`` is None when the graph carries no marker yet."""

    serial: int = 0
    token: str | None = None
    updated_at: str | None = None
    loaded_at: str | None = None
    source: str | None = None
    tier_rules_version: str | None = None  # the tier rules of the last derive.refresh


def read_version(store: Any) -> DataVersion:
    """The graph's current data version (one read of a one-node label)."""
    rows = store.read(READ_VERSION)
    if not rows:
        return DataVersion()
    r = rows[0]
    return DataVersion(serial=int(r.get("serial") or 0), token=r.get("token"),
                       updated_at=r.get("updated_at"), loaded_at=r.get("loaded_at"),
                       source=r.get("source"), tier_rules_version=r.get("tier_rules_version"))


def bump_version(store: Any, *, source: str, tier_rules_version: str | None = None
                 ) -> DataVersion | None:
    """Mark the graph's data as changed (``source``: load | refresh); an empty graph gets no
    marker, so that clearing a graph and deriving nothing leaves it empty. A refresh records
    the version of the tier rules it scored every patent with (``tier_rules_version``, kept
    by later loads)."""
    if not store.read(HAS_DATA):
        local_bumps_inc()
        return None
    if tier_rules_version is not None:  # before the bump: a reader of the new token sees it
        store.write(SET_RULES_VERSION, {"name": _NAME, "rules": tier_rules_version})
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    store.write(BUMP_VERSION, {"name": _NAME, "token": secrets.token_hex(8), "now": now,
                               "source": source, "is_load": source == "load"})
    local_bumps_inc()
    return read_version(store)


def local_bumps_inc() -> None:
    with _local_lock:
        _local["bumps"] += 1


def local_bumps() -> int:
    """How many bumps this process has made (readers compare it to skip their cache)."""
    return _local["bumps"]
