"""The issue's "Show it" flow over HTTP, shared by the SQLite and the PostgreSQL + Celery runs."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from tests.service_support import Api, Images, wait_for_status
from trueclaim.domain.bundle import verify_bundle


@dataclass
class Cast:
    admin: str
    merchant_id: str
    merchant: str
    buyer: str
    reviewer_a: str
    reviewer_b: str


def set_up_cast(api: Api) -> Cast:
    h = api.as_(api.admin_key)
    r = api.client.post("/v1/merchants", json={"name": "Cat Shop"}, headers=h)
    assert r.status_code == 201, r.text
    merchant_id = r.json()["id"]
    return Cast(
        admin=api.admin_key,
        merchant_id=merchant_id,
        merchant=api.key(api.admin_key, "merchant", merchant_id),
        buyer=api.key(api.admin_key, "buyer_channel"),
        reviewer_a=api.key(api.admin_key, "reviewer"),
        reviewer_b=api.key(api.admin_key, "reviewer"),
    )


def create_order(api: Api, cast: Cast, external_id: str = "T-1001") -> str:
    r = api.client.post(
        "/v1/orders",
        headers=api.as_(cast.admin),
        json={
            "merchant_id": cast.merchant_id,
            "external_id": external_id,
            "buyer_account_id": "buyer-42",
            "items": [
                {"sku": "CAT-1", "title": "ceramic cat", "quantity": 1, "unit_price_minor": 29900}
            ],
            "amount_minor": 29900,
            "currency": "CNY",
            "shipped_at": "2026-11-01T10:00:00+08:00",
            "delivered_at": "2026-11-03T10:00:00+08:00",
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def submit(
    api: Api, cast: Cast, order_id: str, photo: bytes, *, key: str = "idem-1"
) -> tuple[int, dict]:
    r = api.client.post(
        "/v1/claims",
        headers={**api.as_(cast.buyer), "Idempotency-Key": key},
        data={
            "order_id": order_id,
            "type": "refund_only",
            "reason": "arrived cracked",
            "amount_minor": "29900",
            "statement": "It was broken when I opened the box.",
        },
        files=[("files", ("crack.png", photo, "image/png"))],
    )
    return r.status_code, r.json()


def run_show_it(api: Api, images: Images) -> dict[str, object]:
    """Listing photos in, forged claim, flagged, merchant contests, review, appeal, export."""
    cast = set_up_cast(api)
    c = api.client
    order_id = create_order(api, cast)

    # The merchant uploads its listing photo for the SKU.
    r = c.post(
        "/v1/references",
        headers=api.as_(cast.merchant),
        data={"merchant_id": cast.merchant_id, "kind": "listing_photo", "sku": "CAT-1"},
        files={"file": ("listing.jpg", images.listing, "image/jpeg")},
    )
    assert r.status_code == 201, r.text

    # The buyer channel submits the forged photo; a retry with the same key is a replay.
    code, claim = submit(api, cast, order_id, images.forged)
    assert code == 201, claim
    code, again = submit(api, cast, order_id, images.forged)
    assert (code, again["id"]) == (200, claim["id"])
    claim_id = claim["id"]

    # The engine flags it; the hard rules keep it from auto-approval; the merchant answers first.
    routed = wait_for_status(api, claim_id, cast.merchant)
    assert routed["status"] == "awaiting_merchant", routed
    # The TC260 label makes this independent of how far the image detectors have come; the
    # derivation detector also finds the painted listing photo (derived-*), not asserted here.
    assert "ai-label-found" in routed["routing_reasons"]
    report = c.get(f"/v1/claims/{claim_id}/report", headers=api.as_(cast.merchant)).json()
    codes = {f["code"] for f in report["report"]["findings"]}
    assert "tc260-aigc-label" in codes
    assert "tc260-aigc-label" in report["routing_signals"]["ai_label_codes"]
    html = c.get(f"/v1/claims/{claim_id}/report.html", headers=api.as_(cast.merchant))
    assert html.status_code == 200 and "<html" in html.text

    # The merchant contests with a packing photo.
    r = c.post(
        f"/v1/claims/{claim_id}/merchant-responses",
        headers=api.as_(cast.merchant),
        data={"stance": "contest", "kind": "photos", "statement": "Packed intact, see photo."},
        files=[("files", ("packing.jpg", images.packing, "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    assert r.json()["claim"]["status"] == "in_review"

    # Reviewer A pulls it; reviewer B finds nothing (no double assignment) and may not decide.
    r = c.post("/v1/review-queue/next", headers=api.as_(cast.reviewer_a))
    assert r.status_code == 200 and r.json()["id"] == claim_id
    assert c.post("/v1/review-queue/next", headers=api.as_(cast.reviewer_b)).status_code == 204
    body = {
        "outcome": "rejected",
        "reason_code": "evidence_forged",
        "note": "Listing photo with a painted crack; TC260 AI label present.",
    }
    assert (
        c.post(
            f"/v1/claims/{claim_id}/decisions", json=body, headers=api.as_(cast.reviewer_b)
        ).status_code
        == 403
    )
    r = c.post(f"/v1/claims/{claim_id}/decisions", json=body, headers=api.as_(cast.reviewer_a))
    assert r.status_code == 201, r.text
    assert r.json()["claim"]["status"] == "rejected"

    # The buyer appeals; reviewer A is excluded, reviewer B decides, and that decision is final.
    r = c.post(
        f"/v1/claims/{claim_id}/appeals",
        json={"statement": "The crack is real."},
        headers=api.as_(cast.buyer),
    )
    assert r.status_code == 201, r.text
    assert r.json()["claim"]["status"] == "in_review"
    assert c.post("/v1/review-queue/next", headers=api.as_(cast.reviewer_a)).status_code == 204
    r = c.post("/v1/review-queue/next", headers=api.as_(cast.reviewer_b))
    assert r.status_code == 200 and r.json()["id"] == claim_id
    r = c.post(
        f"/v1/claims/{claim_id}/decisions",
        headers=api.as_(cast.reviewer_b),
        json={"outcome": "rejected", "reason_code": "evidence_ai_generated", "note": "Upheld."},
    )
    assert r.status_code == 201, r.text
    r = c.post(
        f"/v1/claims/{claim_id}/appeals", json={"statement": "again"}, headers=api.as_(cast.buyer)
    )
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"

    # The event log is an intact chain, and the export bundle verifies.
    events = c.get(f"/v1/claims/{claim_id}/events", headers=api.as_(cast.merchant)).json()
    assert events["chain_valid"], events["breaks"]
    kinds = [e["kind"] for e in events["events"]]
    for kind in (
        "claim.submitted",
        "evidence.uploaded",
        "report.created",
        "merchant.responded",
        "review.assigned",
        "decision.recorded",
        "appeal.filed",
    ):
        assert kind in kinds
    assert kinds.count("report.created") == 1
    r = c.get(f"/v1/claims/{claim_id}/export", headers=api.as_(cast.merchant))
    assert r.status_code == 200
    assert verify_bundle(r.content) == []
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert {"manifest.json", "report.json", "report.html", "events.json"} <= set(names)
    assert sum(n.startswith("originals/evidence/") for n in names) == 2  # forged photo + packing
    return {"claim_id": claim_id, "bundle": r.content, "cast": cast}
