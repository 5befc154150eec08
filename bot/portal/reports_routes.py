"""The reports pages: /portal/t/{slug}/reports (charts and tables), one CSV per report, and
the dashboard's headline numbers of last week.

Numbers come from bot/reports/queries.py, always for access.tenant_id; per-agent
satisfaction only for BPO supervisors (firm users see the firm's numbers, not the BPO's people).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.portal.access import PortalAccess, require_portal_access
from bot.portal.errors import InvalidInput, PageNotFound
from bot.portal.keys import DATABASE
from bot.portal.pages import render_page
from bot.reports import charts, csv
from bot.reports.queries import (
    HANDOFF_GROUPS,
    FullReport,
    InvalidReportScope,
    ReportScope,
    full_report,
    last_week,
    tenant_time_zone,
)

TENANT = "/t/{tenant_slug}"
REASON_LABELS = {
    "asked_for_person": "Asked for a person",
    "complaint": "Complaint",
    "not_understood": "Not understood",
    "verification_failed": "Verification failed",
    "assistant_unavailable": "Assistant unavailable",
    "other": "Other",
}
CSV_TITLES = {
    "conversations": "Conversations per day",
    "handoffs": "Handoffs by reason",
    "times": "Waiting and handling times",
    "agent_hours": "Agent chats per hour",
    "csat": "Customer satisfaction",
    "intents": "Top intents",
    "faq": "FAQ answers used",
    "fallbacks": "Not understood",
}


def add_reports_routes(app: web.Application) -> None:
    app.router.add_get(f"{TENANT}/reports", reports_page)
    for name in CSV_TITLES:  # one route each: the isolation matrix names every one
        app.router.add_get(f"{TENANT}/reports/{name}.csv", report_csv)


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise InvalidInput(f"{name} must be a date like 2026-11-02") from error


async def _scope(session: AsyncSession, request: web.Request, access: PortalAccess) -> ReportScope:
    """The range and language asked for (default: last week, every language)."""
    query = request.query
    first, last = _day(query.get("from"), "from"), _day(query.get("to"), "to")
    language = query.get("language") or None
    zone = await tenant_time_zone(session, access.tenant_id)
    default_first, default_last = last_week(zone)
    try:
        return ReportScope(access.tenant_id, zone, first or default_first, last or default_last, language)
    except InvalidReportScope as error:
        raise InvalidInput(str(error)) from error


async def _report(request: web.Request, access: PortalAccess) -> FullReport:
    async with request.app[DATABASE].sessionmaker() as session:
        scope = await _scope(session, request, access)
        return await full_report(session, scope, per_agent=access.is_supervisor)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def headline(report: FullReport) -> dict[str, Any]:
    """The few numbers a firm looks at first (dashboard and the top of the reports page)."""
    service = report.self_service
    change = service.change
    return {
        "conversations": service.totals.conversations,
        "self_service": _percent(service.rate),
        "trend": "–" if change is None else f"{change * 100:+.0f} points vs. the period before",
        "handed_off": service.totals.handed_off,
        "queue_p50": _duration(report.times.queue.p50),
        "csat": "–" if report.csat.average is None else f"{report.csat.average:.1f} / 5",
        "fallback_rate": _percent(report.fallbacks.rate),
    }


def _charts(report: FullReport) -> dict[str, Markup]:
    # bot/reports/charts.py escapes every text it draws: the SVG is safe to embed as is.
    return {name: Markup(svg) for name, svg in _svg_charts(report).items()}


def _svg_charts(report: FullReport) -> dict[str, str]:
    days = report.self_service.days
    labels = [d.day.strftime("%d.%m") for d in days]
    every = max(1, len(days) // 8)
    outcome = [
        charts.Series("Served by the assistant", [d.self_served for d in days], charts.PALETTE[0]),
        charts.Series("Handed to a person", [d.handed_off for d in days], charts.PALETTE[1]),
        charts.Series("Abandoned", [d.abandoned for d in days], charts.PALETTE[2]),
        charts.Series("Still open", [d.still_open for d in days], charts.PALETTE[3]),
    ]
    return {
        "conversations": charts.stacked_columns("Conversations per day, by outcome", labels, outcome, every=every),
        "self_service": charts.line("Self-service rate per day", labels, [d.self_service_rate for d in days], every=every),
        "handoffs": charts.horizontal_bars(
            "Handoffs by reason",
            [(REASON_LABELS[g], report.handoffs.by_reason[g]) for g in HANDOFF_GROUPS],
            colour=charts.PALETTE[1],
        ),
        "agent_hours": charts.stacked_columns(
            "Chats agents took, per hour of the day",
            [f"{h.hour:02d}" for h in report.agent_hours],
            [charts.Series("Chats", [h.chats for h in report.agent_hours], charts.PALETTE[1])],
            every=3,
        ),
        "csat": charts.horizontal_bars(
            "Ratings (1 to 5 stars)", [(f"{stars} ★", n) for stars, n in sorted(report.csat.distribution.items(), reverse=True)]
        ),
        "intents": charts.horizontal_bars("Top intents", [(i.name, i.count) for i in report.intents]),
    }


def _csv_links(access: PortalAccess, request: web.Request) -> dict[str, str]:
    query = request.query_string
    return {name: access.path(f"reports/{name}.csv") + (f"?{query}" if query else "") for name in CSV_TITLES}


async def reports_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    report = await _report(request, access)
    return render_page(
        request,
        "reports.html",
        access=access,
        title="Reports",
        nav_key="reports",
        report=report,
        numbers=headline(report),
        charts=_charts(report),
        csv_links=_csv_links(access, request),
        csv_titles=CSV_TITLES,
        reasons=REASON_LABELS,
        percent=_percent,
        duration=_duration,
    )


async def dashboard_numbers(request: web.Request, access: PortalAccess) -> dict[str, Any]:
    """Last week's headline numbers and the conversations chart, for the landing page."""
    async with request.app[DATABASE].sessionmaker() as session:
        zone = await tenant_time_zone(session, access.tenant_id)
        first, last = last_week(zone)
        report = await full_report(session, ReportScope(access.tenant_id, zone, first, last))
    return {
        "numbers": headline(report),
        "chart": _charts(report)["conversations"],
        "week": f"{first:%d.%m.%Y} – {last:%d.%m.%Y}",
    }


async def report_csv(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    name = request.path.rsplit("/", 1)[-1].removesuffix(".csv")
    if name not in CSV_TITLES:
        raise PageNotFound()
    report = await _report(request, access)
    scope = report.scope
    language = f"-{scope.language}" if scope.language else ""
    filename = f"{access.tenant_slug}-{name}-{scope.first_day}-{scope.last_day}{language}.csv"
    return web.Response(
        body=csv.report_csv(name, report).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
