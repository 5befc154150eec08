"""A customer chats on a client firm's demo website through the real gateway."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from bot.db import Database, TenantRef
from bot.db.conversations import add_message

from .fake_rasa import (
    ACCOUNT_QUESTION,
    AMOUNT_DUE,
    ANYTHING_ELSE,
    GOODBYE,
    VERIFIED,
    VERIFY_QUESTION,
    FakeRasa,
    echo,
)
from .widget_page import WidgetPage

pytestmark = pytest.mark.browser

FJORDNETT_GREETING = "Hi! I'm Fjordnett's assistant."


async def test_customer_verifies_and_learns_the_amount_due(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await expect(widget.panel).to_be_hidden()

    await widget.open()
    await widget.expect_bot(FJORDNETT_GREETING)
    await widget.send("How much do I owe?")
    await widget.expect_bot(ACCOUNT_QUESTION)
    await widget.send("20000001")
    await widget.expect_bot(VERIFY_QUESTION)
    await widget.send("0150")
    await widget.expect_bot(VERIFIED)
    await widget.expect_bot(AMOUNT_DUE)
    await widget.expect_bot(ANYTHING_ELSE)

    conversation_id = await widget.conversation_id()
    assert conversation_id
    assert fake_rasa.messages() == ["How much do I owe?", "20000001", "0150"]
    assert {received.sender for received in fake_rasa.received} == {conversation_id}
    assert await widget.transcript() == [
        ("bot", FJORDNETT_GREETING + " Ask me about your connection, your bill or your plan."),
        ("customer", "How much do I owe?"),
        ("bot", ACCOUNT_QUESTION),
        ("customer", "20000001"),
        ("bot", VERIFY_QUESTION),
        ("customer", "0150"),
        ("bot", VERIFIED),
        ("bot", AMOUNT_DUE),
        ("bot", ANYTHING_ELSE),
    ]


async def test_quick_reply_sends_its_payload_shows_its_title_and_disappears(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.send("0150")
    await expect(widget.quick_replies).to_have_count(2)

    await widget.quick_replies.filter(has_text="No, thanks").click()

    await widget.expect_bot(GOODBYE)
    await expect(widget.customer_message("No, thanks")).to_have_count(1)
    await expect(widget.quick_replies).to_have_count(0)
    assert fake_rasa.messages()[-1] == "/deny"
    await expect(widget.input).to_be_focused()


async def test_reload_shows_the_history_and_continues_the_same_conversation(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.send("my router blinks red")
    await widget.expect_bot(echo("my router blinks red"))
    before = await widget.transcript()
    conversation_id = await widget.conversation_id()

    await page.reload()

    # The panel stays open across a navigation in the same tab.
    await expect(widget.panel).to_be_visible()
    await widget.expect_bot(echo("my router blinks red"))
    assert await widget.transcript() == before
    assert await widget.conversation_id() == conversation_id
    await widget.send("still blinking")
    await widget.expect_bot(echo("still blinking"))
    assert [received.sender for received in fake_rasa.received] == [conversation_id, conversation_id]


async def test_a_new_tab_on_the_same_site_shows_the_same_conversation(
    context: BrowserContext, page: Page, widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    first = widget_for(page, "fjordnett")
    await first.visit()
    await first.open()
    await first.send("hello from the first tab")
    await first.expect_bot(echo("hello from the first tab"))

    second = widget_for(await context.new_page(), "fjordnett")
    await second.visit()
    await second.open()
    await second.expect_bot(echo("hello from the first tab"))
    await second.send("hello from the second tab")
    await second.expect_bot(echo("hello from the second tab"))

    # Both tabs show the conversation, live, each message once.
    await first.expect_bot(echo("hello from the second tab"))
    await expect(first.customer_message("hello from the second tab")).to_have_count(1)
    assert await first.transcript() == await second.transcript()


async def test_tenant_branding_language_and_contrast_come_from_the_gateway(
    page: Page, widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    widget = widget_for(page, "nordlys")
    await widget.visit()
    # Nordlys speaks Norwegian Bokmål, whatever the browser's language.
    await expect(widget.launcher).to_have_attribute("aria-label", "Åpne chat")
    await widget.open()
    await expect(widget.host.locator(".title")).to_have_text("Nordlys kundeservice")
    await widget.expect_bot("Hei! Jeg er Nordlys sin digitale assistent.")
    await expect(widget.input).to_have_attribute("placeholder", "Skriv en melding…")
    header = widget.host.locator(".head")
    await expect(header).to_have_css("background-color", "rgb(15, 95, 99)")  # #0F5F63
    await expect(header).to_have_css("color", "rgb(255, 255, 255)")  # white reads best on dark teal


async def test_signed_in_customer_is_verified_without_typing_an_account_number(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit("?signed_in=1")
    await widget.open()
    await expect(widget.status).to_have_text("Signed in")
    await widget.send("hello there")
    await widget.expect_bot(echo("hello there"))
    assert fake_rasa.received[-1].metadata.get("verified_account")
    # The signed-in conversation is kept apart from a guest's on the same browser.
    assert await widget.conversation_id(user="20000001")
    assert await widget.conversation_id(user="guest") is None


async def test_agent_takeover_shows_the_agent_by_name_and_system_messages_apart(
    page: Page,
    widget_for: Callable[[Page, str], WidgetPage],
    database: Database,
    fjordnett: TenantRef,
    screenshots: Path,
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.send("I want to talk to a person")
    await widget.expect_bot(echo("I want to talk to a person"))
    conversation_id = await widget.conversation_id()
    # What the agent console (a later feature) stores when Kari takes over.
    async with database.sessionmaker.begin() as session:
        await add_message(session, fjordnett, conversation_id, role="system", text="Kari joined the conversation")
        await add_message(
            session, fjordnett, conversation_id, role="agent", text="Hi, I'm Kari. Let me look.", agent_name="Kari"
        )

    await page.reload()

    agent = widget.log.locator(".row.agent")
    await expect(agent.locator(".bubble")).to_contain_text("Hi, I'm Kari. Let me look.")
    await expect(agent.locator(".name")).to_have_text("Kari (agent)")
    await expect(widget.status).to_have_text("Kari is helping you")
    system = widget.system_message("Kari joined the conversation")
    await expect(system.locator(".sys")).to_have_css("font-style", "italic")
    await expect(system).to_have_css("align-self", "center")
    await page.screenshot(path=screenshots / "state-agent.png")
    assert await widget.transcript() == [
        ("bot", "Hi! I'm Fjordnett's assistant. Ask me about your connection, your bill or your plan."),
        ("customer", "I want to talk to a person"),
        ("bot", echo("I want to talk to a person")),
        ("system", "Kari joined the conversation"),
        ("agent", "Hi, I'm Kari. Let me look."),
    ]
