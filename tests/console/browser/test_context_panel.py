"""The console's context panel after the assistant verified the customer (customer and agent in their own browsers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.widget_page import WidgetPage
from tests.console.support import ActionsRasa

from .test_two_browsers import customer_and_agent

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("actions_use_the_database")]


@pytest.fixture
def rasa_stand_in() -> ActionsRasa:
    """Rasa stand-in whose turns run the real actions (tests/console/support.py)."""
    return ActionsRasa()


async def test_context_panel_shows_the_customer_the_assistant_verified_their_ticket_and_what_they_were_told(
    new_context: Callable[..., Awaitable[BrowserContext]],
    widget_for: Callable[[Page, str], WidgetPage],
    gateway: str,
    screenshots: Path,
) -> None:
    widget, console = await customer_and_agent(new_context, widget_for, gateway)
    await widget.visit()
    await widget.open()
    for said, answered in (
        ("how much do I owe?", "confirm who you are"),
        ("20000001 5003", "You're verified"),
        ("what's the status of FJN-1218?", "is open"),
    ):
        await widget.send(said)
        await widget.expect_bot(answered)
    await widget.send("I want to talk to a person")
    await expect(widget.system_message("in the queue")).to_be_visible()

    await console.claim_first()
    account = console.page.locator("#account")
    await expect(account).to_contain_text("By the assistant (account number + postcode)")
    await expect(account).to_contain_text("Kari Hansen")
    await expect(account).to_contain_text("20000001")
    await expect(account).not_to_contain_text("ot verified")
    await expect(console.page.locator("#tickets")).to_contain_text("FJN-1218")
    told = console.page.locator("#told")
    await expect(told).to_contain_text("Amount due: 749.00")
    await expect(told).to_contain_text("FJN-1218 is open")
    await console.page.screenshot(path=str(screenshots / "console-context-verified-by-assistant.png"))
    # Closed before the gateway stops: the console's reconnect would otherwise fetch a stopped server.
    await console.page.context.close()
