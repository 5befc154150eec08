"""`python -m bot.engine ARGS` = `rasa ARGS`, with our speed-ups and the action-server guard
(retry while it restarts, a clear message when it stays down) patched in first."""

import sys

from bot.engine import action_guard
from bot.engine.action_retry import RetryPolicy
from bot.engine.speedups import apply, serving_threads


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        # serving only: training keeps every core for its matrix work
        serving_threads()
    apply()
    action_guard.install(RetryPolicy.from_env())
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
