"""Rasa NLU component: out-of-scope detection by distance to the training data.

config.yml (after the intent classifier and the FallbackClassifier):
    - name: bot.nlu.rasa_oos_detector.OutOfScopeDetector
      alpha: 0.015  # share of in-domain requests we accept to refuse (default 0.02)
      alphas: {en: 0.01, nb: 0.05}  # optional: per language (alpha: texts too short to place)

The classifier's softmax confidence is high for many unrelated questions (it must spread the
probability over the intents it knows), so a confidence threshold alone catches few of them.
This component adds the signal that separates them far better: how close the message's
sentence embedding is to the in-scope training examples (k-nearest-neighbour cosine
similarity), less how much closer it is to the `out_of_scope` training examples, if it is:

    score = sim_in - max(0, sim_out - sim_in)

(with no out_of_scope examples, score = sim_in). It reads whatever dense sentence features
the pipeline's featurizers put on TEXT, so it follows a change of featurizer without code
changes.

Calibration, at training time and on the training data only: the in-scope examples are split
into `folds` stratified folds; each held-out example is scored against the other folds, which
gives, per intent, the similarities that real in-domain requests of that intent reach. At
serving time the message's score is turned into a conformal p-value against the held-out
scores of the intent the classifier chose (pooled scores for intents with too few examples):
the share of held-out examples of that intent that scored no higher.
With `calibrate_by_language: true`, English and Norwegian are calibrated apart (their
similarity scales differ: the language with more, denser examples scores higher, so a pooled
calibration refuses the other language's requests far more often than alpha). Each example's
language, and the message's, is `bot.nlu.language.detect_language` of its text; texts it
cannot tell (short replies, numbers) are a third group.
A p-value <= `alpha` sets the intent to `out_of_scope` (confidence 1 - p), ahead of the
classifier's ranking, which stays in place below it. So about `alpha` of in-domain requests
are refused by construction, whatever the featurizer or the data (an intent with n held-out
examples cannot refuse below alpha = 1/(n+1): tiny training sets need a larger alpha).

The other signals keep their own component: the classifier's explicit `out_of_scope` intent
(data/out_of_scope.yml) is never overridden, and a close call between two known intents stays
the FallbackClassifier's `nlu_fallback` with the top two in the ranking, for the dialogue's
"did you mean ... or ...?". A message far from everything we trained on becomes out_of_scope
even over nlu_fallback: asking "did you mean X or Y" about the weather helps no one.

The parse data gets `oos_detection`: similarity (sim_in), score, p_value, alpha, out_of_scope (p <= alpha),
intent_replaced (the verdict was put in front of the ranking) and calibration (the held-out
scores the p-value was read from: "check_balance#nb", "#en", "check_balance", "" for all);
benchmarks sweep alpha from the p-values. Stored with the model as plain arrays and JSON, no pickle.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import RESPONSE_SELECTOR_PREDICTION_KEY, RESPONSE_SELECTOR_PROPERTY_NAME
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.language import LANGUAGES, detect_language

logger = logging.getLogger(__name__)

ARRAYS_FILE = "oos_detector.npz"
META_FILE = "oos_detector.json"
OUTPUT_KEY = "oos_detection"
FALLBACK_INTENT = "nlu_fallback"
LANGUAGE_MARK = "#"  # calibration key of a language: "#nb"; of an intent in it: "check_balance#nb"
UNDECIDED_LANGUAGE = "und"  # the language group of texts detect_language cannot tell


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class OutOfScopeDetector(GraphComponent):
    """Sets `intent` to `out_of_scope` when the message is far from every in-scope training example."""

    @classmethod
    def required_components(cls) -> List[Type]:
        # the intent classifier too, but Rasa checks requirements in the training graph,
        # where classifiers do not feed one another
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # share of in-domain requests refused (the conformal p-value threshold)
            "alpha": 0.02,
            # per language ("en", "nb": bot.nlu.language.detect_language of the text); `alpha`
            # for the rest. The two languages' out-of-domain questions are not equally far from
            # the training data, so the share of requests worth refusing differs.
            "alphas": {},
            # neighbours averaged: one near-duplicate training example should not vouch alone
            "k": 3,
            "folds": 5,
            # intents with fewer held-out scores are judged against all intents' scores
            "min_calibration_examples": 20,
            "out_of_scope_intent": "out_of_scope",
            "random_seed": 1,
            # featurizer names (aliases) to read; empty: every dense featurizer
            "featurizers": [],
            # 0: one calibration per intent. A width (e.g. 384): the embedding is made of blocks of
            # that width of which a message fills one (LanguageRoutedFeaturizer: MiniLM for English,
            # e5 for Norwegian); each block's similarities have their own scale, so every intent is
            # calibrated per block, and a message is judged against the held-out examples of its block.
            "calibration_block": 0,
            # one calibration per intent and language (and per language), for the message's language
            "calibrate_by_language": False,
            # "all": similarity to the nearest in-scope examples of any intent. "intent": to the
            # nearest examples of the intent the message was given (of a retrieval intent such as
            # faq, of the topic the response selector chose): "how do I apply for a mortgage" is
            # near some in-scope example, but far from the FAQ about payment methods it would get.
            "neighbours": "all",
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        alphas = config.get("alphas") or {}
        if not isinstance(alphas, dict) or set(alphas) - set(LANGUAGES):
            raise ValueError(f"OutOfScopeDetector: alphas must map languages {list(LANGUAGES)} to alphas")
        if not all(0.0 <= float(a) < 1.0 for a in [config.get("alpha", 0.02), *alphas.values()]):
            raise ValueError("OutOfScopeDetector: alpha must be in [0, 1)")
        if int(config.get("k", 3)) < 1 or int(config.get("folds", 5)) < 2:
            raise ValueError("OutOfScopeDetector: k must be at least 1 and folds at least 2")
        if config.get("neighbours", "all") not in ("all", "intent"):
            raise ValueError("OutOfScopeDetector: neighbours must be 'all' or 'intent'")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OutOfScopeDetector:
        return cls(config, model_storage, resource)

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        reference: Optional[np.ndarray] = None,
        calibration: Optional[Dict[Text, np.ndarray]] = None,
        negatives: Optional[np.ndarray] = None,
        labels: Optional[np.ndarray] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self.validate_config(self._config)
        self._model_storage = model_storage
        self._resource = resource
        self._reference = reference  # (in-scope examples, dim), unit rows
        self._negatives = negatives if negatives is not None and len(negatives) else None  # out_of_scope examples
        # calibration key (intent, block, language: see calibration_key) -> sorted held-out scores;
        # "" holds all intents' scores
        self._calibration = calibration or {}
        self._set_labels(labels)

    def _set_labels(self, labels: Optional[np.ndarray]) -> None:
        """Each reference row's intent (a retrieval intent's: its topic), with neighbours: intent."""
        self._labels = labels if labels is not None and len(labels) else None
        self._rows_of: Dict[Text, np.ndarray] = {}
        if self._labels is not None:
            self._rows_of = {label: np.flatnonzero(self._labels == label) for label in np.unique(self._labels)}

    # -- training --------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        out_of_scope = self._config["out_of_scope_intent"]
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        by_intent = self._config["neighbours"] == "intent"
        # a retrieval intent's examples are labelled by their topic ("faq/opening_hours")
        embedded = [((e.get(INTENT_RESPONSE_KEY) or e.get(INTENT)) if by_intent else e.get(INTENT), self._embedding(e), e.get(TEXT))
                    for e in examples]
        negatives = [x for (intent, x, _), e in zip(embedded, examples) if x is not None and e.get(INTENT) == out_of_scope]
        embedded = [(intent, x, text) for (intent, x, text), e in zip(embedded, examples)
                    if x is not None and e.get(INTENT) != out_of_scope]
        if len(embedded) < 2 * self._config["k"]:
            logger.warning("OutOfScopeDetector: too few examples with dense sentence features; it will not judge.")
            return self._resource
        intents = np.array([intent for intent, _, _ in embedded])
        reference = np.vstack([x for _, x, _ in embedded]).astype(np.float32)
        self._negatives = np.vstack(negatives).astype(np.float32) if negatives else None
        self._set_labels(intents if by_intent else None)
        scores = self._held_out_scores(reference, intents)
        self._reference = reference
        self._calibration = {"": np.sort(scores)}
        blocks = np.array([self._block_of(x) for x in reference])
        self._calibrate(scores, intents, blocks)
        if self._config["calibrate_by_language"]:
            groups = np.array([self._language_group(block, self._language_of(text))
                               for block, (_, _, text) in zip(blocks, embedded)])
            self._calibrate(scores, intents, groups)
        self._persist()
        return self._resource

    def _calibrate(self, scores: np.ndarray, intents: np.ndarray, groups: np.ndarray) -> None:
        """Sorted held-out scores per group (a block, a language) and per intent in each group."""
        for group in np.unique(groups):
            self._calibration[group] = np.sort(scores[groups == group])
            for intent in np.unique(intents[groups == group]):
                self._calibration[f"{intent}{group}"] = np.sort(scores[(intents == intent) & (groups == group)])

    def _held_out_scores(self, reference: np.ndarray, intents: np.ndarray) -> np.ndarray:
        """Each example's score against the training data without its own fold."""
        folds = self._config["folds"]
        rng = np.random.default_rng(self._config["random_seed"])
        fold = np.empty(len(intents), dtype=int)
        for intent in np.unique(intents):
            members = np.flatnonzero(intents == intent)
            # stratified: every intent is spread over the folds as evenly as it can be
            fold[rng.permutation(members)] = (np.arange(len(members)) + rng.integers(folds)) % folds
        scores = np.empty(len(intents), dtype=np.float64)
        for f in range(folds):
            held = fold == f
            if not held.any() or (~held).sum() < 1:
                continue
            if self._labels is None:
                scores[held] = self._score(reference[held], reference[~held])[1]
                continue
            for label in np.unique(intents[held]):
                queries, rest = held & (intents == label), ~held & (intents == label)
                # a label with no other example outside the fold is judged against all
                scores[queries] = self._score(reference[queries], reference[rest if rest.any() else ~held])[1]
        return scores

    # -- scoring ---------------------------------------------------------------------------

    def _embedding(self, message: Message) -> Optional[np.ndarray]:
        _, dense = message.get_dense_features(TEXT, self._config["featurizers"] or None)
        if dense is None:
            return None
        vector = np.asarray(dense.features, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else None

    def _similarity(self, queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Mean cosine similarity of each query's k nearest reference rows (rows are unit length)."""
        k = min(self._config["k"], reference.shape[0])
        result = np.empty(queries.shape[0], dtype=np.float64)
        for start in range(0, queries.shape[0], 512):  # bounded memory on large training sets
            sims = queries[start:start + 512] @ reference.T
            nearest = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
            result[start:start + 512] = nearest.mean(axis=1)
        return result

    def _score(self, queries: np.ndarray, reference: np.ndarray):
        """(similarity to the in-scope examples, score): the score is lowered by how much closer
        the query is to the out_of_scope examples than to the in-scope ones."""
        inside = self._similarity(queries, reference)
        if self._negatives is None:
            return inside, inside
        outside = self._similarity(queries, self._negatives)
        return inside, inside - np.maximum(0.0, outside - inside)

    def _block_of(self, vector: np.ndarray) -> Text:
        """"" without calibration blocks, else "@<index of the block holding most of the vector>"."""
        width = int(self._config["calibration_block"])
        if not width or vector.shape[0] % width:
            return ""
        return f"@{int(np.argmax(np.linalg.norm(vector.reshape(-1, width), axis=1)))}"

    def _language_of(self, text: Optional[Text]) -> Optional[Text]:
        """The language the calibration is chosen by: None when off or when there is no text.
        The text's own detection, at training and at serving alike (the LanguageDetector's
        `language` entity is the same function of the same text, but only on messages it
        processed, which training examples are not)."""
        if not self._config["calibrate_by_language"] or not text:
            return None
        return self._calibration_language(detect_language(text))

    @staticmethod
    def _calibration_language(detected: Optional[Text]) -> Text:
        # Texts too short to tell ("ok", "takk", an account number) are a group of their own:
        # pooled with their intent's longer examples they score lower and were refused at about
        # twice alpha (thank 29 %, check_balance 25 % on data/ at alpha 0.05; as a group 2.7 %).
        return detected or UNDECIDED_LANGUAGE

    @staticmethod
    def _language_group(block: Text, language: Text) -> Text:
        return f"{block}{LANGUAGE_MARK}{language}"

    def calibration_key(self, intent: Optional[Text], block: Text = "", language: Optional[Text] = None) -> Text:
        """The held-out scores a message is judged against: the first key with enough of them.

        Most specific first: the intent within the message's language (and block), the intent
        across languages, the language's examples of all intents, the block, everything. The
        intent comes before the language because intents' similarity scales differ more than
        the languages' do. On data/ (e5, 5 folds, true intents, min_calibration_examples raised
        so that the fallback is taken), judged against all English examples, English `inform`
        requests (names, numbers) were refused at 26 % for alpha 0.05; judged against their
        intent in both languages, no intent in either language was more than 5 points from
        alpha. Texts too short to tell form their own group ("und"). With the option off the
        keys are the per-intent ones: intent, block, everything."""
        enough = self._config["min_calibration_examples"]
        groups = [self._language_group(block, language), block] if language else [block]
        keys = [*(f"{intent or ''}{group}" for group in groups), *groups, ""]
        return next((key for key in keys if len(self._calibration.get(key, ())) >= enough), "")

    def p_value(self, score: float, intent: Optional[Text], block: Text = "", language: Optional[Text] = None) -> float:
        """Conformal p-value: share of the held-out in-domain examples of `calibration_key` that
        scored at most this, counting the message itself."""
        return self._p_value(score, self.calibration_key(intent, block, language))

    def _p_value(self, score: float, key: Text) -> float:
        scores = self._calibration[key]
        at_most = int(np.searchsorted(scores, score, side="right"))
        return (at_most + 1) / (len(scores) + 1)

    # -- prediction ------------------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        if self._reference is None:
            return messages  # untrained: leave the classifier's verdict alone
        out_of_scope = self._config["out_of_scope_intent"]
        for message in messages:
            embedding = self._embedding(message) if message.get(TEXT) else None
            if embedding is None:
                continue
            predicted = self._classified_intent(message)
            label = self._label_of(message, predicted)
            rows = self._rows_of.get(label) if label is not None else None
            inside, score = self._score(embedding[np.newaxis, :], self._reference if rows is None else self._reference[rows])
            similarity, score = float(inside[0]), float(score[0])
            detected = detect_language(message.get(TEXT))  # once: the calibration and the alpha go by it
            language = self._calibration_language(detected) if self._config["calibrate_by_language"] else None
            key = self.calibration_key(label if rows is not None else predicted, self._block_of(embedding), language)
            p = self._p_value(score, key)
            alpha = self.alpha_for(detected)
            far = p <= alpha
            # the classifier's own out_of_scope stays as it is (its confidence, its ranking)
            replaced = far and predicted != out_of_scope
            message.set(OUTPUT_KEY, {"similarity": round(similarity, 4), "score": round(score, 4), "p_value": round(p, 4),
                                     "alpha": alpha, "out_of_scope": far, "intent_replaced": replaced,
                                     "calibration": key},
                        add_to_output=True)
            if replaced:
                verdict = {INTENT_NAME_KEY: out_of_scope, PREDICTED_CONFIDENCE_KEY: 1.0 - p}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != out_of_scope]
                message.set(INTENT, verdict, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [verdict, *ranking], add_to_output=True)
        return messages

    def alpha_for(self, language: Optional[Text]) -> float:
        """The alpha of a language ("en", "nb"); `alpha` when it has none of its own or is None."""
        return float((self._config.get("alphas") or {}).get(language, self._config["alpha"]))

    def _label_of(self, message: Message, intent: Optional[Text]) -> Optional[Text]:
        """With neighbours: intent, what the message's neighbours are drawn from: the topic the
        response selector chose for a retrieval intent, else the intent."""
        if self._labels is None or intent is None:
            return None
        selected = (message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(intent) or {}
        topic = (selected.get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}).get(INTENT_RESPONSE_KEY)
        return topic if topic in self._rows_of else intent

    @staticmethod
    def _classified_intent(message: Message) -> Optional[Text]:
        """The classifier's own choice, looking through the FallbackClassifier's nlu_fallback."""
        for candidate in [message.get(INTENT) or {}, *(message.get(INTENT_RANKING_KEY) or [])]:
            name = candidate.get(INTENT_NAME_KEY)
            if name and name != FALLBACK_INTENT:
                return name
        return None

    # -- storage ---------------------------------------------------------------------------

    def _persist(self) -> None:
        intents = sorted(self._calibration)
        with self._model_storage.write_to(self._resource) as directory:
            negatives = self._negatives if self._negatives is not None else np.zeros((0, self._reference.shape[1]), np.float32)
            labels = self._labels if self._labels is not None else np.zeros(0, dtype="<U1")
            np.savez(directory / ARRAYS_FILE, reference=self._reference, negatives=negatives, labels=labels.astype(str),
                     **{f"calibration_{i}": self._calibration[name] for i, name in enumerate(intents)})
            meta = {"calibration_intents": intents, "k": self._config["k"], "folds": self._config["folds"],
                    "calibration_block": int(self._config["calibration_block"]),
                    "calibrate_by_language": bool(self._config["calibrate_by_language"]),
                    "neighbours": self._config["neighbours"]}
            (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OutOfScopeDetector:
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
                with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
                    reference = arrays["reference"]
                    negatives = arrays["negatives"] if "negatives" in arrays.files else None
                    labels = arrays["labels"] if "labels" in arrays.files else None
                    calibration = {name: arrays[f"calibration_{i}"] for i, name in enumerate(meta["calibration_intents"])}
        except (ValueError, FileNotFoundError):
            # Rasa's convention: a component that was skipped in training loads untrained
            logger.debug("OutOfScopeDetector: no trained model in '%s'", resource.name)
            return cls.create(config, model_storage, resource, execution_context)
        # k, folds and the keys shaped the calibration: the stored values win over a changed config
        # (a model from before an option was added was trained without it)
        stored = {"k": meta["k"], "folds": meta["folds"], "calibration_block": meta.get("calibration_block", 0),
                  "calibrate_by_language": meta.get("calibrate_by_language", False),
                  "neighbours": meta.get("neighbours", "all")}
        return cls({**config, **stored}, model_storage, resource, reference, calibration, negatives, labels)

