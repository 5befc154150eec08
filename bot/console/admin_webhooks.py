"""Admin REST endpoints for a tenant's webhooks, under /agent/api/admin/tenants/{slug}/webhooks.

The same use cases as `python -m bot webhooks` (bot.webhooks.admin), the same access rules
and error shape as the rest of the admin API (bot.console.admin_api): admins only, CSRF on
writes, {"error": {"code", "message"}}. A secret appears once, in the answer of the request
that made it (register, rotate), with Cache-Control: no-store. An endpoint of another tenant
is not found, whatever its id.

    GET    .../webhooks                          endpoints (+ the event types one may choose)
    POST   .../webhooks                          register {"url", "events"} -> endpoint + secret
    GET    .../webhooks/{id}                     one endpoint
    PATCH  .../webhooks/{id}                     {"events": [...]} and/or {"enabled": bool}
    POST   .../webhooks/{id}/secret              rotate {"overlap_hours": 24} -> new secret
    DELETE .../webhooks/{id}                     remove it and its deliveries
    GET    .../webhooks/deliveries               the delivery log (?endpoint=&status=&event=&limit=)
    POST   .../webhooks/deliveries/{id}/redeliver  queue a delivery again now
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.console.admin_http import require_admin, admin_for_change, body_boolean, secret_response, body_strings
from bot.console.api import json_body
from bot.console.errors import to_gateway_error
from bot.console.keys import DATABASE, SETTINGS
from bot.db.errors import DomainError, TenantNotFound
from bot.db.models import WEBHOOK_EVENT_TYPES
from bot.db.webhooks import ALL_EVENTS, DeliveryRecord, InvalidWebhook, WebhookNotFound
from bot.gateway.errors import BadRequest, NotFound
from bot.webhooks import admin as webhooks
from bot.webhooks.admin import EndpointView
from bot.webhooks.guard import DestinationRefused

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_OVERLAP_HOURS = 168


def _webhook_errors(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except InvalidWebhook as error:
            raise BadRequest(f"{error}.") from None
        except DestinationRefused as error:
            raise BadRequest(f"url: {error}.") from None
        except (TenantNotFound, WebhookNotFound) as error:
            raise NotFound(f"{str(error).capitalize()}.") from None
        except DomainError as error:
            raise to_gateway_error(error) from None

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def _id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 12:
        raise BadRequest(f"The {name.replace('_', ' ')} in the path must be a number.")
    return int(raw)


def _query_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise BadRequest(f"'{name}' must be a whole number.")
    return int(raw)


@_webhook_errors
async def list_endpoints(request: web.Request) -> web.Response:
    await require_admin(request)
    found = await webhooks.list_endpoints(request.app[DATABASE].sessionmaker, request.match_info["slug"])
    return web.json_response({
        "endpoints": [endpoint_json(e) for e in found],
        "event_types": list(WEBHOOK_EVENT_TYPES),
        "all_events": ALL_EVENTS,
    })


@_webhook_errors
async def register_endpoint(request: web.Request) -> web.Response:
    """A new endpoint; its secret is in this answer only."""
    actor = await admin_for_change(request)
    body = await json_body(request)
    url = body.get("url")
    if not isinstance(url, str):
        raise BadRequest("'url' is required and must be a string.")
    endpoint, secret = await webhooks.register_endpoint(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], url,
        body_strings(body, "events", default=[ALL_EVENTS]),
        allow_loopback_http=request.app[SETTINGS].webhooks.allow_loopback_http, actor=actor,
    )
    return secret_response({"endpoint": endpoint_json(endpoint), "secret": secret}, status=201)


@_webhook_errors
async def get_endpoint(request: web.Request) -> web.Response:
    await require_admin(request)
    endpoint = await webhooks.get_endpoint(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], _id(request, "endpoint_id")
    )
    return web.json_response({"endpoint": endpoint_json(endpoint)})


@_webhook_errors
async def update_endpoint(request: web.Request) -> web.Response:
    """Change the events and/or enable (e.g. after it was disabled for failing) or disable."""
    actor = await admin_for_change(request)
    body = await json_body(request)
    unknown = sorted(set(body) - {"events", "enabled"})
    if unknown or not body:
        raise BadRequest("Send 'events' (a list of event types) and/or 'enabled' (true or false).")
    events = body_strings(body, "events") if "events" in body else None
    enabled = body_boolean(body, "enabled", True) if "enabled" in body else None
    endpoint = await webhooks.update_endpoint(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], _id(request, "endpoint_id"),
        events=events, enabled=enabled, actor=actor,
    )
    return web.json_response({"endpoint": endpoint_json(endpoint)})


@_webhook_errors
async def rotate_secret(request: web.Request) -> web.Response:
    """A new secret (in this answer only); the previous one keeps signing for the overlap."""
    actor = await admin_for_change(request)
    body = await json_body(request) if request.can_read_body else {}
    default = request.app[SETTINGS].webhooks.rotation_overlap.total_seconds() / 3600
    hours = body.get("overlap_hours", default)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 <= hours <= MAX_OVERLAP_HOURS:
        raise BadRequest(f"'overlap_hours' must be a number from 0 to {MAX_OVERLAP_HOURS}.")
    endpoint, secret = await webhooks.rotate_secret(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], _id(request, "endpoint_id"),
        overlap=timedelta(hours=hours), actor=actor,
    )
    return secret_response({"endpoint": endpoint_json(endpoint), "secret": secret})


@_webhook_errors
async def remove_endpoint(request: web.Request) -> web.Response:
    actor = await admin_for_change(request)
    endpoint_id = _id(request, "endpoint_id")
    await webhooks.remove_endpoint(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], endpoint_id, actor=actor
    )
    return web.json_response({"removed": endpoint_id})


@_webhook_errors
async def list_deliveries(request: web.Request) -> web.Response:
    """Newest first; filter by ?endpoint=ID, ?status=pending|delivered|failed, ?event=evt_..."""
    await require_admin(request)
    limit = _query_int(request, "limit")
    found = await webhooks.deliveries(
        request.app[DATABASE].sessionmaker, request.match_info["slug"],
        endpoint_id=_query_int(request, "endpoint"), status=request.query.get("status"),
        event_id=request.query.get("event"), limit=50 if limit is None else limit,
    )
    return web.json_response({"deliveries": [delivery_json(d) for d in found]})


@_webhook_errors
async def redeliver(request: web.Request) -> web.Response:
    actor = await admin_for_change(request)
    record = await webhooks.redeliver(
        request.app[DATABASE].sessionmaker, request.match_info["slug"], _id(request, "delivery_id"),
        actor=actor,
    )
    return web.json_response({"delivery": delivery_json(record)}, status=202)


def endpoint_json(endpoint: EndpointView) -> dict[str, Any]:
    notice = None
    if endpoint.disabled_for_failing:
        # What the firm's owner is told: why it stopped, and what to do.
        notice = (
            f"Disabled: {endpoint.disabled_reason}. Deliveries are kept in the log;"
            " enable the endpoint (PATCH {\"enabled\": true}) and redeliver what was missed."
        )
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_for_failing": endpoint.disabled_for_failing,
        "notice": notice,
        "failing_since": _time(endpoint.failing_since),
        "previous_secret_valid_until": _time(endpoint.previous_secret_valid_until),
        "created_at": _time(endpoint.created_at),
        "updated_at": _time(endpoint.updated_at),
    }


def delivery_json(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "endpoint_id": record.endpoint_id,
        "event_id": record.event_id,
        "event_type": record.event_type,
        "status": record.status,
        "attempts": record.attempts,
        "next_attempt_at": _time(record.next_attempt_at) if record.status == "pending" else None,
        "last_status_code": record.last_status_code,
        "last_error": record.last_error,
        "delivered_at": _time(record.delivered_at),
        "created_at": _time(record.created_at),
    }


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def add_webhook_routes(app: web.Application, prefix: str) -> None:
    """Under `prefix` (the console's /agent/api/admin). The delivery routes come first:
    'deliveries' is not an endpoint id."""
    base = f"{prefix}/tenants/{{slug}}/webhooks"
    router = app.router
    router.add_get(f"{base}/deliveries", list_deliveries)
    router.add_post(f"{base}/deliveries/{{delivery_id}}/redeliver", redeliver)
    router.add_get(base, list_endpoints)
    router.add_post(base, register_endpoint)
    router.add_get(f"{base}/{{endpoint_id}}", get_endpoint)
    router.add_patch(f"{base}/{{endpoint_id}}", update_endpoint)
    router.add_delete(f"{base}/{{endpoint_id}}", remove_endpoint)
    router.add_post(f"{base}/{{endpoint_id}}/secret", rotate_secret)
