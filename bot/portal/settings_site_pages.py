"""Branding (with a live preview), allowed origins, business hours and closures."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from bot.firm_settings import use_cases
from bot.firm_settings.errors import InvalidSettings
from bot.firm_settings.use_cases import FirmSettings
from bot.firm_settings.validation import Branding, format_day, time_zones
from bot.handoff.business_hours import WEEKDAYS
from bot.portal.access import PortalAccess, require_portal_access
from bot.portal.pages import render_page
from bot.portal.settings_forms import COMMON, SETTINGS, lines, saved, sessionmaker, text
from bot.portal.settings_preview import PREVIEW_ELEMENT, widget_preview

BRANDING_FIELDS = ("color", "title", "greeting", "avatar_url")
DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}


def add_site_routes(app: web.Application) -> None:
    app.router.add_get(f"{SETTINGS}/branding", branding_page)
    app.router.add_post(f"{SETTINGS}/branding/preview", preview_branding)
    app.router.add_post(f"{SETTINGS}/branding", save_branding)
    app.router.add_get(f"{SETTINGS}/origins", origins_page)
    app.router.add_post(f"{SETTINGS}/origins", save_origins)
    app.router.add_get(f"{SETTINGS}/hours", hours_page)
    app.router.add_post(f"{SETTINGS}/hours", save_hours)


# --- branding ----------------------------------------------------------------------------

async def branding_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    settings = await use_cases.firm_settings(sessionmaker(request), access.tenant_slug)
    form = {name: getattr(settings.branding, name) or "" for name in BRANDING_FIELDS}
    return _branding(request, access, settings, form, settings.branding, saved="saved" in request.query)


async def preview_branding(request: web.Request) -> web.Response:
    """The typed branding in the widget, nothing stored (or the form's problems)."""
    access = await require_portal_access(request, write=True)
    form = _branding_form(await request.post())
    settings = await use_cases.firm_settings(sessionmaker(request), access.tenant_slug)
    try:
        draft = use_cases.preview_branding(form)
    except InvalidSettings as error:
        return _branding(request, access, settings, form, settings.branding, errors=error.problems, status=400)
    return _branding(request, access, settings, form, draft, previewing=True)


async def save_branding(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    form = _branding_form(await request.post())
    try:
        await use_cases.update_branding(sessionmaker(request), access.tenant_slug, form, actor=access.actor)
    except InvalidSettings as error:
        settings = await use_cases.firm_settings(sessionmaker(request), access.tenant_slug)
        return _branding(request, access, settings, form, settings.branding, errors=error.problems, status=400)
    raise saved(access, "settings/branding")


def _branding_form(posted: Mapping[str, object]) -> dict[str, str]:
    return {name: text(posted, name) for name in BRANDING_FIELDS}


def _branding(
    request: web.Request,
    access: PortalAccess,
    settings: FirmSettings,
    form: Mapping[str, str],
    shown: Branding,
    *,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    saved: bool = False,
    previewing: bool = False,
) -> web.Response:
    note = ("Your changes as customers would see them. Not saved yet." if previewing
            else "As customers see the widget now.")
    return render_page(
        request, "settings_branding.html", access=access, title="Branding", nav_key="settings", status=status,
        form=form, errors=dict(errors or {}), saved=saved,
        preview=widget_preview(settings, shown), preview_element=PREVIEW_ELEMENT, preview_note=note, **COMMON,
    )


# --- allowed origins -------------------------------------------------------------------------

async def origins_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    settings = await use_cases.firm_settings(sessionmaker(request), access.tenant_slug)
    form = {"allowed_origins": "\n".join(settings.allowed_origins)}
    return _origins(request, access, form, saved="saved" in request.query)


async def save_origins(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    form = {"allowed_origins": text(await request.post(), "allowed_origins")}
    try:
        await use_cases.update_allowed_origins(
            sessionmaker(request), access.tenant_slug, lines(form["allowed_origins"]), actor=access.actor)
    except InvalidSettings as error:
        return _origins(request, access, form, errors=error.problems, status=400)
    raise saved(access, "settings/origins")


def _origins(
    request: web.Request, access: PortalAccess, form: Mapping[str, str], *,
    errors: Mapping[str, str] | None = None, status: int = 200, saved: bool = False,
) -> web.Response:
    return render_page(request, "settings_origins.html", access=access, title="Allowed websites",
                       nav_key="settings", status=status, form=form, errors=dict(errors or {}), saved=saved)


# --- business hours and closures ------------------------------------------------------------------

async def hours_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    hours = (await use_cases.firm_settings(sessionmaker(request), access.tenant_slug)).hours
    form = {"time_zone": hours.time_zone, "closed": "\n".join(hours.closed),
            **{day: format_day(hours.weekly.get(day) or []) for day in WEEKDAYS}}
    return _hours(request, access, form, saved="saved" in request.query)


async def save_hours(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    posted = await request.post()
    form = {name: text(posted, name) for name in ("time_zone", "closed", *WEEKDAYS)}
    try:
        await use_cases.update_business_hours(
            sessionmaker(request), access.tenant_slug, form["time_zone"], {day: form[day] for day in WEEKDAYS},
            lines(form["closed"]), actor=access.actor)
    except InvalidSettings as error:
        return _hours(request, access, form, errors=error.problems, status=400)
    raise saved(access, "settings/hours")


def _hours(
    request: web.Request, access: PortalAccess, form: Mapping[str, str], *,
    errors: Mapping[str, str] | None = None, status: int = 200, saved: bool = False,
) -> web.Response:
    return render_page(
        request, "settings_hours.html", access=access, title="Business hours", nav_key="settings",
        status=status, form=form, errors=dict(errors or {}), saved=saved,
        weekdays=WEEKDAYS, day_names=DAY_NAMES, zones=sorted(time_zones()),
    )
