"""Out-of-scope benchmark: does the pipeline refuse what it does not know, and keep what it does?

    .venv/engine/bin/python -m benchmarks.nlu.oos [--config config.yml] [--parts banking,assistant]
    (or `make bench-nlu`, setting `oos`)

Two settings, both with the committed pipeline (its OutOfScopeDetector and FallbackClassifier):

- banking: BANKING77 with a quarter of the intents never trained on (3 seeded splits, the same
  as the `unknown` setting of benchmarks.nlu.run): unknown-intent messages caught (out_of_scope
  or nlu_fallback) against known-intent accuracy (a refusal counts as a miss).
- assistant: our own data/. A fixed fifth of every intent's examples per language (seed 1) is
  held out and never trained on (in-domain test); the out-of-domain test is
  benchmarks/nlu/oos_test.yml (written for this benchmark, never trained on), BANKING77 queries
  from purely banking intents (another industry's customer service), and NorSID's Norwegian
  dialect assistant requests (alarms, music, weather) when ../shared has them.

The detector's p-value and the classifier's confidences come back per message, so the curves
sweep the detector's alpha and the FallbackClassifier's threshold without retraining; the
configured pair is checked against what the pipeline itself answered.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import yaml

from benchmarks.nlu import data
from benchmarks.nlu.data import REPO, Example
from benchmarks.nlu.pipelines import project_pipeline, write_config

RESULTS = REPO / "benchmarks" / "results" / "nlu-oos.json"
ENGINE_PYTHON = REPO / ".venv" / "engine" / "bin" / "python"
OOD_TEST_FILE = REPO / "benchmarks" / "nlu" / "oos_test.yml"
NORSID = Path(os.environ.get("NORSID_DIR", REPO.parent / "shared" / "benchmarks" / "norsid")) / "dev.json"
DETECTOR = "bot.nlu.rasa_oos_detector.OutOfScopeDetector"
OUT_OF_SCOPE, FALLBACK = "out_of_scope", "nlu_fallback"
REFUSALS = {OUT_OF_SCOPE, FALLBACK}

ALPHAS = [0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3]
THRESHOLDS = [round(t, 2) for t in np.arange(0.0, 0.96, 0.05)]
SEEDS = (1, 2, 3)
UNKNOWN_FRACTION = 0.25
BANKING_GOAL = {"unknown_caught": 80.0, "max_known_accuracy_drop": 2.0}
ASSISTANT_GOAL = {"ood_caught": 90.0, "in_domain_correct": 95.0}
HELD_OUT_FRACTION = 0.2
# BANKING77 intents no electricity, broadband or insurance firm would answer (cards, ATMs,
# currencies, bank transfers); payment-and-bill wordings that could be ours are left out (also
# visa_or_mastercard and top_up_by_bank_transfer_charge: "can I pay by Visa / bank transfer" is
# our FAQ).
BANKING_ONLY_INTENTS = [
    "activate_my_card", "atm_support", "card_about_to_expire", "card_arrival", "card_delivery_estimate",
    "card_linking", "card_swallowed", "cash_withdrawal_charge", "change_pin", "compromised_card",
    "country_support", "declined_cash_withdrawal", "exchange_rate", "exchange_via_app", "fiat_currency_support",
    "get_physical_card", "getting_spare_card", "lost_or_stolen_card", "order_physical_card", "pin_blocked",
    "virtual_card_not_working", "disposable_card_limits", "beneficiary_not_allowed",
]
BANKING_PER_INTENT = 4
NORSID_SAMPLE = 200


# -- running Rasa in worker processes ----------------------------------------------------------

def _worker(module: str, *args: str) -> Dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result = Path(handle.name)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    completed = subprocess.run([str(ENGINE_PYTHON), "-m", module, *args, str(result)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if completed.returncode:
        raise RuntimeError(f"{module} {args[:1]} failed:\n{completed.stderr[-3000:]}")
    outcome = json.loads(result.read_text(encoding="utf-8"))
    result.unlink()
    return outcome


def train_and_predict(pipeline, train: Sequence[Example], texts: List[str], workdir: Path, name: str,
                      cache: Optional[Path] = None) -> Dict[str, Any]:
    """Trains on `train` and parses `texts`; with `cache`, a finished run is kept there (keyed by
    the pipeline, training data and texts) and reused. The detector's alpha is left out of the
    key: it changes neither the model nor the p-values, only the verdict, which the curves replay
    (each run records the settings it was made with, for the replay check)."""
    keyed = [{k: v for k, v in c.items() if not (c["name"] == DETECTOR and k == "alpha")} for c in pipeline]
    key = hashlib.sha256(json.dumps([keyed, [(e.text, e.intent) for e in train], texts]).encode()).hexdigest()[:16]
    cached = cache / f"{name}-{key}.json" if cache else None
    if cached and cached.exists():
        log(f"{name}: cached run {cached}")
        return json.loads(cached.read_text(encoding="utf-8"))
    outcome = {**_train_and_predict(pipeline, train, texts, workdir, name), "run_settings": settings_of(pipeline)}
    if cached:
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(outcome), encoding="utf-8")
    return outcome


def _train_and_predict(pipeline, train: Sequence[Example], texts: List[str], workdir: Path, name: str) -> Dict[str, Any]:
    config = write_config(pipeline, workdir / f"{name}.config.yml")
    nlu = data.write_rasa_nlu(train, workdir / f"{name}.nlu.json")
    log(f"{name}: training on {len(train)}, predicting {len(texts)}")
    trained = _worker("benchmarks.nlu.worker", "train", str(config), str(nlu), str(workdir / name))
    texts_file = workdir / f"{name}.texts.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    predicted = _worker("benchmarks.nlu.oos_worker", trained["model"], str(texts_file))
    return {"train": trained, "predict": predicted}


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] oos {text}", flush=True)


# -- the pipeline's decision, replayed for other thresholds ----------------------------------

def settings_of(pipeline) -> Dict[str, float]:
    """alpha of the detector, threshold and ambiguity threshold of the FallbackClassifier."""
    detector = next((c for c in pipeline if c["name"] == DETECTOR), None)
    fallback = next((c for c in pipeline if c["name"] == "FallbackClassifier"), None)
    if detector is None:
        raise SystemExit(f"the pipeline has no {DETECTOR}: nothing to measure")
    return {
        "alpha": float(detector.get("alpha", 0.02)),
        "threshold": float(fallback.get("threshold", 0.3)) if fallback else 0.0,
        "ambiguity_threshold": float(fallback.get("ambiguity_threshold", 0.1)) if fallback else 0.0,
    }


def decide(p: Dict[str, Any], alpha: float, threshold: float, ambiguity: float) -> str:
    """What the pipeline answers: FallbackClassifier first, then the detector (which leaves the
    classifier's own out_of_scope alone)."""
    unsure = p["confidence"] < threshold or p["confidence"] - p["second_confidence"] < ambiguity
    label = FALLBACK if unsure else p["intent"]
    if p["p_value"] is not None and p["p_value"] <= alpha and p["intent"] != OUT_OF_SCOPE:
        label = OUT_OF_SCOPE
    return label


def replay_check(predictions, settings) -> int:
    """Messages where the replay of the run's own settings disagrees with what the pipeline
    answered (0: the curves' other points replay the pipeline faithfully)."""
    return sum(decide(p, settings["alpha"], settings["threshold"], settings["ambiguity_threshold"]) != p["pipeline_intent"]
               for p in predictions)


# -- BANKING77: unknown intents --------------------------------------------------------------

def banking_point(predictions, test, known: set, alpha: float, threshold: float, ambiguity: float, base: float):
    labels = [decide(p, alpha, threshold, ambiguity) for p in predictions]
    is_known = np.array([e.intent in known for e in test])
    caught = np.array([label in REFUSALS for label in labels])
    correct = np.array([label == e.intent for label, e in zip(labels, test)])
    accuracy = 100 * correct[is_known].mean()
    return {"alpha": alpha, "threshold": threshold, "unknown_caught": round(100 * caught[~is_known].mean(), 2),
            "known_accuracy": round(accuracy, 2), "known_accuracy_drop": round(base - accuracy, 2)}


def banking(pipeline, workdir: Path, seeds: Sequence[int], per_intent: Optional[int], save,
            cache: Optional[Path] = None) -> Dict[str, Any]:
    settings = settings_of(pipeline)
    ambiguity = settings["ambiguity_threshold"]
    train, test = data.load_split("train"), data.load_split("test")
    if per_intent:
        test = data.sample_per_intent(test, per_intent, seed=1)
    result: Dict[str, Any] = {
        "setting": f"BANKING77, {UNKNOWN_FRACTION:.0%} of the intents never trained on, {len(seeds)} seeded splits",
        "goal": f">= {BANKING_GOAL['unknown_caught']:g} % unknown caught at <= {BANKING_GOAL['max_known_accuracy_drop']:g} pt known-accuracy drop",
        "configured": settings, "test_examples": len(test), "splits": [],
    }
    grid = [(a, t) for a in ALPHAS for t in THRESHOLDS]
    for seed in seeds:
        known, unknown = data.hold_out_intents(data.load_intents(), UNKNOWN_FRACTION, seed)
        known_set = set(known)
        run = train_and_predict(pipeline, [e for e in train if e.intent in known_set], [e.text for e in test],
                                workdir, f"banking_seed{seed}", cache)
        predictions = run["predict"]["predictions"]
        base = 100 * np.mean([p["intent"] == e.intent for p, e in zip(predictions, test) if e.intent in known_set])
        points = [banking_point(predictions, test, known_set, a, t, ambiguity, base) for a, t in grid]
        result["splits"].append({
            "seed": seed, "unknown_intents": unknown, "known_accuracy_no_refusal": round(base, 2),
            "train_seconds": run["train"]["train_seconds"], "messages_per_second": run["predict"]["messages_per_second"],
            "detector_cpu_ms_per_message": run["predict"]["detector_cpu_ms_per_message"],
            "run_settings": run["run_settings"], "replay_disagreements": replay_check(predictions, run["run_settings"]),
            "grid": points,
        })
        summarise_banking(result, settings)
        log(f"banking seed {seed}: configured {json.dumps(result['operating_point'])}")
        save(result)
    return result


def summarise_banking(result: Dict[str, Any], settings: Dict[str, float]) -> None:
    splits = result["splits"]
    # alpha and threshold are the grid's own values: averaged metrics only (rounding 0.005 would move it)
    mean = [{k: (v if k in ("alpha", "threshold") else round(float(np.mean([s["grid"][i][k] for s in splits])), 2))
             for k, v in splits[0]["grid"][i].items()} for i in range(len(splits[0]["grid"]))]
    budget = BANKING_GOAL["max_known_accuracy_drop"]

    def at(alpha: float, threshold: float) -> Dict[str, float]:
        return next(p for p in mean if p["alpha"] == alpha and p["threshold"] == threshold)

    def best(points) -> Optional[Dict[str, float]]:
        allowed = [p for p in points if p["known_accuracy_drop"] <= budget]
        return max(allowed, key=lambda p: (p["unknown_caught"], -p["known_accuracy_drop"])) if allowed else None

    threshold = settings["threshold"]
    result["detector_curve"] = [at(a, threshold) for a in ALPHAS]  # alpha swept, fallback as configured
    result["fallback_only_curve"] = [at(0.0, t) for t in THRESHOLDS]  # no detector, threshold swept
    result["best_fallback_only"] = best(result["fallback_only_curve"])
    result["best_combined"] = best(mean)
    point = at(settings["alpha"], threshold)
    result["operating_point"] = {**point, "meets_goal": point["unknown_caught"] >= BANKING_GOAL["unknown_caught"]
                                 and point["known_accuracy_drop"] <= budget}
    result["mean_grid"] = mean


# -- the assistant's own domain --------------------------------------------------------------

def assistant_examples() -> Dict[str, List[Tuple[str, str]]]:
    """Every NLU example in data/ as (text, intent), by language: *_nb.yml files are Norwegian,
    out_of_scope examples (either language) are training-only."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    found: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
    for path in sorted((REPO / "data").glob("*.yml")):
        if not RasaYAMLReader.is_yaml_nlu_file(path):
            continue  # rules and stories
        language = "nb" if path.stem.endswith("_nb") else "en"
        for example in load_data(str(path)).intent_examples:
            intent = example.get(INTENT)
            found["train_only" if intent == OUT_OF_SCOPE else language].append((example.get(TEXT), intent))
    return found


def split_in_domain(examples: Sequence[Tuple[str, str]], seed: int = 1) -> Tuple[List[Example], List[Example]]:
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for text, intent in examples:
        by_intent[intent].append(text)
    train, test = [], []
    rng = random.Random(seed)
    for intent in sorted(by_intent):
        texts = sorted(set(by_intent[intent]))
        rng.shuffle(texts)
        held = round(len(texts) * HELD_OUT_FRACTION) if len(texts) >= 3 else 0
        test += [Example(t, intent) for t in texts[:held]]
        train += [Example(t, intent) for t in texts[held:]]
    return train, test


def out_of_domain_sets() -> Dict[str, Dict[str, List[str]]]:
    """language -> source -> texts."""
    written = yaml.safe_load(OOD_TEST_FILE.read_text(encoding="utf-8"))
    sets: Dict[str, Dict[str, List[str]]] = {"en": {}, "nb": {}}
    for language, categories in written.items():
        for category, texts in categories.items():
            sets[language][category] = list(texts)
    banking = [e for e in data.load_split("test") if e.intent in BANKING_ONLY_INTENTS]
    sets["en"]["banking77_other_industry"] = [e.text for e in data.sample_per_intent(banking, BANKING_PER_INTENT, seed=1)]
    if NORSID.exists():
        norsid = json.loads(NORSID.read_text(encoding="utf-8"))
        sets["nb"]["norsid_dialect_assistant"] = [u["text"] for u in random.Random(1).sample(norsid, min(NORSID_SAMPLE, len(norsid)))]
    return sets


def assistant(pipeline, workdir: Path, save, cache: Optional[Path] = None) -> Dict[str, Any]:
    settings = settings_of(pipeline)
    # intent detection only: the FAQ's response selection needs responses the benchmark has no use for
    pipeline = [c for c in pipeline if c["name"] != "ResponseSelector"]
    examples = assistant_examples()
    languages = [lang for lang in ("en", "nb") if examples.get(lang)]
    train: List[Example] = [Example(t, i) for t, i in examples.get("train_only", [])]
    in_domain: Dict[str, List[Example]] = {}
    for language in languages:
        kept, held = split_in_domain(examples[language])
        train += kept
        in_domain[language] = held
    ood = out_of_domain_sets()
    texts: List[str] = []
    index: List[Tuple[str, str, str]] = []  # (language, "in_domain" or source, gold intent)
    for language in languages:
        texts += [e.text for e in in_domain[language]]
        index += [(language, "in_domain", e.intent) for e in in_domain[language]]
    for language, sources in ood.items():
        for source, source_texts in sources.items():
            texts += source_texts
            index += [(language, source, OUT_OF_SCOPE)] * len(source_texts)
    run = train_and_predict(pipeline, train, texts, workdir, "assistant", cache)
    predictions = run["predict"]["predictions"]

    def point(language: str, alpha: float, threshold: float) -> Dict[str, Any]:
        labels = [(decide(p, alpha, threshold, settings["ambiguity_threshold"]), i) for p, i in zip(predictions, index) if i[0] == language]
        in_dom = [label == gold for label, (_, source, gold) in labels if source == "in_domain"]
        by_source: Dict[str, List[str]] = defaultdict(list)
        for label, (_, source, _) in labels:
            if source != "in_domain":
                by_source[source].append(label)
        everything = [label for source in by_source.values() for label in source]
        return {
            "alpha": alpha, "threshold": threshold,
            "in_domain_correct": round(100 * float(np.mean(in_dom)), 2) if in_dom else None,
            "ood_out_of_scope": round(100 * float(np.mean([x == OUT_OF_SCOPE for x in everything])), 2) if everything else None,
            "ood_caught": round(100 * float(np.mean([x in REFUSALS for x in everything])), 2) if everything else None,
            "ood_caught_by_source": {s: round(100 * float(np.mean([x in REFUSALS for x in v])), 1) for s, v in by_source.items()},
        }

    result: Dict[str, Any] = {
        "setting": "data/: a fixed fifth of each intent's examples per language held out (seed 1) vs out-of-domain sets",
        "goal": f">= {ASSISTANT_GOAL['ood_caught']:g} % out-of-domain refused with >= {ASSISTANT_GOAL['in_domain_correct']:g} % in-domain correct, per language",
        "configured": settings,
        "train_examples": len(train),
        "train_out_of_scope_examples": len(examples.get("train_only", [])),
        "train_seconds": run["train"]["train_seconds"],
        "messages_per_second": run["predict"]["messages_per_second"],
        "pipeline_cpu_ms_per_message": run["predict"]["pipeline_cpu_ms_per_message"],
        "detector_cpu_ms_per_message": run["predict"]["detector_cpu_ms_per_message"],
        "run_settings": run["run_settings"],
        "replay_disagreements": replay_check(predictions, run["run_settings"]),
        "languages": {},
    }
    for language in ("en", "nb"):
        sources = {s: len(t) for s, t in ood[language].items()}
        if not sources and language not in in_domain:
            continue
        op = point(language, settings["alpha"], settings["threshold"])
        meets = (op["in_domain_correct"] is not None and op["ood_caught"] is not None
                 and op["in_domain_correct"] >= ASSISTANT_GOAL["in_domain_correct"] and op["ood_caught"] >= ASSISTANT_GOAL["ood_caught"])
        result["languages"][language] = {
            "in_domain_test_examples": len(in_domain.get(language, [])),
            "ood_test_examples": sources,
            "operating_point": {**op, "meets_goal": meets},
            "detector_curve": [point(language, a, settings["threshold"]) for a in ALPHAS],
            "fallback_only_curve": [point(language, 0.0, t) for t in THRESHOLDS],
            "misses_at_operating_point": misses(predictions, index, language, settings),
        }
    log(f"assistant: {json.dumps({k: v['operating_point'] for k, v in result['languages'].items()})}")
    save(result)
    return result


def misses(predictions, index, language: str, settings, limit: int = 40) -> Dict[str, List[List[str]]]:
    """Examples of what went wrong at the operating point, for reading (text is not stored: only
    the gold and predicted labels and the source)."""
    wrong_in, missed_ood = [], []
    for p, (lang, source, gold) in zip(predictions, index):
        if lang != language:
            continue
        label = decide(p, settings["alpha"], settings["threshold"], settings["ambiguity_threshold"])
        if source == "in_domain" and label != gold:
            wrong_in.append([gold, label])
        elif source != "in_domain" and label not in REFUSALS:
            missed_ood.append([source, label])
    return {"in_domain_wrong": wrong_in[:limit], "ood_missed": missed_ood[:limit]}


# -- entry point -----------------------------------------------------------------------------

def run(config: Path, parts: Sequence[str], workdir: Path, seeds: Sequence[int] = SEEDS,
        per_intent: Optional[int] = None, out: Path = RESULTS, cache: Optional[Path] = None) -> Dict[str, Any]:
    pipeline = project_pipeline(config)
    config_key = str(config.resolve().relative_to(REPO)) if config.resolve().is_relative_to(REPO) else str(config)
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    entry = results.setdefault(config_key, {})
    entry["pipeline"] = pipeline
    entry["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def saver(part: str):
        def save(result: Dict[str, Any]) -> None:
            entry[part] = result
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        return save

    if "assistant" in parts:
        assistant(pipeline, workdir, saver("assistant"), cache)
    if "banking" in parts:
        banking(pipeline, workdir, seeds, per_intent, saver("banking"), cache)
    return entry


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--parts", default="assistant,banking", help="of assistant, banking")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    parser.add_argument("--test-per-intent", type=int, default=None, help="BANKING77 test messages per intent (default: all 40)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--cache", type=Path, default=None, help="keep finished training+prediction runs here and reuse them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-oos-") as tmp:
        run(args.config, [p for p in args.parts.split(",") if p], Path(tmp), [int(s) for s in args.seeds.split(",")],
            args.test_per_intent, args.out, args.cache)
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
