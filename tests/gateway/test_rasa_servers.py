"""Several Rasa servers behind the gateway: each conversation has its server, a server
that cannot be reached is skipped, and a message Rasa may have seen is never sent twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.gateway.rasa_client import RasaClient, RasaServers, RasaTimeout, RasaUnreachable
from bot.gateway.chat.delivery import answer_in_tracker

from .support import RASA_TOKEN, FakeRasa, unused_port


@pytest.fixture
async def two_rasas(aiohttp_server: Any) -> AsyncIterator[list[FakeRasa]]:
    rasas = []
    for _ in range(2):
        rasa = FakeRasa()
        server = await aiohttp_server(rasa.app())
        rasa.url = str(server.make_url("")).rstrip("/")
        rasas.append(rasa)
    yield rasas
    for rasa in rasas:
        rasa.release()


def servers(http: aiohttp.ClientSession, urls: list[str], timeout: float = 5.0) -> RasaServers:
    return RasaServers([RasaClient(http, url, RASA_TOKEN, timeout) for url in urls])


async def test_each_conversation_sticks_to_one_server_and_conversations_spread_over_both(
    two_rasas: list[FakeRasa],
) -> None:
    async with aiohttp.ClientSession() as http:
        pool = servers(http, [rasa.url for rasa in two_rasas])
        for n in range(20):
            for turn in range(3):
                await pool.send_message(f"conversation-{n}", f"turn {turn}", {})
    for rasa in two_rasas:
        senders = {body["sender"] for body in rasa.answered}
        assert senders, "every server gets a share"
        for sender in senders:
            assert sum(body["sender"] == sender for body in rasa.answered) == 3


async def test_an_unreachable_server_is_skipped_and_its_conversations_go_to_the_next(
    two_rasas: list[FakeRasa],
) -> None:
    alive = two_rasas[0]
    async with aiohttp.ClientSession() as http:
        pool = servers(http, [alive.url, f"http://127.0.0.1:{unused_port()}"])
        conversations = [f"conversation-{n}" for n in range(10)]
        for conversation in conversations:
            replies = await pool.send_message(conversation, "hello", {})
            assert replies[0].text == "echo: hello"
    assert sorted(body["sender"] for body in alive.answered) == sorted(conversations)


async def test_all_servers_unreachable_is_reported_as_unreachable() -> None:
    async with aiohttp.ClientSession() as http:
        pool = servers(http, [f"http://127.0.0.1:{unused_port()}" for _ in range(2)])
        with pytest.raises(RasaUnreachable):
            await pool.send_message("c", "hello", {})


async def test_a_timeout_is_not_retried_on_another_server(two_rasas: list[FakeRasa]) -> None:
    """The slow server may still answer: running the turn elsewhere could run it twice."""
    for rasa in two_rasas:
        rasa.mode = "hold"
    async with aiohttp.ClientSession() as http:
        pool = servers(http, [rasa.url for rasa in two_rasas], timeout=0.3)
        with pytest.raises(RasaTimeout):
            await pool.send_message("c", "hello", {})
    assert sum(len(rasa.attempts) for rasa in two_rasas) == 1


def test_the_answer_to_a_message_is_found_in_the_tracker_by_its_seq() -> None:
    events = [
        {"event": "user", "text": "hi", "metadata": {"message_seq": 2}},
        {"event": "bot", "text": "Hello!", "data": {"buttons": [{"title": "Yes", "payload": "/affirm"}]}},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "balance", "metadata": {"message_seq": 4}},
        {"event": "action", "name": "action_account_info"},
        {"event": "bot", "text": "First", "data": {}},
        {"event": "bot", "text": None, "data": {"custom": {"handoff": {"reason": "x"}}}},
        {"event": "action", "name": "action_listen"},
    ]
    first = answer_in_tracker(events, 2)
    assert first is not None and [reply.text for reply in first] == ["Hello!"]
    assert first[0].buttons[0].payload == "/affirm"
    second = answer_in_tracker(events, 4)
    assert second is not None
    assert [reply.text for reply in second] == ["First", None]
    assert second[1].custom == {"handoff": {"reason": "x"}}
    assert answer_in_tracker(events, 6) is None  # never reached Rasa: send it
