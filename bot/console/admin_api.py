"""Admin REST endpoints under /agent/api/admin (JSON): the admin CLI's use cases over HTTP.

Every handler reuses bot.admin.use_cases (the same functions the CLI runs), so the
rules live in one place. Only agents with role 'admin' get through; every
state-changing request also needs the session's CSRF token. Passwords are taken,
never echoed; an identity secret appears once, in the answer of the request that
made it, and never in a log line (error logs carry only code and route).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console import views
from bot.console.admin_http import (
    admin_errors,
    admin_for_change,
    body_boolean,
    body_integer,
    body_string,
    body_strings,
    require_admin,
    secret_response,
)
from bot.console.api import json_body
from bot.db import agents as agent_store
from bot.db.agents import AgentNotFound
from bot.db.api_keys import ApiKeyNotFound
from bot.db.canned import normalize_shortcut
from bot.db.errors import TenantNotFound
from bot.db.models import LANGUAGES, Agent, ApiKey, FaqAnswer
from bot.db.tenant_admin import NewTenant
from bot.db.tenants import TenantRef
from bot.gateway.errors import BadRequest, GatewayError, NotFound
from bot.console.keys import AGENT_HUB, DATABASE
from bot.admin import use_cases as admin
from bot.admin.cli import DEFAULT_BUSINESS_HOURS

Sessionmaker = async_sessionmaker[AsyncSession]


# --- local helpers ------------------------------------------------------------


def _body_tenants(error: TenantNotFound) -> GatewayError:
    """An unknown slug named in the body is bad input (in the path it is 404)."""
    return BadRequest(f"tenants: no tenant {error.slug!r}")


def _agent_id(request: web.Request) -> int:
    raw = request.match_info["agent_id"]
    if not raw.isdigit():
        raise BadRequest("The agent id in the path must be a number.")
    return int(raw)


# --- tenants ------------------------------------------------------------------------------


@admin_errors
async def create_tenant(request: web.Request) -> web.Response:
    """A new tenant; its identity secret is in this answer only."""
    actor = await admin_for_change(request)
    body = await json_body(request)
    hours = body.get("business_hours", json.loads(DEFAULT_BUSINESS_HOURS))
    if not isinstance(hours, dict):
        raise BadRequest("'business_hours' must be an object like {\"mon\": [[\"08:00\", \"16:00\"]], ...}.")
    spec = NewTenant(
        slug=body_string(body, "slug"),
        name=body_string(body, "name"),
        trade=body_string(body, "trade"),
        language=body_string(body, "language"),
        time_zone=body_string(body, "time_zone"),
        currency=body_string(body, "currency"),
        ticket_prefix=body_string(body, "ticket_prefix"),
        business_hours=hours,
        allowed_origins=tuple(body_strings(body, "allowed_origins", default=[])),
        auto_assign=body_boolean(body, "auto_assign", True),
    )
    tenant, secret = await admin.create_tenant(request.app[DATABASE].sessionmaker, spec, actor=actor)
    return secret_response({"tenant": _tenant_view(tenant), "identity_secret": secret}, status=201)


@admin_errors
async def rotate_identity_secret(request: web.Request) -> web.Response:
    """A new identity secret for the tenant (in this answer only); the old one stops verifying."""
    actor = await admin_for_change(request)
    slug = request.match_info["slug"]
    secret = await admin.rotate_identity_secret(request.app[DATABASE].sessionmaker, slug, actor=actor)
    return secret_response({"tenant": slug, "identity_secret": secret})


def _tenant_view(tenant: TenantRef) -> dict[str, Any]:
    return {"id": tenant.id, "slug": tenant.slug, "ticket_prefix": tenant.ticket_prefix}


# --- agents ---------------------------------------------------------------------------------


@admin_errors
async def create_agent(request: web.Request) -> web.Response:
    """A new agent; the password is taken from the body and never echoed."""
    actor = await admin_for_change(request)
    body = await json_body(request)
    tenant_slugs = body_strings(body, "tenants", default=[])
    try:
        agent = await admin.create_agent(
            request.app[DATABASE].sessionmaker,
            email=body_string(body, "email"),
            display_name=body_string(body, "display_name"),
            password=body_string(body, "password"),
            role=body_string(body, "role", default="agent"),
            tenant_slugs=tenant_slugs,
            languages=body_strings(body, "languages", default=["en"]),
            max_concurrent_chats=body_integer(
                body, "max_concurrent_chats", agent_store.DEFAULT_MAX_CONCURRENT_CHATS
            ),
            actor=actor,
        )
    except TenantNotFound as error:
        raise _body_tenants(error) from None
    return web.json_response({"agent": _agent_view(agent, tenant_slugs)}, status=201)


@admin_errors
async def set_agent_tenants(request: web.Request) -> web.Response:
    """Replace the agent's tenants; their open chats of dropped tenants go back to the queue."""
    actor = await admin_for_change(request)
    slugs = body_strings(await json_body(request), "tenants")
    sessionmaker = request.app[DATABASE].sessionmaker
    agent_id = _agent_id(request)
    email = await _agent_email(sessionmaker, agent_id)
    try:
        requeued = await admin.set_agent_tenants(sessionmaker, email, slugs, actor=actor)
    except TenantNotFound as error:
        raise _body_tenants(error) from None
    await request.app[AGENT_HUB].access_changed(agent_id)  # open consoles narrow at once
    return web.json_response({"tenants": list(dict.fromkeys(slugs)), "requeued": requeued})


