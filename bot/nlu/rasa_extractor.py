"""Rasa NLU component around `StructuredExtractor` (runs in the engine environment only).

config.yml:
    - name: bot.nlu.rasa_extractor.StructuredEntityExtractor
      dimensions: [account_number, ticket_ref]   # optional; default: all labels
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

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

from bot.nlu.entities import StructuredExtractor
from bot.nlu.entity import Entity

# Duckling's key for structured extras; amounts put {"amount", "currency"} there.
ADDITIONAL_INFO = "additional_info"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class StructuredEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds account_number, ticket_ref, email, phone and amount entities with normalized values."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # None: every label; otherwise a list of the labels to keep.
        return {"dimensions": None}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StructuredEntityExtractor:
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        dimensions: Optional[List[str]] = self._config["dimensions"]
        # one spaCy pipeline per component instance, shared by all messages
        self._extractor = StructuredExtractor(labels=dimensions)

    def process(self, messages: List[Message]) -> List[Message]:
        """Appends the entities found in each message's text to its entities."""
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self.add_extractor_name([to_rasa_entity(e) for e in self._extractor.extract(text)])
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


def to_rasa_entity(entity: Entity) -> Dict[Text, Any]:
    converted: Dict[Text, Any] = {
        ENTITY_ATTRIBUTE_TYPE: entity.label,
        ENTITY_ATTRIBUTE_VALUE: entity.value,
        ENTITY_ATTRIBUTE_START: entity.start,
        ENTITY_ATTRIBUTE_END: entity.end,
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
    }
    if entity.details:
        converted[ADDITIONAL_INFO] = dict(entity.details)
    return converted
