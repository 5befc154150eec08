"""`python -m benchmarks.serve [--help]`: run the serving benchmark, write its results."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from benchmarks.serve.bench import run_cold_start, run_serving, write_results
from benchmarks.serve.options import parse

T = TypeVar("T")


async def _until_done_or_terminated(coroutine: Coroutine[Any, Any, T]) -> T:
    """SIGTERM cancels the run like Ctrl-C does, so the stack it started is stopped."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await coroutine


def main() -> int:
    options = parse()
    run = run_cold_start if options.cold_start else run_serving
    try:
        results = asyncio.run(_until_done_or_terminated(run(options)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: no results written", file=sys.stderr)
        return 130
    write_results(results, options.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
