"""Characters a database cannot store (NUL, lone surrogates) and other control characters
reach the widget socket: free text is cleaned, identifiers are refused, the same way on
SQLite and PostgreSQL, and never as an internal error."""

from __future__ import annotations

import json

import pytest

from .support import FakeRasa, new_client_id


async def test_nul_in_a_customer_message_is_dropped_and_the_rest_stored_and_answered(
    connect, fake_rasa: FakeRasa, stored
) -> None:
    widget = await connect()
    welcome = await widget.hello()

    ack = await widget.say("a\u0000b\u0007c", new_client_id())
    await widget.next_of("message", role="bot", text="echo: abc")

    rows = await stored(welcome["conversation_id"])
    assert next(row for row in rows if row.seq == ack["seq"]).text == "abc"
    assert fake_rasa.answered_texts == ["abc"]


async def test_a_lone_surrogate_is_dropped_not_an_internal_error(connect, stored) -> None:
    widget = await connect()
    welcome = await widget.hello()
    client_id = new_client_id()

    # JSON may spell a lone UTF-16 surrogate; no database encoding can hold one.
    await widget.send_raw(json.dumps({"type": "message", "client_id": client_id,
                                      "text": "hi \\ud800there\\udfff"})
                          .replace("\\\\u", "\\u"))
    ack = await widget.next_of("ack", client_id=client_id)

    row = next(row for row in await stored(welcome["conversation_id"]) if row.seq == ack["seq"])
    assert row.text == "hi there"


async def test_a_message_of_only_control_characters_is_refused_clearly(connect) -> None:
    widget = await connect()
    await widget.hello()
    client_id = new_client_id()

    await widget.send(type="message", client_id=client_id, text="\u0000\u0001\u009f ")
    error = await widget.next_of("error")
    await widget.send(type="ping")

    assert error == {"type": "error", "code": "unknown_frame",
                     "message": "A message needs some text.", "client_id": client_id}
    assert await widget.next_of("pong") == {"type": "pong"}


@pytest.mark.parametrize("field", ["conversation_id", "user_id", "user_hash", "language"])
async def test_a_hello_id_with_a_nul_is_refused_and_a_clean_hello_then_works(
    connect, field: str
) -> None:
    widget = await connect()

    await widget.send(type="hello", last_seq=0, **{field: "abc\u0000def"})
    error = await widget.next_of("error")
    welcome = await widget.hello()

    assert error["code"] == "unknown_frame" and field in error["message"]
    assert welcome["resumed"] is False


async def test_a_client_id_with_a_nul_is_refused(connect) -> None:
    widget = await connect()
    await widget.hello()

    await widget.send(type="message", client_id="id\u0000", text="hello")
    error = await widget.next_of("error")

    assert error["code"] == "unknown_frame" and "client_id" in error["message"]
