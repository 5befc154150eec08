"""No dead ends: misses, ambiguity and the second miss in a row that brings a person.

A miss is a turn the assistant could not use: the NLU did not understand (nlu_fallback),
the dialogue could not follow (action_default_fallback), or the active form could not use
the answer (an "invalid" response from its validation). The bot marks each miss by the
response it sends; when the turn before was a miss too, a person takes over instead.

When the two best intents are close (FallbackClassifier's ambiguity), the customer gets
"Did you mean … or …?" with a button for each and one for something else (a person),
in the conversation's language: Rasa's two-stage fallback, made human and bilingual.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList
from actions.handoff import hand_off
from actions.misses import REPEATED_MISSES, previous_turn_missed

# Two intents this close are a tie worth a "did you mean" question. The FallbackClassifier
# (config.yml) decides whether the turn is nlu_fallback at all (confidence below its threshold);
# this decides whether the question has two candidates or asks to rephrase.
AMBIGUITY_GAP = 0.1
# Below this the second intent is no real candidate: ask to rephrase instead.
MIN_CANDIDATE_CONFIDENCE = 0.2
SOMETHING_ELSE_PAYLOAD = "/request_human"


def mark_not_understood(dispatcher: CollectingDispatcher, kind: str) -> None:
    """Tell the gateway this customer turn was not understood ("nlu": the NLU fell back,
    "dialogue": the dialogue could not follow). A custom message without text: the
    customer sees nothing; the transcript marks the message for conversation review."""
    dispatcher.utter_message(json_message={"fallback": kind})

# What each intent means to a customer, as a button title ("en", "nb").
INTENT_TITLES: dict[str, tuple[str, str]] = {
    "check_balance": ("What I owe", "Hva jeg skylder"),
    "check_plan": ("My plan", "Abonnementet mitt"),
    "check_account_status": ("My account status", "Status på kontoen"),
    "check_last_payment": ("My last payment", "Siste betaling"),
    "open_ticket": ("Report a problem", "Melde en sak"),
    "ticket_status": ("Status of a ticket", "Status på en sak"),
    "request_human": ("Talk to a person", "Snakke med en person"),
    "complain": ("Make a complaint", "Klage"),
    "bot_challenge": ("Who am I talking to?", "Hvem snakker jeg med?"),
}
FAQ_TITLES: dict[str, tuple[str, str]] = {
    "opening_hours": ("Opening hours", "Åpningstider"),
    "cancel_contract": ("Cancelling my contract", "Si opp avtalen"),
    "change_plan": ("Changing plan", "Bytte abonnement"),
    "moving_home": ("Moving home", "Flytting"),
    "contact_details": ("Changing contact details", "Endre kontaktopplysninger"),
    "payment_methods": ("Ways to pay", "Betalingsmåter"),
}
SOMETHING_ELSE = ("Something else", "Noe annet")


def _localized(titles: tuple[str, str], language: str) -> str:
    return titles[1] if language == "nb" else titles[0]


def second_miss(dispatcher: CollectingDispatcher, tracker: Tracker) -> EventList:
    """A person takes over after two misses in a row."""
    latest = (tracker.latest_message.get("intent") or {}).get("name")
    reason = "nlu_fallback" if latest == "nlu_fallback" and previous_turn_missed(tracker) else REPEATED_MISSES
    return hand_off(dispatcher, tracker, reason)


def miss(
    dispatcher: CollectingDispatcher, tracker: Tracker, response: str, **values: Any
) -> tuple[EventList, bool]:
    """Tell the customer about a miss, or hand off when the turn before was one too.

    Returns the events and whether the conversation went to a person."""
    if previous_turn_missed(tracker):
        return second_miss(dispatcher, tracker), True
    dispatcher.utter_message(response=response, **values)
    return [], False


def close_candidates(tracker: Tracker) -> list[str]:
    """The two best intents when they are close enough to ask which one was meant."""
    ranking = [
        entry
        for entry in tracker.latest_message.get("intent_ranking") or []
        if entry.get("name") != "nlu_fallback"
    ]
    if len(ranking) < 2:
        return []
    first, second = ranking[0], ranking[1]
    if first["name"] == second["name"]:
        return []
    if second.get("confidence", 0.0) < MIN_CANDIDATE_CONFIDENCE:
        return []
    if first.get("confidence", 0.0) - second.get("confidence", 0.0) > AMBIGUITY_GAP:
        return []
    names = [first["name"], second["name"]]
    if not all(name in INTENT_TITLES or name == "faq" for name in names):
        return []  # e.g. "yes" against "thanks": nothing to choose between
    return names


def candidate_button(tracker: Tracker, intent: str, language: str) -> dict[str, str] | None:
    """A button that sends `intent` (for the FAQ: the topic the response selector picked)."""
    if intent != "faq":
        return {"title": _localized(INTENT_TITLES[intent], language), "payload": f"/{intent}"}
    selector = (tracker.latest_message.get("response_selector") or {}).get("faq") or {}
    key = ((selector.get("response") or {}).get("intent_response_key") or "").partition("/")[2]
    if key not in FAQ_TITLES:
        return None
    return {
        "title": _localized(FAQ_TITLES[key], language),
        "payload": f'/faq{{"faq_topic":"{key}"}}',
    }


class ActionNluFallback(Action):
    """Not understood: ask which of two close intents was meant, or to rephrase; a second
    miss in a row brings a person."""

    def name(self) -> str:
        return "action_nlu_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        mark_not_understood(dispatcher, "nlu")
        if previous_turn_missed(tracker):
            return second_miss(dispatcher, tracker)
        language = tracker.get_slot("language") or "en"
        buttons = [candidate_button(tracker, name, language) for name in close_candidates(tracker)]
        if len(buttons) == 2 and all(buttons):
            something_else = {"title": _localized(SOMETHING_ELSE, language), "payload": SOMETHING_ELSE_PAYLOAD}
            dispatcher.utter_message(
                response="utter_did_you_mean",
                first=buttons[0]["title"],
                second=buttons[1]["title"],
                buttons=[*buttons, something_else],
            )
            return []
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []


class ActionDefaultFallback(Action):
    """The dialogue could not follow: say so and forget the turn; twice in a row, a person."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        mark_not_understood(dispatcher, "dialogue")
        if previous_turn_missed(tracker):
            return second_miss(dispatcher, tracker)
        dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]


class MissCountingFormValidation(FormValidationAction, ABC):
    """A form validation whose second unusable answer in a row brings a person.

    Subclasses report an unusable answer with `self.unusable(dispatcher, tracker, response)`
    instead of uttering the response themselves."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form>; abstract, so the action server does not register this base."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        events = await super().run(dispatcher, tracker, domain)
        if not any("handoff" in (message.get("custom") or {}) for message in dispatcher.messages):
            return events
        # End the form (requested_slot None) and pause the bot: the rules that follow
        # a finished form never run for a paused conversation.
        return [
            *(event for event in events if event.get("name") != "requested_slot"),
            SlotSet("requested_slot", None),
            ConversationPaused(),
        ]

    @staticmethod
    def unusable(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> None:
        """Tell the customer the answer cannot be used, or hand off on the second one."""
        miss(dispatcher, tracker, response)
