"""Tenant isolation: every route with an id answers 404 to another tenant (and to another
merchant of the same tenant), and list routes never show another tenant's data."""

from __future__ import annotations

import pytest

from tests.api.flow import create_order, set_up_cast, submit
from tests.service_support import sqlite_settings, wait_for_status


@pytest.fixture(scope="module")
def world(tmp_path_factory, images):
    """Tenant A with a claim through review; tenant B (and merchant M2 of A) as intruders."""
    from tests.service_support import Api, TestClient, bootstrap_tenant, build_runtime, create_app

    settings = sqlite_settings(tmp_path_factory.mktemp("iso"))
    runtime = build_runtime(settings)
    _, admin = bootstrap_tenant(runtime.services, "A", is_operator=True)
    client = TestClient(create_app(settings, runtime=runtime))
    client.__enter__()
    api = Api(client, runtime, admin)
    a = set_up_cast(api)
    order_id = create_order(api, a)
    ref = client.post(
        "/v1/references",
        headers=api.as_(a.merchant),
        data={"merchant_id": a.merchant_id, "kind": "listing_photo", "sku": "CAT-1"},
        files={"file": ("l.jpg", images.listing, "image/jpeg")},
    ).json()
    _, claim = submit(api, a, order_id, images.forged)
    wait_for_status(api, claim["id"], a.merchant)
    evidence = client.get(f"/v1/claims/{claim['id']}/evidence", headers=api.as_(a.merchant)).json()

    r = client.post("/v1/tenants", json={"name": "B"}, headers=api.as_(admin))
    assert r.status_code == 201, r.text
    b_admin = r.json()["admin_key"]
    b_api = Api(client, runtime, b_admin)
    b = set_up_cast(b_api)
    m2 = client.post("/v1/merchants", json={"name": "M2"}, headers=api.as_(admin)).json()["id"]
    yield {
        "api": api,
        "a": a,
        "b": b,
        "m2_key": api.key(admin, "merchant", m2),
        "ids": {
            "claim_id": claim["id"],
            "order_id": order_id,
            "reference_id": ref["id"],
            "merchant_id": a.merchant_id,
            "evidence_id": evidence[0]["id"],
            "key_id": client.get("/v1/keys", headers=api.as_(admin)).json()[1]["id"],
        },
        "images": images,
    }
    client.__exit__(None, None, None)
    runtime.close()


# (method, path, role used by the intruder, request kwargs builder)
ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/v1/merchants/{merchant_id}", "admin"),
    ("PATCH", "/v1/merchants/{merchant_id}", "admin"),
    ("DELETE", "/v1/keys/{key_id}", "admin"),
    ("GET", "/v1/orders/{order_id}", "admin"),
    ("GET", "/v1/references/{reference_id}", "admin"),
    ("GET", "/v1/references/{reference_id}/content", "admin"),
    ("GET", "/v1/claims/{claim_id}", "admin"),
    ("POST", "/v1/claims/{claim_id}/evidence", "buyer"),
    ("GET", "/v1/claims/{claim_id}/evidence", "admin"),
    ("GET", "/v1/claims/{claim_id}/evidence/{evidence_id}/content", "admin"),
    ("GET", "/v1/claims/{claim_id}/report", "admin"),
    ("GET", "/v1/claims/{claim_id}/report.html", "admin"),
    ("GET", "/v1/claims/{claim_id}/jobs", "admin"),
    ("POST", "/v1/claims/{claim_id}/merchant-responses", "merchant"),
    ("GET", "/v1/claims/{claim_id}/merchant-responses", "admin"),
    ("POST", "/v1/claims/{claim_id}/decisions", "reviewer"),
    ("GET", "/v1/claims/{claim_id}/decisions", "admin"),
    ("POST", "/v1/claims/{claim_id}/appeals", "buyer"),
    ("GET", "/v1/claims/{claim_id}/appeals", "admin"),
    ("GET", "/v1/claims/{claim_id}/events", "admin"),
    ("GET", "/v1/claims/{claim_id}/export", "admin"),
]
# Routes with an id that belong to the merchant: another merchant of the same tenant gets 404.
MERCHANT_ROUTES = [
    r
    for r in ROUTES
    if "{merchant_id}" in r[1]
    or "{order_id}" in r[1]
    or "{reference_id}" in r[1]
    or "{claim_id}" in r[1]
]


