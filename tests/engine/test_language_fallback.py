"""LanguageFallbackClassifier: the FallbackClassifier's verdict, with the threshold of the
message's language; inside a real Rasa model it is what config.yml runs."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from bot.nlu.rasa_language_fallback import LanguageFallbackClassifier  # noqa: E402
from tests.engine.small_models import train_and_parse  # noqa: E402

ENGLISH, NORWEGIAN, UNPLACED = "how much do I owe on my bill", "hvor mye skylder jeg på regningen", "ok"
CONFIG = {"threshold": 0.5, "thresholds": {"en": 0.7, "nb": 0.3}, "ambiguity_threshold": 0.0}


def classified(text: str, confidence: float, second: float = 0.0) -> Message:
    ranking = [{"name": "check_balance", "confidence": confidence}, {"name": "check_plan", "confidence": second}]
    return Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})


def fallback(config=CONFIG) -> LanguageFallbackClassifier:
    return LanguageFallbackClassifier.create({**LanguageFallbackClassifier.get_default_config(), **config}, None, None, None)


@pytest.mark.parametrize("text, confidence, expected", [
    (ENGLISH, 0.6, "nlu_fallback"),  # under English's 0.7
    (ENGLISH, 0.75, "check_balance"),
    (NORWEGIAN, 0.4, "check_balance"),  # over Norwegian's 0.3
    (NORWEGIAN, 0.25, "nlu_fallback"),
    (UNPLACED, 0.45, "nlu_fallback"),  # too short to place: `threshold`
    (UNPLACED, 0.55, "check_balance"),
])
def test_each_language_is_refused_below_its_own_threshold(text, confidence, expected):
    [message] = fallback().process([classified(text, confidence)])
    assert message.get("intent")["name"] == expected


def test_a_refusal_keeps_the_ranking_behind_it_with_the_threshold_that_applied():
    [message] = fallback().process([classified(NORWEGIAN, 0.2, 0.15)])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.3}
    assert [r["name"] for r in message.get("intent_ranking")] == ["nlu_fallback", "check_balance", "check_plan"]


def test_close_calls_are_refused_by_the_ambiguity_threshold_in_every_language():
    classifier = fallback({**CONFIG, "ambiguity_threshold": 0.1})
    [message] = classifier.process([classified(NORWEGIAN, 0.5, 0.45)])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_without_thresholds_per_language_it_is_rasas_fallback_classifier():
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

    ours, rasas = fallback({"threshold": 0.5}), FallbackClassifier({**FallbackClassifier.get_default_config(), "threshold": 0.5})
    for text in (ENGLISH, NORWEGIAN, UNPLACED):
        for confidence in (0.3, 0.49, 0.5, 0.8):
            [a], [b] = ours.process([classified(text, confidence)]), rasas.process([classified(text, confidence)])
            assert a.get("intent") == b.get("intent") and a.get("intent_ranking") == b.get("intent_ranking")


@pytest.mark.parametrize("config, complaint", [
    ({"thresholds": {"de": 0.5}}, "no language"),
    ({"thresholds": {"en": 1.5}}, "must be in"),
    ({"thresholds": [0.5]}, "must map"),
])
def test_bad_thresholds_are_refused_with_a_clear_error(config, complaint):
    with pytest.raises(ValueError, match=complaint):
        fallback(config)


RASA_CONFIG = """
recipe: default.v1
language: en
assistant_id: language_fallback_test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: bot.nlu.rasa_linear_classifier.LinearIntentClassifier
  - name: bot.nlu.rasa_language_fallback.LanguageFallbackClassifier
    threshold: 0.0
    thresholds: {en: 0.99, nb: 0.0}
policies: []
"""
EXAMPLES = {
    "check_balance": ["how much do I owe", "what is my balance", "hvor mye skylder jeg", "hva er saldoen min"],
    "open_ticket": ["my internet is down", "report a fault", "internett virker ikke", "jeg vil melde en feil"],
}


def test_inside_a_real_rasa_model_the_language_decides_the_refusal(tmp_path):
    english, norwegian = train_and_parse(tmp_path, RASA_CONFIG, EXAMPLES,
                                         ["how much do I owe on my bill", "hvor mye skylder jeg på regningen"])
    assert english["intent"]["name"] == "nlu_fallback"  # no linear model is 99 % sure of four examples
    assert norwegian["intent"]["name"] == "check_balance"
