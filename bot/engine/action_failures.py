"""A custom action that failed is never a silent gap in the conversation.

Rasa 3.6 catches any exception of an action, logs "Bot will continue, but the actions events
are lost" and goes on predicting: the customer may get no answer at all, or the answer of a
later step that assumed the failed one ran. When a custom action fails after the retries of
`bot.engine.action_retry` (the action server stayed down, broke off mid-call, answered an
error or nonsense), this ends the turn with a clear message instead:

- the failed action asked for a person (`action_handoff`): the engine hands over itself —
  the handoff message, the `{"handoff": ...}` custom message the gateway acts on, the
  conversation paused — because a handoff must not depend on the server that is down;
- any other action: an apology with a "Talk to a person" button (`/request_human`), then
  Rasa listens. The failed action's events stay lost (Rasa's own choice, kept: its partial
  outcome is unknown), so the form or question is simply where it was and can be tried again.

A failed `action_session_start` is replaced by Rasa's own session start (session started,
slots carried over, listening). Without it the tracker would not be listening when the
customer's message arrives, no rule would match and Rasa would drop the message silently
(tests/engine/test_action_guard.py saw exactly that). It says nothing itself: the message's
own steps in the same turn answer, or apologise if the server is still down. What our session
start would have added (the tenant's language, a verification done by the firm's site) is
missing from that session: the customer may be asked to verify.

The messages live here, not in domain.yml, so that they work with any trained model and never
depend on the response set the failure may be part of.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from rasa.core.actions.action import ActionExecutionRejection, ActionSessionStart, create_bot_utterance
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, REQUESTED_SLOT
from rasa.shared.core.events import (
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    FollowupAction,
    SlotSet,
)

if TYPE_CHECKING:
    from rasa.core.actions.action import Action
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

HANDOFF_ACTION = "action_handoff"
HANDOFF_REASON = "assistant_unavailable"
REQUEST_HUMAN_PAYLOAD = "/request_human"

_APOLOGY = {
    "en": (
        "Sorry, I couldn't finish that: part of our system isn't answering right now. "
        "Please try again in a moment, or talk to a person."
    ),
    "nb": (
        "Beklager, jeg fikk ikke fullført det: en del av systemet vårt svarer ikke akkurat nå. "
        "Prøv igjen om litt, eller snakk med en person."
    ),
}
_TALK_TO_A_PERSON = {"en": "Talk to a person", "nb": "Snakk med en person"}
# Used only when the model's domain has no utter_handoff.
_HANDOFF = {
    "en": "I'm passing you to a member of our team. A person will take over this chat as soon as possible.",
    "nb": "Jeg setter deg over til en av kollegene mine. En person tar over samtalen her så snart som mulig.",
}

# The custom actions that failed during the action the processor is running now.
_failed_actions: ContextVar[list[str] | None] = ContextVar("failed_custom_actions", default=None)


def language_of(tracker: DialogueStateTracker) -> str:
    language = tracker.get_slot("language")
    return language if language in _APOLOGY else "en"


async def run_remote_action(
    original: Callable[..., Awaitable[list[Event]]],
    action: Action,
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Any,
) -> list[Event]:
    """RemoteAction.run, noting a failure for the turn (a rejection is an answer, not one)."""
    try:
        return await original(action, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception:
        failed = _failed_actions.get()
        if failed is not None:
            failed.append(action.name())
        raise


async def run_action(
    original: Callable[..., Awaitable[bool]],
    processor: MessageProcessor,
    action: Action,
    tracker: DialogueStateTracker,
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    prediction: PolicyPrediction,
) -> bool:
    """MessageProcessor._run_action, followed by the customer's message when a custom action
    failed (Rasa has logged the error and dropped the action's events by then)."""
    failed: list[str] = []
    token = _failed_actions.set(failed)
    try:
        predict_more = await original(processor, action, tracker, output_channel, nlg, prediction)
    finally:
        _failed_actions.reset(token)
    if not failed:
        return predict_more
    if action.name() == ACTION_SESSION_START_NAME:
        logger.error("session start of %s failed: using Rasa's own session start", tracker.sender_id)
        events = await ActionSessionStart().run(output_channel, nlg, tracker, processor.domain)
        tracker.update_with_events(events, processor.domain)
        return predict_more
    logger.error(
        "custom action %s failed while running %s for %s: telling the customer",
        ", ".join(failed), action.name(), tracker.sender_id,
    )
    if HANDOFF_ACTION in failed or action.name() == HANDOFF_ACTION:
        events = await handoff_events(tracker, nlg, output_channel)
    else:
        events = apology_events(tracker)
    tracker.update_with_events(events, processor.domain)
    await processor.execute_side_effects(events, tracker, output_channel)
    # Paused: the turn is over. Otherwise the follow-up makes the next step action_listen.
    return not tracker.is_paused()


def apology_events(tracker: DialogueStateTracker) -> list[Event]:
    language = language_of(tracker)
    apology = BotUttered(
        _APOLOGY[language],
        data={"buttons": [{"title": _TALK_TO_A_PERSON[language], "payload": REQUEST_HUMAN_PAYLOAD}]},
    )
    return [apology, FollowupAction(ACTION_LISTEN_NAME)]


async def handoff_events(
    tracker: DialogueStateTracker, nlg: NaturalLanguageGenerator, output_channel: OutputChannel
) -> list[Event]:
    """What action_handoff would do, without the action server: say so, brief the agent as
    far as the tracker tells, stop any form, pause the bot."""
    language = language_of(tracker)
    draft = await nlg.generate("utter_handoff", tracker, output_channel.name())
    told = create_bot_utterance(dict(draft)) if draft else BotUttered(_HANDOFF[language])
    verified = bool(tracker.get_slot("verified"))
    account_number = tracker.get_slot("account_number") if verified else None
    summary = {
        "verified": verified,
        "account_number": account_number,
        "text": (
            "Handoff (assistant unavailable): the assistant's action server did not answer, "
            "so no summary was made; "
            + (f"verified as {account_number}." if verified else "not verified.")
        ),
    }
    events: list[Event] = [
        told,
        BotUttered(data={"custom": {"handoff": {"reason": HANDOFF_REASON, "summary": summary}}}),
    ]
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    return [*events, ConversationPaused()]
