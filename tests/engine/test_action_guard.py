"""The action server going down does not cost a turn (bot/engine/action_retry.py,
action_failures.py, action_guard.py).

Each test runs real turns through Rasa's own message processor (a small model trained here:
rules and keyword intents) against a real `rasa_sdk` action server process
(tests/engine/guard_actions.py) that the test kills and starts again:

- down for a moment (a supervised restart): the turn waits, the action runs once, nothing lost;
- down for longer than the retry budget: a clear message with a "Talk to a person" button,
  and the next turn works once the server is back;
- asking for a person while it is down: the engine hands over by itself;
- killed while an action runs: the call is not sent again (it may have written already).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

pytest.importorskip("rasa")

from rasa.core.agent import Agent  # noqa: E402
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage  # noqa: E402
from rasa.core.nlg import TemplatedNaturalLanguageGenerator  # noqa: E402
from rasa.model_training import train  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.shared.exceptions import RasaException  # noqa: E402
from rasa.shared.core.events import ActionExecuted, SlotSet  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402

from bot.engine import action_guard  # noqa: E402
from bot.engine.action_failures import REQUEST_HUMAN_PAYLOAD  # noqa: E402
from bot.engine.action_retry import (  # noqa: E402
    RETRY_SECONDS_VARIABLE,
    RetryingActionEndpoint,
    RetryPolicy,
)

REPO = Path(__file__).resolve().parents[2]
# Hang guards, not speed limits: the machine may be busy.
START_GUARD_SECONDS = 90.0
TURN_GUARD_SECONDS = 120.0
# Long enough for a rasa_sdk start on a loaded machine; production uses 15 s (RetryPolicy()).
RESTART_POLICY = RetryPolicy(budget_seconds=40.0)
SHORT_POLICY = RetryPolicy(budget_seconds=1.0)

DOMAIN = """
version: "3.1"
intents: [count, slow, request_human]
slots:
  visits:
    type: float
    influence_conversation: false
    mappings: [{type: custom}]
  language:
    type: text
    initial_value: en
    influence_conversation: false
    mappings: [{type: custom}]
responses:
  utter_handoff:
    - text: "A person from our team will take over this chat."
actions: [action_session_start, action_count_visit, action_slow_write, action_handoff]
"""
CONFIG = """
recipe: default.v1
language: en
assistant_id: action_guard_test
pipeline:
  - name: WhitespaceTokenizer
  - name: KeywordIntentClassifier
policies:
  - name: RulePolicy
"""
NLU = """
version: "3.1"
nlu:
  - intent: count
    examples: |
      - count my visit
  - intent: slow
    examples: |
      - slow write
  - intent: request_human
    examples: |
      - talk to a person
