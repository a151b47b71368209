"""``trueclaim export`` and ``trueclaim verify-bundle``: a real claim's bundle verifies, and
every kind of tampering is named."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.service_support import sqlite_settings
from trueclaim.cli.main import app
from trueclaim.domain.claims import ClaimType
from trueclaim.domain.orders import OrderItem, ReferenceKind
from trueclaim.domain.services.claims import submit_claim
from trueclaim.domain.services.context import UploadedFile
from trueclaim.domain.services.orders import add_reference, create_order
from trueclaim.domain.services.tenants import bootstrap_tenant, create_key, create_merchant
from trueclaim.domain.tenants import Principal, Role
from trueclaim.wiring import build_runtime


@pytest.fixture(scope="module")
def exported(tmp_path_factory, images) -> tuple[Path, dict[str, str]]:
    tmp_path = tmp_path_factory.mktemp("export")
    settings = sqlite_settings(tmp_path)
    runtime = build_runtime(settings)
    svc = runtime.services
    tenant, _ = bootstrap_tenant(svc, "p", is_operator=True)
    admin = Principal(tenant.id, Role.PLATFORM_ADMIN, "key_admin")
    merchant = create_merchant(svc, admin, "shop", True)
    order = create_order(
        svc,
        admin,
        merchant_id=merchant.id,
        external_id="o1",
        buyer_account_id="b",
        items=[OrderItem("CAT-1", "cat", 1, 100)],
        amount_minor=100,
        currency="CNY",
        shipped_at=None,
        delivered_at=None,
    )
    add_reference(
        svc,
        admin,
        merchant_id=merchant.id,
        kind=ReferenceKind.LISTING_PHOTO,
        file=UploadedFile("listing.jpg", "image/jpeg", images.listing),
        sku="CAT-1",
        order_id=None,
    )
    buyer_key, _ = create_key(svc, admin, Role.BUYER_CHANNEL, "buyer", None)
    buyer = Principal(tenant.id, Role.BUYER_CHANNEL, buyer_key.id)
    claim, _ = submit_claim(
        svc,
        buyer,
        order_id=order.id,
        type=ClaimType.REFUND_ONLY,
        reason="cracked",
        amount_minor=100,
        statement="",
        idempotency_key=None,
        files=[UploadedFile("crack.png", "image/png", images.forged)],
    )
    runtime.queue.join()
    runtime.close()
    env = {
        "TRUECLAIM_DATA_DIR": str(settings.data_dir),
        "TRUECLAIM_ENVIRONMENT": "test",
        "TRUECLAIM_ENGINE_OCR": "false",
    }
    out = tmp_path / "bundle.zip"
    result = CliRunner().invoke(app, ["export", claim.id, str(out)], env=env)
    assert result.exit_code == 0, result.output
    return out, env


def _rewrite(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = change(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)
    return dst


def test_exported_bundle_verifies(exported) -> None:
    out, _ = exported
    result = CliRunner().invoke(app, ["verify-bundle", str(out)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    names = zipfile.ZipFile(out).namelist()
    assert any(n.startswith("originals/references/") for n in names)
    assert "report.html" in names


def test_altered_original_is_named(exported, tmp_path: Path) -> None:
    out, _ = exported
    bad = _rewrite(
        out,
        tmp_path / "bad.zip",
        lambda n, d: d + b"x" if n.startswith("originals/evidence/") else d,
    )
    result = CliRunner().invoke(app, ["verify-bundle", str(bad)])
    assert result.exit_code == 1
    assert "originals/evidence/" in result.output and "SHA-256" in result.output


def test_altered_event_is_named(exported, tmp_path: Path) -> None:
    out, _ = exported

    def change(name: str, data: bytes) -> bytes:
        if name != "events.json":
            return data
        events = json.loads(data)
        events[0]["actor"] = "someone-else"
        return json.dumps(events).encode()

    bad = _rewrite(out, tmp_path / "bad.zip", change)
    result = CliRunner().invoke(app, ["verify-bundle", str(bad)])
    assert result.exit_code == 1
    assert "event #1" in result.output and "altered" in result.output
    assert "events.json" in result.output  # its hash no longer matches the manifest either


def test_removed_file_and_extra_file_are_named(exported, tmp_path: Path) -> None:
    out, _ = exported
    bad = _rewrite(out, tmp_path / "bad.zip", lambda n, d: None if n == "report.html" else d)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("originals/evidence/extra.png", b"x")
    result = CliRunner().invoke(app, ["verify-bundle", str(bad)])
    assert result.exit_code == 1
    assert "report.html: listed in the manifest but missing" in result.output
    assert "extra.png: in the bundle but not listed" in result.output


def test_not_a_zip_and_missing_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"nope")
    result = CliRunner().invoke(app, ["verify-bundle", str(junk)])
    assert result.exit_code == 1 and "not a zip" in result.output
    result = CliRunner().invoke(app, ["verify-bundle", str(tmp_path / "absent.zip")])
    assert result.exit_code == 2


def test_export_of_unknown_claim_says_so(exported, tmp_path: Path) -> None:
    _, env = exported
    result = CliRunner().invoke(app, ["export", "clm_nope", str(tmp_path / "x.zip")], env=env)
    assert result.exit_code == 1
    assert "clm_nope" in result.output


def test_db_upgrade_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["db", "upgrade"], env={"TRUECLAIM_DATA_DIR": str(tmp_path / "d")}
    )
    assert result.exit_code == 0, result.output
    assert "revision 0001" in result.output


def test_bad_setting_names_its_variable(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"TRUECLAIM_PORT": "nope"})
    assert result.exit_code == 1
    assert "TRUECLAIM_PORT" in result.output


def test_report_inputs_missing_from_originals_are_named(exported, tmp_path: Path) -> None:
    out, _ = exported
    with zipfile.ZipFile(out) as zf:
        data = {n: zf.read(n) for n in zf.namelist()}
    report = json.loads(data["report.json"])
    report["inputs"][0]["sha256"] = "f" * 64
    from trueclaim.domain.bundle import BundleFile, build_bundle

    manifest = json.loads(data["manifest.json"])
    files = [BundleFile(n, d) for n, d in data.items() if n not in ("manifest.json", "events.json")]
    files = [
        BundleFile(f.path, json.dumps(report).encode()) if f.path == "report.json" else f
        for f in files
    ]
    rebuilt = build_bundle(manifest["claim"], files, json.loads(data["events.json"]))
    from trueclaim.domain.bundle import verify_bundle

    problems = verify_bundle(rebuilt)
    assert len(problems) == 1 and "not among the originals" in problems[0]
