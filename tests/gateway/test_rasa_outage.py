"""Rasa down or slow: the customer hears so at once, nothing is lost, and the chat carries on."""

from __future__ import annotations

from .support import FakeRasa, new_client_id, unused_port


async def test_rasa_answering_errors_leaves_the_message_stored_and_tells_the_customer(
    connect, fake_rasa: FakeRasa, stored
) -> None:
    fake_rasa.mode = "unavailable"
    widget = await connect()
    welcome = await widget.hello(language="en")
    client_id = new_client_id()

    ack = await widget.say("Is my payment registered?", client_id)
    notice = await widget.next_of("message", role="system")
    error = await widget.next_of("error")

    assert error == {
        "type": "error",
        "code": "assistant_unavailable",
        "message": "Our assistant is not responding right now. Your message is saved and will be "
        "answered as soon as it is back — or ask for a person.",
        "client_id": client_id,
    }
    assert notice["text"] == error["message"]
    assert notice["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    rows = await stored(welcome["conversation_id"])
    customer = next(row for row in rows if row.seq == ack["seq"])
    assert customer.text == "Is my payment registered?" and customer.delivered_to_bot is False


async def test_message_kept_while_rasa_was_down_is_answered_once_rasa_is_back(
    connect, fake_rasa: FakeRasa, stored
) -> None:
    fake_rasa.mode = "unavailable"
    widget = await connect()
    welcome = await widget.hello()
    await widget.say("first, while down", new_client_id())
    await widget.next_of("error", code="assistant_unavailable")

    fake_rasa.mode = "answer"  # the background retry finds it back
    reply = await widget.next_of("message", role="bot", text="echo: first, while down")

    assert fake_rasa.answered_texts == ["first, while down"]
    rows = await stored(welcome["conversation_id"])
    assert all(row.delivered_to_bot for row in rows)
    assert reply["seq"] == rows[-1].seq


async def test_the_next_message_resends_the_backlog_first_in_order(
    connect, fake_rasa: FakeRasa
) -> None:
    fake_rasa.mode = "unavailable"
    widget = await connect()
    await widget.hello()
    await widget.say("one", new_client_id())
    await widget.next_of("error", code="assistant_unavailable")
    await widget.say("two", new_client_id())
    await widget.next_of("error", code="assistant_unavailable")

    fake_rasa.mode = "answer"
    await widget.say("three", new_client_id())
    for text in ("one", "two", "three"):
        await widget.next_of("message", text=f"echo: {text}")

    assert fake_rasa.answered_texts == ["one", "two", "three"]
    system_notes = [m for m in widget.messages() if m["role"] == "system"]
    assert len(system_notes) == 1, "one explanation per outage, not one per message"


async def test_slow_rasa_gets_the_customer_an_explanation_before_the_answer(
    connect, fake_rasa: FakeRasa
) -> None:
    fake_rasa.mode = "hold"  # Rasa takes as long as the test wants
    widget = await connect()
    await widget.hello()
    client_id = new_client_id()
    await widget.say("are you there?", client_id)

    error = await widget.next_of("error")
    assert error["code"] == "assistant_unavailable" and error["client_id"] == client_id
    assert fake_rasa.answered == [], "the explanation came while Rasa was still busy"

    fake_rasa.release()
    await widget.next_of("message", role="bot", text="echo: are you there?")
    assert fake_rasa.answered_texts == ["are you there?"], "answered once, not resent"


async def test_unreachable_rasa_is_reported_and_the_message_kept(
    make_gateway, connect, stored
) -> None:
    client = await make_gateway(rasa_url=f"http://127.0.0.1:{unused_port()}")
    widget = await connect(client=client)
    welcome = await widget.hello()

    ack = await widget.say("hello?", new_client_id())
    error = await widget.next_of("error")

    assert error["code"] == "assistant_unavailable"
    rows = await stored(welcome["conversation_id"])
    assert [(row.seq, row.delivered_to_bot) for row in rows if row.role == "customer"] == [
        (ack["seq"], False)
    ]


async def test_messages_left_unanswered_by_a_previous_run_are_resent_at_startup(
    make_gateway, connect, fake_rasa: FakeRasa, stored
) -> None:
    down = await make_gateway(rasa_url=f"http://127.0.0.1:{unused_port()}")
    widget = await connect(client=down)
    welcome = await widget.hello()
    await widget.say("left behind", new_client_id())
    await widget.next_of("error", code="assistant_unavailable")
    await widget.close()
    await down.close()

    back = await make_gateway()  # the same database, Rasa reachable
    tab = await connect(client=back)
    await tab.hello(welcome["conversation_id"], last_seq=2)
    await tab.next_of("message", role="bot", text="echo: left behind")

    assert fake_rasa.answered_texts == ["left behind"]
    rows = await stored(welcome["conversation_id"])
    assert all(row.delivered_to_bot for row in rows)
