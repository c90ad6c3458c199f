"""The paper's analyses as calls: per-bin Omega_m tables, w0waCDM chains, best fits, drop-one shifts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from .data import BAOData
from .likelihood import Posterior
from .perbin import lcdm_grid_posterior, pull
from .sampling import Chain, run_emcee

# Starting ball (centre, scale) per model, inside both the DESI and the relaxed priors.
START = {
    "lcdm_bao": ([0.30, 101.0], [0.01, 0.5]),
    "w0wa_bao": ([0.33, 100.0, -0.6, -1.0], [0.01, 0.5, 0.05, 0.1]),
    "w0wa_bao_cmb": ([0.64, 0.0222, 0.120, -0.5, -1.5], [0.005, 0.0002, 0.001, 0.05, 0.1]),
}


def sample(posterior: Posterior, n_steps: int, n_walkers: int = 32, burn_fraction: float = 0.3, seed: int = 0,
           progress: bool = False) -> Chain:
    """emcee chain of `posterior` from the model's starting ball, with omega_m, hrd and q0 derived."""
    centre, scale = START[posterior.model]
    chain = run_emcee(posterior, np.array(centre), np.array(scale), posterior.names, n_walkers, n_steps,
                      burn_fraction, seed, progress)
    chain.derived = {k: v for k, v in posterior.derived(chain.samples).items() if k not in posterior.names}
    return chain


def mc_error(chain: Chain, name: str) -> float:
    """Monte Carlo standard error of the posterior mean of a sampled parameter: sd * sqrt(tau / N)."""
    tau = float(chain.tau[chain.names.index(name)])
    return float(chain.column(name).std() * np.sqrt(tau / len(chain.samples)))


def probability_error(chain: Chain, name: str, below: float) -> float:
    """Monte Carlo standard error of `chain.probability(name, below)`: binomial over N / max(tau) effective samples
    (derived quantities have no autocorrelation time of their own; the slowest parameter's is used)."""
    p = chain.probability(name, below)
    return float(np.sqrt(p * (1 - p) * float(np.max(chain.tau)) / len(chain.samples)))


def best_fit(posterior: Posterior, start: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimum chi^2 (prior ignored) by Nelder-Mead from `start`; returns (parameters, chi2_min)."""
    result = minimize(lambda x: float(posterior.chi2(x[None])[0]), np.asarray(start, float), method="Nelder-Mead",
                      options={"xatol": 1e-7, "fatol": 1e-8, "maxiter": 20_000})
    return result.x, float(result.fun)


def per_bin_omega_m(data: dict[str, BAOData], reference: float, reference_sigma: float) -> pd.DataFrame:
    """Flat-LCDM Omega_m of each bin (h r_d free, exact grid), per release, with its pull vs the reference.

    DV-only bins are flagged unconstrained: with h r_d free their posterior is the prior.
    """
    rows = []
    for release, bao in data.items():
        for name in bao.bin_names + ["ALL"]:
            subset = bao if name == "ALL" else bao.select([name])
            grid = lcdm_grid_posterior(subset)
            constrained = bool(set(subset.kind) - {"DV"})
            rows.append({"release": release, "bin": name, "z_eff": float(subset.z.mean()) if name != "ALL" else np.nan,
                         "omega_m": grid.mean, "sd": grid.sd, "median": grid.percentile(50),
                         "pull": pull(grid.mean, grid.sd, reference, reference_sigma) if constrained else np.nan,
                         "constrained": constrained})
    return pd.DataFrame(rows)


def chain_table(chains: dict[str, Chain], params: tuple[str, ...] = ("omega_m", "w0", "wa", "q0")) -> pd.DataFrame:
    """mean +- sd of each parameter per chain, P(q0 < 0), and n_steps / max tau (50+ is converged)."""
    rows = []
    for label, chain in chains.items():
        row = {"chain": label}
        for p in params:
            s = chain.summary(p)
            row[p] = f"{s['mean']:+.3f} ± {s['sd']:.3f}"
        row["P(q0<0)"] = round(chain.probability("q0", 0.0), 3)
        row["steps / tau"] = round(chain.n_steps / float(np.max(chain.tau)), 1)
        rows.append(row)
    return pd.DataFrame(rows).set_index("chain")


def sample_all(posteriors: dict[str, Posterior], n_steps: int, n_walkers: int = 32, burn_fraction: float = 0.3,
               seed: int = 0) -> dict[str, Chain]:
    """One chain per labelled posterior; chain k is seeded with seed + k. Progress over chains."""
    from ..core.progress import progress_bar

    chains = {}
    for k, (label, posterior) in enumerate(progress_bar(posteriors.items(), desc="chains", total=len(posteriors))):
        chains[label] = sample(posterior, n_steps, n_walkers, burn_fraction, seed + k)
    return chains
