"""Service tests skip without PostgreSQL/Redis, unless TRUECLAIM_REQUIRE_SERVICES=1 (CI)."""

from __future__ import annotations

import pytest

from tests.service_support import REQUIRE_SERVICES_VAR, service_unavailable


def test_unreachable_service_skips_with_the_reason(monkeypatch) -> None:
    monkeypatch.delenv(REQUIRE_SERVICES_VAR, raising=False)
    with pytest.raises(pytest.skip.Exception, match="Redis at x is not reachable: refused"):
        service_unavailable("Redis at x", ConnectionError("refused"))


@pytest.mark.parametrize("value", ["0", ""])
def test_other_values_still_skip(monkeypatch, value: str) -> None:
    monkeypatch.setenv(REQUIRE_SERVICES_VAR, value)
    with pytest.raises(pytest.skip.Exception):
        service_unavailable("PostgreSQL at y", OSError("down"))


def test_unreachable_service_fails_when_services_are_required(monkeypatch) -> None:
    monkeypatch.setenv(REQUIRE_SERVICES_VAR, "1")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL at y is not reachable: down"):
        service_unavailable("PostgreSQL at y", OSError("down"))
