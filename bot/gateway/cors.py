"""Which websites may use a tenant's chat: the Origin allow-list; CORS headers for those only."""

from __future__ import annotations

from aiohttp import web

from bot.gateway.errors import OriginNotAllowed
from bot.gateway.keys import CORS_ORIGIN, SETTINGS
from bot.gateway.tenant_context import TenantContext

ALLOWED_REQUEST_HEADERS = "Content-Type, X-User-Id, X-User-Hash"
PREFLIGHT_MAX_AGE_SECONDS = "600"


def origin_allowed(request: web.Request, tenant: TenantContext, origin: str) -> bool:
    # The gateway's own origin serves every tenant's demo page.
    return origin in tenant.allowed_origins or origin == request.config_dict[SETTINGS].public_origin


def require_allowed_origin(request: web.Request, tenant: TenantContext, *, required: bool) -> None:
    """Raise OriginNotAllowed unless the request's Origin is on the tenant's list.

    required=False admits requests without Origin: browsers omit it on
    same-origin GETs, and non-browser clients could forge it anyway; what the
    check prevents is a foreign website's page using the chat in a browser.
    The WebSocket always requires it (browsers always send it there).
    """
    origin = request.headers.get("Origin")
    if origin is None:
        if required:
            raise OriginNotAllowed()
        return
    origin = origin.rstrip("/")
    if not origin_allowed(request, tenant, origin):
        raise OriginNotAllowed()
    request[CORS_ORIGIN] = origin


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: CORS headers only for an Origin that passed require_allowed_origin."""
    origin = request.get(CORS_ORIGIN)
    if origin is None or response.headers.get("Upgrade"):
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers.add("Vary", "Origin")
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE_SECONDS
