"""Schemathesis against the app's own OpenAPI schema (in-process ASGI, bounded).

Every documented operation gets generated requests, valid and invalid; the checks are
schemathesis' defaults (no 5xx, status codes, content types, headers and bodies as documented,
invalid keys refused) except the positive-data check (see below).
The store is the read-only demo graph, so the one writing route (POST /api/load) is left out
here; tests/test_api.py covers it.

The schema is loaded eagerly from the app object (``from_dict`` + ``app``), and the demo store
is attached by a fixture before the first request: `schemathesis.pytest.from_fixture` does not
work with pytest 9 (it sets the removed ``Node._nodeid``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.settings import ApiSettings, AppSettings
from patentkg.config import load_settings

pytestmark = pytest.mark.slow

ADMIN_KEY = "schemathesis-admin"
APP = create_app(AppSettings(core=load_settings({"PATENTKG_DATA_DIR": "/nonexistent"}),
                             api=ApiSettings(api_keys=f"{ADMIN_KEY}:admin,other:read")))
schema = schemathesis.openapi.from_dict(APP.openapi()).exclude(method="POST", path="/api/load")
schema.app = APP


@pytest.fixture(scope="module", autouse=True)
def attach_demo_store(demo_store: Any) -> Iterator[None]:
    APP.state.store = demo_store
    yield
    APP.state.store = None


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any) -> None:
    # Schema-valid is not always data-valid: a park or institute name that names nothing is
    # a 400 naming the parameter, which the positive-data check would call a rejection.
    response = case.call_and_validate(
        headers={"X-API-Key": ADMIN_KEY}, timeout=120,
        excluded_checks=[schemathesis.checks.positive_data_acceptance])
    assert response.status_code < 500, response.text
