"""The firm's webhooks in the portal: `add_webhooks_routes(app)`.

  /portal/t/{slug}/webhooks                                   list, register (POST), recent deliveries
  /portal/t/{slug}/webhooks/{endpoint_id}/events|enabled|rotate|delete   changes (POST)
  /portal/t/{slug}/webhooks/deliveries/{delivery_id}/redeliver          send one again (POST)

The same use cases as the CLI and the BPO admin API (bot.webhooks.admin): their validation
(https only, no private addresses) and their audit entries, with the portal user as actor.
Secrets appear only in the answer that made them (register, rotate), never on the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.db.models import WEBHOOK_EVENT_TYPES
from bot.db.webhooks import ALL_EVENTS, InvalidWebhook, WebhookNotFound
from bot.portal.access import PortalAccess, require_portal_access
from bot.portal.errors import PageNotFound
from bot.portal.pages import render_page
from bot.portal.settings_forms import saved, sessionmaker, text
from bot.webhooks import admin
from bot.webhooks.guard import DestinationRefused

WEBHOOKS = "/t/{tenant_slug}/webhooks"
ENDPOINT = WEBHOOKS + "/{endpoint_id:\\d+}"
EVENT_CHOICES = (ALL_EVENTS, *WEBHOOK_EVENT_TYPES)
EVENT_LABELS = {ALL_EVENTS: "Everything (except message.created, which must be chosen by name)"}
RECENT_DELIVERIES = 30
DEFAULT_OVERLAP_HOURS = "24"


def add_webhooks_routes(app: web.Application) -> None:
    app.router.add_get(WEBHOOKS, webhooks_page)
    app.router.add_post(WEBHOOKS, register_endpoint)
    app.router.add_post(f"{ENDPOINT}/events", change_events)
    app.router.add_post(f"{ENDPOINT}/enabled", change_enabled)
    app.router.add_post(f"{ENDPOINT}/rotate", rotate_secret)
    app.router.add_post(f"{ENDPOINT}/delete", delete_endpoint)
    app.router.add_post(WEBHOOKS + "/deliveries/{delivery_id:\\d+}/redeliver", redeliver)


async def webhooks_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    return await _page(request, access, flash=_flash(request.query))


async def register_endpoint(request: web.Request) -> web.Response:
    """The secret is in this one response (no-store) and nowhere else, ever."""
    access = await require_portal_access(request, write=True)
    posted = await request.post()
    form = {"url": text(posted, "url"), "events": _events(posted)}
    try:
        endpoint, secret = await admin.register_endpoint(
            sessionmaker(request), access.tenant_slug, form["url"], form["events"], actor=access.actor)
    except (InvalidWebhook, DestinationRefused) as error:
        return await _page(request, access, form=form, errors=_problem(error, "url"), status=400)
    return render_page(request, "webhooks_secret.html", access=access, title="Webhook registered",
                       nav_key="webhooks", endpoint=endpoint, secret=secret, rotated=False)


async def change_events(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    endpoint_id = _id(request, "endpoint_id")
    try:
        await admin.update_endpoint(sessionmaker(request), access.tenant_slug, endpoint_id,
                                    events=_events(await request.post()), actor=access.actor)
    except WebhookNotFound:
        raise PageNotFound() from None
    except InvalidWebhook as error:
        return await _page(request, access, errors=_problem(error, "events"), error_for=endpoint_id, status=400)
    raise saved(access, "webhooks")


async def change_enabled(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    enabled = text(await request.post(), "enabled") == "yes"
    try:
        await admin.update_endpoint(sessionmaker(request), access.tenant_slug, _id(request, "endpoint_id"),
                                    enabled=enabled, actor=access.actor)
    except WebhookNotFound:
        raise PageNotFound() from None
    raise saved(access, "webhooks", "enabled" if enabled else "disabled")


async def rotate_secret(request: web.Request) -> web.Response:
    """The new secret, shown once; the previous one keeps signing for the overlap."""
    access = await require_portal_access(request, write=True)
    endpoint_id = _id(request, "endpoint_id")
    hours = text(await request.post(), "overlap_hours").strip() or DEFAULT_OVERLAP_HOURS
    try:
        overlap = timedelta(hours=float(hours))
        endpoint, secret = await admin.rotate_secret(
            sessionmaker(request), access.tenant_slug, endpoint_id, overlap=overlap, actor=access.actor)
    except WebhookNotFound:
        raise PageNotFound() from None
    except (InvalidWebhook, ValueError, OverflowError):
        return await _page(request, access, error_for=endpoint_id, status=400,
                           errors={"overlap_hours": "The overlap must be a number of hours from 0 to 168."})
    return render_page(request, "webhooks_secret.html", access=access, title="New webhook secret",
                       nav_key="webhooks", endpoint=endpoint, secret=secret, rotated=True)


async def delete_endpoint(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    try:
        await admin.remove_endpoint(sessionmaker(request), access.tenant_slug, _id(request, "endpoint_id"),
                                    actor=access.actor)
    except WebhookNotFound:
        raise PageNotFound() from None
    raise saved(access, "webhooks", "deleted")


async def redeliver(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    try:
        await admin.redeliver(sessionmaker(request), access.tenant_slug, _id(request, "delivery_id"),
                              actor=access.actor)
    except WebhookNotFound:
        raise PageNotFound() from None
    raise saved(access, "webhooks", "redelivered")


async def _page(
    request: web.Request, access: PortalAccess, *, form: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None, error_for: int | None = None, status: int = 200, flash: str = "",
) -> web.Response:
    db = sessionmaker(request)
    endpoints = await admin.list_endpoints(db, access.tenant_slug)
    deliveries = await admin.deliveries(db, access.tenant_slug, limit=RECENT_DELIVERIES)
    return render_page(
        request, "webhooks.html", access=access, title="Webhooks", nav_key="webhooks", status=status,
        endpoints=endpoints, deliveries=deliveries, urls={e.id: e.url for e in endpoints},
        form=form or {"url": "", "events": []}, errors=dict(errors or {}), error_for=error_for, flash=flash,
        event_choices=EVENT_CHOICES, event_labels=EVENT_LABELS, overlap_default=DEFAULT_OVERLAP_HOURS,
    )


FLASHES = {
    "saved": "Saved.",
    "enabled": "Enabled. Deliveries to it start again.",
    "disabled": "Disabled. Nothing is sent to it until it is enabled again.",
    "deleted": "Deleted. Its pending deliveries are dropped.",
    "redelivered": "Queued again: it is sent within a minute.",
}


def _flash(query: Mapping[str, str]) -> str:
    return next((message for flag, message in FLASHES.items() if flag in query), "")


def _events(posted: Any) -> list[str]:
    return [value for value in posted.getall("events", []) if isinstance(value, str)]


def _problem(error: Exception, default_field: str) -> dict[str, str]:
    if isinstance(error, InvalidWebhook):
        return {error.field: f"{error.field.capitalize()}: {error.problem}"}
    return {default_field: f"This address cannot receive webhooks: {error}"}


def _id(request: web.Request, name: str) -> int:
    return int(request.match_info[name])
