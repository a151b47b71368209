"""Fixtures for the HTTP API tests (defined in ``tests/service_support.py``)."""

from tests.service_support import images, make_api, pg_schema  # noqa: F401
