"""The widget as a customer sees it, for Playwright tests (locators pierce its open shadow root)."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.async_api import Locator, Page, expect


class WidgetPage:
    def __init__(self, page: Page, base_url: str, tenant: str) -> None:
        self.page = page
        self.base_url = base_url
        self.tenant = tenant
        self.host = page.locator(f"[data-bpo-chat={tenant}]")
        self.launcher = self.host.locator(".launcher")
        self.badge = self.host.locator(".badge")
        self.panel = self.host.locator(".panel")
        self.status = self.host.locator(".status")
        self.input = self.host.locator("textarea")
        self.send_button = self.host.locator("button.send")
        self.close_button = self.host.locator(".head button")
        self.log = self.host.locator(".log")
        self.typing = self.host.locator(".typing")
        self.quick_replies = self.host.locator(".qr")
        self.notices = self.host.locator(".notice")
        self.live_region = self.host.locator(".w > [aria-live=polite]")

    async def visit(self, query: str = "") -> None:
        await self.page.goto(f"{self.base_url}/demo/{self.tenant}{query}")
        await expect(self.launcher).to_be_visible()

    async def open(self) -> None:
        await self.launcher.click()
        await expect(self.panel).to_be_visible()

    async def send(self, text: str) -> None:
        await self.input.fill(text)
        await self.input.press("Enter")

    def bot_message(self, text: str) -> Locator:
        return self.log.locator(".row.bot .bubble", has_text=text)

    def customer_message(self, text: str) -> Locator:
        return self.host.locator(".row.customer .bubble", has_text=text)

    def system_message(self, text: str) -> Locator:
        return self.log.locator(".row.system", has_text=text)

    async def expect_bot(self, text: str) -> None:
        await expect(self.bot_message(text)).to_be_visible()

    async def expect_delivered(self, text: str) -> None:
        """The customer message is stored by the gateway (acked) and shown exactly once."""
        message = self.host.locator(".row.customer", has_text=text)
        await expect(message).to_have_count(1)
        await expect(message).not_to_have_class(re.compile(r"\bpending\b"))
        await expect(message.locator(".state")).to_have_count(0)

    async def connection(self) -> str | None:
        return await self.host.locator(".w").get_attribute("data-conn")

    async def expect_connection(self, state: str) -> None:
        await expect(self.host.locator(".w")).to_have_attribute("data-conn", state)

    async def stored(self, user: str = "guest") -> dict[str, Any]:
        """What the widget keeps in localStorage: conversation id and unsent messages."""
        raw = await self.page.evaluate("key => localStorage.getItem(key)", f"bpo-chat:v1:{self.tenant}:{user}")
        return json.loads(raw) if raw else {}

    async def conversation_id(self, user: str = "guest") -> str | None:
        return (await self.stored(user)).get("cid")

    async def transcript(self) -> list[tuple[str, str]]:
        """(role, text) of every message shown, in order (without the screen-reader prefix)."""
        rows = await self.log.locator(".row").evaluate_all(
            """rows => rows.map(row => {
                const role = ["customer", "bot", "agent", "system"].find(r => row.classList.contains(r));
                const body = row.querySelector(".bubble, .sys").cloneNode(true);
                body.querySelectorAll(".sr").forEach(prefix => prefix.remove());
                return [role, body.textContent.trim()];
            })"""
        )
        return [(role, text) for role, text in rows]
