"""A customer on a demo page and an agent in the console, each in their own browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Conversation, Ticket
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from tests.browser.widget_page import WidgetPage

pytestmark = pytest.mark.browser


class ConsolePage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.queue = page.locator("#queue .item")
        self.mine = page.locator("#mine .item")
        self.transcript = page.locator("#transcript")
        self.reply = page.locator("#reply")

    async def login(self, email: str = "kari@bpo.example") -> None:
        await self.page.goto(f"{self.base_url}/agent")
        await expect(self.page).to_have_url(f"{self.base_url}/agent/login")
        await self.page.get_by_label("E-mail").fill(email)
        await self.page.get_by_label("Password").fill(DEMO_AGENT_PASSWORD)
        await self.page.get_by_role("button", name="Sign in").click()
        await expect(self.page.locator("#conn")).to_have_text("Live")

    async def claim_first(self) -> None:
        await expect(self.queue).to_have_count(1)
        await self.queue.first.get_by_role("button", name="Claim").click()
        await expect(self.mine).to_have_count(1)
        await expect(self.reply).to_be_visible()


async def customer_and_agent(
    new_context: Callable[..., Awaitable[BrowserContext]],
    widget_for: Callable[[Page, str], WidgetPage],
    gateway: str,
) -> tuple[WidgetPage, ConsolePage]:
    """A fjordnett customer and Kari, logged in to the console, each in their own browser."""
    customer_context, agent_context = await new_context(), await new_context()
    widget = widget_for(await customer_context.new_page(), "fjordnett")
    console = ConsolePage(await agent_context.new_page(), gateway)
    await console.login()
    return widget, console


async def ask_for_person(widget: WidgetPage) -> None:
    await widget.visit()
    await widget.open()
    await widget.send("My bill is too high, I want to talk to a person")
    await expect(widget.system_message("in the queue")).to_be_visible()


async def conversation(database: Database, conversation_id: str) -> Conversation:
    async with database.sessionmaker() as session:
        row = await session.get(Conversation, conversation_id)
        assert row is not None
        return row


async def test_customer_and_agent_chat_live_then_the_agent_resolves_and_the_customer_rates(
    new_context: Callable[..., Awaitable[BrowserContext]],
    widget_for: Callable[[Page, str], WidgetPage],
    gateway: str,
    database: Database,
    screenshots: Path,
) -> None:
    widget, console = await customer_and_agent(new_context, widget_for, gateway)
    await ask_for_person(widget)
    # Live, in the widget's header: the place in the queue, then who took over.
    await expect(widget.status).to_contain_text("number 1 in line")
    await console.claim_first()
    await expect(widget.status).to_have_text("Kari is helping you")
    await expect(console.page.locator("#reason")).to_have_text("customer request")
    await expect(console.page.locator("#summary")).to_contain_text("bill looks too high")
    await expect(console.transcript).to_contain_text("I want to talk to a person")  # the bot's part too
    await expect(widget.system_message("Kari has joined the chat")).to_be_visible()

    await console.reply.fill("Hi, I'm Kari. Let me look at your bill.")
    await console.reply.press("Enter")
    await expect(widget.log.locator(".row.agent", has_text="Let me look at your bill")).to_be_visible()
    await expect(console.transcript.locator(".msg.agent", has_text="Let me look at your bill")).to_have_count(1)
    await widget.send("Thank you, Kari!")
    await expect(console.transcript.locator(".msg.customer", has_text="Thank you, Kari!")).to_be_visible()

    await console.page.screenshot(path=str(screenshots / "console-live-chat.png"))
    await widget.page.screenshot(path=str(screenshots / "widget-with-agent.png"))

    await console.page.get_by_role("button", name="Resolve").click()
    await expect(widget.quick_replies).to_have_count(5)
    await widget.page.screenshot(path=str(screenshots / "widget-rating.png"))
    await expect(widget.status).not_to_contain_text("Kari")  # nobody is "helping" any more
    await widget.quick_replies.filter(has_text="5").click()
    await expect(widget.system_message("Thank you for your rating")).to_be_visible()

    conversation_id = await widget.conversation_id()
    stored = await conversation(database, conversation_id)
    assert (stored.state, stored.rating) == ("resolved", 5)


async def test_when_the_agent_disconnects_the_chat_returns_to_the_queue(
    new_context: Callable[..., Awaitable[BrowserContext]],
    widget_for: Callable[[Page, str], WidgetPage],
    gateway: str,
    database: Database,
) -> None:
    widget, console = await customer_and_agent(new_context, widget_for, gateway)
    await ask_for_person(widget)
    await console.claim_first()
    await expect(widget.system_message("Kari has joined the chat")).to_be_visible()

    await console.page.context.close()  # the agent's browser is gone

    await expect(widget.system_message("back in the queue")).to_be_visible()
    stored = await conversation(database, await widget.conversation_id())
    assert (stored.state, stored.assigned_agent_id) == ("queued", None)


async def test_with_no_agent_online_the_customer_gets_a_ticket_reference(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], database: Database, screenshots: Path
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.send("I want to talk to a person")

    told = widget.system_message("no one is available")
    await expect(told).to_be_visible()
    async with database.sessionmaker() as session:
        ticket = await session.scalar(
            select(Ticket).where(Ticket.conversation_id == await widget.conversation_id())
        )
    assert ticket is not None
    await expect(told).to_contain_text(ticket.reference)
    await page.screenshot(path=str(screenshots / "widget-no-agent-ticket.png"))


async def test_supervisor_sees_every_queue_with_live_counts(
    new_context: Callable[..., Awaitable[BrowserContext]],
    widget_for: Callable[[Page, str], WidgetPage],
    gateway: str,
    screenshots: Path,
) -> None:
    customer_context, supervisor_context = await new_context(), await new_context()
    widget = widget_for(await customer_context.new_page(), "fjordnett")
    console = ConsolePage(await supervisor_context.new_page(), gateway)
    await console.page.goto(f"{gateway}/agent/login")
    await console.page.screenshot(path=str(screenshots / "console-login.png"))
    await console.login("sup@bpo.example")
    overview = console.page.locator("#overview")
    await expect(overview.locator("tbody tr")).to_have_count(3)
    fjordnett = overview.locator("tbody tr", has_text="Fjordnett")
    await expect(fjordnett.locator("td").first).to_have_text("0")

    await ask_for_person(widget)

    await expect(fjordnett.locator("td").first).to_have_text("1")  # updated live
    await expect(console.queue).to_have_count(1)
    await console.queue.first.get_by_role("button", name="fjordnett").click()
    await expect(console.page.locator("#reason")).to_have_text("customer request")
    await console.page.screenshot(path=str(screenshots / "console-supervisor.png"))
