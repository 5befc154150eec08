"""The console's REST API under /agent/api (JSON). Reads need a session; writes also CSRF.

Every conversation is looked up through the agent's scope: another tenant's
conversation answers 404 conversation_not_found, exactly like an unknown one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.console import views
from bot.console.context import conversation_context, overview, tenants_of
from bot.console.errors import Forbidden, NotLoggedIn, TooManyLogins, to_gateway_error
from bot.console.keys import AGENT_HUB, AGENT_LOGIN, DATABASE, HANDOFF, LOGIN_LIMITER, WORKSPACE
from bot.console.session_auth import (
    agent_for_change,
    clear_session_cookie,
    current_agent,
    require_own_origin,
    session_token,
    set_session_cookie,
)
from bot.db.errors import DomainError
from bot.gateway.errors import BadRequest
from bot.text_input import clean_text

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def domain_errors(handler: Handler) -> Handler:
    """Expected domain failures become their HTTP answer (the error middleware renders it)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DomainError as error:
            raise to_gateway_error(error) from None

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


def text_field(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string.")
    return value


# --- session ------------------------------------------------------------------------


@domain_errors
async def login(request: web.Request) -> web.Response:
    if not await request.app[LOGIN_LIMITER].allow(request.remote or "unknown"):
        raise TooManyLogins()
    body = await json_body(request)
    email, password = text_field(body, "email"), text_field(body, "password")
    session = await request.app[AGENT_LOGIN].login(email or "", password or "")
    response = await _me(request, session.scope, session.csrf_token)
    set_session_cookie(request, response, session.token, session.expires_at)
    return response


async def logout(request: web.Request) -> web.Response:
    """Ends the session (CSRF-checked) and signs the agent off; without a session it only
    clears the cookie (logging out twice is harmless)."""
    try:
        await current_agent(request)
    except NotLoggedIn:
        response = web.json_response({"logged_out": True})
        clear_session_cookie(request, response)
        return response
    agent = await agent_for_change(request)
    await request.app[AGENT_LOGIN].logout(session_token(request))
    await request.app[AGENT_HUB].signed_out(agent.scope.agent_id)
    await request.app[HANDOFF].set_presence(agent.scope, "offline")
    response = web.json_response({"logged_out": True})
    clear_session_cookie(request, response)
    return response


async def me(request: web.Request) -> web.Response:
    agent = await current_agent(request)
    return await _me(request, agent.scope, agent.csrf_token)


async def _me(request: web.Request, scope: Any, csrf_token: str) -> web.Response:
    async with request.app[DATABASE].sessionmaker() as session:
        tenants = await tenants_of(session, scope)
    response = web.json_response({"agent": views.agent_view(scope, tenants), "csrf_token": csrf_token})
    response.headers["Cache-Control"] = "no-store"  # carries the CSRF token
    return response


# --- reads --------------------------------------------------------------------------


@domain_errors
async def queue(request: web.Request) -> web.Response:
    """Waiting chats of the agent's tenants (oldest first) and the agent's own chats."""
    scope = (await current_agent(request)).scope
    workspace = request.app[WORKSPACE]
    async with request.app[DATABASE].sessionmaker() as session:
        slugs = {tenant["id"]: tenant["slug"] for tenant in await tenants_of(session, scope)}
    waiting = await workspace.queue(scope)
    mine = await workspace.my_chats(scope)
    return web.json_response(
        {
            "queue": [views.conversation_row(c, slugs[c.tenant_id]) for c in waiting],
            "mine": [views.conversation_row(c, slugs[c.tenant_id]) for c in mine],
        }
    )


@domain_errors
async def conversation(request: web.Request) -> web.Response:
    """The context panel: reason, summary, account card, tickets, full transcript, notes."""
    scope = (await current_agent(request)).scope
    context = await conversation_context(
        request.app[DATABASE].sessionmaker, scope, request.match_info["conversation_id"]
    )
    return web.json_response(context)


@domain_errors
async def canned_responses(request: web.Request) -> web.Response:
    scope = (await current_agent(request)).scope
    workspace = request.app[WORKSPACE]
    scoped = await workspace.conversation(scope, request.match_info["conversation_id"])
    canned = await workspace.canned_responses(scope, scoped.tenant.id)
    return web.json_response({"canned": [views.canned_view(item) for item in canned]})


@domain_errors
async def transfer_targets(request: web.Request) -> web.Response:
    """Other online agents of the chat's tenant who speak its language."""
    scope = (await current_agent(request)).scope
    agents = await request.app[WORKSPACE].transfer_targets(scope, request.match_info["conversation_id"])
    targets = [
        {"id": agent.agent_id, "name": agent.display_name, "open_chats": agent.open_chats}
        for agent in agents
    ]
    return web.json_response({"agents": targets})


@domain_errors
async def supervisor_overview(request: web.Request) -> web.Response:
    scope = (await current_agent(request)).scope
    if not scope.supervises:
        raise Forbidden("Only supervisors see the overview.")
    return web.json_response({"tenants": await overview(request.app[DATABASE].sessionmaker, scope)})


# --- writes -------------------------------------------------------------------------


@domain_errors
async def claim(request: web.Request) -> web.Response:
    scope = (await agent_for_change(request)).scope
    change = await request.app[HANDOFF].claim(scope, request.match_info["conversation_id"])
    return web.json_response({"state": change.after.state, "agent_id": change.after.agent_id})


@domain_errors
async def send_message(request: web.Request) -> web.Response:
    scope = (await agent_for_change(request)).scope
    text = text_field(await json_body(request), "text")
    message = await request.app[HANDOFF].agent_message(
        scope, request.match_info["conversation_id"], clean_text(text or "")
    )
    return web.json_response({"message": views.message_view(message)}, status=201)


@domain_errors
async def add_note(request: web.Request) -> web.Response:
    scope = (await agent_for_change(request)).scope
    text = text_field(await json_body(request), "text")
    note = await request.app[WORKSPACE].add_note(
        scope, request.match_info["conversation_id"], clean_text(text or "")
    )
    return web.json_response({"note": views.note_view(note)}, status=201)


@domain_errors
async def transfer(request: web.Request) -> web.Response:
    scope = (await agent_for_change(request)).scope
    to_agent = (await json_body(request)).get("agent_id")
    if isinstance(to_agent, bool) or not isinstance(to_agent, int):
        raise BadRequest("'agent_id' must be an agent's id.")
    outcome = await request.app[HANDOFF].transfer(scope, request.match_info["conversation_id"], to_agent)
    return web.json_response({"state": outcome.change.after.state, "agent_id": to_agent})


@domain_errors
async def resolve(request: web.Request) -> web.Response:
    scope = (await agent_for_change(request)).scope
    outcome = await request.app[HANDOFF].resolve(scope, request.match_info["conversation_id"])
    return web.json_response({"state": outcome.change.after.state})


@domain_errors
async def hand_back(request: web.Request) -> web.Response:
    scope = (await agent_for_change(request)).scope
    outcome = await request.app[HANDOFF].hand_back(scope, request.match_info["conversation_id"])
    return web.json_response({"state": outcome.change.after.state})


@domain_errors
async def create_ticket(request: web.Request) -> web.Response:
    """A ticket from the conversation, on the verified account when there is one."""
    scope = (await agent_for_change(request)).scope
    body = await json_body(request)
    category, priority = body.get("category", "other"), body.get("priority", "normal")
    if not isinstance(category, str) or not isinstance(priority, str):
        raise BadRequest("category and priority must be strings.")
    ticket = await request.app[WORKSPACE].open_ticket(
        scope,
        request.match_info["conversation_id"],
        subject=text_field(body, "subject") or "",
        description=text_field(body, "description") or "",
        category=category,
        priority=priority,
    )
    return web.json_response({"ticket": views.ticket_view(ticket)}, status=201)


@domain_errors
async def update_ticket(request: web.Request) -> web.Response:
    """Move a ticket of the conversation's tenant to another status."""
    scope = (await agent_for_change(request)).scope
    status = text_field(await json_body(request), "status")
    ticket = await request.app[WORKSPACE].change_ticket_status(
        scope, request.match_info["conversation_id"], request.match_info["reference"], status or ""
    )
    return web.json_response({"ticket": views.ticket_view(ticket)})


@domain_errors
async def agent_socket(request: web.Request) -> web.StreamResponse:
    require_own_origin(request)
    agent = await current_agent(request)
    return await request.app[AGENT_HUB].serve(request, agent, session_token(request) or "")
