"""What Rasa understood a customer message as is stored with it (messages.intent, for the
client firm's reports) and never shown: the REST channel's turn note (bot/engine/rest_channel.py)."""

from __future__ import annotations

from typing import Any

from .support import FakeRasa, new_client_id


def _faq_answer(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"recipient_id": body["sender"], "text": "We are open 8-16."},
        {"recipient_id": body["sender"], "custom": {"turn": {"intent": "faq/opening_hours"}}},
    ]


async def _made_request(database, conversation_id: str) -> bool:
    from sqlalchemy import select

    from bot.db.models import Conversation

    async with database.sessionmaker() as session:
        return bool(await session.scalar(select(Conversation.made_request).where(Conversation.id == conversation_id)))


async def test_the_turn_note_is_stored_on_the_customer_message_and_not_shown(connect, fake_rasa: FakeRasa, stored, database) -> None:
    fake_rasa.replies = _faq_answer
    widget = await connect("nordlys")
    welcome = await widget.hello(language="en-GB")
    await widget.say("When are you open?", new_client_id())
    reply = await widget.next_of("message", role="bot")

    assert reply["text"] == "We are open 8-16."
    rows = await stored(welcome["conversation_id"])
    assert [(row.seq, row.role, row.intent) for row in rows] == [
        (1, "bot", None),
        (2, "customer", "faq/opening_hours"),
        (3, "bot", None),  # the note itself is no message
    ]
    assert await _made_request(database, welcome["conversation_id"]) is True  # an FAQ is a request: "served" if it ends so


async def test_without_a_turn_note_the_intent_stays_unknown(connect, stored, database) -> None:
    widget = await connect("nordlys")
    welcome = await widget.hello(language="en-GB")
    await widget.say("hello there", new_client_id())
    await widget.next_of("message", role="bot")
    rows = await stored(welcome["conversation_id"])
    assert rows[1].role == "customer" and rows[1].intent is None
    assert await _made_request(database, welcome["conversation_id"]) is False


def test_a_turn_answered_from_rasas_tracker_after_a_crash_keeps_its_intent() -> None:
    from bot.gateway.chat.delivery import answer_in_tracker
    from bot.gateway.chat.replies import interpret_replies

    events = [
        {"event": "user", "text": "når har dere åpent", "metadata": {"message_seq": 2},
         "parse_data": {"intent": {"name": "faq"},
                        "response_selector": {"faq": {"response": {"intent_response_key": "faq/opening_hours"}}}}},
        {"event": "bot", "text": "Vi har åpent 8-16.", "data": {}},
        {"event": "action", "name": "action_listen"},
    ]
    replies = answer_in_tracker(events, 2)
    assert replies is not None
    turn = interpret_replies(replies, "nb")
    assert turn.understood == "faq/opening_hours"
    assert [message.text for message in turn.messages] == ["Vi har åpent 8-16."]
