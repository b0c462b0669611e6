"""Contract: every catalogue question runs on every configured store and explains its rows.

On FalkorDB always; on Neo4j too when PATENTKG_NEO4J_URI is set, and then the two stores must
give the same answers for the same files (the same Cypher runs on both engines)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.store import Store
from queries import catalogue

PATENTS = 300


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from loaders.generate import generate_demo

    out = tmp_path_factory.mktemp("contract-demo")
    generate_demo(out, patents=PATENTS, seed=11)
    return out


def _load(store: Store, files: Path) -> Store:
    from loaders.pipeline import load_paths
    from queries.derive import refresh

    report = load_paths(store, [files])
    assert report.rejected_rows == 0, report.summary()
    refresh(store)
    return store


def sample_params(store: Store) -> dict[str, dict[str, Any]]:
    """Parameters for the questions that need some, picked from the loaded graph."""
    park = store.read("MATCH (p:Park)<-[:LOCATED_IN]-(:Enterprise) "
                      "RETURN p.name AS name ORDER BY name LIMIT 1")[0]["name"]
    link = store.read("MATCH (p:Patent)-[:APPLIED_BY]->(e:Enterprise) "
                      "RETURN p.app_no AS app_no, e.org_key AS org_key "
                      "ORDER BY app_no, org_key LIMIT 1")[0]
    ipc = store.read("MATCH (p:Patent) WHERE p.ipc_main IS NOT NULL "
                     "RETURN p.ipc_main AS ipc ORDER BY p.app_no LIMIT 1")[0]["ipc"]
    return {
        "patent_enterprise_match": {"tier": "A"},
        "park_push_list": {"park": park},
        "park_cluster_fit": {"park": park},
        "pre_application_assessment": {"title": "一种电网故障检测方法", "ipc_codes": [ipc]},
        "relation_path": {"from_label": "Patent", "from_key": link["app_no"],
                          "to_label": "Enterprise", "to_key": link["org_key"]},
        "entity_neighbourhood": {"label": "Enterprise", "key": link["org_key"]},
    }


def all_answers(store: Store) -> dict[str, list[dict]]:
    params = sample_params(store)
    return {name: catalogue.ask(store, name, params.get(name, {}), limit=200).rows
            for name in catalogue.load_all()}


def _neo4j_or_skip() -> Iterator[Store]:
    if not os.environ.get("PATENTKG_NEO4J_URI"):
        pytest.skip("PATENTKG_NEO4J_URI not set")
    from tests.conftest import _neo4j_store

    store = _neo4j_store()
    try:
        yield store
    finally:
        store.clear()
        store.close()


@pytest.fixture(scope="module")
def falkor_answers(falkor_server, small_demo: Path) -> dict[str, list[dict]]:
    from tests.conftest import fresh_falkor_store

    store = _load(fresh_falkor_store(falkor_server, prefix="contract"), small_demo)
    try:
        return all_answers(store)
    finally:
        store.clear()
        store.close()


def test_every_question_answers_with_reasons_on_falkordb(falkor_answers) -> None:
    assert set(falkor_answers) == set(catalogue.load_all())
    answered = {name for name, rows in falkor_answers.items() if rows}
    # A small demo still exercises most questions; an empty answer must be a real empty.
    assert len(answered) >= len(falkor_answers) - 4, sorted(set(falkor_answers) - answered)
    for name, rows in falkor_answers.items():
        for row in rows:
            assert row.get("reasons"), f"{name}: a row without reasons: {row}"
            assert all(isinstance(r, str) and r for r in row["reasons"]), name


def _comparable(rows: list[dict]) -> list[str]:
    return [repr(sorted((k, repr(v)) for k, v in row.items() if not isinstance(v, float)))
            for row in rows]


@pytest.mark.neo4j
def test_neo4j_gives_the_same_answers(falkor_answers, small_demo: Path) -> None:
    for store in _neo4j_or_skip():
        neo4j_answers = all_answers(_load(store, small_demo))
        for name, rows in falkor_answers.items():
            assert _comparable(neo4j_answers[name]) == _comparable(rows), name
