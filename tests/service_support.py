"""Shared pieces of the service tests: images, apps on SQLite or PostgreSQL, API keys.

Fixtures here are imported by name where they are used (tests/api/conftest.py, integration
tests), since conftest fixtures do not cross folders.
"""

from __future__ import annotations

import io
import os
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from skimage import data
from skimage.draw import line
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # starlette 1.10 asks for httpx2, which is not among the pinned dependencies; the pinned
    # httpx works the same for the test client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from trueclaim.api.app import create_app
from trueclaim.domain.services.tenants import bootstrap_tenant
from trueclaim.settings import Settings
from trueclaim.wiring import Runtime, build_runtime

PG_URL = os.environ.get("TRUECLAIM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TRUECLAIM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES_VAR = "TRUECLAIM_REQUIRE_SERVICES"


def service_unavailable(what: str, exc: BaseException) -> NoReturn:
    """A test needs PostgreSQL or Redis and cannot reach it: skip with the reason (a developer
    without the services), or fail when ``TRUECLAIM_REQUIRE_SERVICES=1`` (CI, where a skipped
    service test would hide that the service tests never ran)."""
    reason = f"{what} is not reachable: {exc}"
    if os.environ.get(REQUIRE_SERVICES_VAR) == "1":
        pytest.fail(
            f"{reason}. {REQUIRE_SERVICES_VAR}=1 requires the services: start them "
            f"(.ci/run shows how) or unset {REQUIRE_SERVICES_VAR} to skip these tests.",
            pytrace=False,
        )
    pytest.skip(f"{reason} (with {REQUIRE_SERVICES_VAR}=1 this fails instead)")


# A TC260 implicit label as Doubao writes it (docs: shared ai-labels.md §1.3).
TC260_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
    "<TC260:AIGC>{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;:&quot;"
    "001191110102MACQD9K64010000&quot;,&quot;ProduceID&quot;:&quot;cc75f5e99aae4210960acb722f10974e"
    "&quot;,&quot;ReservedCode1&quot;:&quot;&quot;,&quot;ContentPropagator&quot;:&quot;&quot;,"
    "&quot;PropagateID&quot;:&quot;&quot;,&quot;ReservedCode2&quot;:&quot;&quot;}</TC260:AIGC>"
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@dataclass(frozen=True)
class Images:
    listing: bytes  # the merchant's listing photo (a real photo)
    forged: bytes  # the listing photo with a crack painted in, recompressed, AI-labelled PNG
    packing: bytes  # the merchant's packing photo


@pytest.fixture(scope="session")
def images() -> Images:
    photo = np.ascontiguousarray(data.chelsea())
    cracked = photo.copy()
    for dx in range(3):
        rr, cc = line(60, 120 + dx, 220, 260 + dx)
        cracked[rr, cc] = (20, 15, 10)
    recompressed = np.asarray(Image.open(io.BytesIO(jpeg(cracked, 85))).convert("RGB"))
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", TC260_XMP)
    buf = io.BytesIO()
    Image.fromarray(recompressed).save(buf, format="PNG", pnginfo=info)
    packing = np.ascontiguousarray(data.astronaut())
    return Images(listing=jpeg(photo), forged=buf.getvalue(), packing=jpeg(packing))


def sqlite_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        engine_ocr=False,
        job_retry_backoff_s=0.1,
        **overrides,
    )


def postgres_settings(tmp_path: Path, schema: str, **overrides: Any) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=PG_URL,
        database_schema=schema,
        engine_ocr=False,
        job_retry_backoff_s=0.1,
        **overrides,
    )


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards, so reruns start clean."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from trueclaim.adapters.sql import normalize_database_url

    schema = f"tc_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(normalize_database_url(PG_URL))
    try:
        with engine.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        engine.dispose()
        service_unavailable(f"PostgreSQL at {PG_URL}", exc)
    yield schema
    with engine.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@dataclass
class Api:
    """A running app, its runtime and the operator tenant's admin key."""

    client: TestClient
    runtime: Runtime
    admin_key: str

    def as_(self, key: str) -> dict[str, str]:
        return {"X-API-Key": key}

    def key(self, admin: str, role: str, merchant_id: str | None = None) -> str:
        body = {"role": role, "name": f"{role} key"}
        if merchant_id:
            body["merchant_id"] = merchant_id
        r = self.client.post("/v1/keys", json=body, headers=self.as_(admin))
        assert r.status_code == 201, r.text
        return str(r.json()["secret"])


@pytest.fixture
def make_api() -> Iterator[Callable[[Settings], Api]]:
    opened: list[tuple[TestClient, Runtime]] = []

    def _make(settings: Settings) -> Api:
        runtime = build_runtime(settings)
        _, admin = bootstrap_tenant(runtime.services, "operator platform", is_operator=True)
        client = TestClient(create_app(settings, runtime=runtime))
        client.__enter__()
        opened.append((client, runtime))
        return Api(client, runtime, admin)

    yield _make
    for client, runtime in opened:
        client.__exit__(None, None, None)
        runtime.close()


TRANSIENT = ("submitted", "verifying", "routed")


def wait_for_status(
    api: Api,
    claim_id: str,
    key: str,
    *,
    leave: tuple[str, ...] = TRANSIENT,
    timeout_s: float = 90.0,
) -> dict[str, object]:
    """Poll the claim until its status is none of ``leave`` (by default: until it is routed on)."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = api.client.get(f"/v1/claims/{claim_id}", headers=api.as_(key))
        assert r.status_code == 200, r.text
        body: dict[str, object] = r.json()
        if body["status"] not in leave:
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"claim {claim_id} still {body['status']!r} after {timeout_s} s")
        time.sleep(0.1)
