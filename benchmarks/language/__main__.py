"""Accuracy of the language identifier (bot/nlu/language.py) on labelled text.

    .venv/app/bin/python -m benchmarks.language    # writes benchmarks/results/language.json

Sets: our labelled customer messages (tests/nlu/language_samples.tsv); the training data
(English data/nlu.yml + data/faq.yml, Norwegian data/nlu_nb.yml + data/faq_nb.yml);
BANKING77's test split (English customer-service queries) and NorSID dev (dialectal
Norwegian per dialect group, also with æøå typed as a/o/a and as ae/oe/aa) from ../shared.
"correct" is the right language, "abstain" no verdict (the conversation keeps its
language), "wrong" the other language: the one that matters.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

from bot.nlu.language import detect_language

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "benchmarks"
RESULTS = ROOT / "benchmarks" / "results" / "language.json"
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def examples(path: Path) -> list[str]:
    return [
        _ANNOTATION.sub(r"\1", line.strip()[2:]).strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("    - ")
    ]


def without_aeoeaa(text: str, *, doubled: bool) -> str:
    table = {"æ": "ae", "ø": "oe" if doubled else "o", "å": "aa" if doubled else "a"}
    for letter, spelled in table.items():
        text = text.replace(letter, spelled).replace(letter.upper(), spelled.capitalize())
    return text


def score(texts: list[str], expected: str | None) -> dict[str, float | int]:
    verdicts = Counter(detect_language(text) for text in texts)
    n = len(texts)
    right = verdicts[expected]
    wrong = n - right - (verdicts[None] if expected is not None else 0)
    return {
        "n": n,
        "correct": round(right / n, 4),
        "abstain": round(verdicts[None] / n, 4) if expected is not None else 0.0,
        "wrong": round(wrong / n, 4),
    }


def main() -> None:
    results: dict[str, dict[str, float | int]] = {}
    labelled: dict[str | None, list[str]] = {}
    for line in (ROOT / "tests" / "nlu" / "language_samples.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            labelled.setdefault(None if label == "none" else label, []).append(text)
    for label, texts in labelled.items():
        results[f"labelled {label or 'none (must abstain)'}"] = score(texts, label)
    results["data en (nlu.yml + faq.yml)"] = score(examples(ROOT / "data/nlu.yml") + examples(ROOT / "data/faq.yml"), "en")
    nb_files = [ROOT / "data/nlu_nb.yml", ROOT / "data/faq_nb.yml"]
    if all(path.exists() for path in nb_files):
        results["data nb (nlu_nb.yml + faq_nb.yml)"] = score([t for p in nb_files for t in examples(p)], "nb")
    banking = SHARED / "banking77" / "test.csv"
    if banking.exists():
        with banking.open(encoding="utf-8") as file:
            results["banking77 test (en)"] = score([row["text"] for row in csv.DictReader(file)], "en")
    norsid = SHARED / "norsid" / "dev.json"
    if norsid.exists():
        rows = json.loads(norsid.read_text(encoding="utf-8"))
        for dialect in "BNTV":
            results[f"norsid {dialect}"] = score([r["text"] for r in rows if r["dialect"] == dialect], "nb")
        results["norsid all, æøå as a/o/a"] = score([without_aeoeaa(r["text"], doubled=False) for r in rows], "nb")
        results["norsid all, æøå as ae/oe/aa"] = score([without_aeoeaa(r["text"], doubled=True) for r in rows], "nb")
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, values in results.items():
        print(f"{name:40} {values}")


if __name__ == "__main__":
    main()
