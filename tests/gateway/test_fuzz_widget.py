"""Generated abuse at the widget socket (Hypothesis): random JSON, random types where the
protocol wants strings or numbers, huge and odd Unicode, control characters, NUL, lone
surrogates, binary frames. Whatever arrives: never an internal error, the socket keeps
answering, and nothing is half-stored (every stored customer line was acknowledged, once,
with clean text, and the transcript has no gaps).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.gateway.handlers.chat_socket import MAX_FRAME_BYTES
from bot.gateway.settings import RateLimit
from bot.text_input import is_clean

from .support import Widget

# Bounded: the property holds for every frame, and 60 sockets per backend keep it quick.
FUZZ = settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
UNLIMITED = RateLimit(1_000_000, 60.0)  # limits have their own tests; here they would hide bugs
FRAME_TYPES = ["hello", "message", "typing", "ping", "rate", "end", "", "HELLO", "message "]
FIELDS = ["conversation_id", "last_seq", "user_id", "user_hash", "language", "client_id",
          "text", "payload", "on"]

odd_characters = st.characters()  # every code point but surrogates (those come below)
odd_text = st.one_of(
    st.text(odd_characters, max_size=40),
    st.text(st.sampled_from("\x00\x01\x07\x1b\x7f\x85\u200b\u202e\ufeff\ud800\udfff\U0001f600"),
            max_size=20),
    # Huge: past the 2000-character message limit (a bigger frame than MAX_FRAME_BYTES closes
    # the socket by design, so frames stay below it: see raw_frames).
    st.builds(lambda piece, times: (piece * times)[:2600],
              st.text(odd_characters, min_size=1, max_size=3), st.integers(1, 2600)),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), odd_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)
protocol_like = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.one_of(st.sampled_from(FRAME_TYPES), json_values),
    st.dictionaries(st.sampled_from(FIELDS), st.one_of(odd_text, json_values), max_size=5),
)


@st.composite
def raw_frames(draw: st.DrawFn) -> tuple[str, str | bytes]:
    """('text', a frame) or ('binary', bytes)."""
    kind = draw(st.sampled_from(["protocol", "protocol", "json", "text", "binary"]))
    if kind == "binary":
        return "binary", draw(st.binary(max_size=64))
    if kind == "text":
        return "text", draw(st.text(odd_characters, max_size=200)).encode(
            "utf-8", "replace").decode("utf-8")
    value = draw(protocol_like if kind == "protocol" else json_values)
    # ensure_ascii=True escapes lone surrogates (as "\\ud800"), the only way they travel.
    frame = json.dumps(value, ensure_ascii=draw(st.booleans()) or _has_surrogate(value))
    assume(len(frame.encode()) <= MAX_FRAME_BYTES)
    return "text", frame


def _has_surrogate(value: Any) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in json.dumps(value, ensure_ascii=False))


@pytest.fixture
async def fuzz_gateway(make_gateway):  # type: ignore[no-untyped-def]
    return await make_gateway(
        rate_limit_per_ip=UNLIMITED, rate_limit_per_conversation=UNLIMITED,
        new_conversations_per_address=UNLIMITED, new_conversations_per_tenant=UNLIMITED,
    )


async def _open(fuzz_gateway) -> Widget:  # type: ignore[no-untyped-def]
    from .support import ALLOWED_ORIGIN

    ws = await fuzz_gateway.ws_connect("/api/v1/tenants/nordlys/ws", origin=ALLOWED_ORIGIN)
    return Widget(ws)


@FUZZ
@given(frames=st.lists(raw_frames(), min_size=1, max_size=6), hello_first=st.booleans())
async def test_generated_frames_never_cause_an_internal_error_or_a_half_stored_message(
    fuzz_gateway, stored, caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
    frames: list[tuple[str, str | bytes]], hello_first: bool,
) -> None:
    caplog.clear()
    widget = await _open(fuzz_gateway)
    try:
        if hello_first:
            await widget.hello()
        for kind, data in frames:
            if kind == "binary":
                await widget.ws.send_bytes(data)  # type: ignore[arg-type]
            else:
                await widget.send_raw(data)  # type: ignore[arg-type]
        # Still usable: a clean hello, a ping and a message all go through.
        await widget.send(type="hello", last_seq=0)
        welcome = await widget.wait_for(lambda f: f["type"] == "welcome" and not f["resumed"])
        await widget.send(type="ping")
        await widget.next_of("pong")
        await widget.send(type="message", client_id="fuzz-final", text="still there?")
        await widget.next_of("ack", client_id="fuzz-final")
    finally:
        await widget.close()

    received = widget.received
    assert not [f for f in received if f["type"] == "error" and f["code"] == "internal_error"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    acked = {(f["client_id"], f["seq"]) for f in received if f["type"] == "ack"}
    conversations = {f["conversation_id"] for f in received if f["type"] == "welcome"}
    assert welcome["conversation_id"] in conversations
    for conversation_id in conversations:
        rows = await stored(conversation_id)
        assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
        customer = [(row.client_id, row.seq) for row in rows if row.role == "customer"]
        assert set(customer) <= acked  # nothing stored that the widget was not told of
        assert len({client_id for client_id, _ in customer}) == len(customer)
        assert all(is_clean(row.text) and row.text.strip() for row in rows if row.role == "customer")
