"""`python -m bot.engine ARGS` = `rasa ARGS`, with our speed-ups patched in first."""

import sys

from bot.engine.speedups import apply


def main() -> None:
    apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
