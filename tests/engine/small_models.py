"""A real Rasa NLU model trained on a handful of examples, for tests of our components inside it."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import yaml
from rasa.core.agent import Agent
from rasa.model_training import train_nlu


def train_and_parse(tmp_path: Path, config: str, examples: Dict[str, List[str]], texts: List[str]) -> List[Dict[str, Any]]:
    """Trains an NLU model from `config` (YAML text) on `examples` (intent -> texts) and parses `texts` with it."""
    nlu = {"version": "3.1", "nlu": [{"intent": i, "examples": "".join(f"- {t}\n" for t in intent_texts)}
                                     for i, intent_texts in examples.items()]}
    (tmp_path / "config.yml").write_text(textwrap.dedent(config))
    (tmp_path / "nlu.yml").write_text(yaml.safe_dump(nlu))
    model = train_nlu(config=str(tmp_path / "config.yml"), nlu_data=str(tmp_path / "nlu.yml"),
                      output=str(tmp_path / "models"), fixed_model_name="nlu")
    assert model, "training produced no model"

    async def parse() -> List[Dict[str, Any]]:
        agent = Agent.load(model)
        return [await agent.parse_message(t) for t in texts]

    return asyncio.run(parse())
