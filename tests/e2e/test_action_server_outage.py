"""The action server down during a customer's turn, through the whole stack as `make run` runs
it (gateway, Rasa started as `python -m bot.engine`, action server, the supervisor):

- it dies and the supervisor brings it back while a verification answer waits: the answer is
  verified once it is back, with no apology and nothing lost;
- it stays down: the customer is told so and offered a person, and asking for one hands the
  chat over although the action server that normally does that is gone.
"""

from __future__ import annotations

import pytest

from bot.stack.supervisor import Supervisor
from tests.test_stack_crash_recovery import Tab, back_up, crash, gone, system  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

APOLOGY = "couldn't finish that"
# Read by Rasa (bot/engine/action_retry.py, engine environment).
ACTION_SERVER_RETRY_SECONDS = "ACTION_SERVER_RETRY_SECONDS"


def bot_texts(tab: Tab) -> list[str]:
    return [f["text"] for f in tab.frames if f["type"] == "message" and f["role"] == "bot"]


@pytest.fixture
def patient_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    """A budget that outlasts any action server start on a busy test machine (production: 15 s)."""
    monkeypatch.setenv(ACTION_SERVER_RETRY_SECONDS, "60")


@pytest.fixture
def impatient_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ACTION_SERVER_RETRY_SECONDS, "2")


async def test_a_verification_answered_while_the_action_server_restarts_is_verified(
    patient_rasa: None, system: Supervisor  # noqa: F811 (the imported fixture)
) -> None:
    tab = Tab(f"{system.cfg.gateway_url}/api/v1/tenants/nordlys/ws")  # type: ignore[attr-defined]
    try:
        await tab.connect()
        await tab.say("how much do I owe?")
        await tab.wait_for_bot("account number")
        await tab.say("my account is 10000001")
        await tab.wait_for_bot("postcode or email")

        old = crash(system, "actions")
        await gone(old)
        await tab.say("0150")  # validated by the action server, which is restarting
        await tab.wait_for_bot("verified")
        await back_up(system, "actions", old)
    finally:
        await tab.close()

    assert system.restarts == {"actions": 1}
    assert not any(APOLOGY in text for text in bot_texts(tab))
    unexpected = [f for f in tab.frames if f["type"] == "error" and f["code"] != "assistant_unavailable"]
    assert unexpected == []


async def test_an_action_server_that_stays_down_gets_an_apology_and_a_person(
    impatient_rasa: None, system: Supervisor  # noqa: F811 (the imported fixture)
) -> None:
    tab = Tab(f"{system.cfg.gateway_url}/api/v1/tenants/nordlys/ws")  # type: ignore[attr-defined]
    try:
        await tab.connect()
        await system.kill("actions")  # gone for good: the supervisor no longer restarts it

        await tab.say("how much do I owe?")
        apology = await tab.wait_for(
            lambda f: f["type"] == "message" and f["role"] == "bot" and APOLOGY in f["text"])
        assert apology["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]

        await tab.say(apology["buttons"][0]["payload"])  # the customer presses the button
        await tab.wait_for_bot("passing you to a member of our team")
        # The gateway got the engine's {"handoff": ...} and started the handoff.
        await tab.wait_for(lambda f: f["type"] == "message" and f["role"] == "system"
                           and "asking for a person" in f["text"])
    finally:
        await tab.close()
