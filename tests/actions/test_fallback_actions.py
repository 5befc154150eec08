"""No dead ends (actions/fallback.py): misses, ambiguity, and a person after two misses in a row."""

from __future__ import annotations

from typing import Any

from actions_harness import conversation, run, user

from actions.fallback import ActionDefaultFallback, ActionNluFallback
from actions.tickets import ValidateTicketForm, ValidateTicketStatusForm


def bot(response: str) -> dict[str, Any]:
    """The bot's answer as the tracker holds it: the response name in the metadata."""
    return {"event": "bot", "text": "…", "metadata": {"utter_action": response}}


def unsure(text: str, *ranking: tuple[str, float], faq_key: str | None = None) -> dict[str, Any]:
    """A message the FallbackClassifier turned into nlu_fallback, with the intents' ranking."""
    turn = user(text, "nlu_fallback", faq_key=faq_key)
    turn["parse_data"]["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5},
        *({"name": name, "confidence": confidence} for name, confidence in ranking),
    ]
    return turn


def handoff_of(outcome) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    [handoff] = [custom["handoff"] for custom in outcome.custom if "handoff" in custom]
    return handoff


def fallback_marks(outcome) -> list[str]:  # type: ignore[no-untyped-def]
    """What the gateway learns about the turn: "nlu" / "dialogue" when it was not understood."""
    return [custom["fallback"] for custom in outcome.custom if "fallback" in custom]


def said_with_buttons(outcome) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    [message] = [message for message in outcome.messages if message.get("buttons")]
    return message


def said(outcome) -> list[str | None]:  # type: ignore[no-untyped-def]
    """The responses the customer sees (the fallback mark is no response)."""
    return [message.get("response") for message in outcome.messages if not message.get("custom")]


# --- not understood -------------------------------------------------------------------------------

async def test_first_misunderstanding_asks_to_rephrase() -> None:
    tracker = conversation(user("hi", "greet"), bot("utter_greet"), user("flibber the wotsit", "nlu_fallback"))

    outcome = await run(ActionNluFallback(), tracker)

    assert outcome.texts == ["Sorry, I didn't quite understand. Could you rephrase that?"]
    assert outcome.events == []
    assert fallback_marks(outcome) == ["nlu"]


async def test_second_misunderstanding_in_a_row_hands_off() -> None:
    tracker = conversation(user("flibber the wotsit", "nlu_fallback"), bot("utter_ask_rephrase"),
                           user("wotsit flibbered", "nlu_fallback"))

    outcome = await run(ActionNluFallback(), tracker)

    assert handoff_of(outcome)["reason"] == "nlu_fallback"
    assert handoff_of(outcome)["summary"]["first_message"] == "flibber the wotsit"
    assert fallback_marks(outcome) == ["nlu"]
    assert outcome.event_types()[-1] == "pause"


async def test_misunderstandings_that_are_not_in_a_row_only_ask_to_rephrase() -> None:
    tracker = conversation(user("flibber", "nlu_fallback"), bot("utter_ask_rephrase"),
                           user("what's my balance", "check_balance"), bot("utter_ask_account_number"),
                           user("wotsit", "nlu_fallback"))

    outcome = await run(ActionNluFallback(), tracker)

    assert said(outcome) == ["utter_ask_rephrase"]


# --- ambiguity --------------------------------------------------------------------------------------

async def test_two_close_intents_get_a_question_with_a_button_each_and_something_else() -> None:
    tracker = conversation(unsure("my bill payment", ("check_balance", 0.41), ("check_last_payment", 0.38)))

    outcome = await run(ActionNluFallback(), tracker)

    assert outcome.texts == ['I\'m not quite sure what you mean. Is it about "What I owe" or "My last payment"?']
    [message] = [message for message in outcome.messages if not message.get("custom")]
    assert message["buttons"] == [
        {"title": "What I owe", "payload": "/check_balance"},
        {"title": "My last payment", "payload": "/check_last_payment"},
        {"title": "Something else", "payload": "/request_human"},
    ]


async def test_the_question_and_its_buttons_are_in_the_conversation_language() -> None:
    tracker = conversation(unsure("betalinga", ("check_last_payment", 0.44), ("check_balance", 0.40)),
                           slots={"language": "nb"})

    outcome = await run(ActionNluFallback(), tracker)

    assert outcome.texts == [
        "Jeg er ikke helt sikker på hva du mener. Gjelder det «Siste betaling» eller «Hva jeg skylder»?"
    ]
    assert [button["title"] for button in said_with_buttons(outcome)["buttons"]] == [
        "Siste betaling", "Hva jeg skylder", "Noe annet"
    ]


async def test_a_common_question_among_the_two_gets_a_button_for_its_topic() -> None:
    tracker = conversation(unsure("open saturday?", ("faq", 0.45), ("ticket_status", 0.40),
                                  faq_key="opening_hours"))

    outcome = await run(ActionNluFallback(), tracker)

    assert said_with_buttons(outcome)["buttons"][0] == {
        "title": "Opening hours", "payload": '/faq{"faq_topic":"opening_hours"}'
    }


