"""Admin REST endpoints under /agent/api/admin (JSON): the admin CLI's use cases over HTTP.

Every handler reuses bot.admin.use_cases (the same functions the CLI runs), so the
rules live in one place. Only agents with role 'admin' get through; every
state-changing request also needs the session's CSRF token. Passwords are taken,
never echoed; an identity secret appears once, in the answer of the request that
made it, and never in a log line (error logs carry only code and route).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console import views
from bot.console.api import json_body
from bot.console.errors import Conflict, Forbidden, to_gateway_error
from bot.console.session_auth import agent_for_change, current_agent
from bot.db import agents as agent_store
from bot.db.agents import AgentNotFound, DuplicateAgentEmail, InvalidAgentData
from bot.db.api_keys import ApiKeyNotFound, InvalidApiKeyData
from bot.db.audit import Actor
from bot.db.canned import InvalidCannedResponse, normalize_shortcut
from bot.db.errors import DomainError, TenantNotFound
from bot.db.faq_admin import InvalidFaqAnswer
from bot.db.models import LANGUAGES, Agent, ApiKey, FaqAnswer
from bot.db.tenant_admin import DuplicateTenant, InvalidTenantData, NewTenant
from bot.db.tenants import TenantRef
from bot.gateway.errors import BadRequest, GatewayError, NotFound
from bot.console.keys import AGENT_HUB, DATABASE
from bot.admin import use_cases as admin
from bot.admin.cli import DEFAULT_BUSINESS_HOURS
from bot.handoff.business_hours import InvalidBusinessHours
from bot.handoff.errors import WeakPassword

ADMIN_ROLE = "admin"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Sessionmaker = async_sessionmaker[AsyncSession]


# --- access and errors ----------------------------------------------------------------


async def _admin(request: web.Request) -> None:
    """A read: a logged-in admin, else 401 / 403."""
    _require_admin_role((await current_agent(request)).scope.role)


async def _admin_for_change(request: web.Request) -> Actor:
    """A write: a logged-in admin with the session's CSRF token, else 401 / 403; returns who
    they are for the audit log."""
    scope = (await agent_for_change(request)).scope
    _require_admin_role(scope.role)
    return Actor.agent(scope)


def _require_admin_role(role: str) -> None:
    if role != ADMIN_ROLE:
        raise Forbidden("Only admins may do that.")


def _admin_errors(handler: Handler) -> Handler:
    """The admin use cases' errors as HTTP answers: bad input 400, unknown 404, duplicate 409."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (
            InvalidTenantData,
            InvalidAgentData,
            InvalidCannedResponse,
            InvalidFaqAnswer,
            InvalidBusinessHours,
            InvalidApiKeyData,
        ) as error:
            raise BadRequest(str(error)) from None
        except WeakPassword as error:  # its message states the policy, never the password
            raise BadRequest(f"password: {error}") from None
        except (TenantNotFound, AgentNotFound) as error:
            raise NotFound(f"{str(error).capitalize()}.") from None
        except (DuplicateTenant, DuplicateAgentEmail) as error:
            raise Conflict(f"{str(error).capitalize()}.") from None
        except DomainError as error:
            raise to_gateway_error(error) from None

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def _body_tenants(error: TenantNotFound) -> GatewayError:
    """An unknown slug named in the body is bad input (in the path it is 404)."""
    return BadRequest(f"tenants: no tenant {error.slug!r}")


# --- input ------------------------------------------------------------------------------


