"""The out-of-scope analyses beside the benchmark: fold predictions put together, the learned
combination of signals and the fine-tuning experiment's measures."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rasa")

from benchmarks.nlu import finetune_oos, oos, oos_signals  # noqa: E402
from benchmarks.nlu.data import Example  # noqa: E402


def fake_run(pipeline, train, texts, workdir, name, cache=None, memoise_prediction=True):
    """A fold model that says which examples it was trained on, for every text it is asked."""
    trained = {e.text for e in train}
    return {"predict": {"predictions": [{"intent": "seen" if t in trained else "new", "asked": t} for t in texts]}}


@pytest.fixture
def no_training(monkeypatch):
    monkeypatch.setattr(oos, "train_and_predict", fake_run)
    monkeypatch.setattr(oos, "topics_of", lambda texts, count, cache: {t: i % count for i, t in enumerate(texts)})
    monkeypatch.setattr(oos, "unsure_sets", lambda: {"calibration": {"en": ["help with my stuff", "the thing"],
                                                                     "nb": ["hjelp med greiene"]}, "test": {}})


def test_every_training_example_is_predicted_once_by_a_fold_model_that_never_saw_it(no_training, tmp_path):
    train = ([Example(f"what is my balance {i}", "check_balance") for i in range(10)]
             + [Example(f"hvor mye skylder jeg {i}", "check_balance") for i in range(10)]
             + [Example(f"tell me a joke {i}", "out_of_scope") for i in range(5)])
    language_of = {e.text: "nb" if e.text.startswith("hvor") else "en" for e in train}
    folded = oos.fold_predictions([], oos.AssistantData(train, {}, language_of, 5), tmp_path, folds=5)

    asked = [p["asked"] for p in folded.predictions]
    assert sorted(asked) == sorted([e.text for e in train] + ["help with my stuff", "the thing", "hjelp med greiene"])
    assert {p["intent"] for p in folded.predictions} == {"new"}
    assert [e.text for e in folded.examples] == asked
    assert set(folded.fold.tolist()) == set(range(5))
    assert folded.groups["nb_in"].sum() == 10 and folded.groups["en_out"].sum() == 5
    assert folded.groups["en_unsure"].sum() == 2 and folded.groups["nb_unsure"].sum() == 1


def test_a_subset_keeps_each_example_with_its_own_prediction_and_masks(no_training, tmp_path):
    train = [Example(f"balance {i}", "check_balance") for i in range(10)] + [Example(f"joke {i}", "out_of_scope") for i in range(5)]
    folded = oos.fold_predictions([], oos.AssistantData(train, {}, {e.text: "en" for e in train}, 5), tmp_path, folds=5)
    part = folded.subset(folded.fold == 2)
    assert [p["asked"] for p in part.predictions] == [e.text for e in part.examples]
    assert (part.fold == 2).all() and len(part.gold) == len(part.examples)
    assert part.groups["en_out"].tolist() == [e.intent == "out_of_scope" for e in part.examples]


def prediction(intent, confidence, second=0.0, p_value=0.5):
    return {"intent": intent, "confidence": confidence, "second_confidence": second, "second_intent": "open_ticket",
            "p_value": p_value, "similarity": 0.8}


def test_a_combined_score_below_the_threshold_asks_and_a_far_message_is_still_refused():
    predictions = [prediction("check_balance", 0.9), prediction("check_balance", 0.9, p_value=0.001),
                   prediction("check_balance", 0.9, second=0.88)]
    scored = oos_signals.combined_scored(predictions, np.array([0.2, 0.9, 0.9]))
    far, unsure = scored.verdicts(alpha=0.01, threshold=0.5, ambiguity=0.05)
    assert far.tolist() == [False, True, False]
    assert unsure.tolist() == [True, False, True]  # a low combined score; two intents too close


def test_the_combiner_learns_which_signal_tells_a_right_answer():
    """Right answers come with high confidence, wrong ones with low: its score must rank them so."""
    rng = np.random.default_rng(1)
    rows, gold = [], []
    for i in range(200):
        right = i % 2 == 0
        rows.append(prediction("check_balance", float(rng.uniform(0.7, 1.0) if right else rng.uniform(0.2, 0.5))))
        gold.append("check_balance" if right else "open_ticket")
    texts = [f"what is my balance {i}" for i in range(200)]
    folded = oos.FoldPredictions(rows, [Example(t, g) for t, g in zip(texts, gold)], np.arange(200) % 5,
                                 np.array(gold, dtype=object), {}, oos.language_groups(texts), {})
    score = oos_signals.out_of_fold_scores(folded, 1.0)
    right = np.array(gold) == "check_balance"
    assert score[right].min() > score[~right].max()


def test_a_score_that_separates_known_from_unknown_catches_all_unknown_at_no_cost():
    is_known = np.array([True] * 8 + [False] * 4)
    correct = is_known.copy()
    score = np.where(is_known, 0.9, 0.1)
    assert finetune_oos.auroc(score, is_known) == 1.0
    assert finetune_oos.best_within_budget(score, correct, is_known) == {"unknown_caught": 100.0, "known_accuracy_drop": 0.0}


def test_refusing_known_requests_beyond_the_budget_is_not_counted_as_a_catch():
    """Unknown requests score like the known ones: catching any of them refuses known ones too."""
    is_known = np.array([True] * 10 + [False] * 10)
    correct = is_known.copy()
    score = np.tile(np.linspace(0.1, 1.0, 10), 2)
    best = finetune_oos.best_within_budget(score, correct, is_known)
    assert best["known_accuracy_drop"] <= finetune_oos.BUDGET
    assert best["unknown_caught"] == 0.0
    assert finetune_oos.auroc(score, is_known) == pytest.approx(0.5)


def test_mahalanobis_ranks_a_point_near_an_intent_above_one_far_from_all():
    rng = np.random.default_rng(2)
    reference = np.concatenate([rng.normal(0, 0.1, (30, 3)) + [1, 0, 0], rng.normal(0, 0.1, (30, 3)) + [0, 1, 0]])
    labels = np.array([0] * 30 + [1] * 30)
    near, far = np.array([[1.0, 0.0, 0.0]]), np.array([[0.0, 0.0, 1.0]])
    assert finetune_oos.mahalanobis_score(near, reference, labels) > finetune_oos.mahalanobis_score(far, reference, labels)
