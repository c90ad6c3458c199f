"""Small statistics every claim needs: seed spread and binomial intervals."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def seed_summary(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation (0 for one value), min and max over seeds."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("seed_summary needs at least one value")
    return {"mean": float(x.mean()), "std": float(x.std(ddof=1)) if x.size > 1 else 0.0,
            "min": float(x.min()), "max": float(x.max()), "n": int(x.size)}


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (default 95 %)."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes}/{trials}")
    p = successes / trials
    denom = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def paired_interval(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> dict[str, float]:
    """Mean of the paired differences a - b (seed by seed) with its Student-t confidence interval.

    With one pair the interval is infinite: one seed says nothing about seed noise.
    """
    from scipy import stats

    d = np.asarray(a, float) - np.asarray(b, float)
    if d.size == 0 or np.shape(a) != np.shape(b):
        raise ValueError(f"need two equally long non-empty sequences, got {np.shape(a)} and {np.shape(b)}")
    mean = float(d.mean())
    if d.size == 1:
        return {"mean": mean, "low": -math.inf, "high": math.inf, "n": 1}
    half = float(stats.t.ppf(0.5 + confidence / 2, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": int(d.size)}


def beyond_noise(interval: dict[str, float], direction: int = 1) -> bool:
    """Whether a `paired_interval` lies wholly above 0 (direction 1) or below 0 (direction -1).

    An interval of zero width (seeds whose differences agree exactly, up to float32 rounding: width <= 1e-6 of the
    mean's size) never counts: it measures no noise.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be 1 or -1, got {direction}")
    if not interval["high"] - interval["low"] > 1e-6 * max(1.0, abs(interval["mean"])):
        return False
    return interval["low"] > 0 if direction == 1 else interval["high"] < 0
