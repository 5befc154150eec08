"""Every report number, computed in the database (docs/reports.md defines each one).

One scope for all of them: a tenant, a range of its local days (in its time zone), and
optionally a language. A conversation belongs to the range by when it started, and every
number about it (its outcome, its waits, its rating) counts there, so those numbers add up
with each other; message numbers (intents, FAQ answers, fallbacks) count the customer
messages sent in the range.

Queries aggregate in SQL (grouped counts, window-function percentiles); what comes back is
at most a few hundred rows per report. Instants are grouped into UTC quarter hours in the
database and mapped to the tenant's local day or hour here (bot/reports/sql.py says why).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Select,
    and_,
    case,
    func,
    literal,
    not_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnElement

from bot.db.models import LANGUAGES, Agent, Conversation, Message, Tenant, Ticket
from bot.reports.sql import QUARTER_SECONDS, quarter, seconds_between

MAX_RANGE_DAYS = 366
TOP_LIMIT = 10

NOT_UNDERSTOOD_INTENT = "nlu_fallback"
FAQ_PREFIX = "faq/"

# Handoff reasons as stored (actions/handoff.py, actions/fallback.py, the gateway) -> report group.
HANDOFF_GROUPS = (
    "asked_for_person",
    "complaint",
    "not_understood",
    "verification_failed",
    "assistant_unavailable",
    "other",
)
REASONS_BY_GROUP: dict[str, tuple[str, ...]] = {
    "asked_for_person": ("customer_request", "unanswered_question"),
    "complaint": ("complaint",),
    "not_understood": ("nlu_fallback", "repeated_misses"),
    "verification_failed": ("verification_failed",),
    "assistant_unavailable": ("assistant_unavailable",),
}
AFTER_HOURS = "outside_hours"


class InvalidReportScope(ValueError):
    """The range or language cannot be reported on; the message says why."""


@dataclass(frozen=True)
class ReportScope:
    """A tenant's local days first_day..last_day (both included), optionally one language."""

    tenant_id: int
    time_zone: str
    first_day: date
    last_day: date
    language: str | None = None

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise InvalidReportScope("the range ends before it starts")
        if self.days > MAX_RANGE_DAYS:
            raise InvalidReportScope(f"a range is at most {MAX_RANGE_DAYS} days")
        if self.language is not None and self.language not in LANGUAGES:
            raise InvalidReportScope(f"language must be one of {', '.join(LANGUAGES)}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def starts(self) -> datetime:
        """The first local midnight, in UTC."""
        return datetime.combine(self.first_day, time(), tzinfo=self.zone).astimezone(UTC)

    @property
    def ends(self) -> datetime:
        """The local midnight after the last day, in UTC (excluded)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), tzinfo=self.zone).astimezone(UTC)

    def previous(self) -> ReportScope:
        """The same number of days just before (for trends)."""
        return ReportScope(
            self.tenant_id,
            self.time_zone,
            self.first_day - timedelta(days=self.days),
            self.first_day - timedelta(days=1),
            self.language,
        )

    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(self.days)]


async def tenant_time_zone(session: AsyncSession, tenant_id: int) -> str:
    zone = await session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id))
    if zone is None:
        raise InvalidReportScope("no such tenant")
    return str(zone)


async def scope_for(
    session: AsyncSession,
    tenant_id: int,
    first_day: date,
    last_day: date,
    language: str | None = None,
) -> ReportScope:
    """The scope in the tenant's own time zone."""
    return ReportScope(tenant_id, await tenant_time_zone(session, tenant_id), first_day, last_day, language)


def last_week(time_zone: str, today: date | None = None) -> tuple[date, date]:
    """The seven local days before today (the dashboard's range)."""
    today = today or datetime.now(ZoneInfo(time_zone)).date()
    return today - timedelta(days=7), today - timedelta(days=1)


# --- The conversations of a scope, and what each one came to ----------------------------


def _in_scope(scope: ReportScope) -> ColumnElement[bool]:
    """The scope's conversations: the tenant's, started in the range, in which the customer wrote."""
    conditions = [
        Conversation.tenant_id == scope.tenant_id,
        Conversation.created_at >= scope.starts,
        Conversation.created_at < scope.ends,
        Conversation.last_seq > 0,
    ]
    if scope.language is not None:
        conditions.append(Conversation.language == scope.language)
    return and_(*conditions)


_HANDED_OFF = Conversation.handoff_reason.is_not(None)
_ENDED = Conversation.ended_at.is_not(None)


# conversations.made_request: a customer message was understood as a request (written as the
# bot answered it, bot/reports/requests.py), so no report needs to read the messages for it.
_SERVED = and_(_ENDED, not_(_HANDED_OFF), Conversation.made_request.is_(True))
_ABANDONED = and_(_ENDED, not_(_HANDED_OFF), Conversation.made_request.is_(False))
_STILL_OPEN = and_(not_(_ENDED), not_(_HANDED_OFF))


async def _analytical(session: AsyncSession) -> None:
    """PostgreSQL settings for report queries, for the rest of this transaction (a report's
    session is its own): no JIT compilation (~0.25 s per big query, saving less), and hash
    joins instead of nested loops, which the planner picks on its far too low estimate of
    the grouped messages (a nested loop then probes 100,000 conversations one by one)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))
        await session.execute(text("SET LOCAL enable_nestloop = off"))


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class DayCounts:
    """One local day: conversations started, by outcome (served + handed_off + abandoned + open)."""

    day: date
    conversations: int = 0
    self_served: int = 0
    handed_off: int = 0
    abandoned: int = 0
    still_open: int = 0

    @property
    def self_service_rate(self) -> float | None:
        return _rate(self.self_served, self.self_served + self.handed_off)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _local(quarter_number: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(quarter_number * QUARTER_SECONDS, UTC).astimezone(zone)


async def conversations_per_day(session: AsyncSession, scope: ReportScope) -> list[DayCounts]:
    """Every day of the range (zeros included), oldest first."""
    await _analytical(session)
    bucket = quarter(Conversation.created_at).label("quarter")
    rows = await session.execute(
        select(
            bucket,
            func.count(),
            _count_if(_SERVED),
            _count_if(_HANDED_OFF),
            _count_if(_ABANDONED),
            _count_if(_STILL_OPEN),
        )
        .where(_in_scope(scope))
        .group_by(bucket)
    )
    zone = scope.zone
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in rows:
        counts = totals[_local(row[0], zone).date()]
        for index, value in enumerate(row[1:]):
            counts[index] += int(value)
    return [DayCounts(day, *totals.get(day, [0, 0, 0, 0, 0])) for day in scope.day_list()]


@dataclass(frozen=True)
class Totals:
    conversations: int
    self_served: int
    handed_off: int
    abandoned: int
    still_open: int

    @property
    def self_service_rate(self) -> float | None:
        return _rate(self.self_served, self.self_served + self.handed_off)


async def totals(session: AsyncSession, scope: ReportScope) -> Totals:
    await _analytical(session)
    row = (
        await session.execute(
            select(
                func.count(), _count_if(_SERVED), _count_if(_HANDED_OFF), _count_if(_ABANDONED), _count_if(_STILL_OPEN)
            ).where(_in_scope(scope))
        )
    ).one()
    return Totals(*(int(value) for value in row))


@dataclass(frozen=True)
class SelfService:
    """The rate over the range, per day, and the same rate over the period before."""

    totals: Totals
    days: list[DayCounts]
    previous_rate: float | None

    @property
    def rate(self) -> float | None:
        return self.totals.self_service_rate

    @property
    def change(self) -> float | None:
        """Percentage points up (+) or down (-) against the previous period."""
        if self.rate is None or self.previous_rate is None:
            return None
        return self.rate - self.previous_rate


async def self_service(session: AsyncSession, scope: ReportScope) -> SelfService:
    days = await conversations_per_day(session, scope)
    summed = Totals(
        sum(day.conversations for day in days),
        sum(day.self_served for day in days),
        sum(day.handed_off for day in days),
        sum(day.abandoned for day in days),
        sum(day.still_open for day in days),
    )
    previous = await totals(session, scope.previous())
    return SelfService(summed, days, previous.self_service_rate)


# --- Handoffs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Handoffs:
    by_reason: dict[str, int]  # every HANDOFF_GROUPS entry, zeros included
    after_hours_tickets: int
    no_agent_tickets: int

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


def _reason_group() -> ColumnElement[str]:
    return case(
        *[
            (Conversation.handoff_reason.in_(reasons), literal(group))
            for group, reasons in REASONS_BY_GROUP.items()
        ],
        else_=literal("other"),
    )


async def handoffs(session: AsyncSession, scope: ReportScope) -> Handoffs:
    await _analytical(session)
    group = _reason_group().label("reason_group")
    rows = await session.execute(
        select(group, func.count()).where(_in_scope(scope), _HANDED_OFF).group_by(group)
    )
    by_reason = dict.fromkeys(HANDOFF_GROUPS, 0)
    for name, count in rows:
        by_reason[name] += int(count)
    tickets = await _left_tickets(session, scope)
    return Handoffs(by_reason, tickets.get(AFTER_HOURS, 0), tickets.get("no_agent_available", 0))


async def _left_tickets(session: AsyncSession, scope: ReportScope) -> dict[str, int]:
    """Tickets left because nobody could come, created in the range, by why."""
    query = (
        select(Ticket.closed_reason, func.count())
        .where(
            Ticket.tenant_id == scope.tenant_id,
            Ticket.closed_reason.is_not(None),
            Ticket.created_at >= scope.starts,
            Ticket.created_at < scope.ends,
        )
        .group_by(Ticket.closed_reason)
    )
    if scope.language is not None:
        query = query.join(
            Conversation,
            and_(Conversation.tenant_id == Ticket.tenant_id, Conversation.id == Ticket.conversation_id),
        ).where(Conversation.language == scope.language)
    return {reason: int(count) for reason, count in await session.execute(query)}


# --- Waiting and handling times ------------------------------------------------------------


@dataclass(frozen=True)
class Percentiles:
    """Nearest-rank percentiles (seconds) of `count` measurements; None without any."""

    count: int
    p50: float | None
    p90: float | None


@dataclass(frozen=True)
class Times:
    queue: Percentiles  # queued -> an agent took it
    first_response: Percentiles  # queued -> the first agent message
    resolve: Percentiles  # queued -> resolved


async def _percentiles(session: AsyncSession, measured: Select[Any]) -> Percentiles:
    """measured: a query with one column `seconds` (one row per measurement)."""
    inner = measured.subquery()
    ranked = select(
        inner.c.seconds,
        func.row_number().over(order_by=inner.c.seconds).label("rank"),
        func.count().over().label("n"),
    ).subquery()

    def at(percent: int) -> ColumnElement[Any]:
        # Nearest rank: the smallest value whose rank is at least ceil(percent * n / 100).
        return func.min(case((ranked.c.rank >= (percent * ranked.c.n + 99) // 100, ranked.c.seconds)))

    row = (await session.execute(select(func.count(), at(50), at(90)).select_from(ranked))).one()
    count, p50, p90 = row
    return Percentiles(int(count), _milliseconds(p50), _milliseconds(p90))


def _milliseconds(seconds: Any) -> float | None:
    # SQLite computes durations from Julian day floats: exact to well under a millisecond.
    return None if seconds is None else round(float(seconds), 3)


def _first_agent_messages(scope: ReportScope) -> Any:
    """When an agent first wrote in each conversation: one grouped pass over the agents' messages
    since the range began (hashed and joined, not looked up conversation by conversation)."""
    return (
        select(Message.conversation_id, func.min(Message.created_at).label("at"))
        .where(Message.tenant_id == scope.tenant_id, Message.role == "agent", Message.created_at >= scope.starts)
        .group_by(Message.conversation_id)
        .subquery("first_agent_messages")
    )


async def times(session: AsyncSession, scope: ReportScope) -> Times:
    await _analytical(session)
    queued = and_(_in_scope(scope), Conversation.queued_at.is_not(None))
    queue = select(seconds_between(Conversation.queued_at, Conversation.assigned_at).label("seconds")).where(
        queued, Conversation.assigned_at >= Conversation.queued_at
    )
    first = _first_agent_messages(scope)
    first_response = (
        select(seconds_between(Conversation.queued_at, first.c.at).label("seconds"))
        .select_from(Conversation)
        .join(first, first.c.conversation_id == Conversation.id)
        .where(queued, first.c.at >= Conversation.queued_at)
    )
    resolve = select(seconds_between(Conversation.queued_at, Conversation.resolved_at).label("seconds")).where(
        queued, Conversation.resolved_at >= Conversation.queued_at
    )
    return Times(
        await _percentiles(session, queue),
        await _percentiles(session, first_response),
        await _percentiles(session, resolve),
    )


@dataclass(frozen=True)
class HourLoad:
    hour: int  # local hour of day, 0..23
    chats: int  # chats agents took in that hour, over the whole range

    def per_day(self, days: int) -> float:
        return self.chats / days if days else 0.0


async def agent_chats_per_hour(session: AsyncSession, scope: ReportScope) -> list[HourLoad]:
    """Chats agents took (assigned_at), per local hour of the day: 24 rows."""
    await _analytical(session)
    bucket = quarter(Conversation.assigned_at).label("quarter")
    rows = await session.execute(
        select(bucket, func.count())
        .where(_in_scope(scope), Conversation.assigned_at.is_not(None))
        .group_by(bucket)
    )
    per_hour = [0] * 24
    zone = scope.zone
    for quarter_number, count in rows:
        per_hour[_local(quarter_number, zone).hour] += int(count)
    return [HourLoad(hour, chats) for hour, chats in enumerate(per_hour)]


# --- Satisfaction --------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentCsat:
    agent_id: int
    name: str
    resolved: int
    rated: int
    average: float | None


@dataclass(frozen=True)
class Csat:
    resolved: int  # chats an agent resolved: the ones the customer was asked to rate
    rated: int
    average: float | None
    distribution: dict[int, int]  # 1..5, zeros included
    per_agent: list[AgentCsat] = field(default_factory=list)  # only when asked (supervisors)

    @property
    def response_rate(self) -> float | None:
        return _rate(self.rated, self.resolved)


_RESOLVED = Conversation.resolved_at.is_not(None)


async def csat(session: AsyncSession, scope: ReportScope, *, per_agent: bool = False) -> Csat:
    await _analytical(session)
    rows = await session.execute(
        select(Conversation.rating, func.count())
        .where(_in_scope(scope), _RESOLVED)
        .group_by(Conversation.rating)
    )
    distribution = dict.fromkeys(range(1, 6), 0)
    resolved = 0
    for rating, count in rows:
        resolved += int(count)
        if rating is not None:
            distribution[int(rating)] += int(count)
    rated = sum(distribution.values())
    average = sum(r * n for r, n in distribution.items()) / rated if rated else None
    agents: list[AgentCsat] = []
    if per_agent:
        agents = await _csat_per_agent(session, scope)
    return Csat(resolved, rated, average, distribution, agents)


async def _csat_per_agent(session: AsyncSession, scope: ReportScope) -> list[AgentCsat]:
    rows = await session.execute(
        select(
            Agent.id,
            Agent.display_name,
            func.count(),
            func.count(Conversation.rating),
            func.avg(Conversation.rating),
        )
        .join(Agent, Agent.id == Conversation.assigned_agent_id)
        .where(_in_scope(scope), _RESOLVED)
        .group_by(Agent.id, Agent.display_name)
        .order_by(Agent.display_name, Agent.id)
    )
    return [
        AgentCsat(int(agent_id), name, int(resolved), int(rated), None if avg is None else float(avg))
        for agent_id, name, resolved, rated, avg in rows
    ]


# --- Understanding: intents, FAQ answers, fallbacks ------------------------------------------


def _customer_messages(scope: ReportScope, *conditions: ColumnElement[bool]) -> Select[Any]:
    """FROM/WHERE of the customer messages sent in the range (of the language's conversations)."""
    query = select().select_from(Message).where(
        Message.tenant_id == scope.tenant_id,
        Message.role == "customer",
        Message.created_at >= scope.starts,
        Message.created_at < scope.ends,
        *conditions,
    )
    if scope.language is not None:
        query = query.join(
            Conversation,
            and_(Conversation.tenant_id == Message.tenant_id, Conversation.id == Message.conversation_id),
        ).where(Conversation.language == scope.language)
    return query


@dataclass(frozen=True)
class Counted:
    name: str
    count: int


async def top_intents(session: AsyncSession, scope: ReportScope, limit: int = TOP_LIMIT) -> list[Counted]:
    """Customer messages by what they were understood as; every FAQ topic counts as "faq"."""
    await _analytical(session)
    name = case((Message.intent.like(f"{FAQ_PREFIX}%"), literal("faq")), else_=Message.intent).label("name")
    rows = await session.execute(
        _customer_messages(scope, Message.intent.is_not(None))
        .add_columns(name, func.count().label("n"))
        .group_by(name)
        .order_by(func.count().desc(), name)
        .limit(limit)
    )
    return [Counted(str(intent), int(count)) for intent, count in rows]


async def faq_answers_used(session: AsyncSession, scope: ReportScope, limit: int = TOP_LIMIT) -> list[Counted]:
    """FAQ topics customers' messages were understood as (the answer the assistant gave)."""
    await _analytical(session)
    rows = await session.execute(
        _customer_messages(scope, Message.intent.like(f"{FAQ_PREFIX}%"))
        .add_columns(Message.intent, func.count())
        .group_by(Message.intent)
        .order_by(func.count().desc(), Message.intent)
        .limit(limit)
    )
    return [Counted(str(intent)[len(FAQ_PREFIX):], int(count)) for intent, count in rows]


@dataclass(frozen=True)
class Fallbacks:
    understood_or_not: int  # customer messages whose understanding is known
    not_understood: int
    top_messages: list[Counted]  # the stored (redacted) text, most frequent first

    @property
    def rate(self) -> float | None:
        return _rate(self.not_understood, self.understood_or_not)


async def fallbacks(session: AsyncSession, scope: ReportScope, limit: int = TOP_LIMIT) -> Fallbacks:
    await _analytical(session)
    row = (
        await session.execute(
            _customer_messages(scope, Message.intent.is_not(None)).add_columns(
                func.count(), _count_if(Message.intent == NOT_UNDERSTOOD_INTENT)
            )
        )
    ).one()
    said = func.lower(func.trim(Message.text)).label("said")
    rows = await session.execute(
        _customer_messages(scope, Message.intent == NOT_UNDERSTOOD_INTENT)
        .add_columns(said, func.count())
        .group_by(said)
        .order_by(func.count().desc(), said)
        .limit(limit)
    )
    return Fallbacks(int(row[0]), int(row[1]), [Counted(str(t), int(n)) for t, n in rows])


# --- Everything at once (the dashboard, the CSV files) -----------------------------------------


@dataclass(frozen=True)
class FullReport:
    scope: ReportScope
    self_service: SelfService
    handoffs: Handoffs
    times: Times
    agent_hours: list[HourLoad]
    csat: Csat
    intents: list[Counted]
    faq: list[Counted]
    fallbacks: Fallbacks


async def full_report(session: AsyncSession, scope: ReportScope, *, per_agent: bool = False) -> FullReport:
    return FullReport(
        scope,
        await self_service(session, scope),
        await handoffs(session, scope),
        await times(session, scope),
        await agent_chats_per_hour(session, scope),
        await csat(session, scope, per_agent=per_agent),
        await top_intents(session, scope),
        await faq_answers_used(session, scope),
        await fallbacks(session, scope),
    )


__all__ = [
    "Counted",
    "Csat",
    "DayCounts",
    "FullReport",
    "Handoffs",
    "InvalidReportScope",
    "ReportScope",
    "SelfService",
    "Times",
    "agent_chats_per_hour",
    "conversations_per_day",
    "csat",
    "faq_answers_used",
    "fallbacks",
    "full_report",
    "handoffs",
    "last_week",
    "scope_for",
    "self_service",
    "times",
    "top_intents",
]
