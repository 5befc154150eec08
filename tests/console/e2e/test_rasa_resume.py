"""Hand-back against the real Rasa 3.6 server: the paused tracker resumes and the bot greets again."""

from __future__ import annotations

import secrets

import aiohttp
import pytest

from bot.gateway.rasa_client import RasaClient
from bot.stack.services import StackConfig

pytestmark = pytest.mark.e2e


async def test_a_tracker_paused_by_the_handoff_is_resumed_and_the_bot_greets_again(
    assistant: StackConfig,
) -> None:
    sender = secrets.token_urlsafe(12)
    metadata = {"tenant": "fjordnett", "language": "en", "conversation_id": sender}
    async with aiohttp.ClientSession() as http:
        rasa = RasaClient(http, assistant.rasa_url, assistant.rasa_token, request_timeout=60.0)

        escalation = await rasa.send_message(sender, "/request_human", metadata)
        assert any(reply.custom and "handoff" in reply.custom for reply in escalation)
        paused = await rasa.send_message(sender, "hello?", metadata)
        assert paused == []  # a paused tracker predicts nothing: the agent answers now

        await rasa.resume(sender)
        greeting = await rasa.execute_response(sender, "utter_greet")

        assert greeting and greeting[0].text
        async with http.get(
            f"{assistant.rasa_url}/conversations/{sender}/tracker",
            params={"token": assistant.rasa_token},
        ) as response:
            tracker = await response.json()
        assert tracker["paused"] is False
        answered = await rasa.send_message(sender, "hello", metadata)
        assert answered and answered[0].text  # the bot is back
