"""Export a claim's evidence bundle (see ``domain/bundle.py``)."""

from __future__ import annotations

from trueclaim.domain.bundle import BundleFile, build_bundle
from trueclaim.domain.services.claims import get_claim
from trueclaim.domain.services.context import Services
from trueclaim.domain.tenants import Principal


def export_claim(svc: Services, principal: Principal, claim_id: str) -> bytes:
    """The zip a merchant can hand to the police: originals, hashes, report, event chain."""
    claim = get_claim(svc, principal, claim_id)
    repos = svc.repos
    order = repos.orders.get_order(claim.tenant_id, claim.order_id)
    files = [
        BundleFile(f"originals/evidence/{e.id}-{_safe(e.filename)}", svc.blobs.get(e.sha256))
        for e in repos.claims.list_evidence(claim.tenant_id, claim.id)
    ]
    report = repos.reports.latest_report(claim.tenant_id, claim.id)
    if report is not None:
        ref_ids = set(report.routing_signals.get("reference_ids", []))
        refs = [r for r in repos.orders.references_for_order(order) if r.id in ref_ids]
    else:
        refs = repos.orders.references_for_order(order)
    files += [
        BundleFile(f"originals/references/{r.id}-{_safe(r.filename)}", svc.blobs.get(r.sha256))
        for r in refs
    ]
    if report is not None:
        files.append(BundleFile("report.json", report.report_json.encode("utf-8")))
        files.append(BundleFile("report.html", svc.blobs.get(report.html_sha256)))
    events = [e.to_dict() for e in repos.events.list_events(claim.tenant_id, claim.id)]
    summary = {
        "id": claim.id,
        "tenant_id": claim.tenant_id,
        "merchant_id": claim.merchant_id,
        "order_id": claim.order_id,
        "status": claim.status.value,
        "type": claim.type.value,
        "amount_minor": claim.amount_minor,
        "currency": claim.currency,
        "risk": claim.risk,
        "verdict": claim.verdict,
        "exported_at": svc.now().isoformat(),
    }
    return build_bundle(summary, files, events)


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return keep[:80] or "file"
