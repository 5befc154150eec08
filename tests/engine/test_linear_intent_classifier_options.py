"""LinearIntentClassifier's feature options (chosen by benchmarks/nlu/sweep_linear.py): how the
dense embedding is centred or standardised, how the sparse blocks are normalised, sublinear tf,
class weights; all learned in training, stored with the model and applied again after loading."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.features import Features  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.nlu.rasa_linear_classifier import LinearIntentClassifier  # noqa: E402

EXAMPLES = {
    "card_arrival": ["where is my new card", "my card has not arrived", "card still not delivered",
                     "when will the card come", "how long does card delivery take", "card never showed up"],
    "refund": ["I want my money back", "please refund the payment", "can I get a refund",
               "return my money", "refund for the cancelled order", "how do refunds work"],
    "change_pin": ["how do I change my pin", "set a new pin", "forgot my pin code",
                   "reset the pin on my card", "update my pin number", "pin change please"],
}
QUERIES = ["my card is lost in the post", "give me back what I paid", "I need a different pin", "card pin refund"]
DIMENSIONS = 8


def context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


def storage(path: Path) -> LocalModelStorage:
    path.mkdir(parents=True, exist_ok=True)
    return LocalModelStorage(path)


def embedding(text: str) -> np.ndarray:
    """A deterministic stand-in for a sentence encoder: a few words point in their own direction,
    on top of one large direction every text shares (the anisotropy of real encoders)."""
    vector = np.zeros(DIMENSIONS)
    vector[0] = 5.0
    for i, word in enumerate(["card", "refund", "money", "pin"], start=1):
        vector[i] += text.lower().count(word)
    vector[5 + len(text) % 3] += 0.5
    return vector / np.linalg.norm(vector)


class Pipeline:
    """Tokens, word counts and char_wb counts (as config.yml's featurizers), and `embedding`
    transformed by `shift` and `scale` (to show what the classifier's options are blind to)."""

    def __init__(self, tmp_path: Path, shift: float = 0.0, scale=None) -> None:
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.counts = [
            CountVectorsFeaturizer.create({**CountVectorsFeaturizer.get_default_config(), **extra},
                                          storage(tmp_path / name), Resource(name), context(name))
            for name, extra in (("words", {}), ("chars", {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}))
        ]
        self.shift = shift
        self.scale = np.ones(DIMENSIONS) if scale is None else np.asarray(scale)
        self.data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts])
        self.tokenizer.process_training_data(self.data)
        for featurizer in self.counts:
            featurizer.train(self.data)
            featurizer.process_training_data(self.data)
        for message in self.data.training_examples:
            self._add_embedding(message)

    def _add_embedding(self, message: Message) -> None:
        vector = (embedding(message.get("text")) + self.shift) * self.scale
        message.add_features(Features(vector[np.newaxis, :], "sentence", "text", "encoder"))

    def message(self, text: str) -> Message:
        [message] = self.tokenizer.process([Message(data={"text": text})])
        for featurizer in self.counts:
            featurizer.process([message])
        self._add_embedding(message)
        return message


def train(pipeline: Pipeline, path: Path, **config) -> LinearIntentClassifier:
    classifier = LinearIntentClassifier.create(config, storage(path), Resource("linear"), context("linear"))
    classifier.train(pipeline.data)
    return classifier


def rankings(classifier: LinearIntentClassifier, pipeline: Pipeline):
    return [classifier.process([pipeline.message(q)])[0].get("intent_ranking") for q in QUERIES]


def assert_same_rankings(first, second) -> None:
    for a, b in zip(first, second):
        assert [r["name"] for r in a] == [r["name"] for r in b]
        assert [r["confidence"] for r in a] == pytest.approx([r["confidence"] for r in b], abs=1e-6)


def test_centering_learns_the_training_mean_and_makes_the_centred_embedding_unit_length(tmp_path):
    pipeline = Pipeline(tmp_path / "p")
    classifier = train(pipeline, tmp_path / "m", dense_normalization="center", dense_weight=2.0)
    with storage(tmp_path / "m").read_from(Resource("linear")) as directory:
        with np.load(directory / "linear_intent_classifier.npz", allow_pickle=False) as arrays:
            mean = arrays["dense_mean"]
            assert "dense_scale" not in arrays.files
    expected_mean = np.mean([embedding(m.get("text")) for m in pipeline.data.training_examples], axis=0)
    assert mean == pytest.approx(expected_mean)

    text = "where is my new card"
    features = classifier._combine(*classifier._feature_parts([pipeline.message(text)])).toarray()[0]
    centred = embedding(text) - expected_mean
    assert features[-DIMENSIONS:] == pytest.approx(2.0 * centred / np.linalg.norm(centred))


