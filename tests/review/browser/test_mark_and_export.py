"""The issue's "done when": a firm admin finds a message the assistant did not understand,
marks what it should have been, and the mark is in `python -m bot export-annotations`.
Desktop and phone, with screenshots in artifacts/screenshots/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import BrowserContext, Page, expect

from bot.db.engine import REPO_ROOT
from bot.portal.demo_users import DEMO_PORTAL_PASSWORD
from tests.gateway.support import ALLOWED_ORIGIN, FakeRasa, Widget, echo_replies, new_client_id

from .conftest import PHONE

QUESTION = "kan jeg betale regningen med vipps? svar til ola.nordmann@example.no"
STORED = "kan jeg betale regningen med vipps? svar til [email]"  # as the transcript keeps it


def not_understanding_vipps(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The assistant's answer when its NLU falls back (actions/fallback.py), else an echo."""
    if "vipps" in body["message"]:
        return [
            {"recipient_id": body["sender"], "text": "Beklager, det forsto jeg ikke helt. Kan du si det på en annen måte?"},
            {"recipient_id": body["sender"], "custom": {"fallback": "nlu"}},
        ]
    return echo_replies(body)


async def customer_asks(gateway: str, fake_rasa: FakeRasa) -> None:
    """A customer of Nordlys asks in the website chat (the widget's WebSocket protocol)."""
    fake_rasa.replies = not_understanding_vipps
    ws_url = gateway.replace("http://", "ws://") + "/api/v1/tenants/nordlys/ws"
    async with aiohttp.ClientSession() as http:
        widget = Widget(await http.ws_connect(ws_url, origin=ALLOWED_ORIGIN))
        await widget.hello(language="nb-NO")
        await widget.say("hei", new_client_id())
        await widget.next_of("typing", on=False)
        await widget.say(QUESTION, new_client_id())
        await widget.next_of("message", role="bot", text="Beklager, det forsto jeg ikke helt. Kan du si det på en annen måte?")
        await widget.close()


async def sign_in(page: Page, gateway: str, email: str) -> None:
    await page.goto(f"{gateway}/portal/t/nordlys/review")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(DEMO_PORTAL_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Conversations")).to_be_visible()


async def test_an_admin_marks_a_misunderstood_message_and_it_is_in_the_export(
    page: Page, gateway: str, fake_rasa: FakeRasa, db_url: str, screenshots: Path, new_context, tmp_path: Path,
) -> None:  # type: ignore[no-untyped-def]
    await customer_asks(gateway, fake_rasa)

    # Desktop: find it with the "not understood" filter, open it, mark it.
    await sign_in(page, gateway, "admin@nordlys.example")
    await page.get_by_label("had a message not understood").check()
    await page.get_by_role("button", name="Show").click()
    result = page.get_by_role("link", name=STORED)
    await expect(result).to_be_visible()
    await expect(page.get_by_text("1 not understood")).to_be_visible()
    await page.screenshot(path=screenshots / "review-list-desktop.png", full_page=True)

    await result.click()
    await expect(page.get_by_role("heading", name="Conversation", exact=True)).to_be_visible()
    line = page.locator(".line-focus")
    await expect(line.locator(".line-text")).to_have_text(STORED)
    await expect(line.get_by_text("not understood")).to_be_visible()
    await line.get_by_text("Mark this message").click()
    await line.get_by_label("The assistant should have understood this as").select_option(label="FAQ: payment methods")
    await line.get_by_label("Note").fill("Vipps is in the payment methods answer")
    await line.get_by_role("button", name="Save mark").click()
    marked = page.locator(".line-focus .mark")
    await expect(marked).to_contain_text("Should have been understood as: FAQ: payment methods")
    await expect(marked).to_contain_text("marked by")
    await page.screenshot(path=screenshots / "review-conversation-desktop.png", full_page=True)

    # The way back keeps the filter.
    await page.get_by_role("link", name="All conversations").click()
    await expect(page.get_by_label("had a message not understood")).to_be_checked()
    await expect(page.get_by_text("1 marked")).to_be_visible()

    # Phone: a viewer reads the same conversation; one column, no sideways scrolling, no mark form.
    phone: BrowserContext = await new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = await phone.new_page()
    await sign_in(mobile, gateway, "viewer@nordlys.example")
    await mobile.get_by_label("have marks").check()
    await mobile.get_by_role("button", name="Show").click()
    await expect(mobile.get_by_role("link", name=STORED)).to_be_visible()
    await mobile.screenshot(path=screenshots / "review-list-phone.png", full_page=True)
    await mobile.get_by_role("link", name=STORED).click()
    await expect(mobile.locator(".line-focus .mark")).to_contain_text("FAQ: payment methods")
    await expect(mobile.get_by_text("Mark this message")).to_have_count(0)
    assert await mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await mobile.screenshot(path=screenshots / "review-conversation-phone.png", full_page=True)
    await phone.close()
    # ... and an admin's mark form fits the phone too.
    admin_phone: BrowserContext = await new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = await admin_phone.new_page()
    await sign_in(mobile, gateway, "admin@nordlys.example")
    await mobile.get_by_label("have marks").check()
    await mobile.get_by_role("button", name="Show").click()
    await mobile.get_by_role("link", name=STORED).click()
    await mobile.locator(".line-focus").get_by_text("Change mark").click()
    await expect(mobile.locator(".line-focus").get_by_role("button", name="Save mark")).to_be_visible()
    assert await mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await mobile.locator(".line-focus").screenshot(path=screenshots / "review-mark-form-phone.png")
    await admin_phone.close()

    # The model maintainers' export has it, as the transcript stored it (redacted).
    out = tmp_path / "annotations.yml"
    export = subprocess.run(
        [sys.executable, "-m", "bot", "export-annotations", "--tenant", "nordlys", "--database-url", db_url,
         "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert export.returncode == 0, export.stderr
    exported = out.read_text()
    assert f"- intent: faq/payment_methods\n  examples: |\n    - {STORED}\n" in exported
    assert "ola.nordmann" not in exported
