"""Time per message for the redactor and the entity extractor (a benchmark, not a test).

    cd /work/main && .venv/app/bin/python tests/redaction/bench_redactor.py
"""

from __future__ import annotations

import random
import re
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.nlu.entities import StructuredExtractor  # noqa: E402
from bot.redaction import Redactor  # noqa: E402

MESSAGES = {
    "short, nothing to find": "Hi, my internet has been down since this morning.",
    "short, one card": "my card is 4111 1111 1111 1111",
    "typical, mixed": (
        "Refund 450 kr to account 1234 5678, ticket NRD-1042, call +47 912 34 567 or mail ola@example.no"
    ),
    "long (~1 kB)": "I called yesterday about the invoice of 1 200 kr for account 12345678. " * 14,
}


def variants(text: str, count: int) -> "list[str]":
    """Copies with fresh random digits, so spaCy's tokenizer cache does not flatter the numbers."""
    rng = random.Random(42)
    return [re.sub(r"\d", lambda _: str(rng.randrange(10)), text) for _ in range(count)]


def per_call_microseconds(function, texts: "list[str]", repeat: int = 5) -> float:
    def run() -> None:
        for text in texts:
            function(text)

    # CPU time of this process: on a shared machine wall time mostly measures the neighbours
    return min(timeit.repeat(run, repeat=repeat, number=1, timer=time.process_time)) / len(texts) * 1e6


def main() -> None:
    redactor = Redactor()
    extractor = StructuredExtractor()
    print(f"{'message (CPU µs per call)':26} {'chars':>5} {'redact':>8} {'extract':>8}")
    for name, text in MESSAGES.items():
        texts = variants(text, 1000)
        redact = per_call_microseconds(redactor.redact, texts)
        extract = per_call_microseconds(extractor.extract, texts)
        print(f"{name:26} {len(text):5d} {redact:8.0f} {extract:8.0f}")


if __name__ == "__main__":
    main()
