"""The agent sees what the assistant learned: verified by the assistant, the account, its tickets, what was said."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Conversation, Ticket

from tests.gateway.support import ALLOWED_ORIGIN

from .conftest import KARI
from .support import ActionsRasa, Widget


pytestmark = pytest.mark.usefixtures("actions_use_the_database")


@pytest.fixture
def rasa_stand_in() -> ActionsRasa:
    return ActionsRasa()


async def say(customer: Any, text: str, expected: str) -> None:
    await customer.say(text, str(uuid.uuid4()))
    try:
        await customer.wait_for(lambda f: f["type"] == "message" and f["role"] == "bot" and expected in f["text"])
    except TimeoutError:
        raise AssertionError(f"{expected!r} not among {customer.messages()}") from None


async def verify_and_ask_for_a_person(widget: Any) -> Any:
    customer = await widget("fjordnett")
    customer.conversation_id = next(f for f in customer.received if f["type"] == "welcome")["conversation_id"]
    await say(customer, "how much do I owe?", "confirm who you are")
    await say(customer, "20000001 5003", "Thanks, Kari Hansen. You're verified.")
    await say(customer, "what's the status of FJN-1218?", "FJN-1218")
    await customer.say("I want to talk to a person", str(uuid.uuid4()))
    try:
        await customer.wait_for(lambda f: f["type"] == "message" and f["role"] == "system" and "queue" in f["text"])
    except TimeoutError:
        raise AssertionError(customer.messages()) from None
    return customer


async def test_verification_by_the_assistant_is_stored_with_the_names_of_the_facts_not_their_values(
    widget: Any, console: Any, desk_db: Database
) -> None:
    await console(KARI)  # someone online, so the customer queues
    customer = await verify_and_ask_for_a_person(widget)

    async with desk_db.sessionmaker() as session:
        conversation = await session.get(Conversation, customer.conversation_id)
    assert conversation is not None
    assert conversation.verified_account_id is not None
    assert (conversation.verified_by, conversation.verified_with) == ("assistant", "account_number+postcode")


async def test_console_context_shows_the_account_its_open_ticket_and_what_the_assistant_told(
    widget: Any, console: Any, desk_db: Database
) -> None:
    kari = await console(KARI)
    customer = await verify_and_ask_for_a_person(widget)

    response = await kari.get(f"/agent/api/conversations/{customer.conversation_id}")
    assert response.status == 200, await response.text()
    context = await response.json()

    assert context["conversation"]["verified"] is True
    assert context["verification"] == {"by": "assistant", "facts": ["account_number", "postcode"]}
    assert context["account"]["account_number"] == "20000001"
    assert context["account"]["name"] == "Kari Hansen"
    async with desk_db.sessionmaker() as session:
        open_tickets = (
            await session.scalars(
                select(Ticket.reference).where(Ticket.reference == "FJN-1218", Ticket.status == "open")
            )
        ).all()
    assert open_tickets == ["FJN-1218"]
    assert "FJN-1218" in [ticket["reference"] for ticket in context["tickets"]]
    assert {"fact": "amount_due", "value": "749.00"} in context["told"]
    assert {"fact": "ticket", "reference": "FJN-1218", "status": "open"} in context["told"]


async def test_a_customer_verified_by_the_assistant_resumes_the_conversation_after_a_reload(
    widget: Any, console: Any, gateway: Any
) -> None:
    await console(KARI)
    customer = await verify_and_ask_for_a_person(widget)

    reloaded = Widget(await gateway.ws_connect("/api/v1/tenants/fjordnett/ws", origin=ALLOWED_ORIGIN))
    welcome = await reloaded.hello(conversation_id=customer.conversation_id, language="en")
    await reloaded.close()

    assert welcome["conversation_id"] == customer.conversation_id
    assert welcome["resumed"] is True
    assert welcome["verified"] is False  # "Signed in" is for customers the firm's site signed in
