"""Runs `rasa data validate --fail-on-warnings --data data FILE` (Rasa's own command-line entry,
rasa.__main__.main) once per FILE in ONE engine-environment process: importing Rasa is most of a
validation's time, so a passing file and a control that must fail cost one import.

    .venv/engine/bin/python tests/review/rasa_validate.py FILE...   (from the repository root)

Prints one line per file: "validate-result <exit code> <file>"; the full Rasa output goes to stderr.
"""

from __future__ import annotations

import sys

from rasa.__main__ import main


def exit_code_of(path: str) -> int:
    sys.argv = ["rasa", "data", "validate", "--fail-on-warnings", "--domain", "domain.yml",
                "--config", "config.yml", "--data", "data", path]
    try:
        main()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1
    return 0


if __name__ == "__main__":
    results = [(exit_code_of(path), path) for path in sys.argv[1:]]
    for code, path in results:
        print("validate-result", code, path)
