"""The console's session cookie and CSRF check.

- Cookie: the session token, HttpOnly (scripts never see it), SameSite=Strict
  (never sent on cross-site requests), Path=/agent, Secure over HTTPS.
- CSRF: every state-changing request carries the session's CSRF token in the
  X-CSRF-Token header; the page reads it from GET /agent/api/me (same-origin only).
- The agent WebSocket additionally needs an Origin of the gateway itself
  (browsers send cookies on cross-site WebSocket handshakes).
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from bot.console.errors import CsrfRejected, Forbidden, NotLoggedIn
from bot.console.keys import AGENT_LOGIN, SETTINGS
from bot.handoff.auth import csrf_matches
from bot.handoff.errors import SessionInvalid
from bot.handoff.login import AuthenticatedAgent

COOKIE = "bpo_agent_session"
COOKIE_PATH = "/agent"
CSRF_HEADER = "X-CSRF-Token"


def session_token(request: web.Request) -> str | None:
    return request.cookies.get(COOKIE)


async def current_agent(request: web.Request) -> AuthenticatedAgent:
    """The logged-in agent (scope read fresh), or NotLoggedIn (401)."""
    try:
        return await request.app[AGENT_LOGIN].authenticate(session_token(request))
    except SessionInvalid:
        raise NotLoggedIn() from None


async def agent_for_change(request: web.Request) -> AuthenticatedAgent:
    """The logged-in agent of a state-changing request with a valid CSRF token."""
    agent = await current_agent(request)
    if not csrf_matches(agent.csrf_token, request.headers.get(CSRF_HEADER)):
        raise CsrfRejected()
    return agent


def require_own_origin(request: web.Request) -> None:
    """The request comes from a console page of this gateway (WebSocket handshakes)."""
    origin = request.headers.get("Origin", "").rstrip("/")
    own = {request.app[SETTINGS].public_origin, f"{request.scheme}://{request.host}"}
    if origin not in own:
        raise Forbidden("This page may not open the agent console.")


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str, expires_at: datetime) -> None:
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].secure_cookies,
        max_age=max(0, int((expires_at - _now(expires_at)).total_seconds())),
    )


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path=COOKIE_PATH)


def _now(reference: datetime) -> datetime:
    return datetime.now(reference.tzinfo)
