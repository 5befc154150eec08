"""Running the gateway: health, readiness, metrics, widget.js, idle end and graceful shutdown."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
from aiohttp import WSCloseCode, WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from bot.db import Database
from bot.db.models import Conversation
from bot.db.types import utcnow
from bot.gateway import create_app
from bot.gateway.keys import IDLE_SWEEPER

from .support import ALLOWED_ORIGIN, FakeRasa, Widget, new_client_id, unused_port


async def make_idle(database: Database, conversation_id: str, idle_for: timedelta) -> None:
    async with database.sessionmaker.begin() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_activity_at=utcnow() - idle_for)
        )


async def test_healthz_answers_while_the_process_runs(gateway: TestClient) -> None:
    response = await gateway.get("/healthz")
    assert response.status == 200 and await response.json() == {"status": "ok"}


async def test_readyz_is_200_when_rasa_the_action_server_and_the_database_answer(
    gateway: TestClient,
) -> None:
    response = await gateway.get("/readyz")
    assert response.status == 200
    assert await response.json() == {
        "status": "ok",
        "checks": {"rasa": "ok", "action_server": "ok", "database": "ok"},
    }


async def test_readyz_is_503_naming_rasa_when_rasa_is_down(make_gateway) -> None:
    client = await make_gateway(rasa_url=f"http://127.0.0.1:{unused_port()}")
    response = await client.get("/readyz")
    body = await response.json()

    assert response.status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["rasa"].startswith("error")
    assert body["checks"]["database"] == "ok" and body["checks"]["action_server"] == "ok"


async def test_readyz_is_503_when_rasa_refuses_the_token(make_gateway) -> None:
    client = await make_gateway(rasa_token="wrong-token")
    response = await client.get("/readyz")
    body = await response.json()

    assert response.status == 503
    assert "401" in body["checks"]["rasa"]
    assert "wrong-token" not in str(body)


async def test_readyz_is_503_naming_the_action_server_when_it_is_down(make_gateway) -> None:
    client = await make_gateway(action_server_url=f"http://127.0.0.1:{unused_port()}")
    body = await (await client.get("/readyz")).json()
    assert body["checks"]["action_server"].startswith("error") and body["checks"]["rasa"] == "ok"


async def test_metrics_count_turns_latency_open_sockets_and_errors(
    gateway: TestClient, connect
) -> None:
    widget = await connect()
    await widget.hello()
    await widget.say("count me", new_client_id())
    await widget.next_of("message", role="bot")
    await widget.send_raw("nonsense")
    await widget.next_of("error", code="bad_json")

    response = await gateway.get("/metrics")
    text = await response.text()

    assert response.headers["Content-Type"].startswith("text/plain")
    assert 'gateway_turns_total{outcome="answered"} 1.0' in text
    assert "gateway_turn_latency_seconds_count 1.0" in text
    assert "gateway_open_sockets 1.0" in text
    assert 'gateway_errors_total{code="bad_json"} 1.0' in text


async def test_two_apps_in_one_process_keep_separate_metrics(make_gateway) -> None:
    first, second = await make_gateway(), await make_gateway()
    await first.get("/api/v1/tenants/nobody/widget")

    first_metrics = await (await first.get("/metrics")).text()
    second_metrics = await (await second.get("/metrics")).text()
    assert 'gateway_errors_total{code="unknown_tenant"} 1.0' in first_metrics
    assert "unknown_tenant" not in second_metrics


async def test_widget_js_is_served_as_javascript_with_etag_revalidation(
    gateway: TestClient,
) -> None:
    response = await gateway.get("/widget.js")
    body = await response.read()

    assert response.status == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age" in response.headers["Cache-Control"]
    assert b"data-tenant" in body
    etag = response.headers["ETag"]

    again = await gateway.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""


async def test_demo_page_assets_are_served(gateway: TestClient) -> None:
    response = await gateway.get("/static/demo.css")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/css")


async def test_hello_for_an_idle_conversation_ends_it_and_starts_a_new_one(
    connect, database: Database
) -> None:
    widget = await connect()
    old = await widget.hello()
    await widget.close()
    await make_idle(database, old["conversation_id"], timedelta(hours=1))

    back = await connect()
    await back.send(type="hello", conversation_id=old["conversation_id"], last_seq=1)
    ended = await back.next_of("conversation_ended")
    welcome = await back.next_of("welcome")
    greeting = await back.next_of("message")

    assert ended == {"type": "conversation_ended", "reason": "idle"}
    assert welcome["resumed"] is False and welcome["conversation_id"] != old["conversation_id"]
    assert greeting["seq"] == 1 and greeting["role"] == "bot"
    async with database.sessionmaker() as session:
        assert (await session.get(Conversation, old["conversation_id"])).ended_at is not None


async def test_the_idle_sweep_ends_quiet_conversations_and_tells_open_tabs(
    gateway: TestClient, connect, database: Database
) -> None:
    quiet, busy = await connect(), await connect()
    quiet_id = (await quiet.hello())["conversation_id"]
    busy_id = (await busy.hello())["conversation_id"]
    await make_idle(database, quiet_id, timedelta(hours=1))

    ended = await gateway.app[IDLE_SWEEPER].sweep_once()

    assert [key.conversation_id for key in ended] == [quiet_id]
    assert (await quiet.next_of("conversation_ended"))["reason"] == "idle"
    await quiet.send(type="message", client_id=new_client_id(), text="anyone?")
    assert (await quiet.next_of("error"))["code"] == "hello_required"
    assert (await busy.say("still here", new_client_id()))["duplicate"] is False
    async with database.sessionmaker() as session:
        assert (await session.get(Conversation, busy_id)).ended_at is None


async def test_shutdown_closes_every_socket_with_going_away(settings, redactor) -> None:
    server = TestServer(create_app(settings, redactor=redactor))
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(
            server.make_url("/api/v1/tenants/nordlys/ws"), origin=ALLOWED_ORIGIN
        )
        widget = Widget(ws)
        await widget.hello()

        closing = asyncio.create_task(server.close())
        message = await ws.receive(timeout=10)
        await closing

    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    assert ws.close_code == WSCloseCode.GOING_AWAY


async def test_shutdown_lets_a_turn_in_flight_finish_and_store_its_answer(
    settings, redactor, fake_rasa: FakeRasa, stored
) -> None:
    fake_rasa.mode = "hold"
    server = TestServer(create_app(settings, redactor=redactor))
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(
            server.make_url("/api/v1/tenants/nordlys/ws"), origin=ALLOWED_ORIGIN
        )
        widget = Widget(ws)
        welcome = await widget.hello()
        await widget.say("answer me before you go", new_client_id())
        while not fake_rasa.attempts:  # the turn is at Rasa
            await asyncio.sleep(0.01)

        closing = asyncio.create_task(server.close())
        await ws.receive(timeout=10)  # the close frame
        fake_rasa.release()
        await closing

    rows = await stored(welcome["conversation_id"])
    assert [row.role for row in rows] == ["bot", "customer", "bot"]
    assert rows[1].delivered_to_bot is True and rows[2].text == "echo: answer me before you go"
