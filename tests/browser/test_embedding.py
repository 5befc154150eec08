"""The widget on a client firm's page: isolated from its CSS, fine under a strict CSP, at home on phones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, Response, expect

from .conftest import DESKTOP, PHONE
from .fake_rasa import ACCOUNT_QUESTION, ANYTHING_ELSE, VERIFY_QUESTION
from .widget_page import WidgetPage

pytestmark = pytest.mark.browser

# A careless or hostile host stylesheet: everything !important, aimed at anything the widget might use.
HOSTILE_CSS = """
* { font-family: "Comic Sans MS", cursive !important; letter-spacing: 4px !important; color: lime !important; }
html { font-size: 40px !important; }
div, section, button, textarea, p, h2 {
    background: red !important; border: 9px dashed blue !important; padding: 30px !important;
    width: 10px !important; height: 10px !important; transform: rotate(10deg) !important;
    display: block !important; position: static !important; visibility: hidden !important;
}
button { border-radius: 0 !important; }
[data-bpo-chat] { display: none !important; }
"""

WIDGET_STYLES = """host => {
    const root = host.shadowRoot;
    const pick = (selector, props) => {
        const style = getComputedStyle(root.querySelector(selector));
        return Object.fromEntries(props.map(p => [selector + " " + p, style.getPropertyValue(p)]));
    };
    const box = selector => {
        const r = root.querySelector(selector).getBoundingClientRect();
        return {[selector + " box"]: [r.x, r.y, r.width, r.height].map(Math.round).join(",")};
    };
    const props = ["font-family", "font-size", "letter-spacing", "color", "background-color",
                   "border-top-width", "padding-top", "border-radius", "visibility", "transform", "display"];
    return Object.assign({},
        pick(".launcher", props), pick(".panel", props), pick(".head", props), pick("textarea", props),
        pick(".title", props), box(".launcher"), box(".panel"), box("textarea"));
}"""


async def test_host_page_css_cannot_restyle_the_widget(
    page: Page, widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    await page.emulate_media(reduced_motion="reduce")  # no hover transition mid-way while measuring
    widget = widget_for(page, "fjordnett")
    await widget.visit()
    await widget.open()
    await page.mouse.move(5, 5)
    before = await widget.host.evaluate(WIDGET_STYLES)

    # Adopted by the document: works under the page's CSP, like any stylesheet of the firm's own.
    await page.evaluate(
        """css => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);
                    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }""",
        HOSTILE_CSS,
    )
    hero_heading = page.locator(".hero h1").first
    await expect(hero_heading).to_have_css("color", "rgb(0, 255, 0)")  # the hostile sheet is in force

    assert await widget.host.evaluate(WIDGET_STYLES) == before
    await expect(widget.launcher).to_be_visible()
    await expect(widget.input).to_be_visible()
    await widget.send("still works")
    await widget.expect_delivered("still works")


async def test_demo_page_works_under_its_strict_csp_and_shows_its_own_trade(
    page: Page, widget_for: Callable[[Page, str], WidgetPage], gateway: str
) -> None:
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    response: Response | None = await page.goto(f"{gateway}/demo/fjordnett")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp

    widget = widget_for(page, "fjordnett")
    await expect(widget.launcher).to_be_visible()
    await expect(page.get_by_role("note")).to_contain_text(
        "This page is a demo of Fjordnett Broadband's website; the chat bubble is our product."
    )
    await expect(page.get_by_role("heading", name="Broadband plans")).to_be_visible()
    await expect(page.get_by_role("heading", name="Electricity prices this month")).to_be_hidden()
    # Coloured with the brand colour by the page's own script (no inline style under the CSP).
    await expect(page.locator(".hero")).to_have_css("background-color", "rgb(31, 78, 140)")  # #1F4E8C
    await page.get_by_role("link", name="Chat with us").click()  # the page's own call to action
    await expect(widget.panel).to_be_visible()
    await widget.send("hello")
    await widget.expect_bot("Hello! How can I help you today?")
    assert failed == [], f"requests failed: {failed}"
    # page_errors (checked by the fixture) holds any CSP violation or uncaught exception.


async def test_phone_sized_screen_shows_the_chat_full_screen(
    new_context: Callable[..., Awaitable[BrowserContext]], widget_for: Callable[[Page, str], WidgetPage]
) -> None:
    context = await new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        widget = widget_for(await context.new_page(), "lighthouse")
        await widget.visit()
        await widget.launcher.tap()
        await expect(widget.panel).to_be_visible()
        assert await widget.panel.bounding_box() == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
        await expect(widget.launcher).to_be_hidden()  # the header's close button takes over
        await widget.close_button.tap()
        await expect(widget.panel).to_be_hidden()
        await expect(widget.launcher).to_be_visible()
    finally:
        await context.close()


async def test_screenshots_of_each_demo_site_on_desktop_and_phone(
    new_context: Callable[..., Awaitable[BrowserContext]],
    widget_for: Callable[[Page, str], WidgetPage],
    screenshots: Path,
) -> None:
    """Pictures for people to look at (artifacts/screenshots/); the layout facts are asserted here."""
    for tenant in ("nordlys", "fjordnett", "lighthouse"):
        for name, options in (("desktop", {"viewport": DESKTOP}), ("phone", {"viewport": PHONE, "is_mobile": True})):
            context = await new_context(**options)
            try:
                page = await context.new_page()
                widget = widget_for(page, tenant)
                await widget.visit()
                await page.screenshot(path=screenshots / f"{tenant}-{name}-closed.png")
                await widget.open()
                await widget.send("What do I owe?")
                await widget.expect_bot(ACCOUNT_QUESTION)
                await widget.send("12345678")
                await widget.expect_bot(VERIFY_QUESTION)
                await widget.send("0150")
                await widget.expect_bot(ANYTHING_ELSE)
                await expect(widget.quick_replies).to_have_count(2)
                box = await widget.panel.bounding_box()
                viewport = options["viewport"]
                assert box is not None and box["x"] >= 0 and box["y"] >= 0
                assert box["x"] + box["width"] <= viewport["width"]
                assert box["y"] + box["height"] <= viewport["height"]
                await page.screenshot(path=screenshots / f"{tenant}-{name}-chat.png")
            finally:
                await context.close()
