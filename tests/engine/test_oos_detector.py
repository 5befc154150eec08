"""OutOfScopeDetector: calibrates on the training data, refuses unrelated questions, keeps known
ones, survives save and load, and works inside a real Rasa model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.features import Features  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.nlu.rasa_linear_classifier import LinearIntentClassifier  # noqa: E402
from bot.nlu.rasa_oos_detector import OutOfScopeDetector  # noqa: E402
from bot.nlu.rasa_sentence_featurizer import MiniLMFeaturizer  # noqa: E402
from tests.engine.small_models import train_and_parse  # noqa: E402

EXAMPLES = {
    "check_balance": ["how much do I owe", "what's my balance", "what is my current balance", "how much is my bill",
                      "how much do I need to pay this month", "what's the amount due", "do I owe you anything",
                      "what's outstanding on my account", "how much is my electricity bill this month",
                      "tell me my balance please", "is there anything left to pay on my bill"],
    "open_ticket": ["my internet is down", "the broadband keeps dropping out", "I want to report a fault",
                    "my power has been cut off", "there is a problem with my meter", "I need to make a claim",
                    "my car was damaged and I want to claim", "the wifi is not working", "report an outage",
                    "no electricity in my flat since this morning", "my router shows a red light"],
    "ticket_status": ["what's the status of my ticket", "any news on my case", "has my claim been processed",
                      "is my fault report being handled", "update on ticket NRD-1042", "where is my support case",
                      "has anyone looked at my ticket yet", "what happened with my complaint case",
                      "is my case closed", "check my ticket please", "how far along is my claim"],
}
OUT_OF_SCOPE = ["tell me a joke", "what's the capital of Australia", "sing me a song", "who won the football",
                "write me a poem", "how do I bake bread"]
CONTEXT = ExecutionContext(GraphSchema({}), node_name="oos")
# three intents of ~11 examples: a p-value can go down to 1/34, so alpha must be above that
CONFIG = {"alpha": 0.1}


def storage(path: Path) -> LocalModelStorage:
    path.mkdir(parents=True)
    return LocalModelStorage(path)


def storage_of(component: OutOfScopeDetector) -> LocalModelStorage:
    return component._model_storage


class Pipeline:
    """Tokens, MiniLM and our classifier, trained on EXAMPLES (+ out_of_scope ones when asked)."""

    def __init__(self, tmp_path: Path, with_out_of_scope: bool = False) -> None:
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.minilm = MiniLMFeaturizer.create({}, None, None, ExecutionContext(GraphSchema({}), node_name="minilm"))
        examples = dict(EXAMPLES, **({"out_of_scope": OUT_OF_SCOPE} if with_out_of_scope else {}))
        messages = [Message(data={"text": t, "intent": i}) for i, texts in examples.items() for t in texts]
        self.data = TrainingData(messages)
        self.tokenizer.process_training_data(self.data)
        self.minilm.process_training_data(self.data)
        self.classifier = LinearIntentClassifier.create({}, storage(tmp_path / "classifier"), Resource("c"), CONTEXT)
        self.classifier.train(self.data)

    def message(self, text: str) -> Message:
        return self.classifier.process(self.minilm.process(self.tokenizer.process([Message(data={"text": text})])))[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("oos")
    pipeline = Pipeline(tmp_path)
    model_storage = storage(tmp_path / "detector")
    detector = OutOfScopeDetector.create(CONFIG, model_storage, Resource("oos"), CONTEXT)
    detector.train(pipeline.data)
    return pipeline, model_storage, detector


@pytest.mark.parametrize("text", ["what's the weather in Paris tomorrow", "who painted the Mona Lisa",
                                  "recommend me a good pizza place"])
def test_an_unrelated_question_is_out_of_scope(trained, text):
    pipeline, _, detector = trained
    message = pipeline.message(text)
    classified = message.get("intent")["name"]
    [message] = detector.process([message])
    assert message.get("intent")["name"] == "out_of_scope"
    assert message.get("oos_detection")["out_of_scope"] is True
    assert message.get("oos_detection")["intent_replaced"] is True
    assert message.get("oos_detection")["p_value"] <= CONFIG["alpha"]
    # the classifier's ranking stays below the verdict, for the dialogue to use
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == "out_of_scope"
    assert ranking[1]["name"] == classified


@pytest.mark.parametrize("text, intent", [("how much money do I owe you", "check_balance"),
                                          ("my broadband is not working", "open_ticket"),
                                          ("any update on my ticket", "ticket_status")])
def test_a_known_request_keeps_its_intent(trained, text, intent):
    pipeline, _, detector = trained
    message = pipeline.message(text)
    before = message.get("intent_ranking")
    [message] = detector.process([message])
    assert message.get("intent")["name"] == intent
    assert message.get("intent_ranking") == before
    assert message.get("oos_detection")["out_of_scope"] is False
    assert message.get("oos_detection")["p_value"] > CONFIG["alpha"]


def test_thresholds_persist_through_save_and_load(trained):
    pipeline, model_storage, detector = trained
    loaded = OutOfScopeDetector.load(CONFIG, model_storage, Resource("oos"), CONTEXT)
    for text in ["what's my balance", "tell me about black holes", "the wifi is down again"]:
        [fresh] = detector.process([pipeline.message(text)])
        [again] = loaded.process([pipeline.message(text)])
        assert again.get("oos_detection") == fresh.get("oos_detection")
        assert again.get("intent") == fresh.get("intent")


def test_calibration_is_stored_as_plain_arrays_never_a_pickle(trained):
    _, model_storage, _ = trained
    with model_storage.read_from(Resource("oos")) as directory:
        names = sorted(p.name for p in directory.iterdir())
        meta = json.loads((directory / "oos_detector.json").read_text())
        with np.load(directory / "oos_detector.npz", allow_pickle=False) as arrays:
            reference, negatives = arrays["reference"], arrays["negatives"]
            calibration = {name: arrays[f"calibration_{i}"] for i, name in enumerate(meta["calibration_intents"])}
    assert names == ["oos_detector.json", "oos_detector.npz"]
    assert reference.shape == (sum(map(len, EXAMPLES.values())), 384)
    assert negatives.shape == (0, 384)  # no out_of_scope examples in this training data
    # one held-out score per training example, per intent and pooled (""), sorted
    assert sorted(calibration) == ["", *sorted(EXAMPLES)]
    assert len(calibration[""]) == reference.shape[0]
    assert all(len(calibration[i]) == len(EXAMPLES[i]) for i in EXAMPLES)
    assert all(np.all(np.diff(scores) >= 0) for scores in calibration.values())


def test_alpha_is_the_share_of_held_out_examples_refused(trained):
    _, _, detector = trained
    pooled = detector._calibration[""]
    # the weakest held-out example is refused at alpha 2/n, never at alpha 1/(2n)
    assert detector.p_value(float(pooled[0]), None) == pytest.approx(2 / (len(pooled) + 1))
    assert detector.p_value(float(pooled[-1]) + 0.01, None) == 1.0
    assert detector.p_value(-1.0, "check_balance") == pytest.approx(1 / (len(pooled) + 1))


def test_the_classifiers_own_out_of_scope_is_kept_and_not_a_reference(tmp_path):
    pipeline = Pipeline(tmp_path, with_out_of_scope=True)
    detector = OutOfScopeDetector.create(CONFIG, storage(tmp_path / "d"), Resource("oos"), CONTEXT)
    detector.train(pipeline.data)
    assert detector._reference.shape[0] == sum(map(len, EXAMPLES.values()))
    assert detector._negatives.shape[0] == len(OUT_OF_SCOPE)
    message = pipeline.message("tell me a funny joke")
    assert message.get("intent")["name"] == "out_of_scope"
    confidence = message.get("intent")["confidence"]
    [message] = detector.process([message])
    assert message.get("intent") == {"name": "out_of_scope", "confidence": confidence}
    detection = message.get("oos_detection")
    assert detection["intent_replaced"] is False
    # closer to the out_of_scope examples than to the in-scope ones: the score drops below the similarity
    assert detection["score"] < detection["similarity"]


def test_out_of_scope_examples_lower_the_score_only_of_messages_closer_to_them(tmp_path):
    pipeline = Pipeline(tmp_path, with_out_of_scope=True)
    with_negatives = OutOfScopeDetector.create(CONFIG, storage(tmp_path / "d"), Resource("oos"), CONTEXT)
    with_negatives.train(pipeline.data)
    known = with_negatives.process([pipeline.message("how much do I owe this month")])[0].get("oos_detection")
    assert known["score"] == known["similarity"]
    loaded = OutOfScopeDetector.load(CONFIG, storage_of(with_negatives), Resource("oos"), CONTEXT)
    unrelated = pipeline.message("sing me a song please")
    assert loaded.process([unrelated])[0].get("oos_detection") == with_negatives.process([unrelated])[0].get("oos_detection")


def test_looks_through_nlu_fallback_to_the_classifiers_choice(trained):
    pipeline, _, detector = trained
    near, far = pipeline.message("what is my balance"), pipeline.message("how tall is Mount Everest")
    for message in (near, far):
        # what the FallbackClassifier does when it is unsure
        fallback = {"name": "nlu_fallback", "confidence": 0.5}
        message.set("intent", fallback)
        message.set("intent_ranking", [fallback, *message.get("intent_ranking")])
    [near, far] = detector.process([near, far])
    assert near.get("intent")["name"] == "nlu_fallback"
    assert far.get("intent")["name"] == "out_of_scope"
    assert [r["name"] for r in far.get("intent_ranking")][:2] == ["out_of_scope", "nlu_fallback"]


def test_without_dense_features_it_leaves_messages_alone(tmp_path):
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts])
    tokenizer.process_training_data(data)
    detector = OutOfScopeDetector.create(CONFIG, storage(tmp_path / "d"), Resource("oos"), CONTEXT)
    detector.train(data)
    message = Message(data={"text": "tell me a joke", "intent": {"name": "check_balance", "confidence": 0.9}})
    [message] = detector.process(tokenizer.process([message]))
    assert message.get("intent")["name"] == "check_balance"
    assert message.get("oos_detection") is None


RASA_CONFIG = """
recipe: default.v1
language: en
assistant_id: oos_detector_test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: bot.nlu.rasa_sentence_featurizer.MiniLMFeaturizer
  - name: bot.nlu.rasa_linear_classifier.LinearIntentClassifier
  - name: FallbackClassifier
    threshold: 0.3
  - name: bot.nlu.rasa_oos_detector.OutOfScopeDetector
    alpha: 0.1
