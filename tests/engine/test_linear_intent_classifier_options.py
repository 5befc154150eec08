"""LinearIntentClassifier's feature options (chosen by benchmarks/nlu/sweep_linear.py): how the
dense embedding is centred or standardised, how the sparse blocks are normalised, sublinear tf,
class weights; all learned in training, stored with the model and applied again after loading."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

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


COUNTS = {"words": {}, "chars": {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}}


class Pipeline:
    """Tokens, word counts and char_wb counts (as config.yml's featurizers), and `embedding`
    transformed by `shift` and `scale` (to show what the classifier's options are blind to);
    `counts` and `dense` leave featurizers out."""

    def __init__(self, tmp_path: Path, shift: float = 0.0, scale=None, counts=tuple(COUNTS), dense=True) -> None:
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.counts = [
            CountVectorsFeaturizer.create({**CountVectorsFeaturizer.get_default_config(), **COUNTS[name]},
                                          storage(tmp_path / name), Resource(name), context(name))
            for name in counts
        ]
        self.dense = dense
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
        if not self.dense:
            return
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


# -- serving: one message at a time, the probabilities of training's scipy matrices ------------

SPARSE_OPTIONS = [
    {"idf": idf, "sublinear_tf": sublinear, "sparse_norm": norm}
    for idf in (True, False) for sublinear in (False, True) for norm in ("joint", "per_featurizer")
]
DENSE_OPTIONS = [{"dense_normalization": normalization} for normalization in ("none", "center", "standardize")]


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipelines")
    return {
        "sparse and dense": Pipeline(root / "both", shift=0.3, scale=np.linspace(0.5, 4.0, DIMENSIONS)),
        "sparse only": Pipeline(root / "sparse", dense=False),
        "dense only": Pipeline(root / "dense", counts=()),
    }


def without(message: Message, origin: str) -> Message:
    message.features = [f for f in message.features if f.origin != origin]
    return message


def zeroed(message: Message, stored_zeros: bool = False) -> Message:
    """The message with every feature present but all zero (no known n-gram, a zero embedding);
    `stored_zeros`: the n-gram matrices hold zeros as entries, which scipy keeps."""
    def zero(matrix):
        if not scipy.sparse.issparse(matrix):
            return np.zeros_like(matrix)
        if not stored_zeros:
            return scipy.sparse.coo_matrix(matrix.shape)
        return scipy.sparse.coo_matrix((np.zeros(2), ([0, 0], [0, 1])), shape=matrix.shape)

    message.features = [Features(zero(f.features), f.type, f.attribute, f.origin) for f in message.features]
    return message


def served_messages(pipeline: Pipeline, missing_blocks: bool = True):
    """Realistic queries, a repeated n-gram (sublinear tf), messages without their word or
    character n-grams (a featurizer's block missing), and all-zero ones."""
    messages = [pipeline.message(text) for text in [*QUERIES, "card card card pin", "where is my new card"]]
    if missing_blocks and len(pipeline.counts) > 1:
        messages += [without(pipeline.message("refund my card"), name) for name in COUNTS]
    return messages + [zeroed(pipeline.message("zzz")), zeroed(pipeline.message("zzz"), stored_zeros=True)]


def assert_serves_the_matrix_probabilities(classifier: LinearIntentClassifier, messages) -> None:
    """`process` (one message at a time) gives each intent the probability of the reference
    computation over the scipy matrices training builds (_matrix_probabilities)."""
    for message in messages:
        [expected] = classifier._matrix_probabilities([message])
        assert np.isfinite(expected).all() and expected.sum() == pytest.approx(1.0)
        [served] = classifier.process([message])
        confidence = {r["name"]: r["confidence"] for r in served.get("intent_ranking")}
        assert len(confidence) == len(classifier._intents)
        np.testing.assert_allclose([confidence[i] for i in classifier._intents], expected, rtol=0, atol=1e-9,
                                   err_msg=message.get("text"))


def trained_and_loaded(pipeline: Pipeline, path: Path, options):
    """The freshly trained model and the same model loaded from storage (prepared at load)."""
    trained = train(pipeline, path, **options)
    return trained, LinearIntentClassifier.load(options, storage(path), Resource("linear"), context("linear"))


@pytest.mark.parametrize("sparse", SPARSE_OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
@pytest.mark.parametrize("dense", DENSE_OPTIONS, ids=lambda o: o["dense_normalization"])
def test_serving_gives_the_matrix_probabilities_for_every_option(pipelines, tmp_path, sparse, dense):
    pipeline = pipelines["sparse and dense"]
    for classifier in trained_and_loaded(pipeline, tmp_path / "m", {**sparse, **dense, "dense_weight": 1.5}):
        assert_serves_the_matrix_probabilities(classifier, served_messages(pipeline))


@pytest.mark.parametrize("sparse", SPARSE_OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_serving_without_a_dense_embedding_gives_the_matrix_probabilities(pipelines, tmp_path, sparse):
    pipeline = pipelines["sparse only"]
    for classifier in trained_and_loaded(pipeline, tmp_path / "m", sparse):
        assert_serves_the_matrix_probabilities(classifier, served_messages(pipeline))


@pytest.mark.parametrize("dense", DENSE_OPTIONS, ids=lambda o: o["dense_normalization"])
def test_serving_without_ngrams_gives_the_matrix_probabilities(pipelines, tmp_path, dense):
    pipeline = pipelines["dense only"]
    for classifier in trained_and_loaded(pipeline, tmp_path / "m", dense):
        assert classifier._sparse_blocks == []
        assert_serves_the_matrix_probabilities(classifier, served_messages(pipeline))


@pytest.mark.parametrize("options", [
    {"sparse_norm": "joint", "dense_normalization": "standardize"},
    {"sparse_norm": "per_featurizer", "sublinear_tf": True, "idf": False},  # per featurizer needs blocks: joint
])
def test_serving_a_model_stored_before_blocks_were_recorded_gives_the_matrix_probabilities(pipelines, tmp_path,
                                                                                           options):
    pipeline = pipelines["sparse and dense"]
    train(pipeline, tmp_path / "m", **options)
    with storage(tmp_path / "m").read_from(Resource("linear")) as directory:
        meta_file = directory / "linear_intent_classifier.json"
        meta = json.loads(meta_file.read_text())
        del meta["sparse_blocks"]
        meta_file.write_text(json.dumps(meta))
    legacy = LinearIntentClassifier.load(options, storage(tmp_path / "m"), Resource("linear"), context("linear"))
    assert legacy._sparse_blocks is None
    assert_serves_the_matrix_probabilities(legacy, served_messages(pipeline, missing_blocks=False))
    # without blocks a message's n-grams are whatever its featurizers give: a missing block
    # shifts the columns, which both computations refuse
    lacking = without(pipeline.message("refund my card"), "chars")
    with pytest.raises(ValueError):
        legacy._matrix_probabilities([lacking])
    with pytest.raises(ValueError):
        legacy.process([lacking])


def test_serving_builds_no_scipy_matrices(pipelines, tmp_path, monkeypatch):
    """Building and multiplying matrices for one message cost milliseconds (most of the
    classifier's CPU when serving); gathering the weights of its few n-grams costs microseconds."""
    pipeline = pipelines["sparse and dense"]
    classifier = train(pipeline, tmp_path / "m", sparse_norm="per_featurizer", dense_normalization="center")
    messages = served_messages(pipeline)

    def refuse(*args, **kwargs):
        raise AssertionError("a scipy matrix built for one message")

    for name in ("hstack", "vstack", "diags", "csr_matrix", "coo_matrix"):
        monkeypatch.setattr(scipy.sparse, name, refuse)
    for message in messages:
        [served] = classifier.process([message])
        assert served.get("intent")["name"] in EXAMPLES
