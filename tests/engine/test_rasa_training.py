"""A real Rasa NLU model with the component trains and parses (engine environment)."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("rasa")

from rasa.core.agent import Agent  # noqa: E402
from rasa.model_training import train_nlu  # noqa: E402

CONFIG = """
recipe: default.v1
language: en
assistant_id: structured_entity_test
pipeline:
  - name: WhitespaceTokenizer
  - name: KeywordIntentClassifier
  - name: bot.nlu.rasa_extractor.StructuredEntityExtractor
policies: []
"""

NLU = """
version: "3.1"
nlu:
  - intent: ticket_status
    examples: |
      - status of my ticket
      - where is my case
  - intent: refund
    examples: |
      - refund
      - I want my money back
"""


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Agent:
    workdir: Path = tmp_path_factory.mktemp("rasa")
    (workdir / "config.yml").write_text(textwrap.dedent(CONFIG))
    (workdir / "nlu.yml").write_text(textwrap.dedent(NLU))
    model = train_nlu(
        config=str(workdir / "config.yml"),
        nlu_data=str(workdir / "nlu.yml"),
        output=str(workdir / "models"),
        fixed_model_name="nlu",
    )
    assert model, "training produced no model"
    return Agent.load(model)


def test_trained_model_parses_structured_entities(agent):
    text = "refund 450 kr to account 1234 5678 for ticket nrd-1042"
    parsed = asyncio.run(agent.parse_message(text))

    assert parsed["intent"]["name"] == "refund"
    ours = [
        (e["entity"], e["value"], text[e["start"] : e["end"]])
        for e in parsed["entities"]
        if e["extractor"] == "StructuredEntityExtractor"
    ]
    assert ours == [
        ("amount", "450.00 NOK", "450 kr"),
        ("account_number", "12345678", "1234 5678"),
        ("ticket_ref", "NRD-1042", "nrd-1042"),
    ]
