"""LinearResponseSelector: picks a retrieval intent's sub-intent and writes Rasa's
`response_selector` output, alone and inside a real Rasa model served by Rasa's processor."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

pytest.importorskip("rasa")

from rasa.core.agent import Agent  # noqa: E402
from rasa.core.channels.channel import UserMessage  # noqa: E402
from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.model_training import train_nlu  # noqa: E402
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.features import Features  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.nlu.rasa_linear_response_selector import LinearResponseSelector  # noqa: E402

FAQ = {
    "faq/opening_hours": ["when are you open", "what are your opening hours", "are you open on sunday",
                          "what time do you close", "opening hours please", "is customer service open now"],
    "faq/payment_methods": ["how can I pay", "can I pay by card", "do you take direct debit",
                            "which payment methods do you accept", "pay my bill by bank transfer", "ways to pay"],
    "faq/cancel_contract": ["how do I cancel my contract", "I want to cancel", "notice period for cancelling",
                            "end my subscription", "terminate the agreement", "cancel my plan"],
}
OTHER = {"greet": ["hi", "hello", "good morning"], "check_balance": ["how much do I owe", "what is my balance"]}
RESPONSES = {f"utter_{key}": [{"text": f"answer about {key.split('/')[1]}"}] for key in FAQ}
CONTEXT = ExecutionContext(GraphSchema({}), node_name="selector")
EMBEDDING_WIDTH = 8


def storage(path: Path) -> LocalModelStorage:
    path.mkdir(parents=True)
    return LocalModelStorage(path)


def embedding(text: str) -> np.ndarray:
    """A stand-in sentence embedding: the unit-length sum of a fixed random vector per word, so
    texts sharing words lie close together, as a real encoder's paraphrases do."""
    vector = np.zeros((1, EMBEDDING_WIDTH))
    for word in text.lower().split():
        vector += np.random.default_rng(sum(ord(c) * 31 ** i for i, c in enumerate(word)) % 2**32).normal(size=EMBEDDING_WIDTH)
    return vector / (np.linalg.norm(vector) or 1.0)


