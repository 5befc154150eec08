"""Every report number on a week whose answers are known (tests/reports/known_week.py),
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.tenants import TenantRef
from bot.reports import queries
from bot.reports.queries import Counted, InvalidReportScope, ReportScope
from tests.reports.known_week import FIRST_DAY, LAST_DAY, KnownWeek, seed_known_week


@pytest.fixture
async def week(session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef) -> KnownWeek:
    known = await seed_known_week(session, nordlys, fjordnett)
    await session.commit()
    return known


@pytest.fixture
def scope(nordlys: TenantRef) -> ReportScope:
    return ReportScope(nordlys.id, "Europe/Oslo", FIRST_DAY, LAST_DAY)


async def test_conversations_per_day_count_each_local_day_by_outcome(session, week, scope) -> None:
    days = await queries.conversations_per_day(session, scope)
    assert [(d.day.day, d.conversations, d.self_served, d.handed_off, d.abandoned, d.still_open) for d in days] == [
        (2, 2, 2, 0, 0, 0),  # A, and B at 23:30 Oslo time
        (3, 2, 0, 1, 1, 0),  # C at 00:10 Oslo (23:10 UTC the day before), D
        (4, 2, 0, 2, 0, 0),  # E, F (L: nobody wrote, not counted)
        (5, 1, 0, 1, 0, 0),  # G
        (6, 1, 0, 1, 0, 0),  # H
        (7, 1, 0, 0, 0, 1),  # I, still open
        (8, 1, 1, 0, 0, 0),  # J (K at 00:30 on the 9th is next week)
    ]


async def test_self_service_rate_excludes_abandoned_and_open_and_compares_with_the_week_before(session, week, scope) -> None:
    result = await queries.self_service(session, scope)
    assert result.totals == queries.Totals(conversations=10, self_served=3, handed_off=5, abandoned=1, still_open=1)
    assert result.rate == pytest.approx(3 / 8)
    assert result.previous_rate == pytest.approx(1 / 2)
    assert result.change == pytest.approx(-0.125)
    assert [d.self_service_rate for d in result.days] == [1.0, 0.0, 0.0, 0.0, 0.0, None, 1.0]


async def test_handoffs_by_reason_group_and_tickets_left(session, week, scope) -> None:
    result = await queries.handoffs(session, scope)
    assert result.by_reason == {
        "asked_for_person": 1, "complaint": 1, "not_understood": 1,
        "verification_failed": 1, "assistant_unavailable": 1, "other": 0,
    }
    assert (result.total, result.after_hours_tickets, result.no_agent_tickets) == (5, 1, 1)


async def test_queue_first_response_and_resolve_times_are_nearest_rank_percentiles(session, week, scope) -> None:
    result = await queries.times(session, scope)
    assert result.queue == queries.Percentiles(3, 60.0, 300.0)  # 20, 60, 300 s
    assert result.first_response == queries.Percentiles(2, 120.0, 360.0)  # F: no agent message
    assert result.resolve == queries.Percentiles(3, 600.0, 1800.0)  # 600, 600, 1800 s


async def test_agent_chats_per_local_hour(session, week, scope) -> None:
    hours = await queries.agent_chats_per_hour(session, scope)
    assert len(hours) == 24
    assert {h.hour: h.chats for h in hours if h.chats} == {9: 1, 14: 1, 15: 1}
    assert hours[9].per_day(scope.days) == pytest.approx(1 / 7)


async def test_csat_average_distribution_response_rate_and_per_agent(session, week, scope) -> None:
    result = await queries.csat(session, scope, per_agent=True)
    assert (result.resolved, result.rated, result.average) == (3, 2, 3.5)
    assert result.distribution == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert result.response_rate == pytest.approx(2 / 3)
    assert [(a.agent_id, a.name, a.resolved, a.rated, a.average) for a in result.per_agent] == [
        (week.kari, "Kari", 2, 1, 5.0),
        (week.sofie, "Sofie", 1, 1, 2.0),
    ]
    assert (await queries.csat(session, scope)).per_agent == []  # only when asked for


async def test_top_intents_and_faq_answers_used(session, week, scope) -> None:
    assert await queries.top_intents(session, scope) == [
        Counted("nlu_fallback", 3), Counted("faq", 2), Counted("check_balance", 1), Counted("check_plan", 1),
        Counted("complain", 1), Counted("greet", 1), Counted("inform", 1), Counted("request_human", 1),
    ]
    assert await queries.faq_answers_used(session, scope) == [Counted("opening_hours", 2)]


async def test_fallback_rate_and_most_frequent_messages_not_understood(session, week, scope) -> None:
    result = await queries.fallbacks(session, scope)
    assert (result.not_understood, result.understood_or_not) == (3, 11)
    assert result.rate == pytest.approx(3 / 11)
    assert result.top_messages == [Counted("why is my bill so high", 3)]


async def test_a_language_narrows_every_number(session, week, scope) -> None:
    norwegian = ReportScope(scope.tenant_id, scope.time_zone, scope.first_day, scope.last_day, "nb")
    result = await queries.full_report(session, norwegian)
    assert result.self_service.totals == queries.Totals(7, 2, 3, 1, 1)
    assert result.handoffs.by_reason["complaint"] == 0
    assert (result.handoffs.after_hours_tickets, result.handoffs.no_agent_tickets) == (1, 0)
    assert result.csat.resolved == 2
    assert result.faq == [Counted("opening_hours", 1)]


async def test_another_tenants_identical_chats_never_count(session, week, scope, fjordnett) -> None:
    other = ReportScope(fjordnett.id, "Europe/Oslo", scope.first_day, scope.last_day)
    mine = await queries.full_report(session, scope)
    theirs = await queries.full_report(session, other)
    assert mine.self_service.totals.conversations == 10  # not 20
    assert theirs.self_service.totals.conversations == 10  # the copies of IN_RANGE
    assert theirs.self_service.previous_rate is None


async def test_an_empty_range_reports_zeros_and_no_rates(session, nordlys) -> None:
    from datetime import date

    empty = ReportScope(nordlys.id, "Europe/Oslo", date(2020, 1, 1), date(2020, 1, 7))
    result = await queries.full_report(session, empty, per_agent=True)
    assert result.self_service.totals == queries.Totals(0, 0, 0, 0, 0)
    assert result.self_service.rate is None and result.csat.average is None and result.fallbacks.rate is None
    assert result.times.queue == queries.Percentiles(0, None, None)


def test_a_scope_refuses_backwards_too_long_or_unknown_language_ranges() -> None:
    from datetime import date

    with pytest.raises(InvalidReportScope):
        ReportScope(1, "Europe/Oslo", date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(InvalidReportScope):
        ReportScope(1, "Europe/Oslo", date(2024, 1, 1), date(2026, 1, 1))
    with pytest.raises(InvalidReportScope):
        ReportScope(1, "Europe/Oslo", date(2026, 1, 1), date(2026, 1, 1), "de")


def test_a_scope_spans_local_midnights_across_daylight_saving_time() -> None:
    from datetime import UTC, date, datetime

    # 25 October 2026: Oslo leaves summer time; the day has 25 hours.
    scope = ReportScope(1, "Europe/Oslo", date(2026, 10, 25), date(2026, 10, 25))
    assert scope.starts == datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert scope.ends == datetime(2026, 10, 25, 23, tzinfo=UTC)
