"""A worker killed mid-job: the job is redelivered, and the claim gets exactly one report.

The first worker runs with TRUECLAIM_JOB_PAUSE_S (a settings test hook): it computes the report,
then sleeps before saving it. The test SIGKILLs it there. Celery acknowledges late, so Redis
still holds the message; after the visibility timeout a new worker gets it and finishes.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.api.flow import create_order, set_up_cast, submit
from tests.integration.celery_worker import REDIS_URL, unique_queue
from tests.service_support import PG_URL, TRANSIENT, postgres_settings
from trueclaim.adapters.sql import tables

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _job_attempts(api, claim_id: str) -> int:
    with api.runtime.engine.connect() as c:
        rows = c.execute(
            select(tables.jobs.c.attempts).where(tables.jobs.c.claim_id == claim_id)
        ).all()
    return sum(r.attempts for r in rows)


def _wait(predicate, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_killed_worker_job_is_redelivered_and_reported_once(
    tmp_path,
    pg_schema,
    images,
    make_api,
    workers,
) -> None:
    queue = unique_queue()
    settings = postgres_settings(
        tmp_path,
        pg_schema,
        queue_backend="celery",
        redis_url=REDIS_URL,
        celery_queue=queue,
        celery_visibility_timeout_s=3,
    )
    api = make_api(settings)
    env = {
        "TRUECLAIM_ENVIRONMENT": "test",
        "TRUECLAIM_DATA_DIR": str(settings.data_dir),
        "TRUECLAIM_DATABASE_URL": PG_URL,
        "TRUECLAIM_DATABASE_SCHEMA": pg_schema,
        "TRUECLAIM_REDIS_URL": REDIS_URL,
        "TRUECLAIM_CELERY_QUEUE": queue,
        "TRUECLAIM_ENGINE_OCR": "false",
        "TRUECLAIM_CELERY_VISIBILITY_TIMEOUT_S": "3",
    }
    first = workers.start({**env, "TRUECLAIM_JOB_PAUSE_S": "120"})
    cast = set_up_cast(api)
    order_id = create_order(api, cast)
    r = api.client.post(
        "/v1/references",
        headers=api.as_(cast.merchant),
        data={"merchant_id": cast.merchant_id, "kind": "listing_photo", "sku": "CAT-1"},
        files={"file": ("listing.jpg", images.listing, "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    code, claim = submit(api, cast, order_id, images.forged)
    assert code == 201, claim
    claim_id = claim["id"]

    try:
        _wait(lambda: _job_attempts(api, claim_id) >= 1, "the first worker to start the job")
        time.sleep(2.0)  # the engine runs (about a second), then the hook sleeps before saving
        workers.kill(first)
        assert api.runtime.services.repos.reports.list_reports(_tenant(api), claim_id) == []

        workers.start(env)
        _wait(
            lambda: _claim_status(api, cast, claim_id) not in TRANSIENT,
            "a new worker to finish the job",
            90,
        )
    except BaseException:
        print(workers.logs())
        raise

    assert _claim_status(api, cast, claim_id) == "awaiting_merchant"
    assert len(api.runtime.services.repos.reports.list_reports(_tenant(api), claim_id)) == 1
    assert _job_attempts(api, claim_id) >= 2
    kinds = [
        e["kind"]
        for e in api.client.get(
            f"/v1/claims/{claim_id}/events", headers=api.as_(cast.merchant)
        ).json()["events"]
    ]
    assert kinds.count("report.created") == 1


def _tenant(api) -> str:
    return str(api.client.get("/v1/tenant", headers=api.as_(api.admin_key)).json()["id"])


def _claim_status(api, cast, claim_id: str) -> str:
    return str(
        api.client.get(f"/v1/claims/{claim_id}", headers=api.as_(cast.merchant)).json()["status"]
    )
