"""The REST channel's answer says what the message was understood as (for the reports)."""

from __future__ import annotations

import asyncio

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.engine.rest_channel import SAVED_PARSE_DATA, ReportingRestInput, reporting_understanding


def _turn(parse_data):
    async def handle_message(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Open 8-16.")
        SAVED_PARSE_DATA.set(parse_data)  # what the tracker store does while saving the turn

    collector = CollectingOutputChannel()
    asyncio.run(reporting_understanding(handle_message)(UserMessage("when are you open?", collector, "conv-1")))
    return collector.messages


def test_the_answer_ends_with_the_faq_topic_the_message_was_understood_as():
    messages = _turn(
        {"intent": {"name": "faq"}, "response_selector": {"faq": {"response": {"intent_response_key": "faq/opening_hours"}}}}
    )
    assert messages == [
        {"recipient_id": "conv-1", "text": "Open 8-16."},
        {"recipient_id": "conv-1", "custom": {"turn": {"intent": "faq/opening_hours"}}},
    ]


def test_a_plain_intent_and_no_parse_data():
    assert (_turn({"intent": {"name": "nlu_fallback"}}))[-1]["custom"] == {"turn": {"intent": "nlu_fallback"}}
    assert _turn(None) == [{"recipient_id": "conv-1", "text": "Open 8-16."}]


def test_the_channel_keeps_rasas_rest_url():
    assert ReportingRestInput.name() == "rest" and ReportingRestInput().url_prefix() == "rest"
