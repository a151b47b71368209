"""The full claim flow over HTTP on SQLite with the in-process queue (issue 6, "Show it")."""

from __future__ import annotations

from tests.api.flow import run_show_it
from tests.service_support import sqlite_settings


def test_show_it_flow_on_sqlite_with_in_process_queue(tmp_path, images, make_api) -> None:
    api = make_api(sqlite_settings(tmp_path))
    out = run_show_it(api, images)
    stored = api.runtime.services.repos.reports.list_reports(
        api.client.get("/v1/tenant", headers=api.as_(api.admin_key)).json()["id"], out["claim_id"]
    )
    assert len(stored) == 1
