"""A Norwegian customer does everything an English one can, in Norwegian (issue #11): the
demo page → widget → gateway → the real Rasa server and action server (the trained model of
this repo) → database, and an agent in the console takes over."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import select, update

from bot.db import Database
from bot.db.models import Conversation, Tenant
from bot.db.types import utcnow
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD, seed_demo_agents
from bot.stack.services import StackConfig

from .widget_page import WidgetPage

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module")
def db_url(module_db_url: str) -> str:
    """One database for the module: its tests share one real stack (`module_assistant`, one Rasa
    start instead of four), each with conversations of its own."""
    return module_db_url


@pytest.fixture
async def rasa_endpoints(module_assistant: StackConfig, database: Database) -> AsyncIterator[tuple[str, str]]:
    """The real assistant; demo agents on duty around the clock, claiming by hand. A chat a test
    leaves with (or waiting for) a person is closed after it, so each test's agent finds only
    its own customer in the queue, as on a database of its own."""
    async with database.sessionmaker.begin() as session:
        await seed_demo_agents(session)
        for tenant in (await session.scalars(select(Tenant))).all():
            tenant.business_hours = ALWAYS_OPEN
            tenant.auto_assign = False
    yield module_assistant.rasa_url, module_assistant.action_url
    async with database.sessionmaker.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.state.in_(("queued", "assigned")))
            .values(state="resolved", resolved_at=utcnow())
        )


async def stored_language(database: Database, conversation_id: str | None) -> str | None:
    async with database.sessionmaker() as session:
        conversation = await session.get(Conversation, conversation_id)
        return conversation.language if conversation else None


async def agent_signs_in(page: Page, gateway: str) -> None:
    await page.goto(f"{gateway}/agent")
    await page.get_by_label("E-mail").fill("kari@bpo.example")  # speaks en and nb
    await page.get_by_label("Password").fill(DEMO_AGENT_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#conn")).to_have_text("Live")


async def agent_claims(page: Page) -> None:
    queue = page.locator("#queue .item")
    await expect(queue).to_have_count(1)
    await expect(queue.first).to_contain_text("nb")
    await queue.first.get_by_role("button", name="Claim").click()
    await expect(page.locator("#chat-title")).to_contain_text("nb")


async def test_bokmaal_customer_verifies_asks_opens_a_ticket_and_gets_a_person(
    new_context: Callable[..., Awaitable[BrowserContext]],
    widget_for: Callable[[Page, str], WidgetPage],
    gateway: str,
    database: Database,
    screenshots: Path,
) -> None:
    customer, agent = await new_context(), await new_context()
    console = await agent.new_page()
    await agent_signs_in(console, gateway)
    widget = widget_for(await customer.new_page(), "nordlys")
    await widget.visit()
    await widget.open()

    await widget.send("Hei! Hvor mye skylder jeg?")
    await widget.expect_bot("kundenummeret")
    await widget.send("kundenummeret mitt er 10000001")
    await widget.expect_bot("postnummeret eller e-postadressen")
    await widget.send("postnummeret er 0150")
    await widget.expect_bot("Nå har jeg bekreftet hvem du er")
    await widget.expect_bot("Du skylder")

    await widget.send("hva er status på sak NRD-1042?")
    await widget.expect_bot("Sak NRD-1042")

    await widget.send("jeg vil gjerne opprette en ny sak")
    await expect(widget.quick_replies.filter(has_text="Teknisk")).to_be_visible()
    await widget.quick_replies.filter(has_text="Teknisk").click()
    await widget.expect_bot("Beskriv problemet")
    await widget.send("Strømmen går hver kveld rundt klokka åtte.")
    await widget.quick_replies.filter(has_text="Ja, opprett saken").click()
    opened = widget.bot_message("Saken er opprettet")
    await expect(opened).to_be_visible()
    assert re.search(r"NRD-\d{4}", await opened.inner_text())

    await widget.send("når har dere åpent?")
    await widget.expect_bot("mandag til fredag")

    await widget.send("kan jeg snakke med et menneske?")
    await widget.expect_bot("Jeg setter deg over til en av kollegene mine")
    await expect(widget.system_message("i køen")).to_be_visible()
    conversation_id = await widget.conversation_id()
    assert await stored_language(database, conversation_id) == "nb"

    await agent_claims(console)
    await expect(widget.system_message("har blitt med i samtalen")).to_be_visible()
    await widget.page.screenshot(path=str(screenshots / "norwegian-assistant-bokmaal.png"))
    # Closed before the gateway stops, so the console's polling does not fail mid-request.
    await agent.close()
    await customer.close()


async def test_nynorsk_customer_is_understood_and_answered_in_bokmaal(
    page: Page, widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    widget = widget_for(page, "nordlys")
    await widget.visit()
    await widget.open()

    await widget.send("kor mykje skuldar eg?")
    await widget.expect_bot("kundenummeret")
    await widget.send("10000001")
    await widget.expect_bot("postnummeret eller e-postadressen")
    await widget.send("0150")
    await widget.expect_bot("Du skylder")
    await widget.send("kva tid har de ope?")
    await widget.expect_bot("mandag til fredag")
    await widget.send("kan eg få snakke med eit menneske?")
    await widget.expect_bot("Jeg setter deg over til en av kollegene mine")


async def test_a_nordlys_customer_writing_english_gets_english(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], database: Database
) -> None:
    widget = widget_for(page, "nordlys")
    await widget.visit()
    await widget.open()

    await widget.send("Hello, how much do I owe?")
    await widget.expect_bot("what's your account number")
    await widget.send("0150")  # tells no language: the conversation stays English
    await widget.expect_bot("That account number should have 8 digits")
    assert await stored_language(database, await widget.conversation_id()) == "en"


async def test_a_lighthouse_customer_writing_norwegian_gets_bokmaal(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], database: Database
) -> None:
    widget = widget_for(page, "lighthouse")
    await widget.visit()
    await widget.open()

    await widget.send("hei, jeg vil snakke med et menneske")
    await widget.expect_bot("Jeg setter deg over til en av kollegene mine")
    assert await stored_language(database, await widget.conversation_id()) == "nb"
