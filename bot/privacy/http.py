"""Console endpoints for personal data (JSON), under the console's API prefix:

  GET  {api}/audit?tenant_id=&action=&before_id=&limit=       supervisors and admins
  POST {api}/admin/tenants/{slug}/subjects/export  {"account" | "email" | "conversation": ...}
  POST {api}/admin/tenants/{slug}/subjects/erase   {... , "with_account": false}   admins only

Each handler is a thin edge over a use case of bot/privacy; login, CSRF and the error
answers are the console's own.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.console.api import json_body
from bot.console.errors import Forbidden, to_gateway_error
from bot.console.session_auth import agent_for_change, current_agent
from bot.db.audit import Actor
from bot.db.errors import DomainError
from bot.gateway.errors import BadRequest, NotFound
from bot.console.keys import DATABASE, SETTINGS
from bot.privacy.audit import ADMIN_ROLE, list_for_supervisor
from bot.privacy.subjects import SELECTORS, Subject, SubjectNotFound, erase_subject, export_subject
from bot.privacy.tracker import TrackerStore


def add_privacy_routes(app: web.Application, api: str) -> None:
    router = app.router
    router.add_get(f"{api}/audit", audit_log)
    subjects = f"{api}/admin/tenants/{{slug}}/subjects"
    router.add_post(f"{subjects}/export", export)
    router.add_post(f"{subjects}/erase", erase)


async def audit_log(request: web.Request) -> web.Response:
    scope = (await current_agent(request)).scope
    query = request.query
    try:
        found = await list_for_supervisor(
            request.app[DATABASE], scope,
            tenant_id=_integer(query.get("tenant_id")), action=query.get("action") or None,
            before_id=_integer(query.get("before_id")), limit=_integer(query.get("limit")) or 100,
        )
    except DomainError as error:
        raise to_gateway_error(error) from None
    return web.json_response({"entries": [asdict(entry) for entry in found]}, dumps=_dumps)


async def export(request: web.Request) -> web.Response:
    agent = await agent_for_change(request)  # a POST: the session's CSRF token too
    _require_admin(agent.scope.role)
    subject = _subject(request, await json_body(request))
    tracker = TrackerStore.beside(request.app[SETTINGS].database_url)
    try:
        data = await export_subject(request.app[DATABASE], tracker, subject, Actor.agent(agent.scope),
                                    by=f"agent {agent.scope.agent_id}")
    except SubjectNotFound as error:
        raise NotFound(str(error).capitalize() + ".") from None
    finally:
        await tracker.dispose()
    return web.json_response(data, dumps=_dumps)


async def erase(request: web.Request) -> web.Response:
    agent = await agent_for_change(request)
    _require_admin(agent.scope.role)
    body = await json_body(request)
    subject = _subject(request, body)
    with_account = body.get("with_account", False) is True
    tracker = TrackerStore.beside(request.app[SETTINGS].database_url)
    try:
        erased = await erase_subject(request.app[DATABASE], tracker, subject, Actor.agent(agent.scope),
                                     by=f"agent {agent.scope.agent_id}", with_account=with_account)
    except SubjectNotFound as error:
        raise NotFound(str(error).capitalize() + ".") from None
    finally:
        await tracker.dispose()
    return web.json_response({"erased": erased.as_dict()})


def _require_admin(role: str) -> None:
    if role != ADMIN_ROLE:
        raise Forbidden("Only admins may do that.")


def _subject(request: web.Request, body: dict[str, Any]) -> Subject:
    named = [(kind, body[kind]) for kind in SELECTORS if isinstance(body.get(kind), str) and body[kind].strip()]
    if len(named) != 1:
        raise BadRequest(f"name the person by exactly one of {', '.join(SELECTORS)}")
    kind, value = named[0]
    return Subject(request.match_info["slug"], kind, value.strip())


def _integer(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise BadRequest("expected a whole number")
    return int(raw)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)
