"""Rasa NLU component: the language the customer wrote in, as entity `language` ("nb"/"en").

domain.yml maps slot `language` from this entity, so the slot follows the customer's
language every turn and the responses' "nb" variations answer a Norwegian message in
Bokmål. No entity when the message does not tell (e.g. "ok", "0150"): the slot keeps the
conversation's language, which action_session_start set from the tenant.

config.yml:
    - name: bot.nlu.rasa_language_detector.LanguageDetector
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language import detect_language

LANGUAGE_ENTITY = "language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds entity `language` spanning the whole message when its language is clear."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            language = detect_language(text) if text else None
            if language is None:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: LANGUAGE_ENTITY,
                ENTITY_ATTRIBUTE_VALUE: language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
            }
            found = self.add_extractor_name([entity])
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
