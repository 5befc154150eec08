"""The reports pages over HTTP: the known week's numbers on the page and in each CSV, per-agent
satisfaction only for BPO supervisors, and nobody else's tenant."""

from __future__ import annotations

import csv
import io

import pytest

from bot.db import Database
from bot.db.tenants import tenant_ref
from tests.reports.known_week import FIRST_DAY, LAST_DAY, seed_known_week

RANGE = f"from={FIRST_DAY}&to={LAST_DAY}"
REPORTS = "/portal/t/nordlys/reports"


@pytest.fixture(autouse=True)
async def known_week(portal_db: Database) -> None:
    async with portal_db.sessionmaker.begin() as session:
        await seed_known_week(session, await tenant_ref(session, "nordlys"), await tenant_ref(session, "fjordnett"))


def rows_of(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets detect UTF-8 by it
    return list(csv.reader(io.StringIO(text[1:])))


async def test_the_reports_page_shows_the_weeks_numbers(firm_admin) -> None:
    response = await firm_admin.get(f"{REPORTS}?{RANGE}")
    assert response.status == 200
    page = await response.text()
    assert 'class="value">10<' in page  # conversations
    assert 'class="value">38 %<' in page  # self-service rate 3 / 8
    assert "-12 points vs. the period before" in page  # 37.5 % against 50 %
    assert "why is my bill so high" in page
    assert '<svg class="chart"' in page and "<title" in page


async def test_each_report_downloads_as_csv_with_the_known_numbers(firm_viewer) -> None:
    response = await firm_viewer.get(f"{REPORTS}/conversations.csv?{RANGE}")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="nordlys-conversations-2026-11-02-2026-11-08.csv"'
    )
    rows = rows_of(await response.read())
    assert rows[0] == ["day", "conversations", "self_served", "handed_off", "abandoned", "still_open", "self_service_rate"]
    assert rows[1:3] == [["2026-11-02", "2", "2", "0", "0", "0", "1"], ["2026-11-03", "2", "0", "1", "1", "0", "0"]]
    times = rows_of(await (await firm_viewer.get(f"{REPORTS}/times.csv?{RANGE}")).read())
    assert times[1] == ["time_in_queue", "3", "60", "300"]
    handoffs = rows_of(await (await firm_viewer.get(f"{REPORTS}/handoffs.csv?{RANGE}")).read())
    assert ["ticket", "outside_hours", "1"] in handoffs and ["handoff", "complaint", "1"] in handoffs
    fallbacks = rows_of(await (await firm_viewer.get(f"{REPORTS}/fallbacks.csv?{RANGE}")).read())
    assert ["message", "why is my bill so high", "3"] in fallbacks
    norwegian = rows_of(await (await firm_viewer.get(f"{REPORTS}/faq.csv?{RANGE}&language=nb")).read())
    assert norwegian == [["faq_topic", "messages"], ["opening_hours", "1"]]


async def test_satisfaction_per_agent_only_for_bpo_supervisors(firm_admin, supervisor) -> None:
    firm_page = await (await firm_admin.get(f"{REPORTS}?{RANGE}")).text()
    assert "Sofie" not in firm_page and "csat-per-agent" not in firm_page
    firm_csv = rows_of(await (await firm_admin.get(f"{REPORTS}/csat.csv?{RANGE}")).read())
    assert {row[0] for row in firm_csv[1:]} == {"all"}
    assert ["all", "average", "3.5"] in firm_csv

    supervisor_page = await (await supervisor.get(f"{REPORTS}?{RANGE}")).text()
    assert 'id="csat-per-agent"' in supervisor_page and "Sofie" in supervisor_page
    supervisor_csv = rows_of(await (await supervisor.get(f"{REPORTS}/csat.csv?{RANGE}")).read())
    assert ["Kari", "average", "5"] in supervisor_csv and ["Sofie", "rated", "1"] in supervisor_csv


async def test_another_firms_user_gets_404_for_the_page_and_every_csv(other_firm_admin) -> None:
    for path in (REPORTS, f"{REPORTS}/conversations.csv", f"{REPORTS}/csat.csv"):
        response = await other_firm_admin.get(f"{path}?{RANGE}", html=False)
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"
    # Their own reports show only their own copy of the week.
    own = rows_of(await (await other_firm_admin.get(f"/portal/t/fjordnett/reports/conversations.csv?{RANGE}")).read())
    assert sum(int(row[1]) for row in own[1:]) == 10


@pytest.mark.parametrize(
    "query",
    ["from=2026-13-01", "from=2026-11-08&to=2026-11-01", "from=2020-01-01&to=2026-01-01", "language=de"],
)
async def test_a_bad_range_or_language_is_a_clear_400(firm_admin, query) -> None:
    response = await firm_admin.get(f"{REPORTS}/conversations.csv?{query}", html=False)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_the_dashboard_shows_last_weeks_headline_numbers(firm_admin) -> None:
    response = await firm_admin.get("/portal/t/nordlys/")
    page = await response.text()
    assert response.status == 200
    assert "Last week" in page and "served by the assistant alone" in page
    assert 'href="/portal/t/nordlys/reports"' in page
