"""The report figures through the public API: the same numbers bot.reports answers, for the
key's tenant only, never per agent, and clear refusals for bad ranges and missing scopes."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient

from bot.db import Database, TenantRef
from bot.firm_api.reports import report_view
from bot.reports.queries import ReportScope, full_report
from tests.reports.known_week import FIRST_DAY, LAST_DAY, KnownWeek, seed_known_week

from .conftest import KeyMaker, bearer

WEEK = f"/api/v1/firm/reports?from={FIRST_DAY}&to={LAST_DAY}"


@pytest.fixture
async def week(database: Database, nordlys: TenantRef, fjordnett: TenantRef) -> KnownWeek:
    async with database.sessionmaker.begin() as session:
        return await seed_known_week(session, nordlys, fjordnett)


async def test_the_figures_are_the_known_weeks_numbers_and_bot_reports_answer(
    api: TestClient, issue_key: KeyMaker, week: KnownWeek, database: Database, nordlys: TenantRef
) -> None:
    key = await issue_key("nordlys", "reports:read")

    response = await api.get(WEEK, headers=bearer(key))
    body = await response.json()

    assert response.status == 200
    assert (body["from"], body["to"], body["time_zone"], body["language"]) == (
        "2026-11-02", "2026-11-08", "Europe/Oslo", None)
    c = body["conversations"]
    assert (c["conversations"], c["self_served"], c["handed_off"], c["abandoned"], c["still_open"]) == (10, 3, 5, 1, 1)
    assert [(d["day"], d["conversations"]) for d in c["days"]][:3] == [
        ("2026-11-02", 2), ("2026-11-03", 2), ("2026-11-04", 2)]  # local days: B at 23:30 Oslo is Monday
    assert body["handoffs"]["by_reason"]["complaint"] == 1
    assert (body["handoffs"]["tickets_outside_hours"], body["handoffs"]["tickets_no_agent_available"]) == (1, 1)
    assert body["times"]["time_in_queue"] == {"count": 3, "p50_seconds": 60.0, "p90_seconds": 300.0}
    assert {h["local_hour"]: h["chats"] for h in body["agent_hours"] if h["chats"]} == {9: 1, 14: 1, 15: 1}
    assert (body["csat"]["resolved_by_agent"], body["csat"]["rated"], body["csat"]["average"]) == (3, 2, 3.5)
    assert body["csat"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert body["faq"] == [{"faq_topic": "opening_hours", "count": 2}]
    assert body["fallbacks"]["top_messages"] == [{"text": "why is my bill so high", "count": 3}]
    async with database.sessionmaker() as session:
        direct = await full_report(session, ReportScope(nordlys.id, "Europe/Oslo", FIRST_DAY, LAST_DAY))
    assert body == json.loads(json.dumps(report_view(direct)))


async def test_a_language_narrows_the_figures(api: TestClient, issue_key: KeyMaker, week: KnownWeek) -> None:
    key = await issue_key("nordlys", "reports:read")

    body = await (await api.get(f"{WEEK}&language=nb", headers=bearer(key))).json()

    assert body["language"] == "nb"
    assert body["conversations"]["conversations"] == 7
    assert body["handoffs"]["by_reason"]["complaint"] == 0
    assert body["faq"] == [{"faq_topic": "opening_hours", "count": 1}]


async def test_satisfaction_is_never_shown_per_agent(api: TestClient, issue_key: KeyMaker, week: KnownWeek) -> None:
    key = await issue_key("nordlys", "reports:read")

    text = await (await api.get(WEEK, headers=bearer(key))).text()

    assert "per_agent" not in text
    assert "Kari" not in text and "Sofie" not in text  # the agents who rated 5.0 and 2.0


async def test_another_tenants_chats_are_never_counted(
    api: TestClient, issue_key: KeyMaker, week: KnownWeek
) -> None:
    nordlys_key = await issue_key("nordlys", "reports:read")
    lighthouse_key = await issue_key("lighthouse", "reports:read")

    nordlys = await (await api.get(WEEK, headers=bearer(nordlys_key))).json()
    lighthouse = await (await api.get(WEEK, headers=bearer(lighthouse_key))).json()

    # fjordnett holds a copy of every in-range chat: counted, nordlys would see 20.
    assert nordlys["conversations"]["conversations"] == 10
    assert lighthouse["conversations"]["conversations"] == 0
    assert lighthouse["csat"]["average"] is None and lighthouse["faq"] == []


async def test_a_key_without_reports_read_is_refused(api: TestClient, issue_key: KeyMaker) -> None:
    key = await issue_key("nordlys", "tickets:read", "conversations:read")

    response = await api.get(WEEK, headers=bearer(key))

    assert response.status == 403
    assert (await response.json())["error"]["code"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("from=2026-11-08&to=2026-11-02", "ends before it starts"),
        ("from=2025-01-01&to=2026-01-02", "at most 366 days"),
        ("from=2026-11-31&to=2026-12-01", "query.from: must be a date"),
        ("from=yesterday&to=2026-12-01", "query.from: must be a date"),
        ("to=2026-12-01", "query.from: required"),
        ("from=0001-01-01&to=0001-01-02", "between 2000-01-01 and 2999-12-31"),
        ("from=9999-12-30&to=9999-12-31", "between 2000-01-01 and 2999-12-31"),
        ("from=2026-11-02&to=2026-11-08&language=de", "query.language: must be one of en, nb"),
        ("from=2026-11-02&to=2026-11-08&lang=nb", "query.lang: unknown parameter"),
    ],
)
async def test_bad_ranges_are_refused_with_the_reason(
    api: TestClient, issue_key: KeyMaker, query: str, named: str
) -> None:
    key = await issue_key("nordlys", "reports:read")

    response = await api.get(f"/api/v1/firm/reports?{query}", headers=bearer(key))

    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_request" and named in error["message"]


async def test_the_longest_range_is_accepted(api: TestClient, issue_key: KeyMaker) -> None:
    key = await issue_key("nordlys", "reports:read")

    response = await api.get("/api/v1/firm/reports?from=2025-01-01&to=2026-01-01", headers=bearer(key))

    assert response.status == 200  # 366 days, both ends included
