"""How far can refusing go on the assistant's data? Two questions the chosen rule leaves open,
answered on the calibration folds only (`make bench-nlu` builds and caches them; the held-out
fifth and the test sets are not read here):

1. **The classifier's ceiling.** Issue 12 wants >= 95 % of in-domain requests at the right
   intent while >= 90 % of out-of-domain ones are refused. Before anything is refused, how
   often is the classifier's best intent right, and how often is the right one among its two
   best (which a "did you mean" question can offer)? And what does the rule reach when the
   vague requests are not asked about at all (no UNSURE_FLOOR)?
2. **A learned combination of the signals** in place of the grid of a threshold and a detector
   alpha per language: a logistic regression over the classifier's confidence, its margin, the
   detector's p-value and similarity and whether the classifier itself said out_of_scope, per
   language, trained to tell "the best intent is right" from the rest. Compared two ways with
   the same rule (oos.choose_by_language, its threshold then read on the combined score):
   - out of fold: the combiner of each fold trained on the other four, the rule chosen on all;
   - nested: rule and combiner both chosen on four folds and measured on the fifth (the grid
     too), so neither is measured on what chose it.

    PYTHONPATH=. .venv/engine/bin/python -m benchmarks.nlu.oos_signals [--config config.yml]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from benchmarks.nlu import oos
from benchmarks.nlu.data import REPO
from benchmarks.nlu.pipelines import config_key, project_pipeline

RESULTS = REPO / "benchmarks" / "results" / "nlu-oos-signals.json"
REPORTED = ("en_in_domain_correct", "nb_in_domain_correct", "en_in_domain_correct_or_button",
            "nb_in_domain_correct_or_button", "en_ood_caught", "nb_ood_caught", "en_unsure_asked", "nb_unsure_asked")
SETTING_KEYS = ("alpha", "alphas", "threshold", "thresholds", "ambiguity")
STRENGTHS = (0.1, 1.0, 10.0)


def combined_scored(predictions, combined: np.ndarray) -> oos.Scored:
    """A run's predictions with the fallback's threshold read on a combined score instead of the
    classifier's confidence (the ambiguity margin and the buttons still use the confidences)."""
    scored = oos.Scored(predictions)
    scored.thresholded = combined
    return scored


def signals(folded: oos.FoldPredictions) -> np.ndarray:
    """Per message: the signals, and each again for English and for Norwegian alone."""
    p = folded.predictions
    confidence = np.array([x["confidence"] for x in p])
    margin = confidence - np.array([x["second_confidence"] for x in p])
    p_value = np.log(np.array([1.0 if x["p_value"] is None else x["p_value"] for x in p]) + 1e-3)
    similarity = np.array([0.0 if x["similarity"] is None else x["similarity"] for x in p])
    refused = np.array([x["intent"] == oos.OUT_OF_SCOPE for x in p], dtype=float)
    base = [confidence, margin, p_value, similarity, refused]
    english, norwegian = (folded.languages == "en").astype(float), (folded.languages == "nb").astype(float)
    return np.column_stack(base + [b * english for b in base] + [b * norwegian for b in base] + [english, norwegian])


def answered_right(folded: oos.FoldPredictions) -> np.ndarray:
    return np.array([x["intent"] == g for x, g in zip(folded.predictions, folded.gold)]) & np.isin(
        folded.gold, [oos.OUT_OF_SCOPE, oos.UNSURE], invert=True)


def combiner(train: oos.FoldPredictions, strength: float):
    """Fitted on `train`: a function from FoldPredictions to P(best intent right)."""
    from sklearn.linear_model import LogisticRegression

    x = signals(train)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=strength, max_iter=3000).fit((x - mean) / scale, answered_right(train))
    return lambda folded: model.predict_proba((signals(folded) - mean) / scale)[:, 1]


def out_of_fold_scores(folded: oos.FoldPredictions, strength: float) -> np.ndarray:
    score = np.zeros(len(folded.predictions))
    for k in np.unique(folded.fold):
        held = folded.fold == k
        score[held] = combiner(folded.subset(~held), strength)(folded.subset(held))
    return score


def chosen(scored: oos.Scored, folded: oos.FoldPredictions, offered, unsure_floor: Optional[float] = None) -> Dict[str, Any]:
    point = oos.choose_by_language(scored, folded.gold, folded.groups, folded.languages, offered, unsure_floor)
    return {**{k: point[k] for k in SETTING_KEYS}, **{k: point.get(k) for k in REPORTED}}


def nested(folded: oos.FoldPredictions, offered, strength: float) -> Dict[str, Dict[str, Any]]:
    """Grid and combiner, each chosen on four folds and measured on the fifth, pooled."""
    outcomes: Dict[str, List[np.ndarray]] = {"grid": [], "combiner": []}
    order = []
    for k in np.unique(folded.fold):
        held = folded.fold == k
        rest, test = folded.subset(~held), folded.subset(held)
        order.append(np.flatnonzero(held))
        grid = chosen(oos.Scored(rest.predictions), rest, offered)
        outcomes["grid"].append(oos.setting_outcome(oos.Scored(test.predictions), test.gold, test.languages, offered,
                                                    {k: grid[k] for k in SETTING_KEYS}))
        score = combiner(rest, strength)
        learned = chosen(combined_scored(rest.predictions, score(rest)), rest, offered)
        outcomes["combiner"].append(oos.setting_outcome(combined_scored(test.predictions, score(test)), test.gold,
                                                        test.languages, offered, {k: learned[k] for k in SETTING_KEYS}))
    groups = {k: v[np.concatenate(order)] for k, v in folded.groups.items()}
    return {name: {k: v for k, v in oos.outcome_metrics(*(np.concatenate([o[i] for o in found]) for i in range(3)),
                                                         groups).items() if k in REPORTED}
            for name, found in outcomes.items()}


def ceiling(folded: oos.FoldPredictions, offered) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    for language in ("en", "nb"):
        inside = folded.groups[f"{language}_in"]
        p, gold = [x for x, m in zip(folded.predictions, inside) if m], folded.gold[inside]
        top = [x["intent"] for x in p]
        found[language] = {
            "in_domain_examples": int(inside.sum()),
            "best_intent_right": round(100 * float(np.mean([t == g for t, g in zip(top, gold)])), 2),
            "right_among_best_two": round(100 * float(np.mean([g in (x["intent"], x["second_intent"]) for x, g in zip(p, gold)])), 2),
            "commonest_confusions": [[g, t, n] for (g, t), n in Counter((g, t) for t, g in zip(top, gold) if t != g).most_common(8)],
        }
    found["rule_without_asking_vague_requests"] = chosen(oos.Scored(folded.predictions), folded, offered, unsure_floor=0.0)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--cache", type=Path, default=oos.DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    pipeline = [c for c in project_pipeline(args.config) if c["name"] != "ResponseSelector"]
    offered = oos.fallback_buttons()
    with tempfile.TemporaryDirectory(prefix="bench-oos-signals-") as tmp:
        folded = oos.fold_predictions(pipeline, oos.assistant_data(), Path(tmp), args.cache)
    result: Dict[str, Any] = {
        "config": config_key(args.config),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data": "the calibration folds of make bench-nlu (setting oos): training data only",
        "ceiling": ceiling(folded, offered),
        "grid_chosen_on_all_folds": chosen(oos.Scored(folded.predictions), folded, offered),
        "combiner_out_of_fold": {str(c): chosen(combined_scored(folded.predictions, out_of_fold_scores(folded, c)), folded, offered)
                                 for c in STRENGTHS},
        "nested_grid_vs_combiner": nested(folded, offered, 1.0),
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