policies: []
"""


def test_inside_a_real_rasa_model_an_unrelated_question_is_out_of_scope(tmp_path):
    examples = dict(EXAMPLES, out_of_scope=OUT_OF_SCOPE)
    unrelated, known = train_and_parse(tmp_path, RASA_CONFIG, examples,
                                       ["which planet is the largest in the solar system", "what is my balance"])
    assert unrelated["intent"]["name"] == "out_of_scope"
    assert unrelated["oos_detection"]["out_of_scope"] is True
    assert known["intent"]["name"] == "check_balance"
    assert known["oos_detection"]["out_of_scope"] is False
    assert known["oos_detection"]["calibration"] == ""  # 11 examples of the intent: all intents pooled


# -- calibration by language -----------------------------------------------------------------
# Synthetic embeddings, real texts for the language detection: two intents, each a direction; the
# English examples are fewer and loosely spread (low similarities), the Norwegian ones many and
# tight (high similarities), as e5 places our English and Norwegian training data.
ENGLISH, NORWEGIAN, UNDECIDED = "how much do I owe on my bill", "hvor mye skylder jeg på regningen", "ok"
SPREAD = {ENGLISH: 0.12, NORWEGIAN: 0.03, UNDECIDED: 0.12}
BY_LANGUAGE = {"alpha": 0.1, "calibrate_by_language": True}


def synthetic(text: str, intent: str, rng, with_intent: bool = True) -> Message:
    vector = (np.eye(64)[0 if intent == "a" else 1] + SPREAD[text] * rng.normal(size=64)).astype(np.float32)
    message = Message(data={"text": text, **({"intent": intent} if with_intent else {})})
    message.add_features(Features(vector[np.newaxis, :], "sentence", "text", "synthetic"))
    if not with_intent:  # what the classifier said
        message.set("intent", {"name": intent, "confidence": 0.9})
    return message


def bilingual_training_data(seed: int = 1) -> TrainingData:
    rng = np.random.default_rng(seed)
    counts = {ENGLISH: 30, NORWEGIAN: 90, UNDECIDED: 5}
    return TrainingData([synthetic(text, intent, rng) for intent in "ab" for text, n in counts.items() for _ in range(n)])


def detect(tmp_path: Path, config, name: str, data: TrainingData = None) -> OutOfScopeDetector:
    detector = OutOfScopeDetector.create(config, storage(tmp_path / name), Resource("oos"), CONTEXT)
    detector.train(data or bilingual_training_data())
    return detector


def refused_share(detector: OutOfScopeDetector, text: str, n: int = 300) -> float:
    """Share of new in-domain requests in `text`'s language (from the training distribution) refused."""
    rng = np.random.default_rng(7)
    messages = detector.process([synthetic(text, intent, rng, with_intent=False) for intent in "ab" for _ in range(n)])
    return float(np.mean([m.get("oos_detection")["out_of_scope"] for m in messages]))


