"""The conversation's language follows the customer's (bot/gateway/chat/language.py)."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Conversation
from bot.gateway.keys import DATABASE

from .support import FakeRasa, new_client_id


async def stored_language(gateway, conversation_id: str) -> str:  # type: ignore[no-untyped-def]
    async with gateway.app[DATABASE].sessionmaker() as session:
        return await session.scalar(select(Conversation.language).where(Conversation.id == conversation_id))


async def test_norwegian_in_an_english_conversation_makes_it_norwegian(
    gateway, connect, fake_rasa: FakeRasa
) -> None:
    widget = await connect("nordlys")
    welcome = await widget.hello(language="en-GB")

    await widget.say("hvor mye skylder jeg?", new_client_id())
    await widget.next_of("message", role="bot")

    assert fake_rasa.answered[-1]["metadata"]["language"] == "nb"
    assert await stored_language(gateway, welcome["conversation_id"]) == "nb"


async def test_english_in_a_norwegian_conversation_makes_it_english(
    gateway, connect, fake_rasa: FakeRasa
) -> None:
    widget = await connect("nordlys")
    welcome = await widget.hello(language="nb-NO")

    await widget.say("what do I owe you?", new_client_id())
    await widget.next_of("message", role="bot")

    assert fake_rasa.answered[-1]["metadata"]["language"] == "en"
    assert await stored_language(gateway, welcome["conversation_id"]) == "en"


async def test_a_message_that_does_not_tell_keeps_the_language(
    gateway, connect, fake_rasa: FakeRasa
) -> None:
    widget = await connect("nordlys")
    welcome = await widget.hello(language="nb-NO")

    for text in ("0150", "ok", "NRD-1042"):
        await widget.say(text, new_client_id())
        await widget.next_of("message", role="bot", text=f"echo: {text}")

    assert [body["metadata"]["language"] for body in fake_rasa.answered] == ["nb", "nb", "nb"]
    assert await stored_language(gateway, welcome["conversation_id"]) == "nb"
