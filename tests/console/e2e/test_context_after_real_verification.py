"""The issue's walk, on the real stack: verified by the assistant in the widget, the console shows it.

A fjordnett customer asks what they owe, verifies with 20000001 and postcode 5003,
asks about FJN-1218 and asks for a person; the agent's console context then shows
the account, how it was verified, the open ticket and what the assistant told.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Tenant
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD, seed_demo_agents
from bot.stack.services import StackConfig
from tests.console.conftest import ALWAYS_OPEN, KARI

pytestmark = pytest.mark.e2e
TURN_GUARD_SECONDS = 60.0  # a hang guard for a real Rasa turn, not a speed assertion


async def next_frame_where(ws: aiohttp.ClientWebSocketResponse, wanted: Any) -> dict[str, Any]:
    while True:
        message = await ws.receive(timeout=TURN_GUARD_SECONDS)
        assert message.type is aiohttp.WSMsgType.TEXT, message
        frame = json.loads(message.data)
        if wanted(frame):
            return frame


def bot_says(words: str) -> Any:
    return lambda f: f["type"] == "message" and f["role"] == "bot" and words in f["text"]


async def test_console_context_shows_the_account_the_assistant_verified_and_its_open_ticket(
    full_stack: StackConfig, db_url: str
) -> None:
    database = Database(db_url)
    async with database.sessionmaker.begin() as session:
        await seed_demo_agents(session)
        for tenant in (await session.scalars(select(Tenant))).all():
            tenant.business_hours = ALWAYS_OPEN
            tenant.auto_assign = False
    await database.dispose()
    base = full_stack.public_url
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as agent_http, aiohttp.ClientSession() as customer_http:
        login = await agent_http.post(f"{base}/agent/api/login", json={"email": KARI, "password": DEMO_AGENT_PASSWORD})
        assert login.status == 200, await login.text()
        console = await agent_http.ws_connect(f"{base}/agent/ws", origin=base)  # Kari is online
        widget = await customer_http.ws_connect(f"{base}/api/v1/tenants/fjordnett/ws", origin=base)
        await widget.send_json({"type": "hello", "conversation_id": None, "last_seq": 0, "language": "en"})
        conversation_id = (await next_frame_where(widget, lambda f: f["type"] == "welcome"))["conversation_id"]

        for said, answered in (
            ("how much do I owe?", "account number"),
            ("my account is 20000001", "postcode or email"),
            ("5003", "verified"),
            ("what's the status of FJN-1218?", "FJN-1218"),
        ):
            await widget.send_json({"type": "message", "client_id": str(uuid.uuid4()), "text": said})
            await next_frame_where(widget, bot_says(answered))
        await widget.send_json(
            {"type": "message", "client_id": str(uuid.uuid4()), "text": "I want a person", "payload": "/request_human"}
        )
        await next_frame_where(widget, lambda f: f["type"] == "message" and f["role"] == "system" and "queue" in f["text"])

        response = await agent_http.get(f"{base}/agent/api/conversations/{conversation_id}")
        assert response.status == 200, await response.text()
        context = await response.json()
        await widget.close()
        await console.close()

    assert context["verification"] == {"by": "assistant", "facts": ["account_number", "postcode"]}
    assert context["account"]["account_number"] == "20000001"
    assert "FJN-1218" in [ticket["reference"] for ticket in context["tickets"]]
    assert {"fact": "ticket", "reference": "FJN-1218", "status": "open"} in context["told"]
    assert {"fact": "amount_due", "value": context["account"]["amount_due"]} in context["told"]
