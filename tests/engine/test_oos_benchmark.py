"""The out-of-scope benchmark replays the pipeline's decision and keeps its test data apart."""

from __future__ import annotations

import pytest
import yaml

pytest.importorskip("rasa")

from benchmarks.nlu import oos  # noqa: E402


def prediction(intent="check_balance", confidence=0.9, second=0.05, p_value=0.5):
    return {"intent": intent, "confidence": confidence, "second_confidence": second, "p_value": p_value}


def test_a_far_message_is_out_of_scope_even_when_the_fallback_fired():
    assert oos.decide(prediction(confidence=0.3, p_value=0.01), alpha=0.015, threshold=0.5, ambiguity=0.1) == "out_of_scope"


def test_a_near_message_keeps_the_fallbacks_verdict_or_its_intent():
    assert oos.decide(prediction(confidence=0.3), alpha=0.015, threshold=0.5, ambiguity=0.1) == "nlu_fallback"
    assert oos.decide(prediction(confidence=0.55, second=0.5), alpha=0.015, threshold=0.5, ambiguity=0.1) == "nlu_fallback"
    assert oos.decide(prediction(), alpha=0.015, threshold=0.5, ambiguity=0.1) == "check_balance"


def test_the_classifiers_own_out_of_scope_is_left_to_the_fallback():
    unsure = prediction(intent="out_of_scope", confidence=0.3, p_value=0.001)
    assert oos.decide(unsure, alpha=0.015, threshold=0.5, ambiguity=0.1) == "nlu_fallback"


def test_held_out_split_is_a_fifth_of_each_intent_and_never_in_training():
    examples = [(f"balance {i}", "check_balance") for i in range(10)] + [(f"ticket {i}", "open_ticket") for i in range(5)]
    train, test = oos.split_in_domain(examples)
    assert sorted(e.intent for e in test) == ["check_balance", "check_balance", "open_ticket"]
    assert not {e.text for e in train} & {e.text for e in test}
    assert oos.split_in_domain(examples) == (train, test)  # fixed by the seed


def test_out_of_domain_test_questions_are_not_training_examples():
    written = yaml.safe_load(oos.OOD_TEST_FILE.read_text(encoding="utf-8"))
    test = {q.lower() for categories in written.values() for questions in categories.values() for q in questions}
    training = {text.lower() for language in oos.assistant_examples().values() for text, _ in language}
    assert test and not test & training
