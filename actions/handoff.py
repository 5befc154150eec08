"""Escalation to a person, and the NLU fallback that escalates on a second miss.

The handoff tells the customer in plain words, sends the gateway a custom message
{"handoff": {"reason": ..., "summary": {...}}} for the human agent, and pauses the
conversation so the bot stays silent until an agent resumes it.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList
from actions.misses import REPEATED_MISSES, previous_turn_missed
from actions.turns import intent_of, user_turns
from actions.verification import MAX_FAILURES

logger = logging.getLogger(__name__)

RECENT_INTENTS = 5
FIRST_MESSAGE_MAX_CHARS = 200
# Messages that say nothing about what the customer wants.
_NOT_A_REQUEST = frozenset(
    {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "inform", "request_human"}
)
_REASON_BY_INTENT = {
    "request_human": "customer_request",
    "complain": "complaint",
    "nlu_fallback": "nlu_fallback",
}


def handoff_reason(tracker: Tracker) -> str:
    """Why the customer goes to a person, from the latest message and the slots."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in _REASON_BY_INTENT:
        return _REASON_BY_INTENT[intent]
    if not tracker.get_slot("verified") and (tracker.get_slot("verification_failures") or 0) >= MAX_FAILURES:
        return "verification_failed"
    if not tracker.get_slot("verified") and previous_turn_missed(tracker):
        return REPEATED_MISSES  # verify_form ended on its second unusable answer in a row
    if tracker.get_slot("handoff_offered"):
        return "unanswered_question"
    return "customer_request"


def conversation_summary(tracker: Tracker, reason: str) -> dict[str, Any]:
    """What a human agent needs to pick the conversation up without asking again."""
    turns = user_turns(tracker)
    intents = [name for name in map(intent_of, turns) if name]
    first_request = next(
        (
            str(turn.get("text"))
            for turn in turns
            if intent_of(turn) not in _NOT_A_REQUEST and not str(turn.get("text") or "/").startswith("/")
        ),
        None,
    )
    if first_request and len(first_request) > FIRST_MESSAGE_MAX_CHARS:
        first_request = first_request[: FIRST_MESSAGE_MAX_CHARS - 1] + "…"
    verified = bool(tracker.get_slot("verified"))
    account_number = tracker.get_slot("account_number") if verified else None
    customer_name = tracker.get_slot("customer_name") if verified else None
    tickets = [str(ref) for ref in tracker.get_slot("opened_tickets") or []]
    recent = intents[-RECENT_INTENTS:]

    parts = [f"Handoff ({reason.replace('_', ' ')})"]
    parts.append(f'first asked: "{first_request}"' if first_request else "no request stated")
    parts.append(f"verified as {account_number} {customer_name}" if verified else "not verified")
    if tickets:
        parts.append(f"tickets opened: {', '.join(tickets)}")
    if recent:
        parts.append(f"recent intents: {', '.join(recent)}")
    return {
        "first_message": first_request,
        "last_intents": recent,
        "verified": verified,
        "account_number": account_number,
        "customer_name": customer_name,
        "tickets_opened": tickets,
        "text": "; ".join(parts) + ".",
    }


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> EventList:
    """Tell the customer, brief the agent, stop any form and pause the bot."""
    try:
        summary = conversation_summary(tracker, reason)
    except Exception:  # a summary must never stop the customer from reaching a person
        logger.exception("handoff summary failed for %s", tracker.sender_id)
        summary = {"text": f"Handoff ({reason}); summary unavailable."}
    logger.info("handing %s off to a person (%s)", tracker.sender_id, reason)
    dispatcher.utter_message(response="utter_handoff")
    dispatcher.utter_message(json_message={"handoff": {"reason": reason, "summary": summary}})
    events: EventList = []
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    return [*events, ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        return hand_off(dispatcher, tracker, handoff_reason(tracker))
