"""LanguageRoutedFeaturizer: each message is embedded by one encoder, chosen by its language,
into its own block; and the out-of-scope detector calibrates each block on its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.nlu.multilingual_encoder import shared_encoder as e5_encoder  # noqa: E402
from bot.nlu.rasa_oos_detector import OutOfScopeDetector  # noqa: E402
from bot.nlu.rasa_routed_featurizer import DIMENSIONS, LanguageRoutedFeaturizer  # noqa: E402
from bot.nlu.sentence_encoder import shared_encoder as minilm_encoder  # noqa: E402

CONTEXT = ExecutionContext(GraphSchema({}), node_name="routed")


def featurize(texts, undecided="e5"):
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={"text": t}) for t in texts]
    tokenizer.process(messages)
    featurizer = LanguageRoutedFeaturizer.create({"undecided": undecided}, None, Resource("f"), CONTEXT)
    featurizer.process(messages)
    return [m.get_dense_features("text")[1].features.reshape(-1) for m in messages]


def test_english_goes_to_minilm_norwegian_to_e5_and_the_other_block_stays_zero():
    english, norwegian = featurize(["how much do I owe on my bill?", "hvor mye skylder jeg på regningen?"])
    assert english.shape == norwegian.shape == (2 * DIMENSIONS,)
    np.testing.assert_allclose(english[:DIMENSIONS], minilm_encoder().encode(["how much do I owe on my bill?"])[0], atol=1e-5)
    assert not english[DIMENSIONS:].any()
    np.testing.assert_allclose(norwegian[DIMENSIONS:], e5_encoder().encode(["hvor mye skylder jeg på regningen?"])[0], atol=1e-5)
    assert not norwegian[:DIMENSIONS].any()


def test_a_message_without_a_language_goes_to_the_configured_encoder():
    (to_e5,) = featurize(["0150"], undecided="e5")
    (to_minilm,) = featurize(["0150"], undecided="minilm")
    assert to_e5[DIMENSIONS:].any() and not to_e5[:DIMENSIONS].any()
    assert to_minilm[:DIMENSIONS].any() and not to_minilm[DIMENSIONS:].any()


def test_an_unknown_undecided_encoder_is_refused():
    with pytest.raises(ValueError):
        LanguageRoutedFeaturizer.create({"undecided": "bert"}, None, Resource("f"), CONTEXT)


def test_the_detector_calibrates_each_block_on_its_own_examples(tmp_path: Path):
    rng = np.random.default_rng(3)

    def message(intent: str, block: int, spread: float) -> Message:
        vector = np.zeros(2 * DIMENSIONS, np.float32)
        centre = np.zeros(DIMENSIONS, np.float32)
        centre[0 if intent == "a" else 1] = 1.0
        vector[block * DIMENSIONS:(block + 1) * DIMENSIONS] = centre + spread * rng.normal(size=DIMENSIONS)
        m = Message(data={"text": f"{intent} {block}", "intent": intent})
        from rasa.shared.nlu.training_data.features import Features

        m.add_features(Features(vector[np.newaxis, :], "sentence", "text", "f"))
        return m

    # block 0 examples are loosely spread (low similarities), block 1 tight (high ones)
    examples = [message(i, 0, 0.08) for i in "ab" for _ in range(30)] + [message(i, 1, 0.02) for i in "ab" for _ in range(30)]
    storage = LocalModelStorage(tmp_path)
    detector = OutOfScopeDetector.create({"alpha": 0.05, "calibration_block": DIMENSIONS}, storage, Resource("oos"), CONTEXT)
    detector.train(TrainingData(examples))
    assert {"@0", "@1", "a@0", "a@1", "b@0", "b@1"} <= set(detector._calibration)
    assert detector._calibration["a@0"].mean() < detector._calibration["a@1"].mean()
    # a score typical of block 0 is ordinary there and far out in block 1
    typical_block0 = float(np.median(detector._calibration["a@0"]))
    assert detector.p_value(typical_block0, "a", "@0") > 0.3
    assert detector.p_value(typical_block0, "a", "@1") < 0.05
    loaded = OutOfScopeDetector.load({"alpha": 0.05}, storage, Resource("oos"), CONTEXT)
    assert loaded._config["calibration_block"] == DIMENSIONS
    assert loaded.p_value(typical_block0, "a", "@1") == detector.p_value(typical_block0, "a", "@1")
