"""Exact grid posteriors of flat-LCDM Omega_m with h r_d free, for any subset of BAO bins.

With h r_d free, one bin constrains Omega_m only through the ratio D_M/D_H (Alcock-Paczynski);
DV-only bins leave it at the prior. The grid is deterministic, so its numbers suit nbval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .background import DistanceGrid, bao_distances
from .data import BAOData
from .likelihood import gaussian_chi2


@dataclass(frozen=True)
class GridPosterior:
    """Marginal posterior of Omega_m on a grid, and the best-fit point."""

    omega_m: np.ndarray  # (n_om,) grid
    marginal: np.ndarray  # (n_om,) normalised to sum 1
    hrd_mean: float
    hrd_sd: float
    chi2_min: float
    best: tuple[float, float]  # (omega_m, hrd) at the grid minimum

    @property
    def mean(self) -> float:
        return float(np.sum(self.omega_m * self.marginal))

    @property
    def sd(self) -> float:
        return float(np.sqrt(np.sum((self.omega_m - self.mean) ** 2 * self.marginal)))

    def percentile(self, q: float) -> float:
        cdf = np.cumsum(self.marginal)
        return float(np.interp(q / 100, cdf, self.omega_m))


def lcdm_grid_posterior(data: BAOData, om_range=(0.01, 0.99), hrd_range=(70.0, 140.0), n_om: int = 491,
                        n_hrd: int = 351, grid: DistanceGrid | None = None) -> GridPosterior:
    """Posterior of (Omega_m, h r_d) on a uniform-prior grid, marginalised over h r_d.

    Predictions scale as 1/(h r_d), so distances are computed once per Omega_m. Memory (n_om, n_hrd, n_rows).
    """
    grid = grid or DistanceGrid(z_max=max(2.4, float(data.z.max())), n=1201)
    om = np.linspace(*om_range, n_om)
    hrd = np.linspace(*hrd_range, n_hrd)
    unit = bao_distances(data.z, data.kind, np.ones(n_om), om, grid=grid)  # (n_om, n) at h r_d = 1 Mpc
    residual = unit[:, None, :] / hrd[None, :, None] - data.value  # (n_om, n_hrd, n)
    chi2 = gaussian_chi2(residual.reshape(-1, len(data.value)), data.inv_cov).reshape(n_om, n_hrd)
    like = np.exp(-0.5 * (chi2 - chi2.min()))
    like /= like.sum()
    i, j = np.unravel_index(np.argmin(chi2), chi2.shape)
    hrd_marginal = like.sum(axis=0)
    hrd_mean = float(np.sum(hrd * hrd_marginal))
    return GridPosterior(om, like.sum(axis=1), hrd_mean, float(np.sqrt(np.sum((hrd - hrd_mean) ** 2 * hrd_marginal))),
                         float(chi2.min()), (float(om[i]), float(hrd[j])))


def pull(value: float, sigma: float, reference: float, reference_sigma: float = 0.0) -> float:
    """(value - reference) in units of the combined standard deviation."""
    return (value - reference) / np.hypot(sigma, reference_sigma)
