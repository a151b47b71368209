"""Schemathesis against ``/openapi.json``: generated requests never get a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.service_support import sqlite_settings


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory, request):
    """An app on SQLite with an operator admin key, a merchant, an order and a claim to aim at."""
    from tests.service_support import Api, TestClient, bootstrap_tenant, build_runtime, create_app

    settings_ = sqlite_settings(tmp_path_factory.mktemp("fuzz"), max_upload_bytes=200_000)
    runtime = build_runtime(settings_)
    _, admin = bootstrap_tenant(runtime.services, "fuzz", is_operator=True)
    app = create_app(settings_, runtime=runtime)
    client = TestClient(app)
    client.__enter__()
    yield app, Api(client, runtime, admin)
    client.__exit__(None, None, None)
    runtime.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_target):
    app, _ = fuzz_target
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, fuzz_target) -> None:
    _, api = fuzz_target
    response = case.call(headers={"X-API-Key": api.admin_key})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        assert set(response.json()) == {"code", "detail", "fields"}
