"""The claim's hash-chained event log, and the evidence bundle export."""

from __future__ import annotations

from fastapi import APIRouter, Response

from trueclaim.api.deps import PrincipalDep, ServicesDep
from trueclaim.api.schemas import EventChain, EventPublic
from trueclaim.domain.audit import verify_chain
from trueclaim.domain.services import claims as claims_uc
from trueclaim.domain.services.export import export_claim

router = APIRouter(tags=["events"])


@router.get("/claims/{claim_id}/events", response_model=EventChain)
def list_events(claim_id: str, svc: ServicesDep, principal: PrincipalDep) -> EventChain:
    claim = claims_uc.get_claim(svc, principal, claim_id)
    events = [e.to_dict() for e in svc.repos.events.list_events(claim.tenant_id, claim.id)]
    breaks = verify_chain(events)
    return EventChain(
        events=[EventPublic(**{k: v for k, v in e.items() if k != "tenant_id"}) for e in events],
        chain_valid=not breaks,
        breaks=[f"#{b.seq}: {b.reason}" for b in breaks],
    )


@router.get(
    "/claims/{claim_id}/export",
    response_class=Response,
    tags=["export"],
    responses={200: {"content": {"application/zip": {}}}},
)
def export(claim_id: str, svc: ServicesDep, principal: PrincipalDep) -> Response:
    """The evidence bundle (zip): originals, SHA-256 manifest, report JSON + HTML, event chain."""
    data = export_claim(svc, principal, claim_id)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{claim_id}.zip"'},
    )
