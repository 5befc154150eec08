"""The whole product as a customer meets it: demo website → widget → gateway → the real
Rasa server and action server (trained model of this repo) → database."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from bot.stack.services import StackConfig

from .conftest import PHONE
from .widget_page import WidgetPage

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def rasa_endpoints(assistant: StackConfig) -> tuple[str, str]:
    """The gateway of tests/browser/conftest.py talks to the real assistant instead of FakeRasa."""
    return assistant.rasa_url, assistant.action_url


async def test_customer_verifies_asks_opens_a_ticket_reloads_and_survives_going_offline(
    context: BrowserContext,
    page: Page,
    widget_for: Callable[[Page, str], WidgetPage],
    screenshots: Path,
    backend: str,
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()

    # Verification, then the account question that started it is answered.
    await widget.send("How much do I owe?")
    await widget.expect_bot("account number")
    await widget.send("my account is 2000 0001")
    await widget.expect_bot("postcode or email")
    await widget.send("5003")
    await widget.expect_bot("You're verified")
    await widget.expect_bot("amount due")

    # A ticket: category by quick reply, description typed, confirmed by quick reply.
    await widget.send("I'd like to open a support case, please")
    await expect(widget.quick_replies.filter(has_text="Technical")).to_be_visible()
    await widget.quick_replies.filter(has_text="Technical").click()
    await expect(widget.quick_replies).to_have_count(0)
    await widget.expect_bot("describe")
    await widget.send("The connection drops for a few minutes every evening around 8 pm.")
    await widget.quick_replies.filter(has_text="Yes").click()
    opened = widget.bot_message("I've opened ticket")
    await expect(opened).to_be_visible()
    reference = re.search(r"FJN-\d{4}", await opened.inner_text())
    assert reference, await opened.inner_text()
    await page.screenshot(path=screenshots / f"real-assistant-desktop-{backend}.png")

    # A reload shows the whole conversation and continues it.
    before = await widget.transcript()
    await page.reload()
    await expect(widget.panel).to_be_visible()  # an open chat stays open across page loads
    await expect(widget.bot_message("I've opened ticket")).to_be_visible()
    assert await widget.transcript() == before
    await widget.send(f"what's the status of {reference[0]}?")
    await widget.expect_bot(f"Ticket {reference[0]}")

    # Offline: the message waits, and is answered once the network is back.
    await context.set_offline(True)
    await widget.expect_connection("offline")
    await widget.send("thanks a lot!")
    await context.set_offline(False)
    await widget.expect_delivered("thanks a lot!")
    await widget.expect_bot("You're welcome")

    await page.set_viewport_size(PHONE)
    await page.screenshot(path=screenshots / f"real-assistant-phone-{backend}.png")
