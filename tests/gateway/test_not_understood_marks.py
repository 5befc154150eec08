"""The transcript remembers which customer messages the assistant did not understand
(actions/fallback.py sends {"fallback": "nlu" | "dialogue"}), for conversation review."""

from __future__ import annotations

from typing import Any

from .support import FakeRasa, echo_replies, new_client_id


def assistant_with_fallbacks(body: dict[str, Any]) -> list[dict[str, Any]]:
    sender = body["sender"]
    if body["message"] == "flibber the wotsit":
        return [
            {"recipient_id": sender, "text": "Sorry, I didn't quite understand. Could you rephrase that?"},
            {"recipient_id": sender, "custom": {"fallback": "nlu"}},
        ]
    if body["message"] == "10000001":
        return [
            {"recipient_id": sender, "custom": {"fallback": "dialogue"}},
            {"recipient_id": sender, "text": "Sorry, I couldn't follow that."},
        ]
    if body["message"] == "odd marker":
        return [{"recipient_id": sender, "text": "fine"}, {"recipient_id": sender, "custom": {"fallback": "x"}}]
    return echo_replies(body)


async def test_not_understood_messages_are_marked_with_the_kind_and_the_customer_sees_no_marker(
    connect, fake_rasa: FakeRasa, stored
) -> None:
    fake_rasa.replies = assistant_with_fallbacks
    widget = await connect("nordlys")
    welcome = await widget.hello(language="en-GB")

    for text in ("what do I owe", "flibber the wotsit", "10000001", "odd marker"):
        await widget.say(text, new_client_id())
        await widget.next_of("typing", on=False)

    rows = await stored(welcome["conversation_id"])
    marks = {row.text: row.fallback for row in rows if row.role == "customer"}
    assert marks == {
        "what do I owe": None,
        "flibber the wotsit": "nlu",
        "10000001": "dialogue",
        "odd marker": None,  # an unknown kind is ignored, not stored
    }
    assert all(row.fallback is None for row in rows if row.role != "customer")
    # The marker is no message: the widget got only the texts.
    texts = [frame["text"] for frame in widget.messages() if frame["role"] == "bot"]
    assert "Sorry, I didn't quite understand. Could you rephrase that?" in texts
    assert all(text for text in texts)
