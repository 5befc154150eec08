"""LinearIntentClassifier: trains, persists, loads and predicts, alone and inside a real Rasa model."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import yaml

pytest.importorskip("rasa")

from rasa.core.agent import Agent  # noqa: E402
from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.model_training import train_nlu  # noqa: E402
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.nlu.linear_model import smoothed_idf  # noqa: E402
from bot.nlu.rasa_linear_classifier import LinearIntentClassifier  # noqa: E402
from bot.nlu.rasa_sentence_featurizer import MiniLMFeaturizer  # noqa: E402

EXAMPLES = {
    "card_arrival": ["where is my new card", "my card has not arrived", "card still not delivered",
                     "when will the card come", "how long does card delivery take", "card never showed up"],
    "refund": ["I want my money back", "please refund the payment", "can I get a refund",
               "return my money", "refund for the cancelled order", "how do refunds work"],
    "change_pin": ["how do I change my pin", "set a new pin", "forgot my pin code",
                   "reset the pin on my card", "update my pin number", "pin change please"],
}
CONTEXT = ExecutionContext(GraphSchema({}), node_name="linear")


def storage(path: Path) -> LocalModelStorage:
    path.mkdir(parents=True)
    return LocalModelStorage(path)


class Featurization:
    """The pipeline in front of the classifier: tokens, word counts, MiniLM, trained on EXAMPLES."""

    def __init__(self, tmp_path: Path) -> None:
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.counts = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(), storage(tmp_path / "cv"), Resource("cv"),
            ExecutionContext(GraphSchema({}), node_name="cv"),
        )
        self.minilm = MiniLMFeaturizer.create({}, None, None, ExecutionContext(GraphSchema({}), node_name="minilm"))

    def training_data(self) -> TrainingData:
        messages = [Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
        data = TrainingData(messages)
        self.tokenizer.process_training_data(data)
        self.counts.train(data)
        self.counts.process_training_data(data)
        return self.minilm.process_training_data(data)

    def message(self, text: str) -> Message:
        messages = self.tokenizer.process([Message(data={"text": text})])
        return self.minilm.process(self.counts.process(messages))[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("linear")
    featurization = Featurization(tmp_path)
    model_storage = storage(tmp_path / "model")
    classifier = LinearIntentClassifier.create({}, model_storage, Resource("linear"), CONTEXT)
    classifier.train(featurization.training_data())
    return featurization, model_storage, classifier


def test_predicts_unseen_wordings_with_a_ranking(trained):
    featurization, _, classifier = trained
    for text, expected in [("my card is lost in the post", "card_arrival"),
                           ("give me back what I paid", "refund"),
                           ("I need a different pin", "change_pin")]:
        [message] = classifier.process([featurization.message(text)])
        assert message.get("intent")["name"] == expected, text
        ranking = message.get("intent_ranking")
        assert [r["name"] for r in ranking][0] == expected
        assert sorted(r["name"] for r in ranking) == sorted(EXAMPLES)
        confidences = [r["confidence"] for r in ranking]
        assert confidences == sorted(confidences, reverse=True)
        assert sum(confidences) == pytest.approx(1.0)
        assert message.get("intent")["confidence"] == confidences[0]


def test_an_empty_message_gets_no_intent_at_zero_confidence_for_the_fallback(trained):
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

    featurization, _, classifier = trained
    [message] = classifier.process([featurization.message("")])
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []

    fallback = FallbackClassifier.create(FallbackClassifier.get_default_config(), None, None, CONTEXT)
    [message] = fallback.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_loaded_model_predicts_exactly_like_the_trained_one(trained):
    featurization, storage, classifier = trained
    loaded = LinearIntentClassifier.load({}, storage, Resource("linear"), CONTEXT)
    for text in ["card is late", "refund me", "what's the weather"]:
        [fresh] = classifier.process([featurization.message(text)])
        [again] = loaded.process([featurization.message(text)])
        assert again.get("intent_ranking") == fresh.get("intent_ranking")


def test_persists_plain_arrays_never_a_pickle(trained):
    _, storage, _ = trained
    with storage.read_from(Resource("linear")) as directory:
        names = sorted(p.name for p in directory.iterdir())
        with np.load(directory / "linear_intent_classifier.npz", allow_pickle=False) as arrays:
            assert arrays["weights"].shape[0] == len(EXAMPLES)
            weights_width, idf = arrays["weights"].shape[1], arrays["idf"]
        meta = json.loads((directory / "linear_intent_classifier.json").read_text())
    assert names == ["linear_intent_classifier.json", "linear_intent_classifier.npz"]
    assert meta["intents"] == sorted(EXAMPLES)
    # one idf weight per n-gram column; the 384 embedding columns follow them
    assert weights_width == idf.size + 384


def test_ngrams_in_every_message_weigh_least_and_rare_ones_most():
    counts = scipy.sparse.csr_matrix(np.array([[1, 1, 0], [2, 0, 0], [1, 0, 0], [3, 0, 1]], dtype=float))
    idf = smoothed_idf(counts)
    assert idf[0] == pytest.approx(1.0)  # in all four messages
    assert idf[1] == idf[2] > idf[0]  # in one message each
    assert idf[1] == pytest.approx(np.log(5 / 2) + 1)


def test_ranking_is_cut_to_ranking_length(tmp_path):
    featurization = Featurization(tmp_path)
    classifier = LinearIntentClassifier.create({"C": 2.5, "ranking_length": 2}, storage(tmp_path / "m"), Resource("l"), CONTEXT)
    classifier.train(featurization.training_data())
    [message] = classifier.process([featurization.message("where is my card")])
    assert len(message.get("intent_ranking")) == 2


def test_two_intents_give_two_probabilities(tmp_path):
    featurization = Featurization(tmp_path)
    data = featurization.training_data()
    two = TrainingData([m for m in data.training_examples if m.get("intent") != "change_pin"])
    classifier = LinearIntentClassifier.create({}, storage(tmp_path / "m"), Resource("l"), CONTEXT)
    classifier.train(two)
    [message] = classifier.process([featurization.message("please refund me")])
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking] == ["refund", "card_arrival"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_one_example_per_intent_is_enough_to_train(tmp_path):
    featurization = Featurization(tmp_path)
    data = featurization.training_data()
    one_each = TrainingData([next(m for m in data.training_examples if m.get("intent") == i) for i in EXAMPLES])
    classifier = LinearIntentClassifier.create({}, storage(tmp_path / "m"), Resource("l"), CONTEXT)
    classifier.train(one_each)
    [message] = classifier.process([featurization.message("where is my new card")])
    assert message.get("intent")["name"] == "card_arrival"


CONFIG = """
recipe: default.v1
language: en
assistant_id: linear_classifier_test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: bot.nlu.rasa_sentence_featurizer.MiniLMFeaturizer
  - name: bot.nlu.rasa_linear_classifier.LinearIntentClassifier
  - name: ResponseSelector
    retrieval_intent: faq
    epochs: 30
    random_seed: 1
  - name: FallbackClassifier
    threshold: 0.3
