"""The one verdict API: paper claims as directional or equivalence tests with a minimal effect of interest.

Every paper claim of every notebook is decided here, from paired measurements of two arms A and B
(the same seeds, the same evaluation items):

- *directional* ("A is better than B"): the effect is oriented so that positive favours the claim, and δ > 0
  is the smallest effect the claim is about (in the metric's units, justified from the paper).
- *equivalence* ("A performs like B"): |effect| ≤ δ.
- *check* (a deterministic claim: a count, an identity, a solved equation, within a stated tolerance):
  `reproduced` when it holds, `contradicted` when it does not (`deterministic`).

Verdicts (`VERDICTS`), from a two-sided 95 % interval of the mean effect:

- directional: `reproduced` when the interval lies above 0; else `contradicted` when it lies below δ (an effect of
  the claimed size is ruled out); else `inconclusive`. An interval inside (0, δ) is `reproduced`: the direction
  holds, and the row's numbers carry `below_delta: true` (a real effect smaller than the one of interest).
- equivalence (two one-sided tests at 2.5 % each): `reproduced` when the interval lies inside (−δ, δ);
  `contradicted` when it lies wholly outside; else `inconclusive`.
- `not tested at this profile`: an arm was not run, or too few replicates exist for a valid interval (one seed when
  the seeds are a source of noise; a spread of exactly zero, which measures no noise).

The interval accounts for both sources of noise: seed-to-seed variation and the finite evaluation set. With
per-item scores of shape (S seeds, N items), the variance of the grand mean effect is estimated as
var(seed means)/S + var(item means)/N (a two-way random-effects decomposition; it counts the interaction term
once too often, so it errs wide), with Welch–Satterthwaite degrees of freedom for the Student-t quantile. Paired
binary scores (differences in {-1, 0, 1}: exact match, accuracy) get one discordant pseudo-pair in each direction
per seed, as the Agresti–Min adjusted interval for paired proportions does: otherwise two arms that are both 0 (or
both 1) on every item would show zero spread and no interval, although 0 of N is strong evidence. With one
value per seed (shape (S,)) it is the paired t interval over seeds. A hierarchical bootstrap was the other option;
it under-covers badly at the 2–3 seeds the notebooks can afford (resampling 2 seeds gives 3 distinct means),
while the t quantile at few degrees of freedom widens the interval honestly (`tests/core/test_evidence.py` measures
the rates). One seed is enough only with `seed_noise=False` (a deterministic arm scored on sampled items, or
Monte Carlo draws as items): the interval then says it is item-level only.

Each row also carries the minimal detectable effect (`mde`): the interval's half-width, the size an effect needs
for its interval to clear 0 at this profile.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

Verdict = Literal["reproduced", "contradicted", "inconclusive", "not tested at this profile"]
VERDICTS: tuple[str, ...] = ("reproduced", "contradicted", "inconclusive", "not tested at this profile")
Kind = Literal["directional", "equivalence", "check"]
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Evidence:
    """A paper claim's verdict with the numbers behind it (all in the metric's units, effect oriented to the claim)."""

    kind: Kind
    metric: str  # what is compared, in words: "target exact match", "validation loss (nats/token)"
    delta: float  # minimal effect of interest (> 0)
    verdict: Verdict
    effect: float | None = None  # mean effect, positive = in the claim's direction (equivalence: A - B)
    low: float | None = None  # 95 % interval of the effect
    high: float | None = None
    mde: float | None = None  # minimal detectable effect: the interval's half-width
    seeds: int = 0
    items: int = 0
    noise: str = ""  # which noise the interval covers: "seeds", "seeds and items", "items"
    reason: str = ""  # why not tested, where it was not
    extra: dict[str, Any] = field(default_factory=dict)

    def numbers(self) -> dict[str, Any]:
        """JSON-ready dict of everything above (for metrics.json and the comparison cell)."""
        return {k: v for k, v in asdict(self).items() if k != "extra"} | self.extra

    def interval_text(self, digits: int = 3) -> str:
        """`+0.012 [+0.004, +0.020], MDE 0.008` or the reason it was not tested."""
        if self.verdict == "not tested at this profile":
            return f"not tested ({self.reason})"
        f = f"{{:+.{digits}f}}"
        return (f"{f.format(self.effect)} [{f.format(self.low)}, {f.format(self.high)}], "
                f"MDE {self.mde:.{digits}g}, δ {self.delta:g}")


def _check_delta(delta: float) -> float:
    if not isinstance(delta, (int, float)) or isinstance(delta, bool) or not math.isfinite(delta) or delta <= 0:
        raise ValueError(f"delta (the minimal effect of interest) must be a finite number > 0, got {delta!r}")
    return float(delta)


def interval_batch(d: np.ndarray, seed_noise: bool = True, confidence: float = CONFIDENCE) -> dict[str, np.ndarray]:
    """Vectorised core of `effect_interval` over leading axes: `d` of shape (..., S, N) paired differences.

    Returns arrays of shape (...): mean, var (of the mean), df, half (half-width; NaN where no interval exists).
    """
    from scipy import stats

    s, n = d.shape[-2:]
    if n > 1 and np.isin(d, (-1.0, 0.0, 1.0)).all():  # paired binary scores: add one discordant pseudo-pair each way
        pad = np.zeros((*d.shape[:-1], 2))
        pad[..., 0], pad[..., 1] = 1.0, -1.0
        d, n = np.concatenate([d, pad], axis=-1), n + 2
    mean = d.mean(axis=(-2, -1))
    var = np.zeros_like(mean)
    denom = np.zeros_like(mean)  # Welch–Satterthwaite: sum of v_k^2 / df_k
    if seed_noise and s > 1:
        v = d.mean(axis=-1).var(axis=-1, ddof=1) / s
        var, denom = var + v, denom + v**2 / (s - 1)
    if n > 1:
        v = d.mean(axis=-2).var(axis=-1, ddof=1) / n
        var, denom = var + v, denom + v**2 / (n - 1)
    ok = (var > 0) & ~(seed_noise and s < 2)
    df = np.where(ok, var**2 / np.where(denom > 0, denom, 1.0), np.nan)
    half = np.where(ok, stats.t.ppf(0.5 + confidence / 2, np.where(ok, df, 1.0)) * np.sqrt(var), np.nan)
    return {"mean": mean, "var": var, "df": df, "half": half}


def effect_interval(d: np.ndarray, seed_noise: bool = True, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Mean of paired differences `d` ((S,) per seed or (S, N) per seed and item) with its t interval.

    Returns mean, low, high, half (half-width), df, seeds, items, noise; a `reason` (and no interval) where the
    replicates cannot give one.
    """
    d = np.asarray(d, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    if d.ndim != 2 or d.size == 0:
        raise ValueError(f"differences must have shape (seeds,) or (seeds, items), got {np.shape(d)}")
    if not np.isfinite(d).all():
        raise ValueError("differences contain NaN or infinite values")
    s, n = d.shape
    iv = {k: float(v) for k, v in interval_batch(d, seed_noise, confidence).items()}
    out: dict[str, Any] = {"mean": iv["mean"], "seeds": s, "items": n}
    if seed_noise and s < 2:
        return out | {"reason": "one seed: seed noise not measurable"}
    if s * n < 2 or (not seed_noise and n < 2):
        return out | {"reason": "no replicate to measure noise with"}
    if not iv["var"] > 0:
        return out | {"reason": "zero spread over every replicate: noise not measurable"}
    noise = " and ".join(name for name, on in (("seeds", seed_noise), ("items", n > 1)) if on)
    return out | {"low": iv["mean"] - iv["half"], "high": iv["mean"] + iv["half"], "half": iv["half"],
                  "df": iv["df"], "noise": noise}


def _paired(a: Any, b: Any) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired arms must have the same shape (seeds[, items]), got {a.shape} and {b.shape}")
    return a - b


def directional(a: Any, b: Any, *, delta: float, metric: str, higher_is_better: bool = True,
                seed_noise: bool = True) -> Evidence:
    """Claim "A is better than B": `a`, `b` paired scores, shape (S,) or (S, N); None for an arm not run.

    delta: the minimal effect of interest in the metric's units. Lower-is-better metrics (losses) are oriented so
    that a positive effect means A is lower.
    """
    delta = _check_delta(delta)
    if a is None or b is None:
        return Evidence("directional", metric, delta, "not tested at this profile", reason="an arm was not run")
    d = _paired(a, b) * (1.0 if higher_is_better else -1.0)
    return _decide("directional", metric, delta, effect_interval(d, seed_noise))


def equivalence(a: Any, b: Any, *, delta: float, metric: str, seed_noise: bool = True) -> Evidence:
    """Claim "A performs like B": |A − B| ≤ delta, paired scores of shape (S,) or (S, N)."""
    delta = _check_delta(delta)
    if a is None or b is None:
        return Evidence("equivalence", metric, delta, "not tested at this profile", reason="an arm was not run")
    return _decide("equivalence", metric, delta, effect_interval(_paired(a, b), seed_noise))


def from_differences(d: Any, *, kind: Kind, delta: float, metric: str, seed_noise: bool = True) -> Evidence:
    """The same decision from precomputed paired effects `d` (oriented: positive favours a directional claim)."""
    return _decide(kind, metric, _check_delta(delta), effect_interval(np.asarray(d, dtype=float), seed_noise))


def _decide(kind: Kind, metric: str, delta: float, iv: dict[str, Any]) -> Evidence:
    base = dict(kind=kind, metric=metric, delta=delta, effect=iv["mean"], seeds=iv["seeds"], items=iv["items"])
    if "reason" in iv:
        return Evidence(verdict="not tested at this profile", reason=iv["reason"], **base)
    low, high = iv["low"], iv["high"]
    extra: dict[str, Any] = {"df": iv["df"]}
    if kind == "directional":
        verdict = "reproduced" if low > 0 else "contradicted" if high < delta else "inconclusive"
        if verdict == "reproduced" and high < delta:
            extra["below_delta"] = True
    else:
        verdict = ("reproduced" if -delta < low and high < delta else
                   "contradicted" if low > delta or high < -delta else "inconclusive")
        extra["needed_delta"] = max(abs(low), abs(high))  # the margin this interval would fit inside
    return Evidence(verdict=verdict, low=low, high=high, mde=iv["half"], noise=iv["noise"], extra=extra, **base)


def deterministic(holds: bool, *, metric: str, tolerance: float | None = None, value: Any = None) -> Evidence:
    """A paper claim without sampling noise (arithmetic, exact solutions, measured byte counts): `reproduced` when
    `holds`, else `contradicted`. `tolerance` (in the metric's units, printed as the row's delta) and `value` go in
    the numbers."""
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(f"holds must be a bool, got {holds!r}")
    extra = {"value": value} if value is not None else {}
    return Evidence("check", metric, float(tolerance) if tolerance is not None else 0.0,
                    "reproduced" if holds else "contradicted", noise="none (deterministic)", extra=extra)


def from_estimate(effect: float, se: float, *, kind: Kind, delta: float, metric: str, df: float = math.inf,
                  noise: str = "Monte Carlo") -> Evidence:
    """The same decision from an estimate and its standard error (e.g. a posterior mean and its Monte Carlo error
    from the autocorrelation time); `df` = inf uses the normal quantile. Oriented like `from_differences`."""
    from scipy import stats

    delta = _check_delta(delta)
    if not (math.isfinite(effect) and math.isfinite(se)) or se < 0:
        raise ValueError(f"need a finite effect and a finite se >= 0, got {effect!r}, {se!r}")
    if se == 0:
        return Evidence(kind, metric, delta, "not tested at this profile", effect=float(effect),
                        reason="zero standard error: noise not measurable")
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df) * se)
    iv = {"mean": float(effect), "low": effect - half, "high": effect + half, "half": half, "df": float(df),
          "seeds": 0, "items": 0, "noise": noise}
    return _decide(kind, metric, delta, iv)