def test_pooled_calibration_refuses_the_sparser_languages_requests_far_above_alpha(tmp_path):
    pooled = detect(tmp_path, {"alpha": 0.1}, "pooled")
    assert refused_share(pooled, ENGLISH) > 0.2  # alpha is 0.1
    assert refused_share(pooled, NORWEGIAN) < 0.02


def test_calibrated_by_language_each_languages_requests_are_refused_at_about_alpha(tmp_path):
    detector = detect(tmp_path, BY_LANGUAGE, "by_language")
    for text in (ENGLISH, NORWEGIAN):
        assert 0.03 < refused_share(detector, text) < 0.15
    [english, norwegian] = detector.process([synthetic(t, "a", np.random.default_rng(1), with_intent=False)
                                             for t in (ENGLISH, NORWEGIAN)])
    assert english.get("oos_detection")["calibration"] == "a#en"
    assert norwegian.get("oos_detection")["calibration"] == "a#nb"


def test_a_message_without_a_language_verdict_is_judged_by_its_intents_undecided_examples(tmp_path):
    detector = detect(tmp_path, BY_LANGUAGE, "by_language")
    [short] = detector.process([synthetic(UNDECIDED, "b", np.random.default_rng(1), with_intent=False)])
    # training examples without a verdict are a group of their own, beside English and Norwegian
    assert {"#en", "#nb", "#und", "b#en", "b#nb", "b#und"} <= set(detector._calibration)
    assert len(detector._calibration["b#und"]) == 5
    assert sum(len(detector._calibration[f"b#{group}"]) for group in ("en", "nb", "und")) == len(detector._calibration["b"])
    # too few of them to calibrate on (5 < 20): the intent across languages decides
    assert short.get("oos_detection")["calibration"] == "b"
    detector._config["min_calibration_examples"] = 5
    [short] = detector.process([synthetic(UNDECIDED, "b", np.random.default_rng(1), with_intent=False)])
    assert short.get("oos_detection")["calibration"] == "b#und"