def test_standardizing_also_ignores_a_scale_per_dimension(tmp_path):
    plain = Pipeline(tmp_path / "plain")
    scaled = Pipeline(tmp_path / "scaled", shift=1.0, scale=np.linspace(0.5, 4.0, DIMENSIONS))
    standard = train(plain, tmp_path / "m1", dense_normalization="standardize")
    standard_scaled = train(scaled, tmp_path / "m2", dense_normalization="standardize")
    assert_same_rankings(rankings(standard, plain), rankings(standard_scaled, scaled))


def test_without_standardizing_a_scale_per_dimension_changes_the_model(tmp_path):
    """The counterpart of the test above: it would pass trivially if the option did nothing."""
    scale = np.linspace(0.5, 4.0, DIMENSIONS)
    plain, shifted = Pipeline(tmp_path / "plain"), Pipeline(tmp_path / "shifted", shift=1.0, scale=scale)
    first = rankings(train(plain, tmp_path / "m1", dense_normalization="none"), plain)
    second = rankings(train(shifted, tmp_path / "m2", dense_normalization="none"), shifted)
    assert any(a[0]["confidence"] != pytest.approx(b[0]["confidence"], abs=1e-3) for a, b in zip(first, second))


@pytest.mark.parametrize("options", [
    {"dense_normalization": "standardize", "sparse_norm": "per_featurizer", "sublinear_tf": True, "class_weight": "balanced"},
    {"dense_normalization": "center", "dense_weight": 3.0},
])
def test_a_loaded_model_applies_the_stored_transformations(tmp_path, options):
    pipeline = Pipeline(tmp_path / "p")
    trained = train(pipeline, tmp_path / "m", **options)
    loaded = LinearIntentClassifier.load(options, storage(tmp_path / "m"), Resource("linear"), context("linear"))
    assert_same_rankings(rankings(trained, pipeline), rankings(loaded, pipeline))
    assert [r[0]["name"] for r in rankings(loaded, pipeline)][:3] == ["card_arrival", "refund", "change_pin"]


def test_per_featurizer_norm_gives_each_count_block_unit_length(tmp_path):
    pipeline = Pipeline(tmp_path / "p")
    classifier = train(pipeline, tmp_path / "m", sparse_norm="per_featurizer", dense_weight=2.0)
    features = classifier._combine(*classifier._feature_parts([pipeline.message("where is my new card")])).toarray()[0]
    words, chars = (width for _, width in classifier._sparse_blocks)
    assert np.linalg.norm(features[:words]) == pytest.approx(1.0)
    assert np.linalg.norm(features[words : words + chars]) == pytest.approx(1.0)
    assert np.linalg.norm(features[words + chars :]) == pytest.approx(2.0)  # the embedding, dense_weight 2

    joint = train(pipeline, tmp_path / "j", sparse_norm="joint")
    features = joint._combine(*joint._feature_parts([pipeline.message("where is my new card")])).toarray()[0]
    assert np.linalg.norm(features[: words + chars]) == pytest.approx(1.0)
    assert np.linalg.norm(features[:words]) < 0.9  # the char n-grams outnumber the words


def test_sublinear_tf_turns_a_count_into_one_plus_its_log(tmp_path):
    pipeline = Pipeline(tmp_path / "p")
    classifier = train(pipeline, tmp_path / "m", sublinear_tf=True, idf=False, sparse_norm="per_featurizer")
    message = pipeline.message("card card card pin")
    features = classifier._combine(*classifier._feature_parts([message])).toarray()[0]
    words = classifier._sparse_blocks[0][1]
    nonzero = np.sort(features[:words][features[:words] > 0])
    assert nonzero / nonzero[0] == pytest.approx([1.0, 1.0 + np.log(3.0)])


def test_the_blocks_are_recorded_in_the_model(tmp_path):
    pipeline = Pipeline(tmp_path / "p")
    train(pipeline, tmp_path / "m")
    with storage(tmp_path / "m").read_from(Resource("linear")) as directory:
        meta = json.loads((directory / "linear_intent_classifier.json").read_text())
    assert [name for name, _ in meta["sparse_blocks"]] == ["words", "chars"]


def test_a_model_stored_before_blocks_were_recorded_still_predicts_the_same(tmp_path):
    pipeline = Pipeline(tmp_path / "p")
    trained = train(pipeline, tmp_path / "m")
    with storage(tmp_path / "m").read_from(Resource("linear")) as directory:
        meta_file = directory / "linear_intent_classifier.json"
        meta = json.loads(meta_file.read_text())
        del meta["sparse_blocks"]
        meta_file.write_text(json.dumps(meta))
    loaded = LinearIntentClassifier.load({}, storage(tmp_path / "m"), Resource("linear"), context("linear"))
    assert loaded._sparse_blocks is None
    assert_same_rankings(rankings(trained, pipeline), rankings(loaded, pipeline))


@pytest.mark.parametrize("bad", [{"dense_normalization": "whiten"}, {"sparse_norm": "l1"}, {"class_weight": "auto"}])
def test_unknown_option_values_are_refused(bad):
    with pytest.raises(ValueError):
        LinearIntentClassifier.validate_config(bad)
