"""Rasa NLU component: Rasa's FallbackClassifier with a confidence threshold per language.

config.yml, in place of FallbackClassifier:
    - name: bot.nlu.rasa_language_fallback.LanguageFallbackClassifier
      thresholds: {en: 0.6, nb: 0.3}  # by bot.nlu.language.detect_language of the text
      threshold: 0.5                  # texts it cannot place ("ok", "takk", an account number)
      ambiguity_threshold: 0.0

Why per language: the classifier's confidence does not mean the same in both. English
questions from outside the firm's business get confident answers more often (fewer of them
land on the `out_of_scope` intent), so English needs a high threshold to refuse 90 % of them;
Norwegian ones mostly land on `out_of_scope` already, and the same high threshold only turned
away Norwegian customers' real requests (6-8 points of in-domain accuracy on the held-out fifth
of data/, benchmarks/README.md "Out of scope"). `make bench-nlu` (setting oos) chooses the
three thresholds on training folds.

Everything else is the FallbackClassifier's: below the message's threshold, or with the two
best intents closer than `ambiguity_threshold`, the intent becomes `nlu_fallback` (confidence:
the threshold that applied) in front of the classifier's ranking, which actions/fallback.py
reads for its "did you mean ... or ...?" buttons.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import THRESHOLD_KEY, FallbackClassifier, _fallback_intent
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language import LANGUAGES, detect_language

THRESHOLDS_KEY = "thresholds"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageFallbackClassifier(FallbackClassifier):
    """nlu_fallback below a threshold chosen by the message's language."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # no per-language thresholds: exactly the FallbackClassifier
        return {**FallbackClassifier.get_default_config(), THRESHOLDS_KEY: {}}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        thresholds = config.get(THRESHOLDS_KEY) or {}
        if not isinstance(thresholds, dict):
            raise ValueError(f"LanguageFallbackClassifier: {THRESHOLDS_KEY} must map languages to thresholds")
        unknown = set(thresholds) - set(LANGUAGES)
        if unknown:
            raise ValueError(f"LanguageFallbackClassifier: no language {sorted(unknown)}; known: {list(LANGUAGES)}")
        for value in [config.get(THRESHOLD_KEY, 0.0), *thresholds.values()]:
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError("LanguageFallbackClassifier: thresholds must be in [0, 1]")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageFallbackClassifier:
        cls.validate_config(config)
        return cls(config)

    def threshold_for(self, text: Optional[Text]) -> float:
        """The threshold of the text's language; `threshold` when the text does not say."""
        language = detect_language(text) if text else None
        thresholds = self.component_config.get(THRESHOLDS_KEY) or {}
        return float(thresholds.get(language, self.component_config[THRESHOLD_KEY]))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not self._should_fallback(message):
                continue
            fallback = _fallback_intent(self.threshold_for(message.get(TEXT)))
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, [])
            message.data[INTENT_RANKING_KEY].insert(0, dict(fallback))
        return messages

    def _nlu_confidence_below_threshold(self, message: Message) -> Tuple[bool, float]:
        confidence = message.data[INTENT].get(PREDICTED_CONFIDENCE_KEY)
        return confidence < self.threshold_for(message.get(TEXT)), confidence