def test_without_enough_examples_of_the_intent_in_its_language_the_intent_then_the_language_decides(tmp_path):
    detector = OutOfScopeDetector.create({**BY_LANGUAGE, "min_calibration_examples": 3}, storage(tmp_path / "d"),
                                         Resource("oos"), CONTEXT)
    scores = np.linspace(0, 1, 10)
    # intent a: 3 English, 5 Norwegian; intent b: 1 English, 1 Norwegian
    detector._calibration = {"": scores, "#en": scores[:4], "#nb": scores[4:], "a": scores[:8], "a#en": scores[:3],
                             "a#nb": scores[3:8], "b": scores[8:], "b#en": scores[8:9], "b#nb": scores[9:]}
    assert detector.calibration_key("a", language="en") == "a#en"
    assert detector.calibration_key("b", language="en") == "#en"
    detector._calibration["a#en"] = scores[:2]  # too few English a: a across languages, before all English
    assert detector.calibration_key("a", language="en") == "a"
    assert detector.calibration_key("a") == "a"
    assert detector.calibration_key("b") == ""
    assert detector.calibration_key(None, language="nb") == "#nb"
    assert detector.p_value(0.5, "a", language="en") == detector.p_value(0.5, "a")


def test_off_it_adds_no_language_keys_and_leaves_every_p_value_as_it_was(tmp_path):
    off, on = detect(tmp_path, {"alpha": 0.1}, "off"), detect(tmp_path, BY_LANGUAGE, "on")
    assert sorted(off._calibration) == ["", "a", "b"]
    # the per-intent and pooled scores are the same either way: the language keys come beside them
    assert all(np.array_equal(off._calibration[key], on._calibration[key]) for key in off._calibration)
    rng = np.random.default_rng(3)
    asked = [(t, i) for t in SPREAD for i in "ab"]
    messages = off.process([synthetic(t, i, rng, with_intent=False) for t, i in asked])
    for message, (_, intent) in zip(messages, asked):
        detection = message.get("oos_detection")
        score = off._score(off._embedding(message)[np.newaxis, :], off._reference)[1][0]  # unrounded
        scores = off._calibration[intent]
        expected = (np.searchsorted(scores, score, side="right") + 1) / (len(scores) + 1)
        assert detection["calibration"] == intent
        assert detection["p_value"] == pytest.approx(expected, abs=1e-4)


