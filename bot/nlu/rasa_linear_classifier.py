"""Rasa NLU intent classifier: multinomial logistic regression over the messages' sentence features.

config.yml (after the featurizers, in place of DIETClassifier):
    - name: bot.nlu.rasa_linear_classifier.LinearIntentClassifier
      C: null             # null: chosen by cross-validation on the training data
      dense_weight: 2.0   # scale of the dense (MiniLM) features next to the sparse n-grams

Training fits scikit-learn; the model is stored as plain arrays (coefficients, intercepts,
intent names) and predicted with numpy, so loading a model never unpickles anything.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Type

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

ARRAYS_FILE = "linear_intent_classifier.npz"
META_FILE = "linear_intent_classifier.json"
# Inverse regularisation strengths tried when `C` is null: a decade apart, because each one
# costs a fit per fold (BANKING77's 10 000 examples: about two minutes a fit here).
C_GRID = (1.0, 10.0, 100.0)
FALLBACK_C = 10.0  # when there are too few examples per intent to cross-validate
CV_FOLDS = 3


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Sets `intent` and `intent_ranking` (top `ranking_length`) from a linear model over the
    concatenated sparse and dense sentence features of TEXT."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": None,
            "dense_weight": 2.0,
            # unit-length n-gram counts: a long message must not look more certain than a short one
            "normalize_sparse": True,
            # the embedding is unit-length too; twice the n-grams' weight is the mix of the
            # prototype that reached 94.1 % on BANKING77 (tf-idf n-grams + 2x MiniLM), not tuned further
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
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: Optional[np.ndarray] = None,
        intercepts: Optional[np.ndarray] = None,
        intents: Sequence[Text] = (),
        chosen_c: Optional[float] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._weights = weights  # (intents, features)
        self._intercepts = intercepts  # (intents,)
        self._intents = list(intents)
        self.chosen_c = chosen_c

    # -- training --------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        intents = sorted({e.get(INTENT) for e in examples})
        if len(intents) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents to train; skipped.")
            return self._resource
        features = self._feature_matrix(examples)
        labels = np.array([e.get(INTENT) for e in examples])
        model = self._fit(features, labels)
        self._intents = list(model.classes_)
        if len(self._intents) == 2:
            # scikit-learn keeps one weight row for two classes: p(second) = sigmoid(row)
            self._weights = np.vstack([np.zeros_like(model.coef_), model.coef_])
            self._intercepts = np.concatenate([[0.0], model.intercept_])
        else:
            self._weights, self._intercepts = model.coef_, model.intercept_
        self._persist()
        return self._resource

    def _fit(self, features: scipy.sparse.csr_matrix, labels: np.ndarray):
        from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
        from sklearn.model_selection import StratifiedKFold

        common = {"max_iter": self._config["max_iter"], "random_state": self._config["random_seed"]}
        c = self._config["C"]
        folds = min(CV_FOLDS, int(np.unique(labels, return_counts=True)[1].min()))
        if c is None and folds < 2:
            logger.info("LinearIntentClassifier: too few examples per intent to cross-validate; C=%s", FALLBACK_C)
            c = FALLBACK_C
        if c is not None:
            self.chosen_c = float(c)
            return LogisticRegression(C=self.chosen_c, **common).fit(features, labels)
        # LogisticRegressionCV walks the grid warm-started from the previous C in each fold and
        # refits on all the data from the best C's solutions: about five single fits, not 3x3+1.
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self._config["random_seed"])
        model = LogisticRegressionCV(Cs=list(C_GRID), cv=splitter, scoring="accuracy", **common).fit(features, labels)
        self.chosen_c = float(model.C_[0])
        mean_scores = next(iter(model.scores_.values())).mean(axis=0)
        logger.info("LinearIntentClassifier: cross-validated accuracy by C %s; chose C=%s",
                    dict(zip(C_GRID, mean_scores.round(4))), self.chosen_c)
        return model

    # -- features --------------------------------------------------------------------------

    def _feature_matrix(self, messages: Sequence[Message]) -> scipy.sparse.csr_matrix:
        return scipy.sparse.vstack([self._features(m) for m in messages]).tocsr()

    def _features(self, message: Message) -> scipy.sparse.csr_matrix:
        featurizers = self._config["featurizers"]
        _, sparse = message.get_sparse_features(TEXT, featurizers)
        _, dense = message.get_dense_features(TEXT, featurizers)
        parts = []
        if sparse is not None:
            counts = scipy.sparse.csr_matrix(sparse.features, dtype=np.float64)
            if self._config["normalize_sparse"]:
                norm = scipy.sparse.linalg.norm(counts)
                counts = counts / norm if norm else counts
            parts.append(counts)
        if dense is not None:
            parts.append(scipy.sparse.csr_matrix(np.asarray(dense.features, np.float64) * self._config["dense_weight"]))
        if not parts:
            raise ValueError("LinearIntentClassifier: the message has no sentence features; add a featurizer before it")
        return scipy.sparse.hstack(parts).tocsr()

    # -- prediction ------------------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        if self._weights is None:
            return messages  # untrained (no intents): leave intents to other components
        for message in messages:
            if not message.get(TEXT):
                continue
            logits = np.asarray(self._features(message) @ self._weights.T).ravel() + self._intercepts
            probabilities = np.exp(logits - logits.max())
            probabilities /= probabilities.sum()
            order = np.argsort(-probabilities, kind="stable")
            ranking = [
                {"name": self._intents[i], PREDICTED_CONFIDENCE_KEY: float(probabilities[i])}
                for i in order[: self._config["ranking_length"] or len(order)]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    # -- storage ---------------------------------------------------------------------------

    def _persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / ARRAYS_FILE, weights=self._weights, intercepts=self._intercepts)
            meta = {"intents": self._intents, "chosen_c": self.chosen_c}
            (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
                    weights, intercepts = arrays["weights"], arrays["intercepts"]
                meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            # Rasa's convention: a component that was skipped in training loads untrained
            logger.debug("LinearIntentClassifier: no trained model in '%s'", resource.name)
            return cls.create(config, model_storage, resource, execution_context)
        return cls(config, model_storage, resource, weights, intercepts, meta["intents"], meta["chosen_c"])
