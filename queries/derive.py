"""Derived knowledge computed after each load: value scores and tiers, clusters, fit edges."""

from __future__ import annotations

from typing import Any

from graph.store import Store


def refresh(store: Store) -> dict[str, Any]:
    """Recompute every derived property and edge from the loaded graph (idempotent)."""
    # Placeholder while the full computation is built: works on any graph, writes nothing.
    return {"patents_scored": 0, "clusters": 0, "fits": 0, "co_applied": 0}
