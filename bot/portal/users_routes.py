"""The firm's own users: list them, invite more (admins and supervisors)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.db.portal_users import (
    DuplicatePortalEmail,
    InvalidPortalUserData,
    list_portal_users,
    pending_invites,
)
from bot.db.types import utcnow
from bot.portal.errors import Forbidden
from bot.portal.access import PortalAccess, require_portal_access
from bot.portal.keys import DATABASE, SETTINGS
from bot.portal.pages import render_page
from bot.portal.users import invite_firm_user

USERS = "/t/{tenant_slug}/users"


def add_users_routes(app: web.Application) -> None:
    app.router.add_get(USERS, users_page)
    app.router.add_post(f"{USERS}/invite", invite)


async def users_page(request: web.Request) -> web.Response:
    # Listing colleagues' e-mails is for those who manage them.
    access = await require_portal_access(request)
    if not access.can_write:
        raise Forbidden()
    return await _page(request, access)


async def _page(request: web.Request, access: PortalAccess, *, status: int = 200, **extra: object) -> web.Response:
    async with request.app[DATABASE].sessionmaker() as session:
        users = await list_portal_users(session, access.tenant_id)
        invites = await pending_invites(session, access.tenant_id, now=utcnow())
    context = {"invite_link": "", "invited_email": "", "invite_expires": "", "error": ""}
    context.update(extra)
    return render_page(
        request, "users.html", access=access, title="Users", nav_key="users", status=status,
        users=users, invites=invites, **context,
    )


async def invite(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    form = await request.post()
    email, role = form.get("email"), form.get("role")
    try:
        new = await invite_firm_user(
            request.app[DATABASE].sessionmaker,
            tenant_id=access.tenant_id,
            email=email if isinstance(email, str) else "",
            role=role if isinstance(role, str) else "",
            actor=access.actor,
            ttl=_invite_ttl(request),
        )
    except (InvalidPortalUserData, DuplicatePortalEmail) as error:
        return await _page(request, access, status=400, error=str(error))
    return await _page(
        request, access, status=201,
        invite_link=new.link(request.app[SETTINGS].public_url),
        invited_email=new.email,
        invite_expires=new.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
    )


def _invite_ttl(request: web.Request) -> timedelta:
    return timedelta(days=request.app[SETTINGS].invite_days)
