"""The NorSID benchmark's folds (benchmarks/nlu/norsid.py; engine environment for scikit-learn)."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.nlu import norsid

pytestmark = pytest.mark.skipif(not norsid.DATA_FILE.exists(), reason="NorSID is not in ../shared/benchmarks")


@pytest.fixture(scope="module")
def utterances():
    return norsid.load()


def test_intents_are_plain_rasa_intents_not_retrieval_intents(utterances):
    assert len({u.intent for u in utterances}) == 15
    assert all("/" not in u.intent for u in utterances)
    assert "alarm__set_alarm" in {u.intent for u in utterances}


@pytest.mark.parametrize("grouped", [False, True])
def test_every_utterance_is_tested_exactly_once(utterances, grouped):
    specs = norsid.cv_folds(utterances, grouped)
    tested = Counter(i for spec in specs for i in spec["test_indices"])

    assert len(specs) == norsid.FOLDS
    assert sorted(tested) == list(range(len(utterances))) and set(tested.values()) == {1}
    for spec in specs:
        assert len(spec["train"]) + len(spec["texts"]) == len(utterances)


def test_grouped_folds_keep_all_versions_of_a_sentence_together(utterances):
    sentences_per_fold = [{utterances[i].sentence for i in spec["test_indices"]} for spec in norsid.cv_folds(utterances, True)]
    for number, sentences in enumerate(sentences_per_fold):
        others = set().union(*(s for other, s in enumerate(sentences_per_fold) if other != number))
        assert not sentences & others


def test_stratified_folds_share_sentences_which_is_why_the_grouped_variant_exists(utterances):
    specs = norsid.cv_folds(utterances, False)
    test = {utterances[i].sentence for i in specs[0]["test_indices"]}
    trained = {utterances[i].sentence for spec in specs[1:] for i in spec["test_indices"]}
    assert len(test & trained) > 0.9 * len(test)


def test_cv_result_counts_each_fold_and_dialect(utterances):
    specs = norsid.cv_folds(utterances, True)[:2]
    runs = [
        {
            "train": {"train_seconds": 1.0, "train_cpu_seconds": 1.0},
            "predict": {
                "cpu_ms_per_message": 1.0,
                # the first fold all right, the second all wrong
                "predictions": [{"intent": utterances[i].intent if n == 0 else "wrong"} for i in spec["test_indices"]],
            },
        }
        for n, spec in enumerate(specs)
    ]
    result = norsid.cv_result(utterances, True, specs, runs)

    first, second = (len(spec["test_indices"]) for spec in specs)
    assert [f["accuracy"] for f in result["per_fold"]] == [100.0, 0.0]
    assert result["accuracy"] == round(100 * first / (first + second), 2)
    assert set(result["accuracy_by_dialect"]) == {"B", "N", "T", "V"}