@admin_errors
async def set_agent_languages(request: web.Request) -> web.Response:
    actor = await admin_for_change(request)
    languages = body_strings(await json_body(request), "languages")
    sessionmaker = request.app[DATABASE].sessionmaker
    agent_id = _agent_id(request)
    await admin.set_agent_languages(
        sessionmaker, await _agent_email(sessionmaker, agent_id), languages, actor=actor
    )
    async with sessionmaker() as session:
        stored = await agent_store.get_agent(session, agent_id)
        return web.json_response({"languages": list(stored.languages) if stored else []})


@admin_errors
async def reset_password(request: web.Request) -> web.Response:
    """Set a new password and end every session of the agent (the password is never echoed)."""
    actor = await admin_for_change(request)
    password = body_string(await json_body(request), "password")
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


@admin_errors
async def list_canned(request: web.Request) -> web.Response:
    await require_admin(request)
    responses = await admin.canned_responses(request.app[DATABASE].sessionmaker, request.match_info["slug"])
    return web.json_response({"canned": [views.canned_view(item) for item in responses]})


@admin_errors
async def put_canned(request: web.Request) -> web.Response:
    """Add a canned response (201) or replace the text of its shortcut (200)."""
    actor = await admin_for_change(request)
    body = await json_body(request)
    shortcut, text = body_string(body, "shortcut"), body_string(body, "text")
    added = await admin.put_canned_response(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], shortcut, text, actor=actor
    )
    return web.json_response(
        {"canned": {"shortcut": normalize_shortcut(shortcut), "text": text.strip()}, "added": added},
        status=201 if added else 200,
    )


@admin_errors
async def remove_canned(request: web.Request) -> web.Response:
    actor = await admin_for_change(request)
    slug, shortcut = request.match_info["slug"], request.match_info["shortcut"]
    if not await admin.remove_canned_response(
        request.app[DATABASE].sessionmaker, slug, shortcut, actor=actor
    ):
        raise NotFound(f"{slug} has no canned response /{normalize_shortcut(shortcut)}.")
    return web.json_response({"removed": normalize_shortcut(shortcut)})


@admin_errors
async def list_faq(request: web.Request) -> web.Response:
    """The tenant's FAQ answers, optionally of one language (?language=nb)."""
    await require_admin(request)
    language = request.query.get("language")
    if language is not None and language not in LANGUAGES:
        raise BadRequest(f"language must be one of {', '.join(LANGUAGES)}.")
    answers = await admin.faq_answers(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], language=language
    )
    return web.json_response({"faq": [_faq_view(answer) for answer in answers]})


@admin_errors
async def put_faq(request: web.Request) -> web.Response:
    """Add (201) or replace (200) the tenant's answer for a response key and language."""
    actor = await admin_for_change(request)
    answer = body_string(await json_body(request), "answer")
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


@admin_errors
async def list_api_keys(request: web.Request) -> web.Response:
    """The tenant's API keys: prefix, name, scopes, last use, revocation (never the key)."""
    await require_admin(request)
    rows = await admin.list_api_keys(request.app[DATABASE].sessionmaker, request.match_info["slug"])
    return web.json_response({"api_keys": [_api_key_view(row) for row in rows]})


@admin_errors
async def create_api_key(request: web.Request) -> web.Response:
    """A new key; the key itself is in this answer only (stored as a hash)."""
    actor = await admin_for_change(request)
    body = await json_body(request)
    row, key = await admin.create_api_key(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], body_string(body, "name"),
        body_strings(body, "scopes"), actor=actor,
    )
    return secret_response({"api_key": _api_key_view(row), "key": key}, status=201)


@admin_errors
async def revoke_api_key(request: web.Request) -> web.Response:
    actor = await admin_for_change(request)
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
