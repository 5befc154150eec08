"""The Rasa component around bot/nlu/language.py: entity `language` when the message tells."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.rasa_language_detector import LanguageDetector


def languages_of(text: str) -> list[str]:
    [message] = LanguageDetector().process([Message({TEXT: text})])
    return [entity["value"] for entity in message.get(ENTITIES, []) if entity["entity"] == "language"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hvor mye skylder jeg?", ["nb"]),
        ("kor mykje skuldar eg", ["nb"]),
        ("nar har dere apent", ["nb"]),
        ("how much do I owe?", ["en"]),
        ("0150", []),
        ("ok", []),
        ("/affirm", []),
    ],
)
def test_the_language_entity_is_added_only_when_the_message_tells(text: str, expected: list[str]) -> None:
    assert languages_of(text) == expected


def test_the_entity_spans_the_message_and_names_its_extractor() -> None:
    [message] = LanguageDetector().process([Message({TEXT: "kan jeg snakke med et menneske?"})])
    [entity] = message.get(ENTITIES)

    assert (entity["start"], entity["end"]) == (0, len("kan jeg snakke med et menneske?"))
    assert entity["extractor"] == "LanguageDetector"
