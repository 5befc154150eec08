"""The report figures (bot/reports, docs/reports.md) for a range of the tenant's local days.

One operation returns every report the portal offers, as numbers (the portal's CSV files hold
the same figures). Per-agent satisfaction is left out: the portal shows it to BPO supervisors
only, and a firm's key is the firm, not the BPO's people.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.db.models import LANGUAGES
from bot.firm_api import schema as s
from bot.firm_api.common import errors
from bot.firm_api.errors import InvalidRequest
from bot.firm_api.operations import Call, Operation, Param, Reply, Response
from bot.reports.queries import (
    HANDOFF_GROUPS,
    MAX_RANGE_DAYS,
    FullReport,
    InvalidReportScope,
    Percentiles,
    ReportScope,
    full_report,
    tenant_time_zone,
)

TAG = "Reports"
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
_COUNT = s.integer(minimum=0)
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_SECONDS = {"type": ["number", "null"], "minimum": 0}
_OUTCOMES = {
    "conversations": _COUNT, "self_served": _COUNT, "handed_off": _COUNT,
    "abandoned": _COUNT, "still_open": _COUNT, "self_service_rate": _RATE,
}
_PERCENTILES = s.obj({"count": _COUNT, "p50_seconds": _SECONDS, "p90_seconds": _SECONDS},
                     required=("count", "p50_seconds", "p90_seconds"))


def _counted(label: str) -> s.Schema:
    return s.array(s.obj({label: s.string(), "count": _COUNT}, required=(label, "count")))


REPORT = s.obj(
    {
        "from": s.string(fmt="date"),
        "to": s.string(fmt="date"),
        "time_zone": s.string(description="The tenant's time zone: the days are its local days"),
        "language": s.string(enum=LANGUAGES, nullable=True),
        "conversations": s.obj(
            {
                **_OUTCOMES,
                "previous_self_service_rate": _RATE,
                "days": s.array(s.obj({"day": s.string(fmt="date"), **_OUTCOMES}, required=("day", *_OUTCOMES))),
            },
            required=(*_OUTCOMES, "previous_self_service_rate", "days"),
        ),
        "handoffs": s.obj(
            {
                "by_reason": s.obj({g: _COUNT for g in HANDOFF_GROUPS}, required=HANDOFF_GROUPS),
                "tickets_outside_hours": _COUNT,
                "tickets_no_agent_available": _COUNT,
            },
            required=("by_reason", "tickets_outside_hours", "tickets_no_agent_available"),
        ),
        "times": s.obj(
            {"time_in_queue": _PERCENTILES, "first_human_response": _PERCENTILES, "time_to_resolve": _PERCENTILES},
            required=("time_in_queue", "first_human_response", "time_to_resolve"),
        ),
        "agent_hours": s.array(
            s.obj({"local_hour": s.integer(minimum=0, maximum=23), "chats": _COUNT}, required=("local_hour", "chats"))
        ),
        "csat": s.obj(
            {
                "resolved_by_agent": _COUNT, "rated": _COUNT, "response_rate": _RATE,
                "average": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
                "distribution": s.obj({str(n): _COUNT for n in range(1, 6)}, required=tuple(str(n) for n in range(1, 6))),
            },
            required=("resolved_by_agent", "rated", "response_rate", "average", "distribution"),
        ),
        "intents": _counted("intent"),
        "faq": _counted("faq_topic"),
        "fallbacks": s.obj(
            {
                "customer_messages_understood_or_not": _COUNT, "not_understood": _COUNT, "fallback_rate": _RATE,
                "top_messages": _counted("text"),
            },
            required=("customer_messages_understood_or_not", "not_understood", "fallback_rate", "top_messages"),
        ),
    },
    required=("from", "to", "time_zone", "language", "conversations", "handoffs", "times", "agent_hours",
              "csat", "intents", "faq", "fallbacks"),
    description="Every report of docs/reports.md for the range; rates are fractions (0.375), times seconds.",
)
COMPONENTS = {"Report": REPORT}


def _outcomes(counts: Any) -> dict[str, Any]:
    return {
        "conversations": counts.conversations, "self_served": counts.self_served,
        "handed_off": counts.handed_off, "abandoned": counts.abandoned, "still_open": counts.still_open,
        "self_service_rate": counts.self_service_rate,
    }


def _percentiles(p: Percentiles) -> dict[str, Any]:
    return {"count": p.count, "p50_seconds": p.p50, "p90_seconds": p.p90}


def report_view(report: FullReport) -> dict[str, Any]:
    scope, service, c, f = report.scope, report.self_service, report.csat, report.fallbacks
    return {
        "from": scope.first_day.isoformat(),
        "to": scope.last_day.isoformat(),
        "time_zone": scope.time_zone,
        "language": scope.language,
        "conversations": {
            **_outcomes(service.totals),
            "previous_self_service_rate": service.previous_rate,
            "days": [{"day": d.day.isoformat(), **_outcomes(d)} for d in service.days],
        },
        "handoffs": {
            "by_reason": dict(report.handoffs.by_reason),
            "tickets_outside_hours": report.handoffs.after_hours_tickets,
            "tickets_no_agent_available": report.handoffs.no_agent_tickets,
        },
        "times": {
            "time_in_queue": _percentiles(report.times.queue),
            "first_human_response": _percentiles(report.times.first_response),
            "time_to_resolve": _percentiles(report.times.resolve),
        },
        "agent_hours": [{"local_hour": h.hour, "chats": h.chats} for h in report.agent_hours],
        "csat": {
            "resolved_by_agent": c.resolved, "rated": c.rated, "response_rate": c.response_rate,
            "average": c.average, "distribution": {str(stars): n for stars, n in c.distribution.items()},
        },
        "intents": [{"intent": i.name, "count": i.count} for i in report.intents],
        "faq": [{"faq_topic": i.name, "count": i.count} for i in report.faq],
        "fallbacks": {
            "customer_messages_understood_or_not": f.understood_or_not, "not_understood": f.not_understood,
            "fallback_rate": f.rate, "top_messages": [{"text": m.name, "count": m.count} for m in f.top_messages],
        },
    }


async def get_report(call: Call) -> Reply:
    query = call.query
    first, last = date.fromisoformat(query["from"]), date.fromisoformat(query["to"])  # format checked
    # Far dates would overflow the period-before and the UTC bounds (a 500, not a report).
    if not (EARLIEST <= first and last <= LATEST):
        raise InvalidRequest(f"query: dates must lie between {EARLIEST} and {LATEST}")
    async with call.deps.database.sessionmaker() as session:
        zone = await tenant_time_zone(session, call.tenant.id)
        try:
            scope = ReportScope(call.tenant.id, zone, first, last, query.get("language"))
        except InvalidReportScope as error:
            raise InvalidRequest(f"query: {error}") from None
        report = await full_report(session, scope, per_agent=False)  # never per agent: see the module doc
    return Reply(200, report_view(report))


OPERATIONS = (
    Operation(
        "GET", "/v1/firm/reports", "getReport", "The report figures for a range of days", TAG,
        "reports:read", get_report,
        description=(
            "Every report the portal shows (conversations per day by outcome and the self-service rate, "
            "handoffs by reason, waiting and handling times, agent chats per local hour, customer "
            "satisfaction, top intents, FAQ answers used, not-understood messages) for the tenant's "
            f"local days from..to, both included, at most {MAX_RANGE_DAYS} days, between {EARLIEST} and "
            f"{LATEST}. Satisfaction is the "
            "firm's total, never per agent."
        ),
        query=(
            Param("from", s.string(fmt="date"), "The first local day, e.g. 2026-11-02", required=True),
            Param("to", s.string(fmt="date"), "The last local day (included), not before from", required=True),
            Param("language", s.string(enum=LANGUAGES), "Only conversations in this language"),
        ),
        responses=(Response(200, "The figures", s.ref("Report")), *errors()),
    ),
)
