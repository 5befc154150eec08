"""Every bad input of the protocol's error table gets its own answer and breaks nothing."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bot.gateway.settings import RateLimit

from .support import FOREIGN_ORIGIN, FakeRasa, new_client_id


async def metric_value(client: TestClient, line_prefix: str) -> float:
    text = await (await client.get("/metrics")).text()
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_socket_for_unknown_tenant_is_refused_with_404_before_the_upgrade(
    gateway: TestClient,
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await gateway.ws_connect("/api/v1/tenants/no-such-firm/ws", origin="http://localhost:8000")
    assert refused.value.status == 404


async def test_socket_from_a_foreign_origin_is_refused_with_403_before_the_upgrade(
    gateway: TestClient,
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await gateway.ws_connect("/api/v1/tenants/nordlys/ws", origin=FOREIGN_ORIGIN)
    assert refused.value.status == 403


async def test_socket_without_origin_is_refused(gateway: TestClient) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await gateway.ws_connect("/api/v1/tenants/nordlys/ws")
    assert refused.value.status == 403


async def test_origin_allowed_for_one_tenant_is_refused_for_another(make_gateway, database) -> None:
    from sqlalchemy import update

    from bot.db.models import Tenant

    async with database.sessionmaker.begin() as session:
        await session.execute(
            update(Tenant)
            .where(Tenant.slug == "fjordnett")
            .values(allowed_origins=["https://fjordnett.example"])
        )
    client = await make_gateway()
    ok = await client.ws_connect("/api/v1/tenants/fjordnett/ws", origin="https://fjordnett.example")
    await ok.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/api/v1/tenants/nordlys/ws", origin="https://fjordnett.example")
    assert refused.value.status == 403


@pytest.mark.parametrize(
    "raw",
    ["{not json", "[1, 2, 3]", '"hello"', "42", "null"],
    ids=["broken", "array", "string", "number", "null"],
)
async def test_a_frame_that_is_not_a_json_object_gets_bad_json_and_the_socket_keeps_working(
    connect, gateway: TestClient, raw: str
) -> None:
    widget = await connect()
    await widget.hello()
    await widget.send_raw(raw)
    error = await widget.next_of("error")
    await widget.send(type="ping")

    assert error["code"] == "bad_json"
    assert await widget.next_of("pong") == {"type": "pong"}
    assert await metric_value(gateway, 'gateway_errors_total{code="bad_json"}') == 1.0


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "shout", "text": "hi"},
        {"text": "no type at all"},
        {"type": "message", "text": "no client id"},
        {"type": "message", "client_id": "c1"},
        {"type": "message", "client_id": "c1", "text": "   "},
        {"type": "message", "client_id": "c1", "text": 42},
        {"type": "message", "client_id": "x" * 65, "text": "id too long"},
        {"type": "typing"},
        {"type": "hello", "conversation_id": 7, "last_seq": 0},
        {"type": "hello", "conversation_id": None, "last_seq": -1},
    ],
    ids=[
        "unknown-type",
        "no-type",
        "no-client-id",
        "no-text",
        "blank-text",
        "text-not-string",
        "client-id-too-long",
        "typing-without-on",
        "hello-bad-id",
        "hello-negative-seq",
    ],
)
async def test_unknown_frames_and_missing_or_invalid_fields_get_unknown_frame(
    connect, frame: dict
) -> None:
    widget = await connect()
    await widget.hello()
    await widget.send(**frame)
    error = await widget.next_of("error")
    await widget.send(type="ping")

    assert error["code"] == "unknown_frame"
    await widget.next_of("pong")


async def test_a_frame_before_hello_gets_hello_required_and_hello_still_works(
    connect, fake_rasa: FakeRasa
) -> None:
    widget = await connect()
    await widget.send(type="message", client_id=new_client_id(), text="hi")
    error = await widget.next_of("error")
    welcome = await widget.hello()

    assert error["code"] == "hello_required"
    assert welcome["type"] == "welcome"
    assert fake_rasa.attempts == []


async def test_too_long_message_is_refused_with_its_client_id_and_not_stored(
    connect, stored, fake_rasa
) -> None:
    widget = await connect()
    welcome = await widget.hello()
    client_id = new_client_id()
    await widget.send(type="message", client_id=client_id, text="x" * 2001)
    error = await widget.next_of("error")
    ack = await widget.say("x" * 2000, new_client_id())

    assert error["code"] == "message_too_long" and error["client_id"] == client_id
    assert ack["seq"] == 2, "the refused message took no sequence number"
    rows = await stored(welcome["conversation_id"])
    assert client_id not in [row.client_id for row in rows]


async def test_messages_beyond_the_per_conversation_limit_are_rate_limited_and_not_stored(
    make_gateway, connect, stored, fake_rasa: FakeRasa
) -> None:
    client = await make_gateway(rate_limit_per_conversation=RateLimit(3, 60.0))
    widget = await connect(client=client)
    welcome = await widget.hello()
    for n in range(3):
        await widget.say(f"m{n}", new_client_id())
    refused_id = new_client_id()
    await widget.send(type="message", client_id=refused_id, text="one too many")
    error = await widget.next_of("error", code="rate_limited")

    assert error["client_id"] == refused_id
    rows = await stored(welcome["conversation_id"])
    assert "one too many" not in [row.text for row in rows]
    assert "one too many" not in [body["message"] for body in fake_rasa.attempts]
    # A new conversation has a budget of its own.
    other = await connect(client=client)
    await other.hello()
    assert (await other.say("fresh conversation", new_client_id()))["duplicate"] is False


async def test_messages_beyond_the_per_ip_limit_are_rate_limited_across_conversations(
    make_gateway, connect
) -> None:
    client = await make_gateway(rate_limit_per_ip=RateLimit(4, 60.0))
    first, second = await connect(client=client), await connect(client=client)
    await first.hello()
    await second.hello()
    for n in range(2):
        await first.say(f"first {n}", new_client_id())
        await second.say(f"second {n}", new_client_id())
    await second.send(type="message", client_id=new_client_id(), text="fifth from this address")
    error = await second.next_of("error", code="rate_limited")
    await first.send(type="ping")

    assert "too quickly" in error["message"]
    await first.next_of("pong")


async def test_an_error_on_one_socket_does_not_disturb_another(connect) -> None:
    calm, noisy = await connect(), await connect()
    await calm.hello()
    await noisy.hello()
    await noisy.send_raw("{{{{")
    await noisy.next_of("error", code="bad_json")

    ack = await calm.say("still fine?", new_client_id())
    await calm.next_of("message", text="echo: still fine?")
    assert ack["duplicate"] is False
    assert [f for f in calm.received if f["type"] == "error"] == []


async def test_binary_frames_get_bad_json(connect) -> None:
    widget = await connect()
    await widget.hello()
    await widget.ws.send_bytes(b"\x00\x01")
    assert (await widget.next_of("error"))["code"] == "bad_json"