def _string(body: dict[str, Any], name: str, *, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' is required and must be a string.")
    return value


def _strings(body: dict[str, Any], name: str, *, default: list[str] | None = None) -> list[str]:
    value = body.get(name, default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"'{name}' is required and must be a list of strings.")
    return value


def _integer(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be a whole number.")
    return value


def _boolean(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false.")
    return value


def _agent_id(request: web.Request) -> int:
    raw = request.match_info["agent_id"]
    if not raw.isdigit():
        raise BadRequest("The agent id in the path must be a number.")
    return int(raw)


def _secret_response(payload: dict[str, Any], status: int = 200) -> web.Response:
    response = web.json_response(payload, status=status)
    response.headers["Cache-Control"] = "no-store"  # carries a secret
    return response


# --- tenants ------------------------------------------------------------------------------


@_admin_errors
async def create_tenant(request: web.Request) -> web.Response:
    """A new tenant; its identity secret is in this answer only."""
    actor = await _admin_for_change(request)
    body = await json_body(request)
    hours = body.get("business_hours", json.loads(DEFAULT_BUSINESS_HOURS))
    if not isinstance(hours, dict):
        raise BadRequest("'business_hours' must be an object like {\"mon\": [[\"08:00\", \"16:00\"]], ...}.")
    spec = NewTenant(
        slug=_string(body, "slug"),
        name=_string(body, "name"),
        trade=_string(body, "trade"),
        language=_string(body, "language"),
        time_zone=_string(body, "time_zone"),
        currency=_string(body, "currency"),
        ticket_prefix=_string(body, "ticket_prefix"),
        business_hours=hours,
        allowed_origins=tuple(_strings(body, "allowed_origins", default=[])),
        auto_assign=_boolean(body, "auto_assign", True),
    )
    tenant, secret = await admin.create_tenant(request.app[DATABASE].sessionmaker, spec, actor=actor)
    return _secret_response({"tenant": _tenant_view(tenant), "identity_secret": secret}, status=201)


@_admin_errors
async def rotate_identity_secret(request: web.Request) -> web.Response:
    """A new identity secret for the tenant (in this answer only); the old one stops verifying."""
    actor = await _admin_for_change(request)
    slug = request.match_info["slug"]
    secret = await admin.rotate_identity_secret(request.app[DATABASE].sessionmaker, slug, actor=actor)
    return _secret_response({"tenant": slug, "identity_secret": secret})


def _tenant_view(tenant: TenantRef) -> dict[str, Any]:
    return {"id": tenant.id, "slug": tenant.slug, "ticket_prefix": tenant.ticket_prefix}


# --- agents ---------------------------------------------------------------------------------


@_admin_errors
async def create_agent(request: web.Request) -> web.Response:
    """A new agent; the password is taken from the body and never echoed."""
    actor = await _admin_for_change(request)
    body = await json_body(request)
    tenant_slugs = _strings(body, "tenants", default=[])
    try:
        agent = await admin.create_agent(
            request.app[DATABASE].sessionmaker,
            email=_string(body, "email"),
            display_name=_string(body, "display_name"),
            password=_string(body, "password"),
            role=_string(body, "role", default="agent"),
            tenant_slugs=tenant_slugs,
            languages=_strings(body, "languages", default=["en"]),
            max_concurrent_chats=_integer(
                body, "max_concurrent_chats", agent_store.DEFAULT_MAX_CONCURRENT_CHATS
            ),
            actor=actor,
        )
    except TenantNotFound as error:
        raise _body_tenants(error) from None
    return web.json_response({"agent": _agent_view(agent, tenant_slugs)}, status=201)


@_admin_errors
async def set_agent_tenants(request: web.Request) -> web.Response:
    """Replace the agent's tenants; their open chats of dropped tenants go back to the queue."""
    actor = await _admin_for_change(request)
    slugs = _strings(await json_body(request), "tenants")
    sessionmaker = request.app[DATABASE].sessionmaker
    agent_id = _agent_id(request)
    email = await _agent_email(sessionmaker, agent_id)
    try:
        requeued = await admin.set_agent_tenants(sessionmaker, email, slugs, actor=actor)
    except TenantNotFound as error:
        raise _body_tenants(error) from None
    await request.app[AGENT_HUB].access_changed(agent_id)  # open consoles narrow at once
    return web.json_response({"tenants": list(dict.fromkeys(slugs)), "requeued": requeued})


@_admin_errors
async def set_agent_languages(request: web.Request) -> web.Response:
    actor = await _admin_for_change(request)
    languages = _strings(await json_body(request), "languages")
    sessionmaker = request.app[DATABASE].sessionmaker
    agent_id = _agent_id(request)
    await admin.set_agent_languages(
        sessionmaker, await _agent_email(sessionmaker, agent_id), languages, actor=actor
    )
    async with sessionmaker() as session:
        stored = await agent_store.get_agent(session, agent_id)
        return web.json_response({"languages": list(stored.languages) if stored else []})


@_admin_errors
async def reset_password(request: web.Request) -> web.Response:
    """Set a new password and end every session of the agent (the password is never echoed)."""
    actor = await _admin_for_change(request)
    password = _string(await json_body(request), "password")
    sessionmaker = request.app[DATABASE].sessionmaker
    agent_id = _agent_id(request)
    email = await _agent_email(sessionmaker, agent_id)
    ended = await admin.reset_password(sessionmaker, email, password, actor=actor)
    await request.app[AGENT_HUB].access_changed(agent_id)  # open consoles close at once
    return web.json_response({"sessions_ended": ended})


async def _agent_email(sessionmaker: Sessionmaker, agent_id: int) -> str:
    """The admin use cases name agents by e-mail, the REST paths by id."""
    async with sessionmaker() as session:
        agent = await agent_store.get_agent(session, agent_id)
        if agent is None:
            raise AgentNotFound(agent_id)
        return agent.email


def _agent_view(agent: Agent, tenant_slugs: list[str]) -> dict[str, Any]:
    return {
        "id": agent.id,
        "email": agent.email,
        "display_name": agent.display_name,
        "role": agent.role,
        "languages": list(agent.languages),
        "tenants": list(dict.fromkeys(tenant_slugs)),
        "max_concurrent_chats": agent.max_concurrent_chats,
    }


# --- canned responses and FAQ answers -------------------------------------------------------


@_admin_errors
async def list_canned(request: web.Request) -> web.Response:
    await _admin(request)
    responses = await admin.canned_responses(request.app[DATABASE].sessionmaker, request.match_info["slug"])
    return web.json_response({"canned": [views.canned_view(item) for item in responses]})


@_admin_errors
async def put_canned(request: web.Request) -> web.Response:
    """Add a canned response (201) or replace the text of its shortcut (200)."""
    actor = await _admin_for_change(request)
    body = await json_body(request)
    shortcut, text = _string(body, "shortcut"), _string(body, "text")
    added = await admin.put_canned_response(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], shortcut, text, actor=actor
    )
    return web.json_response(
        {"canned": {"shortcut": normalize_shortcut(shortcut), "text": text.strip()}, "added": added},
        status=201 if added else 200,
    )


@_admin_errors
async def remove_canned(request: web.Request) -> web.Response:
    actor = await _admin_for_change(request)
    slug, shortcut = request.match_info["slug"], request.match_info["shortcut"]
    if not await admin.remove_canned_response(
        request.app[DATABASE].sessionmaker, slug, shortcut, actor=actor
    ):
        raise NotFound(f"{slug} has no canned response /{normalize_shortcut(shortcut)}.")
    return web.json_response({"removed": normalize_shortcut(shortcut)})


@_admin_errors
async def list_faq(request: web.Request) -> web.Response:
    """The tenant's FAQ answers, optionally of one language (?language=nb)."""
    await _admin(request)
    language = request.query.get("language")
    if language is not None and language not in LANGUAGES:
        raise BadRequest(f"language must be one of {', '.join(LANGUAGES)}.")
    answers = await admin.faq_answers(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], language=language
    )
    return web.json_response({"faq": [_faq_view(answer) for answer in answers]})


@_admin_errors
async def put_faq(request: web.Request) -> web.Response:
    """Add (201) or replace (200) the tenant's answer for a response key and language."""
    actor = await _admin_for_change(request)
    answer = _string(await json_body(request), "answer")
    key, language = request.match_info["key"], request.match_info["language"]
    added = await admin.set_faq_answer(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], key, language, answer, actor=actor
    )
    return web.json_response(
        {"faq": {"key": key.strip().lower(), "language": language, "answer": answer.strip()}, "added": added},
        status=201 if added else 200,
    )


