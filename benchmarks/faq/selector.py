"""FAQ topic accuracy of response selectors, cross-validated on the assistant's own data/.

    PYTHONPATH=. .venv/engine/bin/python -m benchmarks.faq.selector --folds 5

The retrieval intent `faq` (data/faq.yml, data/faq_nb.yml) is split into stratified folds (by
topic and language). For each fold a Rasa NLU model is trained on all of data/'s NLU examples
except that fold's FAQ examples, with config.yml's tokenizer and featurizers followed by one
selector, and the held-out FAQ examples are parsed: a hit is the held-out example's own topic as
`response_selector.faq.response.intent_response_key`. Every selector sees the same folds.

Selectors: `diet` = Rasa's ResponseSelector as config.yml had it (100 epochs), `linear` =
bot.nlu.rasa_linear_response_selector.LinearResponseSelector. The e5 embedding of a text does
not depend on the training data, so it is computed once per text for all folds and selectors
(an evaluation shortcut only; serving embeds every message). Results: benchmarks/results/faq-selector.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

from benchmarks.nlu.worker import memoize_sentence_embeddings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "faq-selector.json"
FAQ_FILES = {"en": ROOT / "data" / "faq.yml", "nb": ROOT / "data" / "faq_nb.yml"}
OTHER_NLU_FILES = [ROOT / "data" / name for name in ("nlu.yml", "nlu_nb.yml", "out_of_scope.yml")]
RETRIEVAL_INTENT = "faq"
SELECTORS: Dict[str, Dict[str, Any]] = {
    "diet": {"name": "ResponseSelector", "retrieval_intent": "faq", "epochs": 100,
             "constrain_similarities": True, "random_seed": 1},
    "linear": {"name": "bot.nlu.rasa_linear_response_selector.LinearResponseSelector", "retrieval_intent": "faq"},
}
# config.yml's components in front of the selector that produce the features it reads
FEATURIZERS = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "bot.nlu.rasa_multilingual_featurizer.MultilingualE5Featurizer"},
]


def faq_examples() -> List[Tuple[str, str, str]]:
    """(text, intent_response_key, language) of every FAQ example."""
    found = []
    for language, path in FAQ_FILES.items():
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                text = line.strip()[2:].strip() if line.strip().startswith("- ") else ""
                if text:
                    found.append((text, block["intent"], language))
    return found


def stratified_folds(examples: List[Tuple[str, str, str]], folds: int, seed: int) -> List[int]:
    rng = random.Random(seed)
    fold_of = [0] * len(examples)
    groups: Dict[Tuple[str, str], List[int]] = defaultdict(list)
    for index, (_, key, language) in enumerate(examples):
        groups[(key, language)].append(index)
    offset = 0
    for group in sorted(groups):
        members = groups[group]
        rng.shuffle(members)
        for position, index in enumerate(members):
            fold_of[index] = (position + offset) % folds
        offset += len(members)  # spread small groups' remainders over different folds
    return fold_of


def training_yaml(held_out: set) -> str:
    """data/'s NLU (and the FAQ responses) without the held-out FAQ examples."""
    nlu: List[Dict[str, Any]] = []
    responses: Dict[str, Any] = {}
    for path in [*FAQ_FILES.values(), *OTHER_NLU_FILES]:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        responses.update(document.get("responses") or {})
        for block in document.get("nlu") or []:
            if "examples" not in block:
                nlu.append(block)  # regexes, lookups, synonyms
                continue
            kept = [line for line in block["examples"].splitlines()
                    if line.strip() and (block["intent"], line.strip()[2:].strip()) not in held_out]
            if kept:
                nlu.append({**block, "examples": "\n".join(kept) + "\n"})
    return yaml.safe_dump({"version": "3.1", "nlu": nlu, "responses": responses}, allow_unicode=True, sort_keys=False)


async def evaluate(folds: int, seed: int, selectors: List[str]) -> Dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    examples = faq_examples()
    fold_of = stratified_folds(examples, folds, seed)
    hits: Dict[str, Dict[str, List[int]]] = {name: defaultdict(lambda: [0, 0]) for name in selectors}
    train_seconds: Dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory(prefix="faq-selector-") as work:
        work_dir = Path(work)
        for fold in range(folds):
            held = [examples[i] for i in range(len(examples)) if fold_of[i] == fold]
            data = work_dir / f"fold{fold}.yml"
            data.write_text(training_yaml({(key, text) for text, key, _ in held}), encoding="utf-8")
            for name in selectors:
                config = work_dir / f"{name}.yml"
                config.write_text(yaml.safe_dump({"recipe": "default.v1", "language": "en", "assistant_id": "faq-cv",
                                                  "pipeline": [*FEATURIZERS, SELECTORS[name]], "policies": []}))
                start = time.process_time()
                model = train_nlu(str(config), str(data), str(work_dir / "models"), fixed_model_name=f"{name}{fold}")
                train_seconds[name] += time.process_time() - start
                agent = Agent.load(model)
                for text, key, language in held:
                    parsed = await agent.parse_message(text)
                    predicted = (((parsed.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {})
                                 .get("response") or {}).get("intent_response_key")
                    for group in (language, "all"):
                        hits[name][group][0] += int(predicted == key)
                        hits[name][group][1] += 1
                print(f"fold {fold + 1}/{folds} {name}: " + ", ".join(
                    f"{g} {h[0]}/{h[1]}" for g, h in sorted(hits[name].items())), flush=True)
    return {
        "folds": folds, "seed": seed, "examples": len(examples), "load_average": list(os.getloadavg()),
        "selectors": {
            name: {
                **{f"accuracy_{group}": round(h[0] / h[1], 4) for group, h in sorted(hits[name].items())},
                **{f"correct_{group}": f"{h[0]}/{h[1]}" for group, h in sorted(hits[name].items())},
                "train_cpu_seconds_per_fold": round(train_seconds[name] / folds, 1),
                "config": SELECTORS[name],
            }
            for name in selectors
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--selectors", default="linear,diet", help="comma-separated: " + ", ".join(SELECTORS))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    memoize_sentence_embeddings()  # the same text always gets the same vector: once per text
    result = asyncio.run(evaluate(args.folds, args.seed, [s for s in args.selectors.split(",") if s]))
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["selectors"], indent=2))


if __name__ == "__main__":
    main()
