"""What one run of the serving benchmark measures, parsed once from the command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class BenchOptions:
    # Simulated customers chatting at once; each level is measured on both paths.
    levels: tuple[int, ...] = (1, 4, 16, 32)
    # Seconds of measurement per level and path (split into two rounds, see load.py).
    duration: float = 30.0
    # Seconds of unmeasured chatting on each path before the first level (TensorFlow traces
    # its graphs on the first calls; the first turns are 10x slower than the rest).
    warmup: float = 8.0
    # A turn not finished after this long counts as an error ("timeout").
    turn_timeout: float = 30.0
    handoffs: int = 30  # escalations measured; each carries `agent_messages` agent messages
    agent_messages: int = 3
    connections: int = 10_000  # idle widget connections for the capacity phase (0: skip)
    rasa_servers: int = 1
    sanic_workers: int = 1  # SANIC_WORKERS of each Rasa server (Rasa allows >1 only with a Redis lock store)
    action_workers: int = 1  # ACTION_SERVER_SANIC_WORKERS
    database_url: str | None = None  # None: a fresh SQLite file in a temporary directory
    redis_url: str | None = None  # None: the local Redis when servers or workers need it, else none
    profile: float = 0.0  # seconds of py-spy sampling in an extra, unmeasured phase (0: off)
    cold_start: bool = False  # only the cold/warm start measurement (slow: trains a model)
    output: Path = RESULTS_DIR / "serve.json"
    keep_workdir: bool = False  # keep logs and databases of the run for inspection
    # the Rasa model served (another pipeline's model compares CPU per turn on the same turns)
    model: Path = ROOT / "models" / "assistant.tar.gz"

    @property
    def max_connections_needed(self) -> int:
        """File descriptors the load process needs: idle sockets plus headroom for the rest."""
        return self.connections + max(self.levels, default=0) + 256


def _levels(raw: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("levels are whole numbers, e.g. 1,4,16,32") from None
    if not levels or any(level < 1 for level in levels):
        raise argparse.ArgumentTypeError("levels are whole numbers >= 1, e.g. 1,4,16,32")
    return levels


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    defaults = BenchOptions()
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.serve",
        description=(
            "Serving speed of the full stack (widget WebSocket -> gateway -> Rasa -> action "
            "server -> database) against the same turns sent straight to Rasa's REST channel, "
            "handoff latency, idle-connection capacity; --cold-start measures start-up instead."
        ),
    )
    p.add_argument("--levels", type=_levels, default=defaults.levels,
                   help="concurrent customers per level, comma-separated (default 1,4,16,32)")
    p.add_argument("--duration", type=float, default=defaults.duration,
                   help="seconds measured per level and path (default %(default)s)")
    p.add_argument("--warmup", type=float, default=defaults.warmup,
                   help="unmeasured seconds per path before the first level (default %(default)s)")
    p.add_argument("--turn-timeout", type=float, default=defaults.turn_timeout,
                   help="seconds after which a turn counts as an error (default %(default)s)")
    p.add_argument("--handoffs", type=int, default=defaults.handoffs,
                   help="escalations to measure (0 skips the handoff phase; default %(default)s)")
    p.add_argument("--agent-messages", type=_positive_int, default=defaults.agent_messages,
                   help="agent messages per escalation (default %(default)s)")
    p.add_argument("--connections", type=int, default=defaults.connections,
                   help="idle widget connections for the capacity phase (0 skips it; default %(default)s)")
    p.add_argument("--rasa-servers", type=_positive_int, default=defaults.rasa_servers,
                   help="Rasa servers behind the gateway (RASA_URLS; default %(default)s)")
    p.add_argument("--sanic-workers", type=_positive_int, default=defaults.sanic_workers,
                   help="SANIC_WORKERS per Rasa server (needs a Redis lock store; default %(default)s)")
    p.add_argument("--action-workers", type=_positive_int, default=defaults.action_workers,
                   help="ACTION_SERVER_SANIC_WORKERS (default %(default)s)")
    p.add_argument("--redis-url", default=None,
                   help="REDIS_URL of the stack (default: redis://127.0.0.1:6379/0 when "
                        "--rasa-servers or --sanic-workers is above 1, else none)")
    p.add_argument("--database-url", default=None,
                   help="database to run on (default: a fresh SQLite file; $DATABASE_URL is ignored)")
    p.add_argument("--profile", type=float, default=defaults.profile, metavar="SECONDS",
                   help="sample gateway, Rasa and action server with py-spy for SECONDS in an "
                        "extra phase at the highest level (needs py-spy on PATH or $PY_SPY)")
    p.add_argument("--cold-start", action="store_true",
                   help="only measure a fresh clone to first answer with `make run`, and a warm "
                        "restart (trains a model: 5-15 minutes)")
    p.add_argument("--output", type=Path, default=None,
                   help="results file (default benchmarks/results/serve.json, "
                        "serve-cold-start.json with --cold-start)")
    p.add_argument("--model", type=Path, default=defaults.model,
                   help="Rasa model to serve (default models/assistant.tar.gz)")
    p.add_argument("--keep-workdir", action="store_true",
                   help="keep the run's logs and databases (the path is printed)")
    return p


def parse(argv: Sequence[str] | None = None) -> BenchOptions:
    args = parser().parse_args(argv)
    output = args.output or RESULTS_DIR / ("serve-cold-start.json" if args.cold_start else "serve.json")
    return BenchOptions(
        levels=args.levels,
        duration=args.duration,
        warmup=args.warmup,
        turn_timeout=args.turn_timeout,
        handoffs=max(args.handoffs, 0),
        agent_messages=args.agent_messages,
        connections=max(args.connections, 0),
        rasa_servers=args.rasa_servers,
        sanic_workers=args.sanic_workers,
        action_workers=args.action_workers,
        database_url=args.database_url,
        redis_url=args.redis_url,
        profile=max(args.profile, 0.0),
        cold_start=args.cold_start,
        output=output,
        keep_workdir=args.keep_workdir,
        model=args.model.resolve(),
    )
