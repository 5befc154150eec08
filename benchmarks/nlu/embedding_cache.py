"""The multilingual-e5-small embedding of every BANKING77 and NorSID text, computed once.

    .venv/engine/bin/python -m benchmarks.nlu.embedding_cache [--cache .cache/nlu-embeddings]

The embeddings are deterministic (tests/engine/test_multilingual_encoder.py), so the sweep
(benchmarks/nlu/sweep_linear.py) reads them from here instead of re-encoding ~16,000 texts
(about 8 CPU minutes) for every setting. Files: `<name>.npy` (float32, one row per text) beside
`<name>.json` (the texts, in row order); an existing pair whose texts match is reused.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from benchmarks.nlu.data import REPO

DEFAULT_CACHE = REPO / ".cache" / "nlu-embeddings"


def cached_embeddings(name: str, texts: Sequence[str], cache: Path = DEFAULT_CACHE, batch: int = 256) -> np.ndarray:
    """(len(texts), 384) e5 "query: " embeddings, encoded once and kept under `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    vectors, index = cache / f"{name}.npy", cache / f"{name}.json"
    texts = list(texts)
    if vectors.is_file() and index.is_file() and json.loads(index.read_text(encoding="utf-8")) == texts:
        return np.load(vectors)
    from bot.nlu.multilingual_encoder import MultilingualEncoder

    encoder = MultilingualEncoder()
    rows = [encoder.encode(texts[start : start + batch]) for start in range(0, len(texts), batch)]
    embeddings = np.vstack(rows) if rows else np.zeros((0, 384), np.float32)
    np.save(vectors, embeddings)
    index.write_text(json.dumps(texts), encoding="utf-8")
    return embeddings


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    from benchmarks.nlu import data, norsid

    for split in ("train", "test"):
        texts = [e.text for e in data.load_split(split)]
        print(split, cached_embeddings(f"banking77-{split}", texts, args.cache).shape, flush=True)
    texts = [u.text for u in norsid.load()]
    print("norsid", cached_embeddings("norsid", texts, args.cache).shape, flush=True)


if __name__ == "__main__":
    main()
