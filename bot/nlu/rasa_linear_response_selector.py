"""Rasa NLU response selector: logistic regression over the sentence features the pipeline has.

config.yml (after the featurizers, in place of Rasa's ResponseSelector):
    - name: bot.nlu.rasa_linear_response_selector.LinearResponseSelector
      retrieval_intent: faq

It picks the sub-intent of a retrieval intent (`faq/opening_hours`) and writes the message's
`response_selector` exactly as Rasa's ResponseSelector does, so Rasa's processor fills
`full_retrieval_intent_name` and actions/faq.py and actions/fallback.py read the same keys:

    response_selector:
      all_retrieval_intents: [faq]
      faq:
        response: {responses, confidence, intent_response_key, utter_action}
        ranking: [{confidence, intent_response_key}, ...]  # best first

Why: Rasa's ResponseSelector is a DIET transformer (TensorFlow, 100 epochs of training) run on
every message; in the serving profile it was the NLU's second-largest cost after the sentence
encoder (4.5-6 ms CPU per message, benchmarks/README.md "Serving"). The features it would learn
from are already computed for the intent classifier: word and character n-gram counts and the
sentence embedding. A linear model over them (tf-idf weighted, unit-length n-grams next to the
embedding, as bot/nlu/rasa_linear_classifier.py) predicts with two small dot products; its
cross-validated FAQ accuracy on data/ is in benchmarks/README.md (benchmarks/faq).

Stored with the model as plain arrays and JSON (no pickle). Rasa warns at training that "your NLU
configuration does not include a response selector component": its check looks for its own
ResponseSelector class only; the FAQ topics are trained here.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple, Type

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data import util
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.nlu.linear_model import (
    fit_softmax,
    sentence_features,
    side_by_side,
    smoothed_idf,
    softmax,
    unit_length,
    unit_rows,
)

logger = logging.getLogger(__name__)

ARRAYS_FILE = "linear_response_selector.npz"
META_FILE = "linear_response_selector.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearResponseSelector(GraphComponent):
    """Sets `response_selector[<retrieval intent>]` from a linear model over the concatenated
    sparse and dense sentence features of TEXT."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # the retrieval intent whose sub-intents are selected; None: every retrieval intent
            # together (Rasa's ResponseSelector then writes under "default")
            "retrieval_intent": None,
            "C": 10.0,
            # weight of the (unit-length) embedding next to the unit-length n-grams
            "dense_weight": 2.0,
            "idf": True,
            "max_iter": 300,
            "random_seed": 1,
            "ranking_length": LABEL_RANKING_LENGTH,
            # featurizer names (aliases) to read; empty: every featurizer
            "featurizers": [],
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn", "scipy"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if float(config.get("C", 1.0)) <= 0:
            raise ValueError("LinearResponseSelector: C must be positive")
        if float(config.get("dense_weight", 1.0)) < 0:
            raise ValueError("LinearResponseSelector: dense_weight must not be negative")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearResponseSelector:
        return cls(config, model_storage, resource)

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        arrays: Optional[Dict[Text, np.ndarray]] = None,
        meta: Optional[Dict[Text, Any]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self.validate_config(self._config)
        self._model_storage = model_storage
        self._resource = resource
        arrays = arrays or {}
        meta = meta or {}
        # (sparse features, labels) and (dense features, labels): logits = x_s @ W_s + x_d @ W_d + b
        self._sparse_weights: Optional[np.ndarray] = arrays.get("sparse_weights")
        self._dense_weights: Optional[np.ndarray] = arrays.get("dense_weights")
        self._intercepts: Optional[np.ndarray] = arrays.get("intercepts")
        self._idf: Optional[np.ndarray] = arrays.get("idf")
        self._labels: List[Text] = list(meta.get("labels", []))
        self._all_retrieval_intents: List[Text] = list(meta.get("all_retrieval_intents", []))
        self._responses: Dict[Text, List[Dict[Text, Any]]] = meta.get("responses", {})

    @property
    def selector_key(self) -> Text:
        return self._config["retrieval_intent"] or RESPONSE_SELECTOR_DEFAULT_INTENT

    # -- training --------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        self._all_retrieval_intents = sorted(training_data.retrieval_intents)
        self._responses = dict(training_data.responses)
        retrieval_intent = self._config["retrieval_intent"]
        examples = [
            e for e in training_data.intent_examples
            if e.get(TEXT) and e.get(INTENT_RESPONSE_KEY) and (not retrieval_intent or e.get(INTENT) == retrieval_intent)
        ]
        labels = sorted({e.get(INTENT_RESPONSE_KEY) for e in examples})
        if len(labels) < 2:
            logger.warning("LinearResponseSelector: fewer than two responses to choose from; it will not select.")
            return self._resource
        sparse, dense = self._training_features(examples)
        if sparse is not None and self._config["idf"]:
            self._idf = smoothed_idf(sparse)
        parts = []
        if sparse is not None:
            parts.append(self._weighted_sparse(sparse))
        if dense is not None:
            parts.append(scipy.sparse.csr_matrix(dense * float(self._config["dense_weight"])))
        self._labels, coef, intercept = fit_softmax(
            scipy.sparse.hstack(parts).tocsr(),
            np.array([e.get(INTENT_RESPONSE_KEY) for e in examples]),
            C=float(self._config["C"]),
            max_iter=int(self._config["max_iter"]),
            random_seed=self._config["random_seed"],
        )
        width = sparse.shape[1] if sparse is not None else 0
        self._sparse_weights = np.ascontiguousarray(coef[:, :width].T) if sparse is not None else None
        self._dense_weights = (
            np.ascontiguousarray(coef[:, width:].T * float(self._config["dense_weight"])) if dense is not None else None
        )
        self._intercepts = intercept.astype(np.float64)
        self._persist()
        return self._resource

    def _sentence_features(self, message: Message) -> Tuple[Optional[scipy.sparse.coo_matrix], Optional[np.ndarray]]:
        featurizers = self._config["featurizers"] or None
        _, sparse = message.get_sparse_features(TEXT, featurizers)
        _, dense = message.get_dense_features(TEXT, featurizers)
        return (
            sparse.features if sparse is not None else None,
            np.asarray(dense.features, np.float64).reshape(-1) if dense is not None else None,
        )

    def _training_features(self, examples: Sequence[Message]):
        sparse_rows, dense_rows = [], []
        for message in examples:
            sparse, dense = self._sentence_features(message)
            if sparse is not None:
                sparse_rows.append(scipy.sparse.csr_matrix(sparse, dtype=np.float64))
            if dense is not None:
                dense_rows.append(dense)
        if len(sparse_rows) not in (0, len(examples)) or len(dense_rows) not in (0, len(examples)):
            raise ValueError("LinearResponseSelector: some training examples lack the sentence features of others")
        if not sparse_rows and not dense_rows:
            raise ValueError("LinearResponseSelector: the messages have no sentence features; add a featurizer before it")
        return (
            scipy.sparse.vstack(sparse_rows).tocsr() if sparse_rows else None,
            np.vstack(dense_rows) if dense_rows else None,
        )

    def _weighted_sparse(self, sparse: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
        """tf-idf, each row scaled to unit length (a long message is not more certain)."""
        if self._idf is not None:
            sparse = sparse @ scipy.sparse.diags(self._idf)
        return unit_rows(sparse)

    # -- prediction ------------------------------------------------------------------------

    def probabilities(self, message: Message) -> Optional[np.ndarray]:
        """p(label) for the message, in the order of `labels`; None without sentence features.

        The same arithmetic as training, on the message's few non-zero n-grams only: gathering
        their weight rows costs microseconds, where scipy's matrix products cost milliseconds."""
        sparse, dense = sentence_features(message, self._config["featurizers"])
        if bool(sparse) != (self._sparse_weights is not None) or (dense is None) != (self._dense_weights is None):
            return None
        logits = self._intercepts
        if sparse:
            columns, values = side_by_side([feature.features for feature in sparse])
            if self._idf is not None:
                values = values * self._idf[columns]
            logits = logits + unit_length(values) @ self._sparse_weights[columns]
        if dense is not None:
            logits = logits + dense @ self._dense_weights
        return softmax(logits)

    def _sentence_ngrams(self, message: Message) -> Optional[Tuple[np.ndarray, np.ndarray]]:
        """(columns, counts) of the message's sparse sentence features, laid side by side in the
        featurizers' order: the row Message.get_sparse_features would build, without its copies
        and scipy hstacks of both sequence and sentence matrices (~85 % of this component's time)."""
        sparse, _ = sentence_features(message, self._config["featurizers"])
        if not sparse:
            return None
        return side_by_side([feature.features for feature in sparse])

    def process(self, messages: List[Message]) -> List[Message]:
        if self._intercepts is None:
            return messages  # untrained: no retrieval intents in the data
        for message in messages:
            probabilities = self.probabilities(message) if message.get(TEXT) else None
            if probabilities is None:
                continue
            order = np.argsort(-probabilities, kind="stable")
            best = self._labels[order[0]]
            utter_action = util.intent_response_key_to_template_key(best)
            responses = self._responses.get(utter_action) or [{TEXT: best}]
            limit = self._config["ranking_length"] or len(order)
            prediction = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: responses,
                    PREDICTED_CONFIDENCE_KEY: float(probabilities[order[0]]),
                    INTENT_RESPONSE_KEY: best,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {PREDICTED_CONFIDENCE_KEY: float(probabilities[i]), INTENT_RESPONSE_KEY: self._labels[i]}
                    for i in order[:limit]
                ],
            }
            properties = message.get(RESPONSE_SELECTOR_PROPERTY_NAME, {})
            properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self._all_retrieval_intents
            properties[self.selector_key] = prediction
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)
        return messages

    # -- storage ---------------------------------------------------------------------------

    def _persist(self) -> None:
        arrays = {"intercepts": self._intercepts}
        for name in ("sparse_weights", "dense_weights", "idf"):
            value = getattr(self, f"_{name}")
            if value is not None:
                arrays[name] = value
        meta = {"labels": self._labels, "all_retrieval_intents": self._all_retrieval_intents,
                "responses": self._responses}
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / ARRAYS_FILE, **arrays)
            (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearResponseSelector:
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / ARRAYS_FILE, allow_pickle=False) as stored:
                    arrays = {name: stored[name] for name in stored.files}
                meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            # Rasa's convention: a component that was skipped in training loads untrained
            logger.debug("LinearResponseSelector: no trained model in '%s'", resource.name)
            return cls.create(config, model_storage, resource, execution_context)
        return cls(config, model_storage, resource, arrays, meta)
