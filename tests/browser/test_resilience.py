"""Conversations survive real networks: offline typing, lost acks, outages, closed tabs, idle ends."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import BrowserContext, Page, WebSocketRoute, expect
from sqlalchemy import update

from bot.db import Database
from bot.db.models import Conversation
from bot.db.types import utcnow

from .fake_rasa import FakeRasa, echo
from .widget_page import WidgetPage

pytestmark = pytest.mark.browser

GREETING = "Hi! I'm Fjordnett's assistant."


async def history(base_url: str, tenant: str, conversation_id: str) -> list[dict]:
    """The gateway's stored transcript, read the way the widget's origin may read it."""
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{base_url}/api/v1/tenants/{tenant}/conversations/{conversation_id}/messages",
            params={"after": "0"},
            headers={"Origin": base_url},
        ) as response:
            assert response.status == 200
            return (await response.json())["messages"]


def stored_texts(messages: list[dict], role: str = "customer") -> list[str]:
    return [message["text"] for message in messages if message["role"] == role]


async def test_message_typed_offline_is_delivered_exactly_once_when_back_online(
    context: BrowserContext,
    page: Page,
    widget_for: Callable[[Page, str], WidgetPage],
    fake_rasa: FakeRasa,
    gateway: str,
    screenshots: Path,
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.expect_bot(GREETING)

    await context.set_offline(True)
    await widget.expect_connection("offline")
    await expect(widget.status).to_have_text("Offline — sending when you are back")
    await widget.send("typed in a tunnel")

    queued = widget.host.locator(".row.customer.pending", has_text="typed in a tunnel")
    await expect(queued.locator(".state")).to_have_text("Not sent yet — waiting for the connection")
    assert [item["text"] for item in (await widget.stored())["outbox"]] == ["typed in a tunnel"]
    assert fake_rasa.messages() == []
    await page.screenshot(path=screenshots / "state-offline.png")

    await context.set_offline(False)

    await widget.expect_bot(echo("typed in a tunnel"))
    await widget.expect_delivered("typed in a tunnel")
    await widget.expect_connection("online")
    assert fake_rasa.messages() == ["typed in a tunnel"]
    assert (await widget.stored())["outbox"] == []
    conversation_id = await widget.conversation_id()
    assert stored_texts(await history(gateway, "fjordnett", conversation_id)) == ["typed in a tunnel"]


async def test_unacknowledged_message_is_resent_with_the_same_client_id_and_stored_once(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa, gateway: str
) -> None:
    frames_from_widget: list[list[dict]] = []  # per connection

    async def lose_the_first_ack(ws: WebSocketRoute) -> None:
        sent: list[dict] = []
        frames_from_widget.append(sent)
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            sent.append(json.loads(message))
            server.send(message)

        ws.on_message(to_server)
        if len(frames_from_widget) == 1:

            async def to_page(message: str | bytes) -> None:
                if json.loads(message)["type"] == "ack":
                    await ws.close()  # the connection breaks before the ack reaches the browser
                else:
                    ws.send(message)

            server.on_message(to_page)

    await page.route_web_socket(re.compile(r"/ws$"), lose_the_first_ack)
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.expect_bot(GREETING)
    await widget.send("did this arrive?")

    await widget.expect_bot(echo("did this arrive?"))
    await widget.expect_delivered("did this arrive?")
    await expect(widget.bot_message(echo("did this arrive?"))).to_have_count(1)

    sends = [
        [frame["client_id"] for frame in frames if frame["type"] == "message"] for frames in frames_from_widget
    ]
    assert len(sends) == 2, "the widget reconnected once"
    assert len(sends[0]) == 1 and sends[1] == sends[0], "resent with the same client_id"
    assert fake_rasa.messages() == ["did this arrive?"]
    conversation_id = await widget.conversation_id()
    assert stored_texts(await history(gateway, "fjordnett", conversation_id)) == ["did this arrive?"]


async def test_a_message_delivered_twice_is_shown_once(
    page: Page, widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    async def deliver_everything_twice(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            ws.send(message)
            if json.loads(message)["type"] == "message":
                ws.send(message)  # as when a replay overlaps a live broadcast

        server.on_message(to_page)

    await page.route_web_socket(re.compile(r"/ws$"), deliver_everything_twice)
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.send("say it once")
    await widget.expect_bot(echo("say it once"))
    await widget.send("and once more")
    await widget.expect_bot(echo("and once more"))

    assert await widget.transcript() == [
        ("bot", "Hi! I'm Fjordnett's assistant. Ask me about your connection, your bill or your plan."),
        ("customer", "say it once"),
        ("bot", echo("say it once")),
        ("customer", "and once more"),
        ("bot", echo("and once more")),
    ]


async def test_message_queued_offline_survives_closing_the_tab(
    context: BrowserContext, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa
) -> None:
    first = widget_for(await context.new_page(), "fjordnett")
    await first.visit()
    await first.open()
    await first.expect_bot(GREETING)
    await context.set_offline(True)
    await first.expect_connection("offline")
    await first.send("written just before closing the tab")
    await expect(first.host.locator(".row.customer.pending")).to_have_count(1)
    await first.page.close()

    await context.set_offline(False)
    later = widget_for(await context.new_page(), "fjordnett")
    await later.visit()
    await later.open()

    await later.expect_bot(echo("written just before closing the tab"))
    await later.expect_delivered("written just before closing the tab")
    assert fake_rasa.messages() == ["written just before closing the tab"]


async def test_assistant_outage_gives_a_clear_notice_and_the_answer_follows_when_it_is_back(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa, screenshots: Path
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.expect_bot(GREETING)
    fake_rasa.down = True

    await widget.send("is anyone there?")

    explanation = widget.system_message("Our assistant is not responding right now.")
    await expect(explanation).to_be_visible()
    await expect(explanation.locator(".qr")).to_have_text("Talk to a person")
    await widget.expect_delivered("is anyone there?")  # stored: nothing is lost
    await expect(widget.typing).to_be_hidden()
    # One explanation, not the server's and the widget's own on top of each other.
    await expect(widget.log.get_by_text("Our assistant is not responding right now.")).to_have_count(1)
    await page.screenshot(path=screenshots / "state-assistant-unavailable.png")

    fake_rasa.down = False

    await widget.expect_bot(echo("is anyone there?"))
    assert fake_rasa.messages() == ["is anyone there?"]


async def test_too_long_message_is_refused_with_a_notice_and_kept_in_the_composer(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa, screenshots: Path
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    long_text = "word " * 400 + "end"  # 2003 characters; the limit is 2000

    await widget.send(long_text)

    await expect(widget.notices).to_have_text("That message is too long — please keep it under 2000 characters.")
    await expect(widget.input).to_have_value(long_text)
    await expect(widget.host.locator(".count")).to_have_text("2003 / 2000")
    await expect(widget.host.locator(".row.customer")).to_have_count(0)
    await page.screenshot(path=screenshots / "state-too-long.png")

    await widget.input.press("Control+End")
    for _ in range(4):
        await widget.input.press("Backspace")
    await widget.input.press("Enter")

    await widget.expect_bot(echo(long_text[:-4].strip()))
    await expect(widget.notices).to_have_count(0)
    assert fake_rasa.messages() == [long_text[:-4].strip()]


async def test_conversation_ended_while_open_continues_in_a_new_one(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa, database: Database
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.send("first question")
    await widget.expect_bot(echo("first question"))
    old_id = await widget.conversation_id()

    # Idle for longer than IDLE_TIMEOUT_SECONDS; the gateway's sweep ends it and tells the tab.
    async with database.sessionmaker.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == old_id)
            .values(last_activity_at=utcnow() - timedelta(hours=2))
        )
    await expect(widget.log.get_by_text("The conversation has ended")).to_be_visible()
    assert await widget.conversation_id() is None

    await widget.send("a new question")

    await widget.expect_bot(echo("a new question"))
    await widget.expect_delivered("a new question")
    new_id = await widget.conversation_id()
    assert new_id and new_id != old_id
    assert [received.sender for received in fake_rasa.received] == [old_id, new_id]
    # The old messages stay readable above; the new conversation starts with the greeting.
    assert [text for _, text in await widget.transcript()][-3:] == [
        "Hi! I'm Fjordnett's assistant. Ask me about your connection, your bill or your plan.",
        "a new question",
        echo("a new question"),
    ]


async def test_returning_after_the_conversation_ended_starts_a_new_one(
    context: BrowserContext, widget_for: Callable[[Page, str], WidgetPage], database: Database
) -> None:
    first = widget_for(await context.new_page(), "fjordnett")
    await first.visit()
    await first.open()
    await first.send("a question from yesterday")
    await first.expect_bot(echo("a question from yesterday"))
    old_id = await first.conversation_id()
    await first.page.close()
    async with database.sessionmaker.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == old_id)
            .values(last_activity_at=utcnow() - timedelta(days=1))
        )

    later = widget_for(await context.new_page(), "fjordnett")
    await later.visit()
    await later.open()

    await later.expect_bot(GREETING)
    new_id = await later.conversation_id()
    assert new_id and new_id != old_id
    assert await later.transcript() == [
        ("bot", "Hi! I'm Fjordnett's assistant. Ask me about your connection, your bill or your plan."),
    ]
    await later.send("a question for today")
    await later.expect_bot(echo("a question for today"))
    assert await later.conversation_id() == new_id