def _faq_view(answer: FaqAnswer) -> dict[str, Any]:
    return {"key": answer.key, "language": answer.language, "answer": answer.answer}


# --- API keys of the public REST API -----------------------------------------------------------


@_admin_errors
async def list_api_keys(request: web.Request) -> web.Response:
    """The tenant's API keys: prefix, name, scopes, last use, revocation (never the key)."""
    await _admin(request)
    rows = await admin.list_api_keys(request.app[DATABASE].sessionmaker, request.match_info["slug"])
    return web.json_response({"api_keys": [_api_key_view(row) for row in rows]})


@_admin_errors
async def create_api_key(request: web.Request) -> web.Response:
    """A new key; the key itself is in this answer only (stored as a hash)."""
    actor = await _admin_for_change(request)
    body = await json_body(request)
    row, key = await admin.create_api_key(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], _string(body, "name"),
        _strings(body, "scopes"), actor=actor,
    )
    return _secret_response({"api_key": _api_key_view(row), "key": key}, status=201)


@_admin_errors
async def revoke_api_key(request: web.Request) -> web.Response:
    actor = await _admin_for_change(request)
    try:
        row = await admin.revoke_api_key(
            request.app[DATABASE].sessionmaker, request.match_info["slug"], request.match_info["prefix"],
            actor=actor,
        )
    except ApiKeyNotFound as error:
        raise NotFound(f"{str(error).capitalize()}.") from None
    return web.json_response({"api_key": _api_key_view(row)})


def _api_key_view(row: ApiKey) -> dict[str, Any]:
    return {
        "prefix": row.prefix,
        "name": row.name,
        "scopes": list(row.scopes),
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


# --- URL map -----------------------------------------------------------------------------------


def add_admin_routes(app: web.Application, prefix: str) -> None:
    """Register the admin endpoints under `prefix` (the console's /agent/api/admin)."""
    tenant = f"{prefix}/tenants/{{slug}}"
    agent = f"{prefix}/agents/{{agent_id}}"
    router = app.router
    router.add_post(f"{prefix}/tenants", create_tenant)
    router.add_post(f"{tenant}/identity-secret", rotate_identity_secret)
    router.add_post(f"{prefix}/agents", create_agent)
    router.add_put(f"{agent}/tenants", set_agent_tenants)
    router.add_put(f"{agent}/languages", set_agent_languages)
    router.add_post(f"{agent}/password", reset_password)
    router.add_get(f"{tenant}/canned", list_canned)
    router.add_post(f"{tenant}/canned", put_canned)
    router.add_delete(f"{tenant}/canned/{{shortcut}}", remove_canned)
    router.add_get(f"{tenant}/faq", list_faq)
    router.add_put(f"{tenant}/faq/{{key}}/{{language}}", put_faq)
    router.add_get(f"{tenant}/api-keys", list_api_keys)
    router.add_post(f"{tenant}/api-keys", create_api_key)
    router.add_delete(f"{tenant}/api-keys/{{prefix}}", revoke_api_key)
