"""Late-time background of flat LCDM and w0waCDM (CPL): E(z) and BAO distances, vectorised.

Parameters broadcast as arrays of shape (B,) (a batch of walkers or grid points); redshifts
are (Z,). Distances come from one cumulative trapezoid on a fixed redshift grid shared by the
whole batch (no per-call quadrature), then linear interpolation at the requested redshifts.
Radiation is neglected here (below 0.05 % in H at z < 2.4); `early.py` includes it for the CMB.
"""

from __future__ import annotations

import numpy as np

C_KM_S = 299_792.458  # speed of light, km/s
HUBBLE_DISTANCE_H = C_KM_S / 100.0  # c / (100 km/s/Mpc) = 2997.92458 Mpc: c/H0 in units of Mpc/h


def dark_energy_density(z: np.ndarray, w0: np.ndarray, wa: np.ndarray) -> np.ndarray:
    """rho_DE(z) / rho_DE(0) for w(a) = w0 + wa (1 - a); (B, 1) parameters x (Z,) -> (B, Z)."""
    a = 1.0 / (1.0 + z)
    return a ** (-3.0 * (1.0 + w0 + wa)) * np.exp(-3.0 * wa * (1.0 - a))


def e_of_z(z: np.ndarray, omega_m, w0=-1.0, wa=0.0) -> np.ndarray:
    """E(z) = H(z)/H0 of flat w0waCDM; parameters (B,) or scalars, z (Z,) -> (B, Z)."""
    om, w0, wa = (np.atleast_1d(np.asarray(p, float))[:, None] for p in (omega_m, w0, wa))
    z = np.asarray(z, float)[None, :]
    return np.sqrt(om * (1 + z) ** 3 + (1 - om) * dark_energy_density(z, w0, wa))


class DistanceGrid:
    """Dimensionless comoving distance chi(z) = int_0^z dz'/E(z') on a fixed grid, for a batch.

    z_max: top of the grid; n: grid points (2501 on [0, 2.5] gives errors below 1e-7).
    """

    def __init__(self, z_max: float = 2.5, n: int = 2501) -> None:
        self.z = np.linspace(0.0, z_max, n)

    def chi(self, z: np.ndarray, omega_m, w0=-1.0, wa=0.0) -> np.ndarray:
        """(B, Z): int_0^z dz'/E at the requested redshifts z (Z,), each within [0, z_max]."""
        z = np.asarray(z, float)
        if z.min() < 0 or z.max() > self.z[-1]:
            raise ValueError(f"redshifts must lie in [0, {self.z[-1]}], got [{z.min()}, {z.max()}]")
        inv_e = 1.0 / e_of_z(self.z, omega_m, w0, wa)  # (B, N)
        dz = np.diff(self.z)
        cumulative = np.concatenate([np.zeros((inv_e.shape[0], 1)), np.cumsum(0.5 * (inv_e[:, 1:] + inv_e[:, :-1]) * dz, axis=1)], axis=1)
        i = np.clip(np.searchsorted(self.z, z, side="right") - 1, 0, len(self.z) - 2)  # (Z,)
        frac = (z - self.z[i]) / (self.z[i + 1] - self.z[i])
        return cumulative[:, i] * (1 - frac) + cumulative[:, i + 1] * frac


DEFAULT_GRID = DistanceGrid()


def comoving_distance(z, h0, omega_m, w0=-1.0, wa=0.0, grid: DistanceGrid = DEFAULT_GRID) -> np.ndarray:
    """Line-of-sight (= transverse, flat) comoving distance in Mpc; h0 in km/s/Mpc. (B, Z)."""
    return C_KM_S / np.atleast_1d(np.asarray(h0, float))[:, None] * grid.chi(z, omega_m, w0, wa)


def bao_distances(z, kind, hrd, omega_m, w0=-1.0, wa=0.0, grid: DistanceGrid = DEFAULT_GRID) -> np.ndarray:
    """Predicted D_X / r_d for rows (z (n,), kind (n,) in DM/DH/DV); hrd = h * r_d in Mpc. (B, n).

    DM/rd = (c/100)/(h r_d) chi(z); DH/rd = (c/100)/(h r_d)/E(z); DV = (z DM^2 DH)^(1/3).
    """
    z, kind = np.asarray(z, float), np.asarray(kind)
    scale = HUBBLE_DISTANCE_H / np.atleast_1d(np.asarray(hrd, float))[:, None]  # (B, 1)
    dm = scale * grid.chi(z, omega_m, w0, wa)  # (B, n)
    dh = scale / e_of_z(z, omega_m, w0, wa)  # (B, n)
    dv = np.cbrt(z * dm**2 * dh)
    return np.where(kind == "DM", dm, np.where(kind == "DH", dh, dv))


def q0(omega_m, w0):
    """Deceleration parameter today, flat w0waCDM without radiation: q0 = 1/2 + (3/2) w0 (1 - Omega_m)."""
    return 0.5 + 1.5 * np.asarray(w0) * (1.0 - np.asarray(omega_m))