def test_a_model_stored_before_the_option_loads_without_it_whatever_the_config_says(tmp_path):
    detector = detect(tmp_path, {"alpha": 0.1}, "old")
    with storage_of(detector).write_to(Resource("oos")) as directory:
        meta = json.loads((directory / "oos_detector.json").read_text())
        del meta["calibrate_by_language"]  # the meta file as models stored before the option have it
        (directory / "oos_detector.json").write_text(json.dumps(meta))
    loaded = OutOfScopeDetector.load(BY_LANGUAGE, storage_of(detector), Resource("oos"), CONTEXT)
    assert loaded._config["calibrate_by_language"] is False
    rng = np.random.default_rng(5)
    texts = [synthetic(t, i, rng, with_intent=False) for t in SPREAD for i in "ab"]
    assert [m.get("oos_detection") for m in loaded.process(texts)] == [m.get("oos_detection") for m in detector.process(texts)]


def test_the_option_is_stored_with_the_model_and_wins_over_a_changed_config(tmp_path):
    detector = detect(tmp_path, BY_LANGUAGE, "on")
    loaded = OutOfScopeDetector.load({"alpha": 0.1}, storage_of(detector), Resource("oos"), CONTEXT)
    assert loaded._config["calibrate_by_language"] is True
    assert {"#en", "#nb", "a#en", "a#nb", "b#en", "b#nb"} <= set(loaded._calibration)
    rng = np.random.default_rng(5)
    texts = [synthetic(t, i, rng, with_intent=False) for t in SPREAD for i in "ab"]
    assert [m.get("oos_detection") for m in loaded.process(texts)] == [m.get("oos_detection") for m in detector.process(texts)]


# -- neighbours of the intent (a retrieval intent's topic) -------------------------------------
# Synthetic embeddings: faq has two topics, each a direction; check_balance a third. A question
# near the payment FAQ but given the opening-hours topic is close to the training data as a whole,
# and far from the answer it would get.

def topic_message(direction: int, intent: str, topic=None, rng=None, spread: float = 0.05) -> Message:
    rng = rng or np.random.default_rng(0)
    vector = (np.eye(64)[direction] + spread * rng.normal(size=64)).astype(np.float32)
    message = Message(data={"text": "what are your opening hours", "intent": intent})
    if topic:
        message.set("intent_response_key", topic)
    message.add_features(Features(vector[np.newaxis, :], "sentence", "text", "synthetic"))
    return message


