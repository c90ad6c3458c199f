"""Shooting strings (Ficnar-Gubser-Gyulassy): the endpoint of a light-quark string on a null geodesic.

With conserved E and p of the endpoint, the null condition in the (x, z) plane reads (dz/dx)^2 = (E/p)^2 - g(z);
launched at depth z_* with slope s0 = (dz/dx)_0, (E/p)^2 = g(z_*) + s0^2 and

    x(z)  = int_{z_*}^{z} dz' / sqrt(g(z_*) - g(z') + s0^2),
    dE/dx = -(sqrt(lambda) / 2 pi) (E/p) G_xx(z),   G_xx = e^{2A_s}/z^2 (string frame).

The substitution z = z_* + (z_h - z_*) u^2 removes the 1/sqrt(z - z_*) launch singularity; g(z_*) - g(z) is
integrated from g' (never a difference of g values, which cancels to garbage for large z_h). Lengths come out
in fm, dE/dx in GeV/fm (negative: energy lost), energies in GeV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import cumulative_simpson
from scipy.optimize import brentq

from .background import Background
from .models import HBARC


@dataclass(frozen=True)
class Trajectory:
    """The endpoint path sampled at n depths from launch (index 0) to the horizon (index -1)."""

    z: np.ndarray  # depth [GeV^-1]
    x: np.ndarray  # distance travelled [fm]
    dedx: np.ndarray  # instantaneous energy loss [GeV/fm], negative
    z_star: float  # launch depth [GeV^-1]
    e_over_p: float  # E/p of the endpoint
    temperature: float  # GeV
    mu: float  # GeV

    @property
    def x_stop(self) -> float:
        """Stopping distance [fm]: where the endpoint reaches the horizon."""
        return float(self.x[-1])

    @property
    def total_loss(self) -> float:
        """E_0 = int |dE/dx| dx [GeV]: the energy the string loses before it thermalises."""
        return float(-cumulative_simpson(self.dedx, x=self.x)[-1])

    @property
    def launch(self) -> float:
        """dE/dx at launch [GeV/fm]."""
        return float(self.dedx[0])

    @property
    def horizon(self) -> float:
        """dE/dx at the horizon [GeV/fm]."""
        return float(self.dedx[-1])

    @property
    def path_mean(self) -> float:
        """Average dE/dx over the path, -E_0 / x_stop [GeV/fm]."""
        return -self.total_loss / self.x_stop

    def at_distance(self, x: np.ndarray) -> np.ndarray:
        """dE/dx [GeV/fm] at distances x [fm]; NaN beyond the stopping distance."""
        x = np.asarray(x, float)
        return np.where(x <= self.x_stop, np.interp(x, self.x, self.dedx), np.nan)


def trajectory(bg: Background, z_star: float, sqrt_lambda: float = 1.0, launch_slope: float = 0.0,
               frame: str = "string", n: int = 2001) -> Trajectory:
    """Integrate the endpoint from depth z_star [GeV^-1] to the horizon; n samples (odd, >= 101)."""
    if not 0 < z_star < bg.zh:
        raise ValueError(f"launch depth z_star must lie in (0, z_h) = (0, {bg.zh:.4g}) GeV^-1, got {z_star}")
    if launch_slope < 0 or sqrt_lambda <= 0:
        raise ValueError(f"need launch_slope >= 0 and sqrt_lambda > 0, got {launch_slope}, {sqrt_lambda}")
    if n < 101:
        raise ValueError(f"n must be at least 101 samples, got {n}")
    span = bg.zh - z_star
    u = np.linspace(0.0, 1.0, n)
    z = z_star + span * u**2
    drop = bg.g_drop(np.full_like(z, z_star), z) + launch_slope**2  # (dz/dx)^2 along the path
    with np.errstate(divide="ignore", invalid="ignore"):
        dxdu = 2 * span * u / np.sqrt(drop)
    if launch_slope == 0:
        dxdu[0] = 2 * np.sqrt(span / -bg.g_prime(z_star))  # the u -> 0 limit
    x = cumulative_simpson(dxdu, x=u, initial=0.0) * HBARC
    e_over_p = float(np.sqrt(bg.g(z_star) + launch_slope**2))
    dedx = -sqrt_lambda / (2 * np.pi) * e_over_p * bg.metric_factor(z, frame) / HBARC
    return Trajectory(z, x, dedx, float(z_star), e_over_p, bg.temperature, bg.mu)


def z_star_for_energy(bg: Background, energy: float, sqrt_lambda: float = 1.0, launch_slope: float = 0.0,
                      frame: str = "string", n: int = 401) -> float:
    """The launch depth [GeV^-1] whose string loses `energy` [GeV] in total (protocol 'fixed E0').

    n samples per trial path: 401 gives E_0 to about 1e-7 relative, so the root costs ~40 cheap paths.
    """
    loss = lambda zs: trajectory(bg, zs, sqrt_lambda, launch_slope, frame, n).total_loss - energy  # noqa: E731
    lo, hi = 1e-3 * bg.zh, 0.999 * bg.zh
    if loss(lo) < 0:
        raise ValueError(f"E0 = {energy} GeV is more than a string launched at z_* = {lo:.3g} GeV^-1 loses; "
                         f"lower E0 or raise sqrt_lambda")
    if loss(hi) > 0:
        raise ValueError(f"E0 = {energy} GeV is below the smallest loss reachable at z_h = {bg.zh:.4g} GeV^-1")
    return brentq(loss, lo, hi, xtol=1e-12, rtol=1e-12)