"""
RULES = """
version: "3.1"
rules:
  - rule: count
    steps: [{intent: count}, {action: action_count_visit}]
  - rule: slow
    steps: [{intent: slow}, {action: action_slow_write}]
  - rule: person
    steps: [{intent: request_human}, {action: action_handoff}]
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> str:
    workdir: Path = tmp_path_factory.mktemp("guard-model")
    for name, text in {"domain.yml": DOMAIN, "config.yml": CONFIG, "nlu.yml": NLU, "rules.yml": RULES}.items():
        (workdir / name).write_text(textwrap.dedent(text))
    result = train(
        domain=str(workdir / "domain.yml"),
        config=str(workdir / "config.yml"),
        training_files=[str(workdir / "nlu.yml"), str(workdir / "rules.yml")],
        output=str(workdir / "models"),
        fixed_model_name="guard",
    )
    assert result.code == 0 and result.model, "training the test model failed"
    return result.model


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ActionServer:
    """A real rasa_sdk action server process serving tests/engine/guard_actions.py."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.journal = workdir / "ran.txt"  # one line per action the server really ran
        self.journal.touch()
        self._output = workdir / "action-server.log"
        self.process: subprocess.Popen | None = None

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "GUARD_LOG": str(self.journal)}
        with self._output.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rasa_sdk", "--actions", "tests.engine.guard_actions",
                 "--port", str(self.port)],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def is_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1) as answer:
                return answer.status == 200
        except OSError:
            return False

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_GUARD_SECONDS
        while not self.is_healthy():
            assert self.process is not None and self.process.poll() is None, self._output.read_text()[-2000:]
            assert time.monotonic() < deadline, "action server did not start"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL, as a crash: no clean shutdown, open connections just break."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def ran(self, line: str) -> int:
        return self.journal.read_text().splitlines().count(line)


@pytest.fixture
def action_server(tmp_path: Path):
    server = ActionServer(tmp_path)
    try:
        yield server
    finally:
        server.kill()


def load_agent(model: str, server: ActionServer, policy: RetryPolicy) -> Agent:
    action_guard.install()
    return Agent.load(model, action_endpoint=RetryingActionEndpoint(EndpointConfig(server.webhook), policy))


async def say(agent: Agent, sender: str, text: str) -> list[dict]:
    message = UserMessage(text, CollectingOutputChannel(), sender)
    return await asyncio.wait_for(agent.handle_message(message), TURN_GUARD_SECONDS)


async def events_of(agent: Agent, sender: str) -> list:
    tracker = await agent.tracker_store.retrieve(sender)
    return list(tracker.events)


def test_a_turn_during_an_action_server_restart_waits_and_loses_nothing(model, action_server):
    agent = load_agent(model, action_server, RESTART_POLICY)
    sender = str(uuid.uuid4())

    async def scenario() -> tuple[list[dict], float]:
        started = time.monotonic()
        turn = asyncio.create_task(say(agent, sender, "/count"))
        await asyncio.sleep(1.0)
        assert not turn.done(), "the turn should be waiting for the action server"
        action_server.start()  # the supervisor's restart
        replies = await turn
        return replies, time.monotonic() - started

    replies, took = asyncio.run(scenario())

    assert [reply.get("text") for reply in replies] == ["Visit number 1 recorded."]
    assert took >= 1.0
    assert action_server.ran("session start") == 1 and action_server.ran("visit") == 1
    events = asyncio.run(events_of(agent, sender))
    assert SlotSet("visits", 1.0) in events  # the action's events reached the tracker
    assert isinstance(events[-1], ActionExecuted) and events[-1].action_name == "action_listen"


def test_an_action_server_down_for_longer_gets_a_clear_message_and_a_person_offered(model, action_server):
    agent = load_agent(model, action_server, SHORT_POLICY)
    sender = str(uuid.uuid4())

    started = time.monotonic()
    replies = asyncio.run(say(agent, sender, "/count"))
    took = time.monotonic() - started

    # One message: the failed session start before the step says nothing of its own.
    assert len(replies) == 1
    assert "couldn't finish that" in replies[0]["text"]
    assert replies[0]["buttons"] == [{"title": "Talk to a person", "payload": REQUEST_HUMAN_PAYLOAD}]
    assert took >= SHORT_POLICY.budget_seconds * 0.9  # it did retry first
    events = asyncio.run(events_of(agent, sender))
    # Listening again, not stuck:
    assert isinstance(events[-1], ActionExecuted) and events[-1].action_name == "action_listen"
    assert not any(isinstance(event, SlotSet) and event.key == "visits" for event in events)

    # Back up: the next turn is served as usual.
    action_server.start()
    action_server.wait_healthy()
    replies = asyncio.run(say(agent, sender, "/count"))
    assert [reply.get("text") for reply in replies] == ["Visit number 1 recorded."]


def test_asking_for_a_person_while_the_action_server_is_down_hands_over_from_the_engine(
    model, action_server
):
    agent = load_agent(model, action_server, SHORT_POLICY)
    sender = str(uuid.uuid4())

    replies = asyncio.run(say(agent, sender, "/request_human"))

    assert replies[0]["text"] == "A person from our team will take over this chat."
    handoff = replies[1]["custom"]["handoff"]
    assert handoff["reason"] == "assistant_unavailable"
    assert handoff["summary"]["verified"] is False and "not verified" in handoff["summary"]["text"]
    tracker = asyncio.run(agent.tracker_store.retrieve(sender))
    assert tracker.is_paused()  # the bot stays silent until a person hands back


def test_an_action_that_may_have_run_is_not_sent_again(model, action_server):
    action_server.start()
    action_server.wait_healthy()
    agent = load_agent(model, action_server, RESTART_POLICY)
    sender = str(uuid.uuid4())

    async def scenario() -> list[dict]:
        turn = asyncio.create_task(say(agent, sender, "/slow"))
        deadline = time.monotonic() + TURN_GUARD_SECONDS
        while action_server.ran("slow write") == 0:  # the action has written …
            assert time.monotonic() < deadline and not turn.done()
            await asyncio.sleep(0.05)
        action_server.kill()  # … and dies before answering
        action_server.start()  # back at once: a retry would reach it
        return await turn

    replies = asyncio.run(scenario())

    assert len(replies) == 1 and "couldn't finish that" in replies[0]["text"]
    action_server.wait_healthy()
    time.sleep(1.0)
    assert action_server.ran("slow write") == 1


def test_the_retry_budget_comes_from_the_environment_once():
    assert RetryPolicy.from_env({}) == RetryPolicy(budget_seconds=15.0)
    assert RetryPolicy.from_env({RETRY_SECONDS_VARIABLE: "3.5"}).budget_seconds == 3.5
    for bad in ("soon", "-1", "600"):
        with pytest.raises(ValueError, match=RETRY_SECONDS_VARIABLE):
            RetryPolicy.from_env({RETRY_SECONDS_VARIABLE: bad})


def test_install_wraps_rasas_remote_action_and_processor_once():
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    action_guard.install()
    run, run_action = RemoteAction.run, MessageProcessor._run_action
    action_guard.install(RetryPolicy(budget_seconds=0.5))
    try:
        assert (RemoteAction.run, MessageProcessor._run_action) == (run, run_action)
        assert action_guard.installed_policy() == RetryPolicy(budget_seconds=0.5)
        # A plain endpoint, as endpoints.yml gives it, is retried with the installed policy.
        action = RemoteAction("action_count_visit", EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook"))
        domain = Domain.from_yaml(textwrap.dedent(DOMAIN))
        tracker = DialogueStateTracker("install-check", domain.slots)
        started = time.monotonic()
        with pytest.raises(RasaException, match="Couldn't connect"):
            asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
                                   tracker, domain))
        assert time.monotonic() - started >= 0.45
        assert isinstance(action.action_endpoint, RetryingActionEndpoint)
    finally:
        action_guard.install()


def test_the_apology_is_in_the_language_the_customer_writes():
    from bot.engine.action_failures import apology_events

    domain = Domain.from_yaml(textwrap.dedent(DOMAIN))
    tracker = DialogueStateTracker("nb-check", domain.slots)
    tracker.update(SlotSet("language", "nb"))

    apology = apology_events(tracker)[0]

    assert apology.text.startswith("Beklager, jeg fikk ikke fullført det")
    assert apology.data["buttons"] == [{"title": "Snakk med en person", "payload": REQUEST_HUMAN_PAYLOAD}]
