"""Log-posteriors for BAO (with h r_d free or r_d from the early universe) and the compressed CMB.

A `Posterior` maps a batch of parameter vectors (B, d) to log-posteriors (B,), so emcee runs it
vectorised. Models (the `MODELS` registry, parameter names in order):
- `lcdm_bao`: omega_m, hrd (h r_d in Mpc);
- `w0wa_bao`: omega_m, hrd, w0, wa;
- `w0wa_bao_cmb`: h, omega_b, omega_c, w0, wa (r_d from Aubourg et al. 2015, theta_star for the CMB).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .background import DistanceGrid, bao_distances, q0
from .data import BAOData, CompressedCMB
from .early import omega_nu_today, r_drag, theta_star

MODELS: dict[str, tuple[str, ...]] = {
    "lcdm_bao": ("omega_m", "hrd"),
    "w0wa_bao": ("omega_m", "hrd", "w0", "wa"),
    "w0wa_bao_cmb": ("h", "omega_b", "omega_c", "w0", "wa"),
}
LABELS = {"omega_m": r"\Omega_\mathrm{m}", "hrd": r"h r_\mathrm{d}\,[\mathrm{Mpc}]", "w0": "w_0", "wa": "w_a",
          "h": "h", "omega_b": r"\omega_\mathrm{b}", "omega_c": r"\omega_\mathrm{c}", "q0": "q_0"}


@dataclass(frozen=True)
class Prior:
    """Uniform box priors on named parameters, optionally with w0 + wa < 0 (matter domination early on)."""

    ranges: dict[str, tuple[float, float]]
    w0_plus_wa_negative: bool = False
    name: str = "custom"

    def __post_init__(self) -> None:
        for key, (lo, hi) in self.ranges.items():
            if not lo < hi:
                raise ValueError(f"prior range of {key!r} must have low < high, got ({lo}, {hi})")

    def log_prior(self, names: tuple[str, ...], theta: np.ndarray) -> np.ndarray:
        """0 inside the prior, -inf outside; theta (B, d) in the order of `names`. (B,)."""
        inside = np.ones(theta.shape[0], bool)
        for j, name in enumerate(names):
            lo, hi = self.ranges[name]
            inside &= (theta[:, j] > lo) & (theta[:, j] < hi)
        if self.w0_plus_wa_negative and "w0" in names:
            inside &= theta[:, names.index("w0")] + theta[:, names.index("wa")] < 0
        return np.where(inside, 0.0, -np.inf)


COMMON_RANGES = {"omega_m": (0.01, 0.99), "hrd": (50.0, 150.0), "h": (0.2, 1.0), "omega_b": (0.005, 0.1), "omega_c": (0.001, 0.99)}


def desi_prior() -> Prior:
    """DESI's priors: w0 in U[-3, 1], wa in U[-3, 2], w0 + wa < 0."""
    return Prior({**COMMON_RANGES, "w0": (-3.0, 1.0), "wa": (-3.0, 2.0)}, True, "desi")


def relaxed_prior(w0_range: tuple[float, float] = (-10.0, 10.0), wa_range: tuple[float, float] = (-20.0, 20.0),
                  w0_plus_wa_negative: bool = False) -> Prior:
    """Wider (w0, wa) boxes without the w0 + wa < 0 cut (the paper's exact ranges are not public)."""
    return Prior({**COMMON_RANGES, "w0": tuple(w0_range), "wa": tuple(wa_range)}, w0_plus_wa_negative, "relaxed")


def gaussian_chi2(residual: np.ndarray, inv_cov: np.ndarray) -> np.ndarray:
    """chi^2 = r^T C^-1 r for each row of residual (B, n). (B,)."""
    return np.einsum("bi,ij,bj->b", residual, inv_cov, residual)


@dataclass
class Posterior:
    """Vectorised log-posterior of `model` given BAO data, a prior and optionally the compressed CMB.

    The compressed CMB likelihood (θ*, ω_b, ω_b + ω_c) assumes matter domination at early times, which fails for
    w0 + wa >= 0 (dark energy then grows into the past): with the CMB the prior must carry the w0 + wa < 0 cut,
    unless `allow_early_dark_energy` asks for the invalid region on purpose (to show what the cut changes).
    """

    model: str
    data: BAOData
    prior: Prior
    cmb: CompressedCMB | None = None
    grid: DistanceGrid = field(default_factory=lambda: DistanceGrid(z_max=2.4, n=801))
    allow_early_dark_energy: bool = False  # with the CMB, sample w0 + wa >= 0 although the compression is invalid there

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; allowed: {', '.join(MODELS)}")
        if (self.cmb is not None) != (self.model == "w0wa_bao_cmb"):
            raise ValueError("the compressed CMB goes with model 'w0wa_bao_cmb' and only with it")
        if self.cmb is not None and not self.prior.w0_plus_wa_negative and not self.allow_early_dark_energy:
            raise ValueError(f"the compressed CMB is valid only for w0 + wa < 0; prior {self.prior.name!r} lacks that "
                             f"cut (give it w0_plus_wa_negative=True, or allow_early_dark_energy=True to sample it anyway)")
        missing = set(self.names) - set(self.prior.ranges)
        if missing:
            raise ValueError(f"prior lacks ranges for {sorted(missing)}")
        self._inv_cov = self.data.inv_cov
        self._cmb_inv = np.linalg.inv(self.cmb.cov) if self.cmb is not None else None

    @property
    def names(self) -> tuple[str, ...]:
        return MODELS[self.model]

    def late_time(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """omega_m, hrd, w0, wa (each (B,)) for any model's parameter batch (B, d)."""
        p = dict(zip(self.names, np.atleast_2d(theta).T))
        if self.model == "w0wa_bao_cmb":
            p["omega_m"] = (p["omega_b"] + p["omega_c"] + omega_nu_today()) / p["h"] ** 2
            p["hrd"] = p["h"] * r_drag(p["omega_b"], p["omega_c"])
        p.setdefault("w0", np.full(len(p["omega_m"]), -1.0))
        p.setdefault("wa", np.zeros(len(p["omega_m"])))
        return p

    def chi2(self, theta: np.ndarray) -> np.ndarray:
        """BAO (+ CMB) chi^2 of each parameter vector, ignoring the prior. (B,)."""
        p = self.late_time(theta)
        pred = bao_distances(self.data.z, self.data.kind, p["hrd"], p["omega_m"], p["w0"], p["wa"], self.grid)
        chi2 = gaussian_chi2(pred - self.data.value, self._inv_cov)
        if self.cmb is not None:
            t = theta_star(p["h"], p["omega_b"], p["omega_c"], p["w0"], p["wa"])
            vec = np.stack([t, p["omega_b"], p["omega_b"] + p["omega_c"]], axis=1)  # (B, 3)
            chi2 = chi2 + gaussian_chi2(vec - self.cmb.mean, self._cmb_inv)
        return chi2

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        """Log-posterior (up to a constant) for theta (B, d) or (d,). (B,)."""
        theta = np.atleast_2d(theta)
        lp = self.prior.log_prior(self.names, theta)
        ok = np.isfinite(lp)
        if ok.any():
            lp[ok] += -0.5 * self.chi2(theta[ok])
        return lp

    def derived(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """omega_m, hrd and q0 = 1/2 + 3/2 w0 (1 - omega_m) for each sample."""
        p = self.late_time(theta)
        return {"omega_m": p["omega_m"], "hrd": p["hrd"], "q0": q0(p["omega_m"], p["w0"])}
