"""A whole conversation through the real Rasa server and the real action server.

This is also the proof that rasa-sdk (app environment, Python 3.11) works against the
Rasa 3.6 server (engine environment): every step below runs custom actions through it.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

import aiohttp
import pytest
from sqlalchemy import select

from bot.db import Database, find_account, get_ticket, tenant_ref
from bot.db.models import Ticket
from bot.stack.services import StackConfig

pytestmark = pytest.mark.e2e


class RestCustomer:
    """One customer talking to Rasa's REST channel the way the gateway does."""

    def __init__(self, http: aiohttp.ClientSession, cfg: StackConfig, tenant: str) -> None:
        self.http = http
        self.url = f"{cfg.rasa_url}/webhooks/rest/webhook"
        self.sender = secrets.token_urlsafe(12)
        self.metadata = {"tenant": tenant, "language": "en", "conversation_id": self.sender}

    async def say(self, message: str) -> list[dict]:
        body = {"sender": self.sender, "message": message, "metadata": self.metadata}
        async with self.http.post(self.url, json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


async def test_verify_then_balance_ticket_status_and_human(assistant: StackConfig, db_url: str) -> None:
    database = Database(db_url)
    timeout = aiohttp.ClientTimeout(total=60)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            customer = RestCustomer(http, assistant, "nordlys")

            assert "assistant" in texts(await customer.say("hi"))

            # An account question starts verification; the question is answered afterwards
            # without being asked again.
            assert "account number" in texts(await customer.say("how much do I owe?"))
            assert "postcode or email" in texts(await customer.say("my account is 10 000 001"))
            replies = texts(await customer.say("0150"))
            async with database.sessionmaker() as session:
                nordlys = await tenant_ref(session, "nordlys")
                account = await find_account(session, nordlys, "10000001")
            assert "verified" in replies
            assert _amount_in(replies) == account.amount_due

            # Open a ticket: category by quick reply, description as free text, confirmation.
            replies = await customer.say("I need to open a case, please")
            assert any(reply.get("buttons") for reply in replies), replies
            assert "describe" in texts(await customer.say('/inform{"ticket_category":"billing"}'))
            description = "The bill says 18230 kWh but my meter shows 17410 kWh."
            confirmation = await customer.say(description)
            assert "Shall I go ahead" in texts(confirmation)
            opened = texts(await customer.say("/affirm"))
            reference = re.search(r"\bNRD-\d{4}\b", opened)
            assert reference, opened

            status = texts(await customer.say(f"what's the status of ticket {reference[0].lower()}?"))
            assert reference[0] in status and "open" in status

            # Another tenant's ticket reference is not found for a nordlys customer.
            assert "couldn't find" in texts(await customer.say("any update on ticket LHI-2304?"))

            # Escalation: a custom handoff message with reason and summary, then silence.
            replies = await customer.say("I want to talk to a real person")
            handoffs = [reply["custom"]["handoff"] for reply in replies if "handoff" in reply.get("custom", {})]
            assert len(handoffs) == 1, replies
            handoff = handoffs[0]
            assert handoff["reason"] == "customer_request"
            summary = handoff["summary"]
            assert summary["verified"] is True
            assert summary["account_number"] == "10000001"
            assert reference[0] in summary["tickets_opened"]
            assert summary["text"]
            assert await customer.say("hello? are you still there?") == []

        async with database.sessionmaker() as session:
            ticket = await get_ticket(session, nordlys, reference[0])
            assert ticket is not None
            assert ticket.account_id == account.id
            assert ticket.conversation_id == customer.sender
            assert ticket.category == "billing"
            assert ticket.status == "open"
            assert "17410 kWh" in ticket.description
            # Exactly one row for this conversation: nothing was written twice.
            rows = (await session.scalars(
                select(Ticket).where(Ticket.conversation_id == customer.sender))).all()
            assert len(rows) == 1
    finally:
        await database.dispose()


def _amount_in(text: str) -> Decimal:
    """The money amount in a reply such as 'The amount due on your account is NOK 1,234.50.'"""
    match = re.search(r"(\d[\d,  ]*(?:[.,]\d{2})?)", text.replace("\u00a0", " "))
    assert match, text
    raw = match[1].replace(" ", "").replace("\u202f", "")
    if re.search(r",\d{2}$", raw):  # 1 234,50 → Norwegian decimal comma
        raw = raw.replace(".", "").replace(",", ".")
    return Decimal(raw.replace(",", ""))