class Featurization:
    """Tokens, word n-gram counts and a dense sentence feature, as the pipeline gives them."""

    def __init__(self, tmp_path: Path) -> None:
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.counts = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(), storage(tmp_path / "cv"), Resource("cv"),
            ExecutionContext(GraphSchema({}), node_name="cv"),
        )

    @staticmethod
    def add_dense(messages):
        for message in messages:
            if message.get("text"):
                message.add_features(Features(embedding(message.get("text")), "sentence", "text", "dense"))
        return messages

    def training_data(self, faq=FAQ) -> TrainingData:
        messages = [Message(data={"text": t, "intent": "faq", "intent_response_key": key})
                    for key, texts in faq.items() for t in texts]
        messages += [Message(data={"text": t, "intent": i}) for i, texts in OTHER.items() for t in texts]
        data = TrainingData(messages, responses=dict(RESPONSES))
        self.tokenizer.process_training_data(data)
        self.counts.train(data)
        self.counts.process_training_data(data)
        self.add_dense(data.training_examples)
        return data

    def message(self, text: str) -> Message:
        messages = self.tokenizer.process([Message(data={"text": text})])
        return self.add_dense(self.counts.process(messages))[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("selector")
    featurization = Featurization(tmp_path)
    model_storage = storage(tmp_path / "model")
    selector = LinearResponseSelector.create({"retrieval_intent": "faq"}, model_storage, Resource("selector"), CONTEXT)
    selector.train(featurization.training_data())
    return featurization, model_storage, selector


def test_selects_the_topic_of_unseen_wordings_in_rasas_output_format(trained):
    featurization, _, selector = trained
    for text, expected in [("are you open on saturday", "faq/opening_hours"),
                           ("can I pay with a card", "faq/payment_methods"),
                           ("I'd like to cancel the contract", "faq/cancel_contract")]:
        [message] = selector.process([featurization.message(text)])
        output = message.get("response_selector")
        assert output["all_retrieval_intents"] == ["faq"]
        response, ranking = output["faq"]["response"], output["faq"]["ranking"]
        assert response["intent_response_key"] == expected, text
        assert response["utter_action"] == f"utter_{expected}"
        assert response["responses"] == RESPONSES[f"utter_{expected}"]
        assert sorted(response) == ["confidence", "intent_response_key", "responses", "utter_action"]
        assert [sorted(r) for r in ranking] == [["confidence", "intent_response_key"]] * len(FAQ)
        assert ranking[0] == {"confidence": response["confidence"], "intent_response_key": expected}
        confidences = [r["confidence"] for r in ranking]
        assert confidences == sorted(confidences, reverse=True)
        assert sum(confidences) == pytest.approx(1.0)
        # written for the processor and the actions, like every NLU output
        assert "response_selector" in message.as_dict_nlu()


def test_learns_only_from_the_retrieval_intents_examples(trained):
    _, _, selector = trained
    assert selector._labels == sorted(FAQ)


def test_fast_prediction_equals_the_trained_model_on_the_training_features(trained):
    """process() gathers weight rows for the message's n-grams; scikit-learn's predict_proba on
    the training-time feature matrix must give the same probabilities."""
    featurization, _, selector = trained
    texts = ["pay by card at the weekend", "cancel", "hello there", "open when?"]
    messages = [featurization.message(t) for t in texts]
    sparse, dense = selector._training_features(messages)
    features = scipy.sparse.hstack([selector._weighted_sparse(sparse), scipy.sparse.csr_matrix(dense)]).tocsr()
    weights = np.vstack([selector._sparse_weights, selector._dense_weights])
    logits = np.asarray(features @ weights) + selector._intercepts
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    for message, row in zip(messages, expected):
        assert selector.probabilities(message) == pytest.approx(row, abs=1e-12)


def test_loaded_model_selects_exactly_like_the_trained_one(trained):
    featurization, model_storage, selector = trained
    loaded = LinearResponseSelector.load({"retrieval_intent": "faq"}, model_storage, Resource("selector"), CONTEXT)
    for text in ["open on sunday?", "bank transfer", "what's the weather"]:
        [fresh] = selector.process([featurization.message(text)])
        [again] = loaded.process([featurization.message(text)])
        assert again.get("response_selector") == fresh.get("response_selector")


def test_persists_plain_arrays_and_json_never_a_pickle(trained):
    _, model_storage, _ = trained
    with model_storage.read_from(Resource("selector")) as directory:
        names = sorted(p.name for p in directory.iterdir())
        with np.load(directory / "linear_response_selector.npz", allow_pickle=False) as arrays:
            shapes = {name: arrays[name].shape for name in arrays.files}
        meta = json.loads((directory / "linear_response_selector.json").read_text())
    assert names == ["linear_response_selector.json", "linear_response_selector.npz"]
    assert meta["labels"] == sorted(FAQ) and meta["all_retrieval_intents"] == ["faq"]
    assert meta["responses"] == RESPONSES
    assert shapes["dense_weights"] == (EMBEDDING_WIDTH, len(FAQ))
    assert shapes["sparse_weights"] == (shapes["idf"][0], len(FAQ))


def test_keeps_other_selectors_output_and_adds_its_own(trained):
    featurization, _, selector = trained
    message = featurization.message("when do you open")
    message.set("response_selector", {"all_retrieval_intents": ["faq", "chitchat"], "chitchat": {"response": {}}})
    [message] = selector.process([message])
    assert set(message.get("response_selector")) == {"all_retrieval_intents", "chitchat", "faq"}


def test_a_message_without_text_is_left_alone(trained):
    featurization, _, selector = trained
    [message] = selector.process([featurization.message("")])
    assert message.get("response_selector") is None


def test_fewer_than_two_topics_leave_it_untrained_and_silent(tmp_path):
    featurization = Featurization(tmp_path)
    selector = LinearResponseSelector.create({"retrieval_intent": "faq"}, storage(tmp_path / "m"), Resource("s"), CONTEXT)
    selector.train(featurization.training_data({"faq/opening_hours": FAQ["faq/opening_hours"]}))
    [message] = selector.process([featurization.message("when are you open")])
    assert message.get("response_selector") is None
    # and a model without its files loads untrained, as Rasa expects of skipped components
    loaded = LinearResponseSelector.load({}, storage(tmp_path / "empty"), Resource("s"), CONTEXT)
    assert loaded.process([featurization.message("hi")])[0].get("response_selector") is None


def test_two_topics_give_two_probabilities(tmp_path):
    featurization = Featurization(tmp_path)
    two = {key: FAQ[key] for key in ("faq/opening_hours", "faq/payment_methods")}
    selector = LinearResponseSelector.create({"retrieval_intent": "faq"}, storage(tmp_path / "m"), Resource("s"), CONTEXT)
    selector.train(featurization.training_data(two))
    [message] = selector.process([featurization.message("can I pay by card")])
    ranking = message.get("response_selector")["faq"]["ranking"]
    assert [r["intent_response_key"] for r in ranking] == ["faq/payment_methods", "faq/opening_hours"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_rejects_a_meaningless_config():
    with pytest.raises(ValueError):
        LinearResponseSelector.validate_config({"C": 0})
    with pytest.raises(ValueError):
        LinearResponseSelector.validate_config({"dense_weight": -1})


CONFIG = """
recipe: default.v1
language: en
assistant_id: linear_selector_test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: bot.nlu.rasa_linear_classifier.LinearIntentClassifier
  - name: bot.nlu.rasa_linear_response_selector.LinearResponseSelector
    retrieval_intent: faq
policies: []
"""


def test_a_real_rasa_model_fills_the_full_retrieval_intent_the_actions_read(tmp_path):
    import yaml

    nlu = [{"intent": key, "examples": "".join(f"- {t}\n" for t in texts)} for key, texts in FAQ.items()]
    nlu += [{"intent": i, "examples": "".join(f"- {t}\n" for t in texts)} for i, texts in OTHER.items()]
    data = tmp_path / "nlu.yml"
    data.write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu, "responses": RESPONSES}))
    config = tmp_path / "config.yml"
    config.write_text(textwrap.dedent(CONFIG))
    model = train_nlu(str(config), str(data), str(tmp_path / "models"))
    agent = Agent.load(model)

    async def parse(text):
        # the processor's own parse, which sets full_retrieval_intent_name from our output
        return await agent.processor.parse_message(UserMessage(text))

    parsed = asyncio.run(parse("are you open on sunday"))
    assert parsed["intent"]["name"] == "faq"
    assert parsed["intent"]["full_retrieval_intent_name"] == "faq/opening_hours"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/opening_hours"
    parsed = asyncio.run(parse("hello"))
    assert parsed["intent"]["name"] == "greet"
    assert "full_retrieval_intent_name" not in parsed["intent"]


def test_ngram_row_equals_rasas_combined_sentence_features_across_featurizers(tmp_path):
    """Word and character n-grams side by side, in the featurizers' order, as Rasa combines them."""
    featurization = Featurization(tmp_path)
    chars = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        storage(tmp_path / "cv_chars"), Resource("cv_chars"), ExecutionContext(GraphSchema({}), node_name="cv_chars"),
    )
    data = featurization.training_data()
    chars.train(data)
    selector = LinearResponseSelector.create({"retrieval_intent": "faq"}, storage(tmp_path / "m"), Resource("s"), CONTEXT)
    for text in ["can I pay by card", "open open open", "zzz unknown words"]:
        [message] = chars.process([featurization.message(text)])
        _, combined = message.get_sparse_features("text")
        expected = scipy.sparse.csr_matrix(combined.features)
        columns, values = selector._sentence_ngrams(message)
        assert expected.shape[1] > len(featurization.counts.vectorizers["text"].vocabulary_)  # both parts
        assert list(columns) == list(expected.indices) and list(values) == list(expected.data), text
