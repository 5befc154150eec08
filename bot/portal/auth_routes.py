"""Sign-in, sign-out, the portal's front door and accepting an invitation."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.db.models import Tenant
from bot.handoff.errors import InvalidCredentials, SessionInvalid, WeakPassword
from bot.db.portal_users import DuplicatePortalEmail, InvalidPortalUserData
from bot.portal.errors import InviteUnusable, TooManyLogins
from bot.portal.keys import DATABASE, LOGIN, LOGIN_LIMITER
from bot.portal.pages import render_page
from bot.portal.session_auth import (
    clear_session_cookie,
    current_principal,
    optional_principal,
    require_csrf,
    require_own_origin,
    session_token,
    set_session_cookie,
)
from bot.portal.users import InviteNotUsable, accept_invite, invite_details

HOME = "/portal/"


def add_auth_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("", home)
    router.add_get("/", home)
    router.add_get("/login", login_page)
    router.add_post("/login", login)
    router.add_post("/logout", logout)
    router.add_get("/invite/{token}", invite_page)
    router.add_post("/invite/{token}", accept_invitation)


async def home(request: web.Request) -> web.Response:
    """A firm user goes to their firm's dashboard; a supervisor chooses a firm."""
    principal = await current_principal(request)
    async with request.app[DATABASE].sessionmaker() as session:
        if principal.tenant_id is not None:
            slug = await session.scalar(select(Tenant.slug).where(Tenant.id == principal.tenant_id))
            raise web.HTTPSeeOther(f"/portal/t/{slug}/")
        tenants = list(await session.execute(select(Tenant.slug, Tenant.name).order_by(Tenant.name)))
    return render_page(
        request, "choose_tenant.html", access=None, principal=principal, title="Client firms", tenants=tenants
    )


def _safe_next(raw: object) -> str:
    """Only a path of the portal: never another site (//evil.example) after signing in."""
    if isinstance(raw, str) and raw.startswith("/portal/") and "//" not in raw and "\\" not in raw:
        return raw
    return HOME


async def login_page(request: web.Request) -> web.Response:
    if await optional_principal(request) is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")))
    return _login_form(request, next_path=_safe_next(request.query.get("next")))


def _login_form(
    request: web.Request, *, next_path: str, error: str = "", email: str = "", status: int = 200
) -> web.Response:
    return render_page(
        request, "login.html", access=None, title="Sign in", status=status,
        error=error, email=email, next=next_path,
    )


async def login(request: web.Request) -> web.Response:
    require_own_origin(request)
    if not await request.app[LOGIN_LIMITER].allow(request.remote or "unknown"):
        raise TooManyLogins()
    form = await request.post()
    email, password = form.get("email"), form.get("password")
    next_path = _safe_next(form.get("next"))
    if not isinstance(email, str) or not isinstance(password, str):
        return _login_form(request, next_path=next_path, error="Enter your e-mail and password.", status=400)
    try:
        signed_in = await request.app[LOGIN].login(email, password)
    except InvalidCredentials:
        return _login_form(
            request, next_path=next_path, error="E-mail or password is wrong.", email=email[:254], status=401
        )
    response = web.HTTPSeeOther(next_path)
    set_session_cookie(request, response, signed_in.token, signed_in.principal.expires_at)
    raise response


async def logout(request: web.Request) -> web.Response:
    """Ends the session (CSRF-checked); without one it only clears the cookie."""
    require_own_origin(request)
    try:
        principal = await current_principal(request)
    except Exception:
        principal = None
    if principal is not None:
        await require_csrf(request, principal)
        await request.app[LOGIN].logout(session_token(request))
    response = web.HTTPSeeOther("/portal/login")
    clear_session_cookie(response)
    raise response


async def invite_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        details = await invite_details(request.app[DATABASE].sessionmaker, token)
    except InviteNotUsable:
        raise InviteUnusable() from None
    return _invite_form(request, token, details.tenant_name, details.email, details.role)


def _invite_form(
    request: web.Request, token: str, tenant_name: str, email: str, role: str,
    *, error: str = "", name: str = "", status: int = 200,
) -> web.Response:
    response = render_page(
        request, "invite.html", access=None, title="Join", status=status, token=token,
        tenant_name=tenant_name, email=email, role=role, error=error, name=name,
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the URL is the invitation
    return response


async def accept_invitation(request: web.Request) -> web.Response:
    require_own_origin(request)
    token = request.match_info["token"]
    form = await request.post()
    name, password = form.get("name"), form.get("password")
    sessionmaker = request.app[DATABASE].sessionmaker
    try:
        details = await invite_details(sessionmaker, token)
    except InviteNotUsable:
        raise InviteUnusable() from None
    try:
        user = await accept_invite(
            sessionmaker, token,
            display_name=name if isinstance(name, str) else "",
            password=password if isinstance(password, str) else "",
        )
    except InviteNotUsable:
        raise InviteUnusable() from None
    except (WeakPassword, InvalidPortalUserData, DuplicatePortalEmail) as error:
        return _invite_form(
            request, token, details.tenant_name, details.email, details.role,
            error=_problem(error), name=name if isinstance(name, str) else "", status=400,
        )
    try:
        signed_in = await request.app[LOGIN].start_session(user.id)
    except SessionInvalid:
        raise web.HTTPSeeOther("/portal/login") from None
    response = web.HTTPSeeOther(HOME)
    set_session_cookie(request, response, signed_in.token, signed_in.principal.expires_at)
    raise response


def _problem(error: Exception) -> str:
    if isinstance(error, WeakPassword):
        return f"The password {error}."
    return str(error)
