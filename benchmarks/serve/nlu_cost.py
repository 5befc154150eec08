"""CPU per message of each NLU graph component, for several models on the same texts.

Runs in the engine environment (Rasa), in one process, without servers:

    PYTHONPATH=. .venv/engine/bin/python -m benchmarks.serve.nlu_cost \
        models/minilm.tar.gz models/assistant.tar.gz --rounds 5

The texts are the serving benchmark's customer turns (benchmarks/serve/conversations.py). Each
round parses every text once with each model in turn (models interleaved, so both see the same
machine at the same moment); the first round is a warm-up and is not counted. Every graph node's
call is timed with the process CPU clock (TensorFlow's and OpenMP's threads included), so the
table says where a turn's NLU CPU goes
(the rest of a turn, dialogue policies, tracker store, actions and HTTP, is not in it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List


ROOT = Path(__file__).resolve().parents[2]
TURNS_CODE = (
    "import json; from benchmarks.serve.conversations import all_conversations; "
    "print(json.dumps([t for c in all_conversations() for t in c.turns]))"
)


def turn_texts() -> List[str]:
    """The serving benchmark's turns, in order. They come from bot.demo, which needs Python
    3.11 (the app environment); the engine environment is 3.10, so they are read from there."""
    output = subprocess.run(
        [str(ROOT / ".venv" / "app" / "bin" / "python"), "-c", TURNS_CODE],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output)


class NodeClock:
    """Wraps rasa.engine.graph.GraphNode.__call__ and sums process CPU seconds per node name."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = defaultdict(float)
        self.enabled = False

    def install(self) -> None:
        from rasa.engine.graph import GraphNode

        original = GraphNode.__call__
        clock = self

        def timed(node: Any, *inputs: Any) -> Any:
            if not clock.enabled:
                return original(node, *inputs)
            start = time.process_time()
            try:
                return original(node, *inputs)
            finally:
                clock.seconds[node._node_name] += time.process_time() - start

        GraphNode.__call__ = timed


async def measure(models: List[Path], rounds: int) -> Dict[str, Any]:
    from rasa.core.agent import Agent

    clock = NodeClock()
    clock.install()
    agents = {str(path): Agent.load(str(path)) for path in models}
    texts = turn_texts()
    per_node: Dict[str, Dict[str, float]] = {name: defaultdict(float) for name in agents}
    totals: Dict[str, List[float]] = {name: [] for name in agents}
    for round_index in range(rounds + 1):
        for name, agent in agents.items():
            clock.seconds.clear()
            clock.enabled = round_index > 0
            start = time.process_time()
            for text in texts:
                await agent.parse_message(text)
            elapsed = time.process_time() - start
            if round_index == 0:
                continue  # warm-up: TensorFlow traces its graphs on the first calls
            totals[name].append(1000 * elapsed / len(texts))
            for node, seconds in clock.seconds.items():
                per_node[name][node] += seconds
    result: Dict[str, Any] = {"texts": len(texts), "rounds": rounds, "load_average": list(os.getloadavg()),
                              "openblas_threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")),
                              "tensorflow_threads": int(os.environ.get("TF_INTRA_OP_PARALLELISM_THREADS", "0")), "models": {}}
    for name in agents:
        count = len(texts) * rounds
        nodes = sorted(per_node[name].items(), key=lambda item: -item[1])
        result["models"][name] = {
            "parse_ms_per_message_by_round": [round(t, 2) for t in totals[name]],
            "parse_ms_per_message": round(sum(totals[name]) / rounds, 2),
            "ms_per_message_by_node": {node: round(1000 * s / count, 3) for node, s in nodes},
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=None, help="write the JSON here too")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="OpenBLAS threads (default: as `python -m bot.engine run` serves, 1 "
                             "unless OPENBLAS_NUM_THREADS says otherwise)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from bot.engine.speedups import BLAS_THREADS_VARIABLE, serving_threads

    if args.blas_threads:
        os.environ[BLAS_THREADS_VARIABLE] = str(args.blas_threads)
    serving_threads()
    from rasa.utils.tensorflow.environment import setup_tf_environment

    setup_tf_environment()  # as rasa's command line does: TensorFlow's pools as served
    result = asyncio.run(measure(args.models, args.rounds))
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
