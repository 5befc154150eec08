"""A tenant's landing page: /portal/t/{tenant_slug}/ (the reports fill it)."""

from __future__ import annotations

from aiohttp import web

from bot.portal.access import require_portal_access
from bot.portal.pages import render_page
from bot.portal.reports_routes import dashboard_numbers

TENANT = "/t/{tenant_slug}"


def add_dashboard_routes(app: web.Application) -> None:
    app.router.add_get(TENANT, to_dashboard)
    app.router.add_get(f"{TENANT}/", dashboard)


async def to_dashboard(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    raise web.HTTPPermanentRedirect(access.path())


async def dashboard(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    # Last week's headline numbers (bot/portal/reports_routes.py).
    last_week = await dashboard_numbers(request, access)
    return render_page(
        request, "reports_dashboard.html", access=access, title="Dashboard", nav_key="dashboard", **last_week
    )
