"""The portal's session cookie, CSRF and origin checks.

- Cookie: the session token, HttpOnly, SameSite=Strict, Path=/portal, Secure over HTTPS.
- CSRF: every write carries the session's CSRF token, as the form field `csrf_token`
  (server-rendered forms) or the X-CSRF-Token header (scripts). Pages carry it in a
  hidden field and in <meta name="csrf-token">.
- Origin: a write whose Origin header names another site is refused before anything
  else (this also covers the sign-in form, which has no session yet).
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from bot.handoff.auth import csrf_matches
from bot.handoff.errors import SessionInvalid
from bot.portal.errors import CsrfRejected, NotSignedIn
from bot.portal.keys import LOGIN, SETTINGS
from bot.portal.login import Principal

COOKIE = "bpo_portal_session"
COOKIE_PATH = "/portal"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
PRINCIPAL = web.RequestKey("portal_principal", Principal)  # cached per request


def session_token(request: web.Request) -> str | None:
    return request.cookies.get(COOKIE)


async def current_principal(request: web.Request) -> Principal:
    """Who is signed in (read fresh once per request), or NotSignedIn (401)."""
    if PRINCIPAL in request:
        return request[PRINCIPAL]
    try:
        principal = await request.app[LOGIN].authenticate(session_token(request))
    except SessionInvalid:
        raise NotSignedIn() from None
    request[PRINCIPAL] = principal
    return principal


async def optional_principal(request: web.Request) -> Principal | None:
    try:
        return await current_principal(request)
    except NotSignedIn:
        return None


async def require_csrf(request: web.Request, principal: Principal) -> None:
    """The write carries the session's CSRF token (header, else form field)."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()  # cached by aiohttp: the handler can read it again
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(principal.csrf_token, given):
        raise CsrfRejected()


def require_own_origin(request: web.Request) -> None:
    """A browser's write comes from a page of ours (no Origin header: not a browser form)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    own = {request.app[SETTINGS].public_origin, f"{request.scheme}://{request.host}"}
    if origin.rstrip("/") not in own:
        raise CsrfRejected("This form was sent from another website.")


def set_session_cookie(
    request: web.Request, response: web.StreamResponse, token: str, expires_at: datetime
) -> None:
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].secure_cookies,
        max_age=max(0, int((expires_at - datetime.now(expires_at.tzinfo)).total_seconds())),
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path=COOKIE_PATH)
