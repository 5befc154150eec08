"""Command line of the soak benchmark: the full run by default, shorter runs by option."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from benchmarks.serve.options import ROOT

RESULTS = ROOT / "benchmarks" / "results" / "soak.json"


@dataclass(frozen=True)
class SoakOptions:
    customers: int = 200  # chatting at once, each one conversation after another
    agents: int = 5  # logged in to the console, taking the chats customers escalate
    minutes: float = 10.0
    # A customer's pause between two messages, in seconds (uniform in [low, high]): people
    # read and type; 200 customers at 10-20 s are about 13 turns/s, below one Rasa
    # server's ~26 turns/s (benchmarks/README.md).
    think: tuple[float, float] = (10.0, 20.0)
    escalate_every: int = 10  # one conversation in this many asks for a person
    turn_timeout: float = 60.0  # a turn (or an agent's answer) not done by then is an error
    database_url: str | None = None  # None: a fresh SQLite file of the run's own
    output: Path = RESULTS
    keep_workdir: bool = False


def _think(raw: str) -> tuple[float, float]:
    low, _, high = raw.partition(",")
    pair = (float(low), float(high or low))
    if not 0 <= pair[0] <= pair[1]:
        raise argparse.ArgumentTypeError("think is LOW,HIGH seconds with 0 <= LOW <= HIGH")
    return pair


def parse(argv: list[str] | None = None) -> SoakOptions:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    defaults = SoakOptions()
    parser.add_argument("--customers", type=int, default=defaults.customers)
    parser.add_argument("--agents", type=int, default=defaults.agents, choices=range(1, 11),
                        metavar="1..10")
    parser.add_argument("--minutes", type=float, default=defaults.minutes)
    parser.add_argument("--think", type=_think, default=defaults.think, help="LOW,HIGH seconds")
    parser.add_argument("--escalate-every", type=int, default=defaults.escalate_every)
    parser.add_argument("--turn-timeout", type=float, default=defaults.turn_timeout)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--output", type=Path, default=defaults.output)
    parser.add_argument("--keep-workdir", action="store_true")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.minutes <= 0:
        parser.error("at least one customer and a positive duration")
    return SoakOptions(
        customers=args.customers, agents=args.agents, minutes=args.minutes, think=args.think,
        escalate_every=args.escalate_every, turn_timeout=args.turn_timeout,
        database_url=args.database_url, output=args.output, keep_workdir=args.keep_workdir,
    )
