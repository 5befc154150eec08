"""Whatever customers type: no exceptions, and findings that are consistent with the text."""

from __future__ import annotations

import random

import pytest

from bot.nlu.entities import StructuredExtractor
from bot.redaction import Redactor
from bot.redaction.kinds import placeholder

# Fragments of real findings, look-alikes, context words and punctuation, glued at random.
# fmt: off
PIECES = [
    "4111 1111 1111 1111", "15038512363", "150385 12363", "8601.11.17947", "NO93 8601 1117 947",
    "ola@example.no", "+47", "912 34 567", "0047", "12345678", "NRD-1042", "nrd", "1042", "kr",
    "NOK", "£", "450", "1 200,50", "call", "account", "ticket", "-", ".", ",", "(", ")", "0",
    "23", "7890", "\u00a0", "æ", "🙂", "@", "+", "kWh", "12.05.2024", "[phone]", "\n",
]
# fmt: on
GLUE = ["", " ", " ", "  "]


def random_messages(count: int, seed: int) -> "list[str]":
    rng = random.Random(seed)
    return [
        "".join(rng.choice(PIECES) + rng.choice(GLUE) for _ in range(rng.randrange(1, 14)))
        for _ in range(count)
    ]


MESSAGES = random_messages(1500, seed=20240512)


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture(scope="module")
def extractor() -> StructuredExtractor:
    return StructuredExtractor()


def test_redacted_text_is_the_original_with_non_overlapping_findings_replaced(redactor):
    for text in MESSAGES:
        findings = redactor.find(text)
        rebuilt, position = [], 0
        for finding in findings:
            assert position <= finding.start < finding.end <= len(text), (text, findings)
            rebuilt += [text[position : finding.start], placeholder(finding.kind)]
            position = finding.end
        rebuilt.append(text[position:])
        assert redactor.redact(text).text == "".join(rebuilt)
        assert redactor.redact(text).kinds == tuple(f.kind for f in findings)


def test_entities_point_into_the_text_and_never_overlap(extractor):
    for text in MESSAGES:
        previous_end = 0
        for entity in extractor.extract(text):
            assert text[entity.start : entity.end] == entity.text, (text, entity)
            assert entity.start >= previous_end, (text, entity)
            previous_end = entity.end
