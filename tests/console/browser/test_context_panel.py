"""The console's context panel after the assistant verified the customer (customer and agent in their own browsers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page, expect

from actions.database import use_database
from bot.db import Database
from tests.browser.widget_page import WidgetPage
from tests.console.support import ActionsRasa

from .test_two_browsers import ConsolePage

pytestmark = pytest.mark.browser


@pytest.fixture
async def fake_rasa() -> AsyncIterator[ActionsRasa]:
    """Rasa stand-in whose turns run the real actions (tests/console/support.py)."""
    rasa = ActionsRasa()
    runner = web.AppRunner(rasa.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    rasa.url = f"http://{host}:{port}"
    yield rasa
    rasa.release()
    await runner.cleanup()


@pytest.fixture(autouse=True)
def action_records(database: Database) -> Iterator[None]:
    use_database(database)
    yield
    use_database(None)


async def test_context_panel_shows_the_customer_the_assistant_verified_their_ticket_and_what_they_were_told(
    new_context: Callable[..., Awaitable[BrowserContext]],
    widget_for: Callable[[Page, str], WidgetPage],
    gateway: str,
    screenshots: Path,
) -> None:
    customer_context, agent_context = await new_context(), await new_context()
    widget = widget_for(await customer_context.new_page(), "fjordnett")
    console = ConsolePage(await agent_context.new_page(), gateway)
    await console.login()

    await widget.visit()
    await widget.open()
    await widget.send("how much do I owe?")
    await widget.expect_bot("confirm who you are")
    await widget.send("20000001 5003")
    await widget.expect_bot("You're verified")
    await widget.send("what's the status of FJN-1218?")
    await widget.expect_bot("is open")
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
    await agent_context.close()
