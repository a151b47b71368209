"""The same "Show it" flow on PostgreSQL with a real Celery worker on Redis."""

from __future__ import annotations

import pytest

from tests.api.flow import run_show_it
from tests.integration.celery_worker import REDIS_URL, unique_queue
from tests.service_support import PG_URL, postgres_settings

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_show_it_flow_on_postgres_with_celery_and_redis(
    tmp_path,
    pg_schema,
    images,
    make_api,
    workers,
) -> None:
    queue = unique_queue()
    settings = postgres_settings(
        tmp_path, pg_schema, queue_backend="celery", redis_url=REDIS_URL, celery_queue=queue
    )
    api = make_api(settings)  # migrates the schema before the worker starts
    workers.start(
        {
            "TRUECLAIM_ENVIRONMENT": "test",
            "TRUECLAIM_DATA_DIR": str(settings.data_dir),
            "TRUECLAIM_DATABASE_URL": PG_URL,
            "TRUECLAIM_DATABASE_SCHEMA": pg_schema,
            "TRUECLAIM_REDIS_URL": REDIS_URL,
            "TRUECLAIM_CELERY_QUEUE": queue,
            "TRUECLAIM_ENGINE_OCR": "false",
        }
    )
    try:
        out = run_show_it(api, images)
    except BaseException:
        print(workers.logs())
        raise
    tenant_id = api.client.get("/v1/tenant", headers=api.as_(api.admin_key)).json()["id"]
    assert len(api.runtime.services.repos.reports.list_reports(tenant_id, out["claim_id"])) == 1
