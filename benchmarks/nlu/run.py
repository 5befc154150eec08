"""NLU benchmark on BANKING77 (accuracy, macro-F1, training time, throughput, CPU and memory,
unknown intents) and on NorSID (dialectal Norwegian; benchmarks/nlu/norsid.py).

    .venv/engine/bin/python -m benchmarks.nlu.run [--config config.yml]
        [--settings full,few_shot,unknown,norsid,norsid_grouped] [--baseline few_shot,full_estimate]

Every training and every prediction run is a `benchmarks.nlu.worker` process of its own (its peak
memory is its own). Results are merged into benchmarks/results/nlu.json under the config's path,
so runs of different pipelines sit side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from benchmarks.nlu import data, norsid
from benchmarks.nlu.data import REPO, Example
from benchmarks.nlu.pipelines import config_key, project_pipeline, rasa_default_pipeline, write_config

RESULTS = REPO / "benchmarks" / "results" / "nlu.json"
ENGINE_PYTHON = REPO / ".venv" / "engine" / "bin" / "python"
ANCHORS = {
    "full": {"BERT-large fine-tuned": 93.66, "USE+ConveRT": 93.36},
    "few_shot_10": {"USE+ConveRT": 85.19},
    "source": "Casanueva et al. 2020, Efficient Intent Detection with Dual Sentence Encoders (BANKING77)",
}
FEW_SHOT = 10
SEEDS = (1, 2, 3)
UNKNOWN_FRACTION = 0.25
THRESHOLDS = [round(t, 2) for t in np.arange(0.0, 0.96, 0.05)]
# the goal for the fallback threshold
GOAL_CAUGHT, GOAL_MAX_DROP = 80.0, 2.0
# The full-data baseline (DIET, 100 epochs) is too slow to train here; a short run gives its
# per-epoch time, and the estimate scales it to the configured epochs.
ESTIMATE_EPOCHS = 2


def worker(*args: str) -> Dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result = Path(handle.name)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    completed = subprocess.run(
        [str(ENGINE_PYTHON), "-m", "benchmarks.nlu.worker", *args, str(result)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    if completed.returncode:
        raise RuntimeError(f"worker {args[0]} failed:\n{completed.stderr[-3000:]}")
    outcome = json.loads(result.read_text(encoding="utf-8"))
    result.unlink()
    return outcome


def train_and_predict(pipeline, train: Sequence[Example], texts: List[str], workdir: Path, name: str) -> Dict[str, Any]:
    config = write_config(pipeline, workdir / f"{name}.config.yml")
    nlu = data.write_rasa_nlu(train, workdir / f"{name}.nlu.json")
    trained = worker("train", str(config), str(nlu), str(workdir / name))
    texts_file = workdir / f"{name}.texts.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    predicted = worker("predict", trained["model"], str(texts_file))
    return {"train": trained, "predict": predicted}


def train_and_predict_in_one(pipeline, train: Sequence[Example], texts: List[str], workdir: Path, name: str) -> Dict[str, Any]:
    """As train_and_predict, in one worker process (one Rasa start-up: small data sets)."""
    config = write_config(pipeline, workdir / f"{name}.config.yml")
    nlu = data.write_rasa_nlu(train, workdir / f"{name}.nlu.json")
    texts_file = workdir / f"{name}.texts.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    return worker("train_predict", str(config), str(nlu), str(workdir / name), str(texts_file))


def scores(gold: Sequence[str], predicted: Sequence[Optional[str]]) -> Dict[str, float]:
    predicted = [p or "" for p in predicted]
    return {
        "accuracy": round(100 * accuracy_score(gold, predicted), 2),
        "macro_f1": round(100 * f1_score(gold, predicted, average="macro", labels=sorted(set(gold))), 2),
    }


def summary(run: Dict[str, Any], gold: Sequence[str], train_size: int) -> Dict[str, Any]:
    predictions = run["predict"]["predictions"]
    return {
        "train_examples": train_size,
        "test_examples": len(gold),
        **scores(gold, [p["intent"] for p in predictions]),
        # what the assistant would act on: the FallbackClassifier's nlu_fallback counts as wrong
        "pipeline_accuracy_with_fallback": round(100 * np.mean([p["pipeline_intent"] == g for p, g in zip(predictions, gold)]), 2),
        "train_seconds": run["train"]["train_seconds"],
        "train_cpu_seconds": run["train"]["train_cpu_seconds"],
        "train_peak_rss_mb": run["train"]["peak_rss_mb"],
        "messages_per_second": run["predict"]["messages_per_second"],
        "cpu_ms_per_message": run["predict"]["cpu_ms_per_message"],
        "component_cpu_ms_per_message": run["predict"]["component_cpu_ms_per_message"],
        "model_load_seconds": run["predict"]["load_seconds"],
        "serve_peak_rss_mb": run["predict"]["peak_rss_mb"],
    }


def evaluate(pipeline, train: Sequence[Example], test: Sequence[Example], workdir: Path, name: str) -> Dict[str, Any]:
    print(f"[{time.strftime('%H:%M:%S')}] {name}: training on {len(train)}, predicting {len(test)}", flush=True)
    run = train_and_predict(pipeline, train, [e.text for e in test], workdir, name)
    result = summary(run, [e.intent for e in test], len(train))
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {json.dumps(result)}", flush=True)
    return result


def subsample_test(test: Sequence[Example], per_intent: Optional[int], seed: int) -> List[Example]:
    if not per_intent:
        return list(test)
    return data.sample_per_intent(test, per_intent, seed)


def unknown_intent_curve(pipeline, train, test, workdir: Path, seeds: Sequence[int], save) -> Dict[str, Any]:
    """Per split: a quarter of the intents never trained on; for each threshold, the share of
    their test messages whose top confidence falls below it (caught) and the known-intent
    accuracy counting a below-threshold answer as a miss."""
    splits: List[Dict[str, Any]] = []
    result: Dict[str, Any] = {
        "held_out_fraction": UNKNOWN_FRACTION,
        "test_examples": len(test),
        "goal": f">= {GOAL_CAUGHT:g} % unknown caught at <= {GOAL_MAX_DROP:g} pt known-accuracy drop",
        "splits": splits,
    }
    for seed in seeds:
        known, unknown = data.hold_out_intents(data.load_intents(), UNKNOWN_FRACTION, seed)
        known_set = set(known)
        name = f"unknown_seed{seed}"
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {len(unknown)} intents held out", flush=True)
        run = train_and_predict(pipeline, [e for e in train if e.intent in known_set], [e.text for e in test], workdir, name)
        predictions = run["predict"]["predictions"]
        is_known = np.array([e.intent in known_set for e in test])
        correct = np.array([p["intent"] == e.intent for p, e in zip(predictions, test)])
        confidence = np.array([p["confidence"] for p in predictions])
        base = 100 * correct[is_known].mean()
        points = []
        for threshold in THRESHOLDS:
            accepted = confidence >= threshold
            accuracy = 100 * (correct & accepted)[is_known].mean()
            points.append({
                "threshold": threshold,
                "unknown_caught": round(100 * (~accepted)[~is_known].mean(), 1),
                "known_accuracy": round(accuracy, 2),
                "known_accuracy_drop": round(base - accuracy, 2),
            })
        splits.append({"seed": seed, "unknown_intents": unknown, "known_accuracy_no_threshold": round(base, 2),
                       "train_seconds": run["train"]["train_seconds"], "curve": points})
        print(f"[{time.strftime('%H:%M:%S')}] {name}: base {base:.2f} " + " ".join(
            f"{p['threshold']}:{p['unknown_caught']}/{p['known_accuracy_drop']}" for p in points), flush=True)
        mean_curve = [
            {key: round(float(np.mean([s["curve"][i][key] for s in splits])), 2) for key in splits[0]["curve"][i]}
            for i in range(len(THRESHOLDS))
        ]
        result["mean_curve"] = mean_curve
        result["thresholds_meeting_goal"] = [
            p["threshold"] for p in mean_curve if p["unknown_caught"] >= GOAL_CAUGHT and p["known_accuracy_drop"] <= GOAL_MAX_DROP
        ]
        result["recommended"] = recommend_threshold(mean_curve)
        save(result)  # a split at a time: each takes minutes
    return result


def recommend_threshold(mean_curve: List[Dict[str, float]]) -> Dict[str, Any]:
    """The FallbackClassifier threshold the curve argues for: the one catching the most unknown
    requests while known-intent accuracy drops by at most GOAL_MAX_DROP points (the goal's
    accuracy side, which a wrong refusal costs every customer); ties go to the lower threshold."""
    allowed = [p for p in mean_curve if p["known_accuracy_drop"] <= GOAL_MAX_DROP]
    best = max(allowed, key=lambda p: (p["unknown_caught"], -p["threshold"]))
    return {
        "rule": f"most unknown caught with known-accuracy drop <= {GOAL_MAX_DROP:g} points (mean of the splits)",
        **best,
        "meets_goal": best["unknown_caught"] >= GOAL_CAUGHT,
    }


def full_baseline_estimate(train, workdir: Path) -> Dict[str, Any]:
    """Trains Rasa's default pipeline for ESTIMATE_EPOCHS epochs on the full data and scales."""
    pipeline = rasa_default_pipeline()
    epochs = {c["name"]: c.get("epochs", 100) for c in pipeline if c["name"] in ("DIETClassifier", "ResponseSelector")}
    for component in pipeline:
        if component["name"] in epochs:
            component["epochs"] = ESTIMATE_EPOCHS
    print(f"[{time.strftime('%H:%M:%S')}] baseline full: {ESTIMATE_EPOCHS}-epoch timing run", flush=True)
    config = write_config(pipeline, workdir / "baseline_full_estimate.config.yml")
    nlu = data.write_rasa_nlu(train, workdir / "baseline_full_estimate.nlu.json")
    trained = worker("train", str(config), str(nlu), str(workdir / "baseline_full_estimate"))
    per_epoch_upper = trained["train_seconds"] / ESTIMATE_EPOCHS
    diet_epochs = epochs["DIETClassifier"]
    return {
        "status": "not run",
        "why": f"DIET's {diet_epochs} epochs on {len(train)} examples do not fit this machine's time budget",
        "timing_run": {"epochs": ESTIMATE_EPOCHS, **trained},
        "seconds_per_epoch_upper_bound": round(per_epoch_upper, 1),
        "estimated_train_hours": round(per_epoch_upper * diet_epochs / 3600, 1),
        "estimate_method": f"timing run's whole training time (featurization included) / {ESTIMATE_EPOCHS} x {diet_epochs} epochs",
    }


