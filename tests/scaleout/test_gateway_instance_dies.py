"""Two gateway processes; the one a customer is on is killed mid-turn (SIGKILL).

The customer's tab reconnects to the other instance and carries on. Nothing the customer
sent is lost, nothing is answered twice, and Rasa handles every message exactly once:
the turn the dead instance had sent is found in Rasa's tracker instead of being resent.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Message
from tests.gateway.support import FakeRasa

from .conftest import ON_POSTGRESQL, Gateways, conversation_of

pytestmark = ON_POSTGRESQL


def cid() -> str:
    return str(uuid.uuid4())


async def transcript(db_url: str, conversation_id: str) -> list[tuple[int, str, str]]:
    database = Database(db_url)
    try:
        async with database.sessionmaker() as session:
            rows = await session.execute(
                select(Message.seq, Message.role, Message.text)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
            return [tuple(row) for row in rows]
    finally:
        await database.dispose()


async def test_customer_continues_on_the_other_instance_without_loss_or_duplicates(
    db_url: str, two_gateways: Gateways, fake_rasa: FakeRasa, open_tab: Any
) -> None:
    url_a, url_b = two_gateways.urls
    tab = await open_tab(url_a)
    conversation_id = conversation_of(tab)
    await tab.send(type="message", client_id=cid(), text="first question")
    await tab.wait_for(lambda f: f["type"] == "message" and f["text"] == "echo: first question")

    # Rasa is busy with the next turn when instance A dies.
    fake_rasa.mode = "hold"
    await tab.send(type="message", client_id=cid(), text="second question")
    await tab.wait_for(lambda f: f["type"] == "ack")
    while len(fake_rasa.attempts) < 2:
        await asyncio.sleep(0.05)
    await two_gateways.supervisor.kill("gateway-1")
    fake_rasa.release()  # Rasa finishes that turn and saves it in its tracker

    seen_on_a = tab.message_seqs()
    tab = await open_tab(url_b, conversation_id=conversation_id, last_seq=max(seen_on_a))
    await tab.wait_for(lambda f: f["type"] == "message" and f["text"] == "echo: second question")
    await tab.send(type="message", client_id=cid(), text="third question")
    await tab.wait_for(lambda f: f["type"] == "message" and f["text"] == "echo: third question")

    stored = await transcript(db_url, conversation_id)
    assert [(role, text) for _, role, text in stored[1:]] == [
        ("customer", "first question"), ("bot", "echo: first question"),
        ("customer", "second question"), ("bot", "echo: second question"),
        ("customer", "third question"), ("bot", "echo: third question"),
    ]
    # Rasa got each message once: the second was looked up in its tracker, not resent.
    assert fake_rasa.answered_texts == ["first question", "second question", "third question"]
    assert fake_rasa.tracker_reads >= 1
    # What the customer saw over both connections: the whole transcript, once, in order.
    assert seen_on_a + tab.message_seqs() == [seq for seq, _, _ in stored]


async def test_messages_sent_while_no_instance_had_answered_are_answered_after_the_crash(
    db_url: str, two_gateways: Gateways, fake_rasa: FakeRasa, open_tab: Any
) -> None:
    """A dies before Rasa saw the message at all (Rasa was down): B sends it, once."""
    url_a, url_b = two_gateways.urls
    tab = await open_tab(url_a)
    conversation_id = conversation_of(tab)
    fake_rasa.mode = "unavailable"
    await tab.send(type="message", client_id=cid(), text="are you there")
    await tab.wait_for(lambda f: f["type"] == "error" and f["code"] == "assistant_unavailable")
    await two_gateways.supervisor.kill("gateway-1")
    fake_rasa.release()

    tab = await open_tab(url_b, conversation_id=conversation_id, last_seq=0)
    await tab.wait_for(lambda f: f["type"] == "message" and f["text"] == "echo: are you there")
    stored = await transcript(db_url, conversation_id)
    assert [text for _, role, text in stored if role in ("customer", "bot")].count("echo: are you there") == 1
    assert fake_rasa.answered_texts == ["are you there"]
