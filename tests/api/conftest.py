"""Fixtures for the HTTP API tests (defined in ``tests/service_support.py`` and
``tests/integration/celery_worker.py``)."""

from tests.integration.celery_worker import workers  # noqa: F401
from tests.service_support import images, make_api, pg_schema  # noqa: F401
