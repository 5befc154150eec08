"""`python -m benchmarks.soak [--help]`: run the soak benchmark, write its results."""

from __future__ import annotations

import asyncio
import sys

from benchmarks.soak.options import parse
from benchmarks.soak.run import run_soak, write_results


def main() -> int:
    options = parse()
    try:
        results = asyncio.run(run_soak(options))
    except KeyboardInterrupt:
        print("interrupted: no results written", file=sys.stderr)
        return 130
    write_results(results, options.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
