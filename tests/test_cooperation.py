"""§11 industry_academia_network's filters against co-applications counted with pandas.

The small data set of test_derive (applicants per patent, no inventors: every pair's linked
patents are its co-applied ones); the expected pairs are counted from its tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import fresh_falkor_store
from test_derive import ENTERPRISES, expected_co_applied, make_tables, write_tables

from queries import cooperation
from queries.catalogue import ask
from queries.derive import refresh
from queries.search import keys_named_like

# one name with Latin letters: the enterprise filter is case-sensitive, the name index is not
RENAMED = {"E6": "示例企业6 ABC有限公司"}


@pytest.fixture(scope="module")
def coop(falkor_server) -> Iterator[tuple]:
    store = fresh_falkor_store(falkor_server, prefix="coop")
    tables = make_tables()
    write_tables(store, tables)
    for key, name in RENAMED.items():
        store.write("MATCH (e:Enterprise {org_key: $k}) SET e.name = $n", {"k": key, "n": name})
    refresh(store)
    yield store, tables
    store.clear()
    store.close()


def _expected(tables, enterprise: str, institute: str | None, min_patents: int) -> list:
    """(institute, enterprise, co-applied patents) in the question's order."""
    names = {**dict(zip(ENTERPRISES.org_key, ENTERPRISES.name, strict=True)), **RENAMED}
    pairs = [(i, e, n) for (i, e), n in expected_co_applied(tables).items()
             if (enterprise in names[e] or e == enterprise)
             and (institute is None or i == institute) and n >= min_patents]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


@pytest.mark.parametrize("enterprise,institute,min_patents", [
    ("示例企业3有限公司", None, 1), ("企业7", None, 1), ("E2", None, 1), ("示例企业", None, 1),
    ("示例企业", None, 2), ("有限公司", "I1", 1), ("ABC", None, 1), ("abc", None, 1),
    ("不存在的企业", None, 1)])
def test_enterprise_filter_equals_pandas(coop, monkeypatch, enterprise, institute,
                                         min_patents) -> None:
    store, tables = coop
    assert keys_named_like(store, "Enterprise", enterprise) is not None  # the names are kept
    params = {"enterprise": enterprise, "institute": institute, "min_patents": min_patents}
    rows = ask(store, "industry_academia_network", params, limit=1000).rows
    expected = _expected(tables, enterprise, institute, min_patents)
    assert bool(expected) == (enterprise not in ("abc", "不存在的企业"))
    assert [(r["org_key"], r["partner_org_key"], r["co_applied"]) for r in rows] == expected
    assert all(r["linked_patents"] == r["co_applied"] and r["reasons"] for r in rows)
    paged = [r for off in range(0, len(rows), 2) for r in ask(
        store, "industry_academia_network", params, limit=2, offset=off).rows]
    assert paged == rows
    # the same rows as scanning every stored pair (the read without the name index)
    monkeypatch.setattr(cooperation, "keys_named_like", lambda *a: None)
    assert ask(store, "industry_academia_network", params, limit=1000).rows == rows


def test_name_index_refuses_what_it_cannot_answer(coop) -> None:
    store, _tables = coop
    assert keys_named_like(store, "Enterprise", "") is None
    assert keys_named_like(store, "Enterprise", "\u03a3A") is None  # capital sigma
    assert keys_named_like(store, "Enterprise", "abc") == ["E6"]  # any letter case
