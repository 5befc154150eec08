"""Percentiles and summaries of latency samples.

Percentiles are nearest-rank: the p-th percentile is the smallest sample such that at
least p % of all samples are at most it (no interpolation, always a measured value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float | None:
    if not samples:
        return None
    if not 0 < p <= 100:
        raise ValueError("p is a percentage in (0, 100]")
    ordered = sorted(samples)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[rank - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def latency_summary(samples: Sequence[float]) -> dict[str, float | int | None]:
    """Milliseconds: count, mean, p50, p95, p99, max."""
    return {
        "count": len(samples),
        "mean_ms": ms(sum(samples) / len(samples)) if samples else None,
        "p50_ms": ms(percentile(samples, 50)),
        "p95_ms": ms(percentile(samples, 95)),
        "p99_ms": ms(percentile(samples, 99)),
        "max_ms": ms(max(samples)) if samples else None,
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)
