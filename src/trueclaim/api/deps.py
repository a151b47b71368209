"""Dependencies: the services, the authenticated caller, upload checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from trueclaim.api.errors import ApiError
from trueclaim.domain.services.context import Services
from trueclaim.domain.services.tenants import authenticate
from trueclaim.domain.tenants import Principal
from trueclaim.settings import Settings

_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key secret (tc_...)."
)
_bearer = HTTPBearer(auto_error=False, description="The API key secret as a bearer token.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.runtime.services
    return services


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_principal(
    svc: ServicesDep,
    api_key: Annotated[str | None, Depends(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    secret = api_key or (bearer.credentials if bearer else None)
    if not secret:
        raise ApiError(
            401,
            "unauthenticated",
            "Send an API key in the X-API-Key header (or Authorization: Bearer <key>).",
        )
    principal = authenticate(svc, secret)
    if principal is None:
        raise ApiError(401, "unauthenticated", "The API key is unknown or revoked.")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
