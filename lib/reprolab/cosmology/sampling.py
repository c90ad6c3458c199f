"""emcee runs with a vectorised log-probability, convergence by autocorrelation, getdist output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Chain:
    """Post-burn-in samples (S, d) with their log-probabilities, and emcee's diagnostics."""

    names: tuple[str, ...]
    samples: np.ndarray
    log_prob: np.ndarray
    tau: np.ndarray  # integrated autocorrelation time per parameter, in steps
    acceptance: float
    n_steps: int
    derived: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        """emcee's rule of thumb: the chain is longer than 50 autocorrelation times."""
        return bool(self.n_steps > 50 * np.max(self.tau))

    def column(self, name: str) -> np.ndarray:
        if name in self.derived:
            return self.derived[name]
        if name not in self.names:
            raise KeyError(f"unknown parameter {name!r}; available: {', '.join(self.names + tuple(self.derived))}")
        return self.samples[:, self.names.index(name)]

    def summary(self, name: str) -> dict[str, float]:
        """Mean, standard deviation, median, 16/84 % percentiles and the 68 % one-tailed upper limit."""
        x = self.column(name)
        p16, p50, p68, p84 = np.percentile(x, [16, 50, 68, 84])
        return {"mean": float(x.mean()), "sd": float(x.std()), "median": float(p50), "p16": float(p16),
                "p84": float(p84), "upper68": float(p68)}

    def probability(self, name: str, below: float) -> float:
        """Posterior probability that `name` < `below`."""
        return float(np.mean(self.column(name) < below))


class PointwiseLogProb:
    """Wrap a vectorised log-probability for emcee's pool path, which maps single points (picklable)."""

    def __init__(self, log_prob: Callable[[np.ndarray], np.ndarray]) -> None:
        self.log_prob = log_prob

    def __call__(self, x: np.ndarray) -> float:
        return float(self.log_prob(np.asarray(x)[None])[0])


def run_emcee(log_prob: Callable[[np.ndarray], np.ndarray], start: np.ndarray, scale: np.ndarray, names: tuple[str, ...],
              n_walkers: int = 32, n_steps: int = 3000, burn_fraction: float = 0.3, seed: int = 0,
              progress: bool = False, pool=None) -> Chain:
    """Sample with emcee's affine-invariant ensemble from a Gaussian ball (start +- scale).

    log_prob takes (B, d) and returns (B,) (vectorised). With a `pool` (multiprocessing or MPI),
    emcee maps log_prob over single points instead. Seeded: the same seed gives the same chain.
    """
    import emcee

    start, scale = np.asarray(start, float), np.asarray(scale, float)
    if start.shape != (len(names),) or scale.shape != start.shape:
        raise ValueError(f"start and scale need shape ({len(names)},) for parameters {names}")
    if n_walkers < 2 * len(names):
        raise ValueError(f"emcee needs at least 2 x {len(names)} walkers, got {n_walkers}")
    if not 0 <= burn_fraction < 1:
        raise ValueError(f"burn_fraction must be in [0, 1), got {burn_fraction}")
    rng = np.random.default_rng(seed)
    p0 = start + scale * rng.standard_normal((n_walkers, len(names)))
    bad = ~np.isfinite(log_prob(p0))
    if bad.any():
        raise ValueError(f"{bad.sum()} of {n_walkers} starting points have zero posterior; move `start` inside the prior")
    if pool is None:
        sampler = emcee.EnsembleSampler(n_walkers, len(names), log_prob, vectorize=True)
    else:
        sampler = emcee.EnsembleSampler(n_walkers, len(names), PointwiseLogProb(log_prob), pool=pool)
    sampler.random_state = np.random.RandomState(seed).get_state()
    sampler.run_mcmc(p0, n_steps, progress=progress)
    burn = int(burn_fraction * n_steps)
    return Chain(tuple(names), sampler.get_chain(discard=burn, flat=True), sampler.get_log_prob(discard=burn, flat=True),
                 sampler.get_autocorr_time(tol=0), float(np.mean(sampler.acceptance_fraction)), n_steps)


def to_mcsamples(chain: Chain, labels: dict[str, str], ranges: dict[str, tuple[float, float]] | None = None,
                 label: str | None = None, params: list[str] | None = None):
    """getdist MCSamples of `params` (default: all sampled and derived), with prior ranges for edge correction."""
    from getdist import MCSamples

    params = params or list(chain.names) + list(chain.derived)
    values = np.column_stack([chain.column(p) for p in params])
    ranges = {k: v for k, v in (ranges or {}).items() if k in params}
    return MCSamples(samples=values, names=params, labels=[labels.get(p, p) for p in params], ranges=ranges,
                     label=label, settings={"ignore_rows": 0, "smooth_scale_2D": 0.4})
