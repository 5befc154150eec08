"""The widget works by keyboard alone, names every control and announces new messages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Tenant

from .fake_rasa import FakeRasa, echo
from .widget_page import WidgetPage

pytestmark = pytest.mark.browser

GREETING = "Hi! I'm Fjordnett's assistant."


async def focused_widget_control(page: Page) -> str | None:
    """Class of the focused element inside the widget's shadow root, or None when focus is elsewhere."""
    return await page.evaluate(
        """() => {
            const host = document.activeElement;
            if (!host || !host.hasAttribute("data-bpo-chat")) return null;
            const inner = host.shadowRoot.activeElement;
            return inner ? (inner.getAttribute("class") || inner.tagName.toLowerCase()) : null;
        }"""
    )


async def test_keyboard_only_customer_opens_chats_and_closes(
    page: Page, widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()

    for _ in range(60):  # Tab through the page until the launcher has focus
        await page.keyboard.press("Tab")
        if await focused_widget_control(page) == "launcher":
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")

    await page.keyboard.press("Enter")
    await expect(widget.panel).to_be_visible()
    await expect(widget.input).to_be_focused()
    await expect(widget.launcher).to_have_attribute("aria-expanded", "true")

    await page.keyboard.type("typed on the keyboard")
    await page.keyboard.press("Enter")
    await widget.expect_bot(echo("typed on the keyboard"))
    await expect(widget.input).to_have_value("")

    await page.keyboard.press("Shift+Tab")  # backwards from the composer: into the conversation
    await expect(widget.host.locator("[role=log]")).to_be_focused()
    await page.keyboard.press("Shift+Tab")
    await expect(widget.close_button).to_be_focused()

    await page.keyboard.press("Escape")
    await expect(widget.panel).to_be_hidden()
    await expect(widget.launcher).to_be_focused()
    await expect(widget.launcher).to_have_attribute("aria-expanded", "false")


async def test_every_control_has_an_accessible_name(
    page: Page, widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.send("0150")  # the script answers with quick replies
    await expect(widget.quick_replies).to_have_count(2)

    await expect(page.get_by_role("button", name="Close chat", exact=True)).to_have_count(2)  # launcher + header
    await expect(page.get_by_role("dialog", name="Chat: Fjordnett Support")).to_be_visible()
    await expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    await expect(page.get_by_role("button", name="Send")).to_be_visible()
    await expect(page.get_by_role("log", name="Conversation")).to_be_visible()
    await expect(page.get_by_role("group", name="Suggested replies")).to_be_visible()
    unnamed = await widget.host.locator("button, textarea").evaluate_all(
        "controls => controls.filter(c => !(c.getAttribute('aria-label') || c.textContent.trim())).length"
    )
    assert unnamed == 0


async def test_new_messages_are_announced_politely_but_history_is_not(
    page: Page, widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.send("hello")

    await expect(widget.live_region).to_have_attribute("aria-live", "polite")
    await expect(widget.live_region).to_contain_text(
        "New message from Fjordnett Support: Hello! How can I help you today?"
    )

    await page.reload()
    await widget.expect_bot("Hello! How can I help you today?")
    await expect(widget.live_region).to_have_text("")


async def test_replies_while_closed_show_an_unread_badge_and_typing_shows_while_open(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], fake_rasa: FakeRasa
) -> None:
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await widget.expect_bot(GREETING)
    fake_rasa.hold()

    await widget.send("are you there?")
    await fake_rasa.turn_started.wait()
    await expect(widget.typing).to_be_visible()
    await expect(widget.typing).to_contain_text("Fjordnett Support is typing…")

    await page.keyboard.press("Escape")
    await expect(widget.badge).to_be_hidden()
    fake_rasa.release()

    await expect(widget.badge).to_have_text("1")
    await expect(widget.launcher).to_have_attribute("aria-label", "Open chat (1 unread)")
    await widget.open()
    await expect(widget.badge).to_be_hidden()
    await widget.expect_bot(echo("are you there?"))
    await expect(widget.typing).to_be_hidden()


async def test_text_on_any_brand_colour_meets_wcag_aa(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], database: Database
) -> None:
    widget = widget_for(page, "fjordnett")
    for brand_color in ("#0F5F63", "#F5C400", "#7FDBFF", "#E4002B"):  # dark, yellow, light blue, signal red
        async with database.sessionmaker.begin() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == "fjordnett"))
            tenant.branding = {**tenant.branding, "color": brand_color}
        await widget.visit()
        if await widget.panel.is_hidden():
            await widget.open()
        await widget.send("0150")  # answered with quick replies
        await expect(widget.quick_replies).to_have_count(2)

        for selector in (".head", ".row.customer .bubble", "button.send", ".qr", ".launcher"):
            ratio = await widget.host.locator(selector).first.evaluate(CONTRAST_OF_ELEMENT)
            assert ratio >= 4.5, f"{selector} on {brand_color}: contrast {ratio:.2f} is below WCAG AA"


CONTRAST_OF_ELEMENT = """element => {
    const rgb = value => value.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
    const luminance = ([r, g, b]) => [r, g, b]
        .map(c => c / 255)
        .map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
        .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    const style = getComputedStyle(element);
    const [a, b] = [luminance(rgb(style.color)), luminance(rgb(style.backgroundColor))].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}"""
