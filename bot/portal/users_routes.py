"""The firm's own users: list them, invite more, change a role, remove someone (admins and
supervisors)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.db.portal_users import (
    DuplicatePortalEmail,
    InvalidPortalUserData,
    LastAdmin,
    NotOnYourself,
    PortalUserNotFound,
    list_portal_users,
    pending_invites,
)
from bot.db.types import utcnow
from bot.portal.errors import Forbidden, PageNotFound
from bot.portal.access import PortalAccess, require_portal_access
from bot.portal.keys import DATABASE, SETTINGS
from bot.portal.pages import render_page
from bot.portal.users import change_firm_user_role, invite_firm_user, remove_firm_user

USERS = "/t/{tenant_slug}/users"


def add_users_routes(app: web.Application) -> None:
    app.router.add_get(USERS, users_page)
    app.router.add_post(f"{USERS}/invite", invite)
    app.router.add_post(f"{USERS}/{{user_id}}/role", change_role)
    app.router.add_post(f"{USERS}/{{user_id}}/remove", remove)


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
    context = {"invite_link": "", "invited_email": "", "invite_expires": "", "error": "", "notice": ""}
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


async def change_role(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    role = (await request.post()).get("role")
    try:
        user = await change_firm_user_role(
            request.app[DATABASE].sessionmaker, tenant_id=access.tenant_id, user_id=_user_id(request),
            role=role if isinstance(role, str) else "", actor=access.actor,
        )
    except PortalUserNotFound:
        raise PageNotFound() from None
    except (InvalidPortalUserData, LastAdmin, NotOnYourself) as error:
        return await _page(request, access, status=400, error=str(error).capitalize() + ".")
    return await _page(request, access, notice=f"{user.display_name} is now {user.role}.")


async def remove(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    try:
        user = await remove_firm_user(
            request.app[DATABASE].sessionmaker, tenant_id=access.tenant_id, user_id=_user_id(request),
            actor=access.actor,
        )
    except PortalUserNotFound:
        raise PageNotFound() from None
    except (LastAdmin, NotOnYourself) as error:
        return await _page(request, access, status=400, error=str(error).capitalize() + ".")
    return await _page(request, access, notice=f"{user.display_name} ({user.email}) was removed and signed out.")


def _user_id(request: web.Request) -> int:
    raw = request.match_info["user_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise PageNotFound()  # like an id of another tenant: nothing to tell apart
    return int(raw)


def _invite_ttl(request: web.Request) -> timedelta:
    return timedelta(days=request.app[SETTINGS].invite_days)
