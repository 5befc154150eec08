"""Rasa CPU per turn of several models, interleaved in one run: the CPU budget of issue 11.

    .venv/app/bin/python -m benchmarks.serve.compare_models --rounds 3 \
        minilm=models/minilm.tar.gz e5=models/assistant.tar.gz \
        minilm-before=models/minilm.tar.gz@OPENBLAS_NUM_THREADS=2,TF_INTRA_OP_PARALLELISM_THREADS=0

Each round runs the serving benchmark once per model, in the order given (`--levels 1,4
--duration 20 --handoffs 0 --connections 0` unless BENCH_ARGS say otherwise), so every model
sees the machine in the same state, round after round. Every run writes its own
results/serve-nlu-<name>-r<round>.json; the summary (results/serve-nlu-cpu.json) has, per run,
Rasa's CPU ms per turn on both paths at each level, their mean, the load averages, and each
model's ratio to the first model of the same round (the baseline), then the mean over rounds.
A model may carry environment variables for its whole stack after `@` (`VAR=value,VAR=value`):
e.g. the serving threads as they were before `bot/engine/speedups.py` set them (an operator's
own values win there), to compare with the system as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.serve.options import RESULTS_DIR, ROOT

DEFAULT_BENCH_ARGS = ["--levels", "1,4", "--duration", "20", "--handoffs", "0", "--connections", "0"]


def rasa_cpu(result: dict[str, Any]) -> dict[str, float]:
    """{"direct 1": ms, "gateway 1": ms, ...}: Rasa's CPU ms per turn of each level and path."""
    found = {}
    for level in result["turns"]:
        for path in ("direct", "gateway"):
            found[f"{path} {level['concurrency']}"] = level[path]["cpu_ms_per_turn"]["rasa"]
    return found


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    baseline = runs[0]["model"] if runs else None
    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["model"]] = run["mean_ms"]
    for run in runs:
        base = by_round[run["round"]].get(baseline)
        run["ratio_to_baseline"] = round(run["mean_ms"] / base, 3) if base else None
    models = list(dict.fromkeys(run["model"] for run in runs))
    return {
        "baseline": baseline,
        "mean_over_rounds": {
            model: {
                "mean_ms": round(statistics.mean(r["mean_ms"] for r in runs if r["model"] == model), 1),
                "ratio_to_baseline": round(statistics.mean(
                    r["ratio_to_baseline"] for r in runs if r["model"] == model and r["ratio_to_baseline"]), 3),
                "rounds": sum(r["model"] == model for r in runs),
            }
            for model in models
        },
    }


def parse_model(spec: str) -> tuple[str, str, dict[str, str]]:
    """"name=path[@VAR=value,VAR=value]" -> (name, path, {VAR: value})."""
    name, _, rest = spec.partition("=")
    path, _, variables = rest.partition("@")
    if not name or not path:
        raise SystemExit(f"compare_models: expected name=path[@VAR=value,...], got {spec!r}")
    env = dict(item.split("=", 1) for item in variables.split(",") if item)
    return name, path, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="name=path; the first is the baseline")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "serve-nlu-cpu.json")
    args = parser.parse_args()
    models = [parse_model(spec) for spec in args.models]
    bench_args = os.environ.get("BENCH_ARGS", "").split() or DEFAULT_BENCH_ARGS
    runs: list[dict[str, Any]] = []
    for round_number in range(1, args.rounds + 1):
        for name, path, env in models:
            output = RESULTS_DIR / f"serve-nlu-{name}-r{round_number}.json"
            print(f"round {round_number}: {name} ({path}) {env or ''} …", flush=True)
            subprocess.run([sys.executable, "-m", "benchmarks.serve", *bench_args, "--model", path,
                            "--output", str(output)], cwd=ROOT, check=True, env=os.environ | env)
            result = json.loads(output.read_text())
            cpu = rasa_cpu(result)
            runs.append({
                "round": round_number, "model": name, "path": path, "env": env, "file": output.name,
                "rasa_cpu_ms_per_turn": cpu, "mean_ms": round(statistics.mean(cpu.values()), 1),
                "load_average": [result["load_average_at_start"], result["load_average_at_end"]],
            })
            print(f"  Rasa CPU ms per turn: {cpu} mean {runs[-1]['mean_ms']}", flush=True)
            summary = {"benchmark": "serve-nlu-cpu", "bench_args": bench_args, "runs": runs, **summarise(runs)}
            args.output.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summarise(runs), indent=2))


if __name__ == "__main__":
    main()
