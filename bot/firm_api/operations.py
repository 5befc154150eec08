"""Each endpoint declared once: method, path, scope, parameters, body and responses.

`route_handler(operation)` turns a declaration into the aiohttp handler that authenticates,
checks the scope, parses and validates the input against the declared schemas and calls the
endpoint's function; bot.firm_api.openapi writes the same declarations out as OpenAPI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.db.api_keys import Caller
from bot.db.tenants import TenantRef
from bot.firm_api import schema as s
from bot.firm_api.auth import authorize
from bot.firm_api.deps import FirmApiDeps
from bot.firm_api.errors import FirmApiError, InvalidRequest

MAX_BODY_BYTES = 2 * 1024 * 1024  # a batch of 1,000 accounts fits with room to spare
_INTEGER = re.compile(r"-?[0-9]{1,18}")


@dataclass(frozen=True)
class Param:
    name: str
    schema: s.Schema
    description: str
    required: bool = False


@dataclass(frozen=True)
class Response:
    status: int
    description: str
    schema: s.Schema | None = None  # None: no body
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Call:
    """One validated request: who calls, for which tenant, with what."""

    caller: Caller
    tenant: TenantRef
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    deps: FirmApiDeps


@dataclass(frozen=True)
class Reply:
    status: int
    payload: Any = None  # None with 204


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # below the sub-app's mount point, e.g. "/v1/firm/tickets/{reference}"
    operation_id: str
    summary: str
    tag: str
    scope: str
    handler: Handler
    description: str = ""
    path_params: tuple[Param, ...] = ()
    query: tuple[Param, ...] = ()
    body: s.Schema | None = None
    body_description: str = ""
    responses: tuple[Response, ...] = ()
    components: dict[str, s.Schema] = field(default_factory=dict)


def route_handler(
    operation: Operation, deps: Callable[[web.Request], FirmApiDeps], components: dict[str, s.Schema]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        shared = deps(request)
        caller, tenant = await authorize(request, shared, operation.scope)
        path = _parsed_params(operation.path_params, request.match_info, "path", components)
        query = _parsed_query(operation.query, request, components)
        body = await _parsed_body(operation, request, components) if operation.body is not None else None
        reply = await operation.handler(Call(caller, tenant, path, query, body, shared))
        if reply.payload is None:
            return web.Response(status=reply.status)
        return web.json_response(reply.payload, status=reply.status)

    handle.__name__ = operation.operation_id
    return handle


def _parsed_params(
    params: tuple[Param, ...], raw: Any, where: str, components: dict[str, s.Schema]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    found: list[str] = []
    for param in params:
        if param.name not in raw:
            if param.required:
                found.append(f"{where}.{param.name}: required")
            continue
        value = _typed(raw[param.name], param.schema)
        found += s.problems(param.schema, value, f"{where}.{param.name}", components)
        values[param.name] = value
    if found:
        raise InvalidRequest("; ".join(found))
    return values


def _parsed_query(params: tuple[Param, ...], request: web.Request, components: dict[str, s.Schema]) -> dict[str, Any]:
    known = {p.name for p in params}
    # Strict: a misspelt filter (?stauts=open) must not quietly answer everything.
    found = [f"query.{name}: unknown parameter" for name in dict.fromkeys(request.query) if name not in known]
    found += [f"query.{p.name}: give it once" for p in params if len(request.query.getall(p.name, [])) > 1]
    if found:
        raise InvalidRequest("; ".join(found))
    return _parsed_params(params, request.query, "query", components)


def _typed(raw: str, schema: s.Schema) -> Any:
    """Query and path values arrive as text; integers are converted when they look like one."""
    types = schema.get("type")
    names = [types] if isinstance(types, str) else (types or [])
    if "integer" in names and _INTEGER.fullmatch(raw):
        return int(raw)
    return raw


async def _parsed_body(operation: Operation, request: web.Request, components: dict[str, s.Schema]) -> Any:
    # Read from the stream: the gateway's small client_max_size is for the widget's REST calls.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge()
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The body must be JSON (UTF-8).") from None
    assert operation.body is not None
    found = s.problems(operation.body, body, "body", components)
    if found:
        raise InvalidRequest("; ".join(found[:20]))
    return body


class BodyTooLarge(FirmApiError):
    code = "body_too_large"
    status = 413
    default_message = f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB."
