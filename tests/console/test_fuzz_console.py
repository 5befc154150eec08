"""Generated abuse at the agent console's socket (Hypothesis): random JSON, random types where
the protocol wants strings or booleans, huge and odd Unicode, control characters, NUL, lone
surrogates, binary frames, sent by a logged-in agent who owns a live chat. Whatever arrives:
never an internal error, the socket keeps answering, and nothing is half-stored (every agent
message stored was answered `sent`, with clean text, and the transcript has no gaps).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.console.hub import MAX_FRAME_BYTES
from bot.db import Database
from bot.db.models import Message
from bot.text_input import is_clean

from .conftest import KARI
from .support import AgentConsole, Widget

FUZZ = settings(
    max_examples=50, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FRAME_TYPES = ["heartbeat", "presence", "claim", "message", "typing", "", "MESSAGE", "message "]
FIELDS = ["conversation_id", "text", "on", "status", "ref"]

odd_characters = st.characters()
controls = st.sampled_from("\x00\x01\x07\x08\x0b\x1b\x7f\x85\x9f\ud800\udfff")
# What an agent's message might carry: words with control characters, NUL and surrogates in them.
chat_text = st.text(st.one_of(controls, st.sampled_from("ab æø 1"), odd_characters), min_size=1, max_size=80)
odd_text = st.one_of(
    st.text(odd_characters, max_size=40),
    st.text(st.sampled_from("\x00\x01\x07\x1b\x7f\x85\u200b\u202e\ufeff\ud800\udfff\U0001f600 "),
            max_size=20),
    # Long: past the agent message limit, below the frame limit (a bigger frame closes by design).
    st.builds(lambda piece, times: (piece * times)[:4200],
              st.text(odd_characters, min_size=1, max_size=3), st.integers(1, 4200)),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), odd_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)


def protocol_like(conversation_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Frames shaped like the protocol, often naming the agent's real chat."""
    field_values = st.one_of(odd_text, json_values, st.just(conversation_id))
    return st.builds(
        lambda kind, fields: {"type": kind, **fields},
        st.one_of(st.sampled_from(FRAME_TYPES), json_values),
        st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=4),
    )


@st.composite
def raw_frames(draw: st.DrawFn, conversation_id: str) -> tuple[str, str | bytes]:
    kind = draw(st.sampled_from(["chat", "chat", "protocol", "protocol", "json", "text", "binary"]))
    if kind == "chat":  # well-formed but for the text: what gets stored
        value: Any = {"type": draw(st.sampled_from(["message", "typing"])), "conversation_id": conversation_id,
                      "text": draw(st.one_of(chat_text, odd_text)), "on": draw(st.booleans())}
        frame = json.dumps(value, ensure_ascii=draw(st.booleans()) or _has_surrogate(value))
        assume(len(frame.encode()) <= MAX_FRAME_BYTES)
        return "text", frame
    if kind == "binary":
        return "binary", draw(st.binary(max_size=64))
    if kind == "text":
        return "text", draw(st.text(odd_characters, max_size=200)).encode("utf-8", "replace").decode("utf-8")
    value = draw(protocol_like(conversation_id) if kind == "protocol" else json_values)
    frame = json.dumps(value, ensure_ascii=draw(st.booleans()) or _has_surrogate(value))
    assume(len(frame.encode()) <= MAX_FRAME_BYTES)
    return "text", frame


def _has_surrogate(value: Any) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in json.dumps(value, ensure_ascii=False))


class Desk:
    """Kari's console with a live chat she owns (set up once for all examples)."""

    def __init__(self, kari: AgentConsole, customer: Widget, conversation_id: str) -> None:
        self.kari, self.customer, self.conversation_id = kari, customer, conversation_id
        self.rounds = 0


@pytest.fixture
async def desk(console: Callable[..., Awaitable[AgentConsole]], widget: Callable[..., Awaitable[Widget]]) -> Desk:
    kari = await console(KARI)
    customer = await widget()
    conversation_id = next(f for f in customer.received if f["type"] == "welcome")["conversation_id"]
    await customer.say("I want a person", str(uuid.uuid4()), payload="/request_human")
    await customer.next_of("queue")  # escalated
    await kari.send(type="claim", conversation_id=conversation_id, ref="claim")
    await kari.next_of("claimed", ref="claim")
    return Desk(kari, customer, conversation_id)


async def agent_rows(database: Database, conversation_id: str) -> list[Message]:
    async with database.sessionmaker() as session:
        return list(await session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        ))


@given(data=st.data())
@FUZZ
async def test_generated_frames_never_cause_an_internal_error_or_a_half_stored_agent_message(
    desk: Desk, desk_db: Database, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    caplog.clear()
    kari = desk.kari
    desk.rounds += 1
    frames = data.draw(st.lists(raw_frames(desk.conversation_id), min_size=1, max_size=6))
    before = [row for row in await agent_rows(desk_db, desk.conversation_id) if row.role == "agent"]
    first_frame = len(kari.received)
    assert kari.ws is not None
    for kind, payload in frames:
        if kind == "binary":
            await kari.ws.send_bytes(payload)  # type: ignore[arg-type]
        else:
            await kari.ws.send_str(payload)  # type: ignore[arg-type]
    # Still usable: a heartbeat and a message to her chat go through.
    await kari.send(type="heartbeat", ref=f"hb-{desk.rounds}")
    await kari.next_of("heartbeat_ack", ref=f"hb-{desk.rounds}")
    await kari.send(type="message", conversation_id=desk.conversation_id, text="Still here", ref=f"m-{desk.rounds}")
    await kari.next_of("sent", ref=f"m-{desk.rounds}")

    received = kari.received[first_frame:]
    assert not [f for f in received if f["type"] == "error" and f["code"] == "internal_error"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    rows = await agent_rows(desk_db, desk.conversation_id)
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    added = [row for row in rows if row.role == "agent"][len(before):]
    sent = [f for f in received if f["type"] == "sent"]
    assert sorted(row.seq for row in added) == sorted(f["seq"] for f in sent)  # each stored one answered
    assert all(is_clean(row.text) and row.text.strip() for row in added)