policies: []
"""


def test_a_real_rasa_model_with_response_selector_trains_and_parses(tmp_path):
    nlu = {"version": "3.1", "nlu": [{"intent": i, "examples": "".join(f"- {t}\n" for t in texts)}
                                     for i, texts in EXAMPLES.items()]}
    nlu["nlu"] += [
        {"intent": "faq/opening_hours", "examples": "- when are you open\n- opening hours\n- what time do you close\n"},
        {"intent": "faq/fees", "examples": "- what are your fees\n- how much does it cost\n- is there a charge\n"},
    ]
    responses = {"version": "3.1", "responses": {
        "utter_faq/opening_hours": [{"text": "We are open 8-16."}],
        "utter_faq/fees": [{"text": "No monthly fee."}],
    }}
    (tmp_path / "config.yml").write_text(textwrap.dedent(CONFIG))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(yaml.safe_dump(nlu))
    (tmp_path / "data" / "responses.yml").write_text(yaml.safe_dump(responses))
    model = train_nlu(config=str(tmp_path / "config.yml"), nlu_data=str(tmp_path / "data"), output=str(tmp_path / "models"),
                      fixed_model_name="nlu")
    assert model, "training produced no model"

    parsed = asyncio.run(Agent.load(model).parse_message("at what time do you open"))
    assert parsed["intent"]["name"] == "faq"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/opening_hours"
    assert len(parsed["intent_ranking"]) == len(EXAMPLES) + 1
