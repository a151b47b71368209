"""Bad input gets a 4xx with ``{"code", "detail", "fields"}``, and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.flow import create_order, set_up_cast, submit
from tests.service_support import TestClient, postgres_settings, sqlite_settings, wait_for_status
from trueclaim.api.app import create_app
from trueclaim.wiring import build_runtime

MAX_BYTES = 1_000_000


@pytest.fixture
def env(tmp_path, images, make_api):
    api = make_api(sqlite_settings(tmp_path, max_upload_bytes=MAX_BYTES, max_files_per_request=2))
    cast = set_up_cast(api)
    order_id = create_order(api, cast)
    return api, cast, order_id, tmp_path / "data" / "media"


def _blob_count(media: Path) -> int:
    return sum(1 for p in media.rglob("*") if p.is_file()) if media.exists() else 0


def _claim_count(api, cast) -> int:
    return len(api.client.get("/v1/claims", headers=api.as_(cast.admin)).json())


def _post_claim(api, cast, order_id, files, **data):
    form = {
        "order_id": order_id,
        "type": "refund_only",
        "reason": "broken",
        "amount_minor": "100",
        **data,
    }
    return api.client.post("/v1/claims", headers=api.as_(cast.buyer), data=form, files=files)


def _assert_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"code", "detail", "fields"}
    if code:
        assert body["code"] == code
    return body


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        (
            [("files", ("big.jpg", b"\xff\xd8\xff" + b"0" * MAX_BYTES, "image/jpeg"))],
            413,
            "payload_too_large",
        ),
        (
            [("files", ("x.exe", b"MZ\x90\x00", "application/x-msdownload"))],
            415,
            "unsupported_media_type",
        ),
        (
            [("files", ("fake.png", b"this is not a png at all", "image/png"))],
            415,
            "unsupported_media_type",
        ),
        ([("files", ("empty.jpg", b"", "image/jpeg"))], 422, "empty_file"),
        (
            [("files", (f"{i}.jpg", b"\xff\xd8\xff\xe0", "image/jpeg")) for i in range(3)],
            422,
            "too_many_files",
        ),
    ],
    ids=["oversized", "wrong-type", "not-an-image", "empty", "too-many"],
)
def test_rejected_uploads_store_nothing(env, files, status, code) -> None:
    api, cast, order_id, media = env
    before = (_blob_count(media), _claim_count(api, cast))
    body = _assert_error(_post_claim(api, cast, order_id, files), status, code)
    assert body["fields"]
    assert (_blob_count(media), _claim_count(api, cast)) == before


def test_one_bad_file_among_good_ones_stores_nothing(env, images) -> None:
    api, cast, order_id, media = env
    before = _blob_count(media)
    files = [
        ("files", ("ok.png", images.forged, "image/png")),
        ("files", ("bad.png", b"nope", "image/png")),
    ]
    _assert_error(_post_claim(api, cast, order_id, files), 415)
    assert _blob_count(media) == before


def test_declared_body_over_the_limit_is_refused_before_reading(env) -> None:
    api, cast, _, _ = env
    r = api.client.post(
        "/v1/claims", headers={**api.as_(cast.buyer), "Content-Length": str(10**9)}, content=b"x"
    )
    _assert_error(r, 413, "payload_too_large")


def test_unknown_form_field_is_refused(env, images) -> None:
    api, cast, order_id, media = env
    before = _blob_count(media)
    r = _post_claim(
        api, cast, order_id, [("files", ("ok.png", images.forged, "image/png"))], colour="red"
    )
    body = _assert_error(r, 422, "invalid_request")
    assert body["fields"] == {"colour": "unknown field"}
    assert _blob_count(media) == before


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/v1/merchants", {"name": "x", "vip": True}, "vip"),
        ("/v1/merchants", {}, "name"),
        ("/v1/keys", {"role": "superuser", "name": "x"}, "role"),
        (
            "/v1/orders",
            {
                "merchant_id": "m",
                "external_id": "e",
                "buyer_account_id": "b",
                "items": [],
                "amount_minor": 1,
                "currency": "CNY",
            },
            "items",
        ),
        (
            "/v1/orders",
            {
                "merchant_id": "m",
                "external_id": "e",
                "buyer_account_id": "b",
                "items": [{"sku": "s", "title": "t", "quantity": 1, "unit_price_minor": 1}],
                "amount_minor": 1,
                "currency": "CNY",
                "shipped_at": "2026-01-01T00:00:00",
            },
            "shipped_at",
        ),
    ],
)
def test_invalid_json_bodies_name_the_field(env, path, payload, field) -> None:
    api, cast, _, _ = env
    body = _assert_error(
        api.client.post(path, json=payload, headers=api.as_(cast.admin)), 422, "invalid_request"
    )
    assert any(k.startswith(field) for k in body["fields"]), body


def test_authentication_and_roles(env) -> None:
    api, cast, _, _ = env
    _assert_error(api.client.get("/v1/claims"), 401, "unauthenticated")
    _assert_error(
        api.client.get("/v1/claims", headers={"X-API-Key": "tc_wrong"}), 401, "unauthenticated"
    )
    assert (
        api.client.get("/v1/claims", headers={"Authorization": f"Bearer {cast.admin}"}).status_code
        == 200
    )
    _assert_error(
        api.client.post("/v1/merchants", json={"name": "x"}, headers=api.as_(cast.buyer)),
        403,
        "forbidden",
    )
    _assert_error(
        api.client.post("/v1/tenants", json={"name": "x"}, headers=api.as_(cast.reviewer_a)), 403
    )
    _assert_error(api.client.post("/v1/review-queue/next", headers=api.as_(cast.merchant)), 403)


def test_revoked_key_stops_working(env) -> None:
    api, cast, _, _ = env
    secret = api.key(cast.admin, "reviewer")
    keys = api.client.get("/v1/keys", headers=api.as_(cast.admin)).json()
    assert (
        api.client.delete(f"/v1/keys/{keys[-1]['id']}", headers=api.as_(cast.admin)).status_code
        == 200
    )
    _assert_error(api.client.get("/v1/claims", headers=api.as_(secret)), 401)


def test_merchant_key_needs_a_merchant(env) -> None:
    api, cast, _, _ = env
    body = _assert_error(
        api.client.post(
            "/v1/keys", json={"role": "merchant", "name": "m"}, headers=api.as_(cast.admin)
        ),
        422,
        "validation_failed",
    )
    assert "merchant_id" in body["fields"]


def test_reused_idempotency_key_with_another_request_conflicts(env, images) -> None:
    api, cast, order_id, _ = env
    assert submit(api, cast, order_id, images.forged, key="k")[0] == 201
    before = _claim_count(api, cast)
    status, body = submit(api, cast, order_id, images.listing, key="k")
    assert (status, body["code"]) == (409, "conflict")
    assert _claim_count(api, cast) == before


def test_claim_amount_over_the_order_and_unknown_order(env, images) -> None:
    api, cast, order_id, _ = env
    files = [("files", ("ok.png", images.forged, "image/png"))]
    body = _assert_error(
        _post_claim(api, cast, order_id, files, amount_minor="999999"), 422, "validation_failed"
    )
    assert "amount_minor" in body["fields"]
    _assert_error(_post_claim(api, cast, "ord_missing", files), 404, "not_found")


def test_invalid_moves_are_409_and_partial_amounts_are_checked(env, images) -> None:
    api, cast, order_id, _ = env
    _, claim = submit(api, cast, order_id, images.forged)
    wait_for_status(api, claim["id"], cast.admin)
    # Not in review yet: deciding is an invalid transition; appealing too.
    r = api.client.post(
        f"/v1/claims/{claim['id']}/decisions",
        headers=api.as_(cast.reviewer_a),
        json={"outcome": "rejected", "reason_code": "evidence_forged"},
    )
    _assert_error(r, 409, "invalid_transition")
    _assert_error(
        api.client.post(
            f"/v1/claims/{claim['id']}/appeals",
            json={"statement": "x"},
            headers=api.as_(cast.buyer),
        ),
        409,
        "invalid_transition",
    )
    api.client.post(
        f"/v1/claims/{claim['id']}/merchant-responses",
        headers=api.as_(cast.merchant),
        data={"stance": "contest", "kind": "statement", "statement": "no"},
    )
    api.client.post("/v1/review-queue/next", headers=api.as_(cast.reviewer_a))
    r = api.client.post(
        f"/v1/claims/{claim['id']}/decisions",
        headers=api.as_(cast.reviewer_a),
        json={
            "outcome": "partially_approved",
            "reason_code": "partial_damage",
            "approved_amount_minor": 10**9,
        },
    )
    assert "approved_amount_minor" in _assert_error(r, 422, "validation_failed")["fields"]
    r = api.client.post(
        f"/v1/claims/{claim['id']}/decisions",
        headers=api.as_(cast.reviewer_a),
        json={
            "outcome": "partially_approved",
            "reason_code": "partial_damage",
            "approved_amount_minor": 5000,
        },
    )
    assert r.status_code == 201 and r.json()["claim"]["status"] == "partially_approved"


def test_photo_response_without_files_is_refused(env, images) -> None:
    api, cast, order_id, _ = env
    _, claim = submit(api, cast, order_id, images.forged)
    wait_for_status(api, claim["id"], cast.admin)
    r = api.client.post(
        f"/v1/claims/{claim['id']}/merchant-responses",
        headers=api.as_(cast.merchant),
        data={"stance": "contest", "kind": "photos", "statement": "see"},
    )
    assert "files" in _assert_error(r, 422, "validation_failed")["fields"]


def test_a_corrupted_original_is_a_500_integrity_error_not_a_retryable_503(env, images) -> None:
    api, cast, _, media = env
    r = api.client.post(
        "/v1/references",
        headers=api.as_(cast.admin),
        data={"merchant_id": cast.merchant_id, "kind": "listing_photo", "sku": "CAT-1"},
        files={"file": ("listing.jpg", images.listing, "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    ref = r.json()
    (blob,) = media.rglob(ref["sha256"])
    blob.chmod(0o644)
    blob.write_bytes(images.packing)
    body = _assert_error(
        api.client.get(f"/v1/references/{ref['id']}/content", headers=api.as_(cast.admin)),
        500,
        "blob_corrupted",
    )
    assert ref["sha256"] in body["detail"]


def test_a_file_name_the_database_cannot_store_is_refused(env, images) -> None:
    name = "x" * 252 + ".png"
    api, cast, order_id, media = env
    r = _post_claim(api, cast, order_id, [("files", (name, images.forged, "image/png"))])
    _assert_error(r, 422, "invalid_filename")
    assert _blob_count(media) == 0 and _claim_count(api, cast) == 0


@pytest.mark.postgres
def test_text_postgresql_cannot_store_is_a_422_not_a_503(tmp_path, pg_schema, make_api) -> None:
    api = make_api(postgres_settings(tmp_path, pg_schema))
    for name in ("cat\u0000shop", "x" * 199 + "\u0000"):
        r = api.client.post("/v1/merchants", json={"name": name}, headers=api.as_(api.admin_key))
        _assert_error(r, 422, "validation_failed")


def test_an_app_built_from_a_runtime_uses_the_runtime_s_limits(tmp_path) -> None:
    runtime = build_runtime(
        sqlite_settings(tmp_path, max_upload_bytes=1000, max_files_per_request=1)
    )
    try:
        with TestClient(create_app(runtime=runtime)) as client:
            too_big = str(1000 + 2 * 1024 * 1024)
            r = client.post("/v1/claims", headers={"Content-Length": too_big}, content=b"x")
            _assert_error(r, 413, "payload_too_large")
    finally:
        runtime.close()
