"""The classifier sweep's bookkeeping: what it holds out, and how settings are read from a config."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

pytest.importorskip("sklearn")

from benchmarks.nlu import sweep_linear  # noqa: E402
from benchmarks.nlu.assistant_cv import configured  # noqa: E402
from benchmarks.nlu.data import Example  # noqa: E402


def test_the_held_out_fifth_is_disjoint_stratified_and_repeatable():
    examples = [Example(f"text {i}", f"intent_{i % 7}") for i in range(700)]
    train, held = sweep_linear.held_out_split(examples)
    assert set(train).isdisjoint(held) and len(train) + len(held) == 700
    assert len(held) == 140
    counts = np.bincount([int(examples[i].intent.split("_")[1]) for i in held])
    assert counts.tolist() == [20] * 7  # a fifth of every intent
    again_train, again_held = sweep_linear.held_out_split(examples)
    assert again_held.tolist() == held.tolist()


def test_configured_reads_the_classifier_and_char_ngram_settings(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(textwrap.dedent("""
        pipeline:
          - name: WhitespaceTokenizer
          - name: CountVectorsFeaturizer
          - name: CountVectorsFeaturizer
            analyzer: char_wb
            min_ngram: 2
            max_ngram: 5
          - name: bot.nlu.rasa_linear_classifier.LinearIntentClassifier
            C: 30.0
            dense_normalization: center
            ranking_length: 5
    """))
    options = configured(config)
    assert options == {**sweep_linear.START, "C": 30.0, "dense_normalization": "center", "char_ngrams": [2, 5]}
    assert "ranking_length" not in options  # not a swept setting
