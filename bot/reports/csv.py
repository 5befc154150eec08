"""Each report as a CSV file (RFC 4180, UTF-8 with a byte-order mark so spreadsheets detect it).

Cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return) are prefixed with an apostrophe: the not-understood messages are customers' words.
Rates are fractions (0.375), durations whole seconds with milliseconds, as in docs/reports.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.reports.queries import FullReport

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UnknownReport(LookupError):
    pass


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def conversations(report: FullReport) -> str:
    return _write(
        ("day", "conversations", "self_served", "handed_off", "abandoned", "still_open", "self_service_rate"),
        (
            (d.day.isoformat(), d.conversations, d.self_served, d.handed_off, d.abandoned, d.still_open, d.self_service_rate)
            for d in report.self_service.days
        ),
    )


def handoffs(report: FullReport) -> str:
    rows: list[tuple[Any, ...]] = [("handoff", reason, count) for reason, count in report.handoffs.by_reason.items()]
    rows += [
        ("ticket", "outside_hours", report.handoffs.after_hours_tickets),
        ("ticket", "no_agent_available", report.handoffs.no_agent_tickets),
    ]
    return _write(("kind", "reason", "count"), rows)


def times(report: FullReport) -> str:
    t = report.times
    return _write(
        ("measure", "count", "p50_seconds", "p90_seconds"),
        (
            (name, p.count, p.p50, p.p90)
            for name, p in (("time_in_queue", t.queue), ("first_human_response", t.first_response), ("time_to_resolve", t.resolve))
        ),
    )


def agent_hours(report: FullReport) -> str:
    days = report.scope.days
    return _write(
        ("local_hour", "chats", "chats_per_day"),
        ((f"{h.hour:02d}:00", h.chats, round(h.per_day(days), 4)) for h in report.agent_hours),
    )


def csat(report: FullReport) -> str:
    c = report.csat
    rows: list[tuple[Any, ...]] = [
        ("resolved_by_agent", c.resolved),
        ("rated", c.rated),
        ("response_rate", c.response_rate),
        ("average", c.average),
    ]
    rows += [(f"rating_{stars}", n) for stars, n in c.distribution.items()]
    # Per agent only when the report has them (computed for BPO supervisors alone).
    rows = [("all", *row) for row in rows]
    for a in c.per_agent:
        rows += [(a.name, "resolved_by_agent", a.resolved), (a.name, "rated", a.rated), (a.name, "average", a.average)]
    return _write(("agent", "measure", "value"), rows)


def intents(report: FullReport) -> str:
    return _write(("intent", "messages"), ((i.name, i.count) for i in report.intents))


def faq(report: FullReport) -> str:
    return _write(("faq_topic", "messages"), ((i.name, i.count) for i in report.faq))


def fallbacks(report: FullReport) -> str:
    f = report.fallbacks
    rows: list[tuple[Any, ...]] = [
        ("summary", "customer_messages_understood_or_not", f.understood_or_not),
        ("summary", "not_understood", f.not_understood),
        ("summary", "fallback_rate", f.rate),
    ]
    rows += [("message", m.name, m.count) for m in f.top_messages]
    return _write(("kind", "text", "value"), rows)


WRITERS: dict[str, Callable[[FullReport], str]] = {
    "conversations": conversations,
    "handoffs": handoffs,
    "times": times,
    "agent_hours": agent_hours,
    "csat": csat,
    "intents": intents,
    "faq": faq,
    "fallbacks": fallbacks,
}


def report_csv(name: str, report: FullReport) -> str:
    writer = WRITERS.get(name)
    if writer is None:
        raise UnknownReport(name)
    return writer(report)
