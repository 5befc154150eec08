"""Custom actions served by a real `rasa_sdk` action server in tests/engine/test_action_guard.py.

Each run appends a line to the file named by GUARD_LOG, so a test can count how often the
action server really ran an action (an action that may have run must never be sent twice).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher


def record(line: str) -> int:
    log = Path(os.environ["GUARD_LOG"])
    with log.open("a") as out:
        out.write(line + "\n")
    return log.read_text().splitlines().count(line)


class ActionCountVisit(Action):
    def name(self) -> str:
        return "action_count_visit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> list:
        visits = record("visit")
        dispatcher.utter_message(text=f"Visit number {visits} recorded.")
        return [SlotSet("visits", float(visits))]


class ActionSlowWrite(Action):
    """Writes first, answers late: the server can be killed after the write, before the answer."""

    def name(self) -> str:
        return "action_slow_write"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> list:
        record("slow write")
        await asyncio.sleep(60)
        dispatcher.utter_message(text="Slow write done.")
        return []


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> list:
        record("handoff")
        dispatcher.utter_message(response="utter_handoff")
        dispatcher.utter_message(json_message={"handoff": {"reason": "customer_request"}})
        return [ConversationPaused()]


class ActionSessionStart(Action):
    """A custom session start, as the assistant has: one more call to the action server."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> list:
        record("session start")
        return [SessionStarted(), SlotSet("language", "en"), ActionExecuted("action_listen")]
