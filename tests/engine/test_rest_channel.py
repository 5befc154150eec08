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


def test_the_tracker_store_hands_the_turns_parse_data_to_the_channel(tmp_path):
    """The real hand-over: the redacting tracker store saves the tracker inside the turn."""
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.engine.tracker_store import RedactingSQLTrackerStore

    store = RedactingSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "trackers.db"))

    async def handle_message(message: UserMessage) -> None:  # what Rasa's processor does, in short
        tracker = DialogueStateTracker(message.sender_id, slots=[])
        tracker.update(UserUttered(message.text, intent={"name": "check_balance", "confidence": 0.97}))
        await message.output_channel.send_text_message(message.sender_id, "You owe 0 kr.")
        await store.save(tracker)

    collector = CollectingOutputChannel()
    asyncio.run(reporting_understanding(handle_message)(UserMessage("how much do I owe?", collector, "conv-2")))
    assert collector.messages[-1] == {"recipient_id": "conv-2", "custom": {"turn": {"intent": "check_balance"}}}
    assert SAVED_PARSE_DATA.get() is None  # nothing left over for the next turn


def test_rasa_loads_the_channel_from_credentials_yml():
    from pathlib import Path

    from rasa.core.run import create_http_input_channels

    credentials = Path(__file__).resolve().parents[2] / "credentials.yml"
    channels = create_http_input_channels(None, str(credentials))
    assert [type(channel) for channel in channels] == [ReportingRestInput]