def run_norsid(pipeline, settings, run: Dict[str, Any], workdir: Path, save) -> None:
    utterances = norsid.load()
    block = run.setdefault("norsid", {})
    block.update({"dataset": {"file": "../shared/benchmarks/norsid/dev.json", "utterances": len(utterances),
                              "intents": len({u.intent for u in utterances})},
                  "anchors": norsid.ANCHORS})

    def train_predict(train, texts, name):
        return train_and_predict_in_one(pipeline, train, texts, workdir, name)

    if "norsid_dialects" in settings:
        block["bokmaal_to_dialects"] = norsid.bokmaal_to_dialects(utterances, train_predict)
        save()
    variants = [grouped for grouped, key in ((False, "norsid_cv"), (True, "norsid_grouped")) if key in settings]
    if not variants:
        return
    # all folds in one worker: one Rasa start-up, each sentence embedded once
    specs = {grouped: norsid.cv_folds(utterances, grouped) for grouped in variants}
    every = [spec for grouped in variants for spec in specs[grouped]]
    print(f"[{time.strftime('%H:%M:%S')}] norsid cross-validation: {len(every)} folds", flush=True)
    config = write_config(pipeline, workdir / "norsid_cv.config.yml")
    folds_file = workdir / "norsid_cv.folds.json"
    folds_file.write_text(json.dumps(every), encoding="utf-8")
    runs = worker("folds", str(config), str(folds_file), str(workdir / "norsid_cv"))["folds"]
    for grouped in variants:
        key = "cv_grouped" if grouped else "cv"
        names = {spec["name"] for spec in specs[grouped]}
        mine = [run for run in runs if run["name"] in names]
        block[key] = norsid.cv_result(utterances, grouped, specs[grouped], mine)
        print(f"[{time.strftime('%H:%M:%S')}] norsid {key}: {json.dumps(block[key])}", flush=True)
    save()


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--settings", default="full,few_shot,unknown,oos,norsid_dialects,norsid_cv,norsid_grouped",
                        help="of full, few_shot, unknown (BANKING77); oos (benchmarks/nlu/oos.py: results/nlu-oos.json); "
                             "norsid_dialects (Bokmål -> dialects), "
                             "norsid_cv (stratified 5-fold), norsid_grouped (5-fold, a sentence's versions in one fold)")
    parser.add_argument("--baseline", default="few_shot,full_estimate", help="of few_shot, full_estimate; '' for none")
    parser.add_argument("--unknown-test-per-intent", type=int, default=None,
                        help="test messages per intent for the unknown-intent curve (default: all 40)")
    parser.add_argument("--unknown-seeds", default=",".join(map(str, SEEDS)))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    settings = {s for s in args.settings.split(",") if s}
    baseline = {s for s in args.baseline.split(",") if s}

    train, test = data.load_split("train"), data.load_split("test")
    key = config_key(args.config)
    pipeline = project_pipeline(args.config)
    few_shot_train = data.sample_per_intent(train, FEW_SHOT, seed=1)

    results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    results.update({
        "dataset": {"name": "BANKING77", "train": len(train), "test": len(test), "intents": len(data.load_intents())},
        "anchors": ANCHORS,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "note": "shared 2-core machine, jobs niced; timings are wall-clock"},
    })
    run = results.setdefault("pipelines", {}).setdefault(key, {})
    run["pipeline"] = pipeline
    run["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
        workdir = Path(tmp)
        if "full" in settings:
            run["full"] = evaluate(pipeline, train, test, workdir, "full")
            save()
        if "few_shot" in settings:
            run["few_shot_10"] = evaluate(pipeline, few_shot_train, test, workdir, "few_shot")
            save()
        if "unknown" in settings:
            curve_test = subsample_test(test, args.unknown_test_per_intent, seed=1)
            seeds = [int(s) for s in args.unknown_seeds.split(",")]

            def save_curve(curve: Dict[str, Any]) -> None:
                run["unknown_intent"] = curve
                save()

            unknown_intent_curve(pipeline, train, curve_test, workdir, seeds, save_curve)
        if "oos" in settings:
            from benchmarks.nlu import oos

            oos.run(args.config, ["assistant", "banking"], workdir, [int(s) for s in args.unknown_seeds.split(",")],
                    args.unknown_test_per_intent)
        if settings & {"norsid_dialects", "norsid_cv", "norsid_grouped"}:
            run_norsid(pipeline, settings, run, workdir, save)
        rasa_baseline = results.setdefault("rasa_default_baseline", {"pipeline": rasa_default_pipeline()})
        if "few_shot" in baseline:
            rasa_baseline["few_shot_10"] = evaluate(rasa_default_pipeline(), few_shot_train, test, workdir, "baseline_few_shot")
            save()
        if "full_estimate" in baseline:
            rasa_baseline["full"] = full_baseline_estimate(train, workdir)
            save()
    save()
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
