"""The conversation tests' user texts, understood by the trained assistant (models/assistant.tar.gz).

`rasa test core` (make test-rasa) checks the dialogue only: without --e2e it takes each
step's declared intent as given and never runs the text through the NLU. This test does
that part: every user text of tests/test_stories.yml and tests/test_stories_nb.yml must be
classified as the intent its step declares (for the FAQ, the topic the response selector
picks), and every entity annotated in the text must be among the entities the model finds
(type and value; extra ones, such as `language` or `postcode`, are fine).

Why not `rasa test core --e2e`: Rasa then compares the exact set of entities, so every
`language` entity of our language detector would fail a step; it stops at the first wrong
story under --fail-on-prediction-errors, and the entity values it compares are the raw
annotated text (e.g. "faktura"), not the normalised value the slot gets ("billing").

All mismatches of a file are reported together, one line each.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.shared.core.events import UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "assistant.tar.gz"
STORY_FILES = ("tests/test_stories.yml", "tests/test_stories_nb.yml")


@dataclass(frozen=True)
class Utterance:
    """A user text of a test story, with the intent and entities its step declares."""

    story: str
    text: str
    intent: str
    entities: tuple[tuple[str, str], ...]


def utterances_of(path: Path) -> list[Utterance]:
    """Every step with a user text (steps with only an intent, e.g. buttons, have none)."""
    found = []
    for step in YAMLStoryReader().read_from_file(path):
        for event in step.events:
            if isinstance(event, UserUttered) and event.text:
                intent = event.intent.get("full_retrieval_intent_name") or event.intent["name"]
                entities = tuple((entity["entity"], str(entity["value"])) for entity in event.entities)
                found.append(Utterance(step.block_name, event.text, intent, entities))
    return found


def understood_intent(parsed: dict[str, Any]) -> str:
    """The predicted intent; for a retrieval intent the response selector's 'faq/<topic>'."""
    intent = parsed["intent"]["name"]
    selector = (parsed.get("response_selector") or {}).get(intent) or {}
    return (selector.get("response") or {}).get("intent_response_key") or intent


def mismatch(utterance: Utterance, parsed: dict[str, Any]) -> str | None:
    """One line saying how the model's parse differs from the story's step, or None."""
    problems = []
    predicted = understood_intent(parsed)
    if predicted != utterance.intent:
        ranking = ", ".join(
            f"{entry['name']} {entry['confidence']:.2f}" for entry in (parsed.get("intent_ranking") or [])[:3]
        )
        problems.append(f"intent {predicted} (wanted {utterance.intent}; top: {ranking})")
    found = {(entity["entity"], str(entity["value"])) for entity in parsed.get("entities") or []}
    missing = [f"{kind}={value}" for kind, value in utterance.entities if (kind, value) not in found]
    if missing:
        got = ", ".join(f"{kind}={value}" for kind, value in sorted(found)) or "none"
        problems.append(f"entities missing {', '.join(missing)} (found {got})")
    if not problems:
        return None
    return f"[{utterance.story}] {utterance.text!r}: " + "; ".join(problems)


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.skip(f"{MODEL.relative_to(REPO)} is missing: run `make train` first (make test does)")
    return Agent.load(str(MODEL))


async def _parse_all(agent: Agent, texts: list[str]) -> list[dict[str, Any]]:
    return [await agent.parse_message(text) for text in texts]


@pytest.mark.parametrize("story_file", STORY_FILES)
def test_every_user_text_of_the_conversation_tests_is_understood_as_declared(agent: Agent, story_file: str) -> None:
    utterances = utterances_of(REPO / story_file)
    assert len(utterances) > 30, f"{story_file}: too few user texts read; did its format change?"

    parsed = asyncio.run(_parse_all(agent, [utterance.text for utterance in utterances]))

    problems = [line for line in map(mismatch, utterances, parsed) if line]
    assert not problems, f"{len(problems)} of {len(utterances)} user texts in {story_file} misunderstood:\n" + "\n".join(
        problems
    )


# --- the comparison itself, on parse results written by hand ------------------------------------

BALANCE = Utterance("s", "what do I owe", "check_balance", ())
FAQ = Utterance("s", "when are you open", "faq/opening_hours", ())
ACCOUNT = Utterance("s", "it's 10000001", "inform", (("account_number", "10000001"),))


def parse(intent: str, *entities: tuple[str, str], faq_key: str | None = None) -> dict[str, Any]:
    parsed: dict[str, Any] = {
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": intent, "confidence": 0.9}],
        "entities": [{"entity": kind, "value": value} for kind, value in entities],
    }
    if faq_key:
        parsed["response_selector"] = {"faq": {"response": {"intent_response_key": faq_key}}}
    return parsed


def test_the_declared_intent_matches() -> None:
    assert mismatch(BALANCE, parse("check_balance", ("language", "en"))) is None


def test_another_intent_is_reported_with_the_ranking() -> None:
    line = mismatch(BALANCE, parse("nlu_fallback"))

    assert line == "[s] 'what do I owe': intent nlu_fallback (wanted check_balance; top: nlu_fallback 0.90)"


def test_a_faq_question_must_reach_its_own_topic() -> None:
    assert mismatch(FAQ, parse("faq", faq_key="faq/opening_hours")) is None
    assert "intent faq/payment_methods" in str(mismatch(FAQ, parse("faq", faq_key="faq/payment_methods")))


def test_an_annotated_entity_must_be_found_with_its_value_and_extra_ones_are_fine() -> None:
    assert mismatch(ACCOUNT, parse("inform", ("account_number", "10000001"), ("postcode", "0001"))) is None
    line = mismatch(ACCOUNT, parse("inform", ("account_number", "10000002")))

    assert line == "[s] \"it's 10000001\": entities missing account_number=10000001 (found account_number=10000002)"


def test_story_texts_are_read_without_their_entity_markup(tmp_path: Path) -> None:
    stories = tmp_path / "stories.yml"
    stories.write_text(
        'version: "3.1"\nstories:\n  - story: one\n    steps:\n'
        "      - user: |\n          det gjelder [faktura]{\"entity\": \"ticket_category\", \"value\": \"billing\"}\n"
        "        intent: inform\n      - action: ticket_form\n      - intent: affirm\n"
    )

    assert utterances_of(stories) == [
        Utterance("one", "det gjelder faktura", "inform", (("ticket_category", "billing"),))
    ]
