"""The pipelines under test: ours (config.yml, as it is) and Rasa's out-of-the-box default."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, List

import yaml

from benchmarks.nlu.data import REPO

Pipeline = List[Dict[str, Any]]

# What `rasa init` / `rasa train` without a pipeline use: rasa/engine/recipes/config_files/.
RASA_DEFAULT_CONFIG = "engine/recipes/config_files/default_config.yml"
# The default pipeline draws a new random seed each training; this one seed makes the baseline
# repeatable and changes nothing else about it.
BASELINE_SEED = 1
SEEDED_COMPONENTS = {"DIETClassifier", "ResponseSelector"}


def project_pipeline(config_path: Path = REPO / "config.yml") -> Pipeline:
    return yaml.safe_load(config_path.read_text(encoding="utf-8"))["pipeline"]


def config_key(config_path: Path) -> str:
    """How results files name a config: relative to the repository when it lies inside it."""
    resolved = config_path.resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(config_path)


def rasa_default_pipeline() -> Pipeline:
    import rasa

    default = Path(rasa.__file__).parent / RASA_DEFAULT_CONFIG
    pipeline = copy.deepcopy(yaml.safe_load(default.read_text(encoding="utf-8"))["pipeline"])
    for component in pipeline:
        if component["name"] in SEEDED_COMPONENTS:
            component.setdefault("random_seed", BASELINE_SEED)
    return pipeline


PIPELINES = {"ours": project_pipeline, "baseline": rasa_default_pipeline}


def write_config(pipeline: Pipeline, path: Path) -> Path:
    config = {
        "recipe": "default.v1",
        "assistant_id": "bench_nlu",
        "language": "en",
        "pipeline": pipeline,
        "policies": [],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