def topic_training_data() -> TrainingData:
    rng = np.random.default_rng(1)
    return TrainingData([topic_message(0, "faq", "faq/opening_hours", rng) for _ in range(30)]
                        + [topic_message(1, "faq", "faq/payment_methods", rng) for _ in range(30)]
                        + [topic_message(2, "check_balance", None, rng) for _ in range(30)])


def served(direction: int, intent: str, topic=None) -> Message:
    message = topic_message(direction, intent, rng=np.random.default_rng(5))
    message.data.pop("intent")
    message.set("intent", {"name": intent, "confidence": 0.9})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.9}])
    if topic:
        message.set("response_selector", {intent: {"response": {"intent_response_key": topic, "confidence": 0.8}}})
    return message


def test_with_neighbours_of_the_intent_a_question_far_from_the_faq_topic_it_would_get_is_out_of_scope(tmp_path):
    config = {"alpha": 0.05, "neighbours": "intent"}
    by_intent = OutOfScopeDetector.create(config, storage(tmp_path / "intent"), Resource("oos"), CONTEXT)
    by_intent.train(topic_training_data())
    pooled = OutOfScopeDetector.create({"alpha": 0.05}, storage(tmp_path / "all"), Resource("oos"), CONTEXT)
    pooled.train(topic_training_data())
    # near the payment FAQ's examples, but the response selector chose opening hours
    [far] = by_intent.process([served(1, "faq", "faq/opening_hours")])
    assert far.get("intent")["name"] == "out_of_scope"
    assert far.get("oos_detection")["calibration"] == "faq/opening_hours"
    [near] = pooled.process([served(1, "faq", "faq/opening_hours")])
    assert near.get("intent")["name"] == "faq"  # near some training example: all is well to the pooled view
    # the topic it is near, and an intent without topics, keep their verdicts
    [right] = by_intent.process([served(1, "faq", "faq/payment_methods")])
    [balance] = by_intent.process([served(2, "check_balance")])
    assert right.get("intent")["name"] == "faq" and balance.get("intent")["name"] == "check_balance"
    [wrong_intent] = by_intent.process([served(0, "check_balance")])
    assert wrong_intent.get("intent")["name"] == "out_of_scope"


def test_neighbours_of_the_intent_persist_through_save_and_load(tmp_path):
    detector = OutOfScopeDetector.create({"alpha": 0.05, "neighbours": "intent"}, storage(tmp_path / "d"),
                                         Resource("oos"), CONTEXT)
    detector.train(topic_training_data())
    loaded = OutOfScopeDetector.load({"alpha": 0.05}, storage_of(detector), Resource("oos"), CONTEXT)
    for args in ((1, "faq", "faq/opening_hours"), (1, "faq", "faq/payment_methods"), (2, "check_balance")):
        assert loaded.process([served(*args)])[0].get("oos_detection") == detector.process([served(*args)])[0].get("oos_detection")


def test_neighbours_must_be_all_or_intent():
    with pytest.raises(ValueError, match="neighbours"):
        OutOfScopeDetector.create({"neighbours": "topic"}, None, Resource("oos"), CONTEXT)


def test_alphas_per_language_refuse_each_language_at_its_own_alpha(tmp_path):
    detector = detect(tmp_path, {**BY_LANGUAGE, "alpha": 0.1, "alphas": {"en": 0.3, "nb": 0.0}}, "alphas")
    assert refused_share(detector, NORWEGIAN) == 0.0
    assert 0.2 < refused_share(detector, ENGLISH) < 0.4
    [short] = detector.process([synthetic(UNDECIDED, "b", np.random.default_rng(1), with_intent=False)])
    assert short.get("oos_detection")["alpha"] == 0.1  # too short to place: `alpha`


def test_alphas_for_an_unknown_language_are_refused():
    with pytest.raises(ValueError, match="alphas"):
        OutOfScopeDetector.create({"alphas": {"de": 0.1}}, None, Resource("oos"), CONTEXT)
