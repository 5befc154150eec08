"""Admin REST endpoints for the client firms' portal users, under /agent/api/admin (JSON).

The same use cases as `python -m bot portal-user` (bot/portal/users.py). Role admin only;
writes need the CSRF token. Passwords are taken, never echoed; an invitation link appears
once, in the answer of the request that made it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.console.admin_http import require_admin, admin_errors, admin_for_change, secret_response, body_string
from bot.console.api import json_body
from bot.console.errors import Conflict
from bot.console.keys import DATABASE, SETTINGS
from bot.db.errors import TenantNotFound
from bot.db.portal_users import DuplicatePortalEmail, InvalidPortalUserData, PortalUserView, list_portal_users
from bot.db.tenants import tenant_ref
from bot.gateway.errors import BadRequest, NotFound
from bot.portal import users


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _portal_errors(handler: Handler) -> Handler:
    """Bad firm-user input is 400, an e-mail that has an account 409 (the rest: the admin API's)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except InvalidPortalUserData as error:
            raise BadRequest(str(error)) from None
        except DuplicatePortalEmail as error:
            raise Conflict(f"{str(error).capitalize()}.") from None

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return admin_errors(wrapped)


def _user_view(user: PortalUserView) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "created_at": user.created_at.isoformat(),
    }


@_portal_errors
async def create_portal_user(request: web.Request) -> web.Response:
    """A firm user with a password chosen by the BPO (to pass on); never echoed."""
    actor = await admin_for_change(request)
    body = await json_body(request)
    user = await users.create_firm_user(
        request.app[DATABASE].sessionmaker,
        tenant_slug=request.match_info["slug"],
        email=body_string(body, "email"),
        display_name=body_string(body, "display_name"),
        role=body_string(body, "role", default="admin"),
        password=body_string(body, "password"),
        actor=actor,
    )
    return web.json_response({"portal_user": _user_view(user)}, status=201)


@_portal_errors
async def invite_portal_user(request: web.Request) -> web.Response:
    """A single-use, expiring invitation link (in this answer only)."""
    actor = await admin_for_change(request)
    body = await json_body(request)
    new = await users.invite_by_slug(
        request.app[DATABASE].sessionmaker,
        tenant_slug=request.match_info["slug"],
        email=body_string(body, "email"),
        role=body_string(body, "role", default="viewer"),
        actor=actor,
    )
    public_url = request.app[SETTINGS].public_origin
    return secret_response(
        {"email": new.email, "role": new.role, "link": new.link(public_url), "expires_at": new.expires_at.isoformat()},
        status=201,
    )


@_portal_errors
async def portal_users(request: web.Request) -> web.Response:
    await require_admin(request)
    async with request.app[DATABASE].sessionmaker() as session:
        tenant = await tenant_ref(session, request.match_info["slug"])
        if tenant is None:
            raise NotFound(f"{str(TenantNotFound(request.match_info['slug'])).capitalize()}.")
        people = await list_portal_users(session, tenant.id)
    return web.json_response({"portal_users": [_user_view(user) for user in people]})


def add_portal_admin_routes(app: web.Application, prefix: str) -> None:
    tenant = f"{prefix}/tenants/{{slug}}"
    app.router.add_get(f"{tenant}/portal-users", portal_users)
    app.router.add_post(f"{tenant}/portal-users", create_portal_user)
    app.router.add_post(f"{tenant}/portal-invites", invite_portal_user)
