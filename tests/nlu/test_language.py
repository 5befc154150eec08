"""The language identifier on labelled customer messages and on the training data.

Kept free of app-only imports: the same detector runs in the engine environment
(tests/engine/test_language_detector.py drives it through Rasa).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bot.nlu.language import ENGLISH, NORWEGIAN, detect_language

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).with_name("language_samples.tsv")
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def labelled_samples() -> list[tuple[str | None, str]]:
    samples = []
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            samples.append((None if label == "none" else label, text))
    return samples


def training_examples(path: Path) -> list[str]:
    """The example texts of an NLU data file (the indented "- " lines), annotations removed."""
    return [
        _ANNOTATION.sub(r"\1", line.strip()[2:]).strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("    - ")
    ]


@pytest.mark.parametrize(("expected", "text"), labelled_samples())
def test_labelled_message_gets_its_language(expected: str | None, text: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text",
    ["ok", "0150", "NRD-1042", "10000001", "/affirm", "ola@example.no", "nei", "yes"],
)
def test_short_or_coded_answer_keeps_the_conversation_language(text: str) -> None:
    assert detect_language(text) is None


def test_norwegian_written_without_aeoeaa_is_norwegian() -> None:
    for text in ("nar har dere apent", "naar har dere aapent", "pa kontoen min", "hvor mye skylder jeg"):
        assert detect_language(text) == NORWEGIAN, text


def test_nynorsk_and_dialect_are_answered_in_bokmaal() -> None:
    for text in ("kor mykje skuldar eg", "ka skylde æ", "eg vil opne ei sak", "koffor e rekninga så høg"):
        assert detect_language(text) == NORWEGIAN, text


def test_english_with_a_norwegian_name_is_english() -> None:
    assert detect_language("Hi, this is Bjørn Ødegård, what's my balance?") == ENGLISH


def _verdicts(texts: list[str]) -> Counter[str | None]:
    return Counter(detect_language(text) for text in texts)


def test_english_training_examples_are_never_taken_for_norwegian() -> None:
    texts = training_examples(ROOT / "data" / "nlu.yml") + training_examples(ROOT / "data" / "faq.yml")
    verdicts = _verdicts(texts)
    assert len(texts) > 500
    # data/nlu.yml holds a few Norwegian greetings and answers ("tusen takk", "postnummer
    # 3045"), rightly taken for Norwegian; nothing else may be.
    assert verdicts[NORWEGIAN] / len(texts) <= 0.015, verdicts
    assert verdicts[ENGLISH] / len(texts) >= 0.85, verdicts


@pytest.mark.parametrize("name", ["nlu_nb.yml", "faq_nb.yml"])
def test_norwegian_training_examples_are_never_taken_for_english(name: str) -> None:
    path = ROOT / "data" / name
    if not path.exists():
        pytest.skip(f"data/{name} is not in this checkout")
    texts = training_examples(path)
    verdicts = _verdicts(texts)
    assert verdicts[ENGLISH] / len(texts) <= 0.01, verdicts
    assert verdicts[NORWEGIAN] / len(texts) >= 0.85, verdicts