async def test_a_clear_winner_below_the_threshold_asks_to_rephrase_instead() -> None:
    tracker = conversation(unsure("hmm", ("check_balance", 0.45), ("check_plan", 0.12)))

    outcome = await run(ActionNluFallback(), tracker)

    assert said(outcome) == ["utter_ask_rephrase"]


async def test_a_tie_between_intents_that_are_no_request_asks_to_rephrase() -> None:
    tracker = conversation(unsure("ok then", ("affirm", 0.41), ("thank", 0.39)))

    outcome = await run(ActionNluFallback(), tracker)

    assert said(outcome) == ["utter_ask_rephrase"]


async def test_not_understood_again_after_the_question_hands_off() -> None:
    tracker = conversation(unsure("my bill payment", ("check_balance", 0.41), ("check_last_payment", 0.38)),
                           bot("utter_did_you_mean"), user("the thing", "nlu_fallback"))

    outcome = await run(ActionNluFallback(), tracker)

    assert handoff_of(outcome)["reason"] == "nlu_fallback"


# --- the dialogue could not follow ---------------------------------------------------------------------

async def test_first_turn_the_dialogue_cannot_follow_is_forgotten_and_said() -> None:
    tracker = conversation(user("hi", "greet"), bot("utter_greet"), user("10000001", "inform"))

    outcome = await run(ActionDefaultFallback(), tracker)

    assert said(outcome) == ["utter_default"]
    assert outcome.event_types() == ["rewind"]
    assert fallback_marks(outcome) == ["dialogue"]


async def test_not_understood_then_not_followed_hands_off() -> None:
    # Issue #11: "hvor mye skylder jeg?" not understood, then the account number out of context.
    tracker = conversation(user("hvor mye skylder jeg?", "nlu_fallback"), bot("utter_ask_rephrase"),
                           user("10000001", "inform"), slots={"language": "nb"})

    outcome = await run(ActionDefaultFallback(), tracker)

    assert handoff_of(outcome)["reason"] == "repeated_misses"
    assert outcome.texts == [
        "Jeg setter deg over til en av kollegene mine. En person tar over samtalen her så snart som mulig."
    ]
    assert outcome.event_types()[-1] == "pause"


async def test_not_followed_twice_in_a_row_hands_off() -> None:
    tracker = conversation(user("0150", "inform"), bot("utter_default"), user("0150", "inform"))

    outcome = await run(ActionDefaultFallback(), tracker)

    assert handoff_of(outcome)["reason"] == "repeated_misses"


# --- answers a form cannot use ---------------------------------------------------------------------------

def form_answer(text: str, slot: str, form: str, *earlier: dict[str, Any]):  # type: ignore[no-untyped-def]
    return conversation(*earlier, user(text, "inform"), candidates={slot: text},
                        slots={"requested_slot": slot}, active_loop=form)


async def test_one_unusable_ticket_reference_is_asked_again() -> None:
    outcome = await run(ValidateTicketStatusForm(), form_answer("the one from last week", "ticket_ref",
                                                                "ticket_status_form"))

    assert said(outcome) == ["utter_ticket_ref_invalid"]
    assert "pause" not in outcome.event_types()
    assert fallback_marks(outcome) == []  # understood; the answer just was not usable


async def test_a_second_unusable_ticket_reference_in_a_row_ends_the_form_with_a_person() -> None:
    earlier = (user("the one from last week", "inform"), bot("utter_ticket_ref_invalid"),
               bot("utter_ask_ticket_ref"))

    outcome = await run(ValidateTicketStatusForm(), form_answer("no idea", "ticket_ref",
                                                                "ticket_status_form", *earlier))

    assert handoff_of(outcome)["reason"] == "repeated_misses"
    assert outcome.slots["requested_slot"] is None
    assert outcome.event_types()[-1] == "pause"


async def test_a_usable_answer_after_an_unusable_one_continues_the_form() -> None:
    earlier = (user("dunno", "inform"), bot("utter_ticket_ref_invalid"), bot("utter_ask_ticket_ref"))

    outcome = await run(ValidateTicketStatusForm(), form_answer("NRD-1042", "ticket_ref",
                                                                "ticket_status_form", *earlier))

    assert outcome.slots == {"ticket_ref": "NRD-1042"}
    assert outcome.custom == []


async def test_a_second_unusable_ticket_category_in_a_row_ends_the_form_with_a_person() -> None:
    earlier = (user("hmm", "inform"), bot("utter_ticket_category_invalid"), bot("utter_ask_ticket_category"))

    outcome = await run(ValidateTicketForm(), form_answer("blue", "ticket_category", "ticket_form", *earlier))

    assert handoff_of(outcome)["reason"] == "repeated_misses"
    assert outcome.event_types()[-1] == "pause"


def test_the_action_server_registers_every_action_and_no_base() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")

    assert {"action_nlu_fallback", "action_default_fallback", "validate_ticket_form",
            "validate_ticket_status_form"} <= set(executor.actions)
