"""What a miss is: a customer's turn the assistant could not use.

Its own module because the fallbacks and the ticket forms (actions/fallback.py), the
verification form and the handoff's reason all ask whether the turn before was one,
and the fallbacks import the handoff.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.turns import intent_of

REPEATED_MISSES = "repeated_misses"
# Every response the bot gives when it could not use the customer's turn.
MISS_RESPONSES = frozenset(
    {
        "utter_ask_rephrase",
        "utter_default",
        "utter_did_you_mean",
        "utter_account_number_invalid",
        "utter_verification_factor_invalid",
        "utter_ticket_category_invalid",
        "utter_ticket_description_too_short",
        "utter_ticket_ref_invalid",
    }
)


def previous_turn_missed(tracker: Tracker) -> bool:
    """Whether the customer's previous message was a miss: not understood, or answered
    with one of MISS_RESPONSES."""
    user_indices = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
    if len(user_indices) < 2:
        return False
    if intent_of(tracker.events[user_indices[-2]]) == "nlu_fallback":
        return True
    between = tracker.events[user_indices[-2] + 1 : user_indices[-1]]
    return any(
        event.get("event") == "bot"
        and (event.get("metadata") or {}).get("utter_action") in MISS_RESPONSES
        for event in between
    )