def _request(world, method: str, path: str, key: str):
    api = world["api"]
    url = path.format(**world["ids"])
    kwargs: dict = {"headers": api.as_(key)}
    if path.endswith("/evidence") and method == "POST":
        kwargs["files"] = [("files", ("x.jpg", world["images"].listing, "image/jpeg"))]
    elif path.endswith("merchant-responses") and method == "POST":
        kwargs["data"] = {"stance": "contest", "kind": "statement", "statement": "no"}
    elif path.endswith("/decisions") and method == "POST":
        kwargs["json"] = {"outcome": "approved", "reason_code": "damage_confirmed"}
    elif path.endswith("/appeals") and method == "POST":
        kwargs["json"] = {"statement": "please"}
    elif method == "PATCH":
        kwargs["json"] = {"good_standing": False}
    return api.client.request(method, url, **kwargs)


def _key(cast, role: str) -> str:
    return {
        "admin": cast.admin,
        "buyer": cast.buyer,
        "merchant": cast.merchant,
        "reviewer": cast.reviewer_a,
    }[role]


def test_route_table_covers_every_route_with_an_id(world) -> None:
    spec = world["api"].client.get("/openapi.json").json()
    app_routes = {(m.upper(), p) for p, ops in spec["paths"].items() if "{" in p for m in ops}
    assert app_routes == {(m, p) for m, p, _ in ROUTES}


@pytest.mark.parametrize(("method", "path", "role"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_other_tenant_gets_404(world, method: str, path: str, role: str) -> None:
    r = _request(world, method, path, _key(world["b"], role))
    assert r.status_code == 404, r.text
    assert set(r.json()) == {"code", "detail", "fields"}


@pytest.mark.parametrize(
    ("method", "path", "role"), MERCHANT_ROUTES, ids=[f"{m} {p}" for m, p, _ in MERCHANT_ROUTES]
)
def test_other_merchant_of_the_same_tenant_gets_404_or_403(
    world, method: str, path: str, role: str
) -> None:
    r = _request(world, method, path, world["m2_key"])
    # Routes a merchant may never use answer 403 for the role; all others hide the claim.
    assert r.status_code in (403, 404), r.text
    if role in ("merchant", "admin") and method == "GET" and not path.endswith("/jobs"):
        assert r.status_code == 404


@pytest.mark.parametrize("path", ["/v1/claims", "/v1/orders", "/v1/references", "/v1/merchants"])
def test_lists_never_show_another_tenant(world, path: str) -> None:
    api = world["api"]
    for key in (world["b"].admin, world["b"].merchant, world["b"].reviewer_a, world["b"].buyer):
        r = api.client.get(path, headers=api.as_(key))
        assert r.status_code == 200
        ids = {item["id"] for item in r.json()}
        assert not ids & set(world["ids"].values())
    r = api.client.get(path, headers=api.as_(world["m2_key"]))
    assert not {item["id"] for item in r.json()} & {
        world["ids"]["claim_id"],
        world["ids"]["order_id"],
        world["ids"]["reference_id"],
    }


def test_review_queue_is_per_tenant(world) -> None:
    api, a, b = world["api"], world["a"], world["b"]
    r = api.client.post(
        f"/v1/claims/{world['ids']['claim_id']}/merchant-responses",
        headers=api.as_(a.merchant),
        data={"stance": "contest", "kind": "statement", "statement": "disputed"},
    )
    assert r.status_code == 201, r.text
    assert (
        api.client.post("/v1/review-queue/next", headers=api.as_(b.reviewer_a)).status_code == 204
    )


def test_keys_of_another_tenant_are_not_listed(world) -> None:
    api = world["api"]
    ids = {k["id"] for k in api.client.get("/v1/keys", headers=api.as_(world["b"].admin)).json()}
    assert world["ids"]["key_id"] not in ids
