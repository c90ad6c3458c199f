"""Early-universe quantities for the compressed CMB likelihood: theta_star and the drag-epoch r_d.

Units: densities as omega = Omega h^2; distances in Mpc; H in km/s/Mpc. Photons at
T_CMB = 2.7255 K, N_eff = 3.044 with one massive neutrino (0.06 eV, CAMB's convention: the
massive state carries N_eff/3 of the relativistic density), CDM, baryons and CPL dark energy.
Vectorised over a batch of B parameter sets on one fixed ln(a) grid.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import constants

from .background import C_KM_S

T_CMB = 2.7255  # K
N_EFF = 3.044
M_NU_EV = 0.06  # one massive neutrino, eV
NU_REL_PER_SPECIES = 7 / 8 * (4 / 11) ** (4 / 3)  # rho_nu / rho_gamma for one massless species
# Analytic theta_star (Hu & Sugiyama z*, exact r_s and D_M integrals) sits 0.12 % below CAMB's
# `thetastar`; this factor, measured against the CAMB table in data/desi_bao/camb_reference.csv
# (tests/cosmology/test_early.py re-measures it), removes the offset.
THETA_STAR_CALIBRATION = 1.00125


def omega_gamma(t_cmb: float = T_CMB) -> float:
    """Photon density omega_gamma = Omega_gamma h^2 for a CMB temperature in K (2.4728e-5 at 2.7255 K)."""
    rho_gamma = 4 * constants.Stefan_Boltzmann / constants.c**3 * t_cmb**4  # kg / m^3
    h100_si = 100e3 / (constants.parsec * 1e6)  # 100 km/s/Mpc in 1/s
    rho_crit_100 = 3 * h100_si**2 / (8 * math.pi * constants.G)
    return rho_gamma / rho_crit_100


@lru_cache(maxsize=1)
def _fermi_dirac_table() -> tuple[np.ndarray, np.ndarray]:
    """log y and log F(y), F = energy density of a massive fermion over its massless value, y = m/T."""
    q = np.linspace(1e-6, 60, 6000)[None, :]
    log_y = np.linspace(np.log(1e-4), np.log(1e5), 1500)
    y = np.exp(log_y)[:, None]
    occupation = 1.0 / (np.exp(q) + 1.0)
    massive = np.trapezoid(q**2 * np.sqrt(q**2 + y**2) * occupation, q, axis=1)
    massless = np.trapezoid(q**3 * occupation, q, axis=1)
    return log_y, np.log(massive / massless)


def massive_nu_density(a: np.ndarray, m_ev: float = M_NU_EV, n_eff: float = N_EFF, t_cmb: float = T_CMB) -> np.ndarray:
    """omega of the massive neutrino at scale factor a (any shape)."""
    degeneracy = n_eff / 3
    t_nu_ev = constants.k / constants.e * t_cmb * (4 / 11) ** (1 / 3) * degeneracy**0.25
    log_y, log_f = _fermi_dirac_table()
    y = np.clip(np.log(m_ev * a / t_nu_ev), log_y[0], log_y[-1])
    return degeneracy * NU_REL_PER_SPECIES * omega_gamma(t_cmb) * a**-4.0 * np.exp(np.interp(y, log_y, log_f))


def omega_nu_today(m_ev: float = M_NU_EV) -> float:
    """Non-relativistic neutrino density today, omega_nu (about m / 93 eV)."""
    return float(massive_nu_density(np.array(1.0), m_ev))


def hubble(a: np.ndarray, h, omega_b, omega_c, w0=-1.0, wa=0.0) -> np.ndarray:
    """H(a) in km/s/Mpc with radiation and neutrinos; parameters (B,), a (N,) -> (B, N)."""
    h, ob, oc, w0, wa = (np.atleast_1d(np.asarray(p, float))[:, None] for p in (h, omega_b, omega_c, w0, wa))
    og = omega_gamma()
    o_massless = (N_EFF * 2 / 3) * NU_REL_PER_SPECIES * og
    o_de = h**2 - og - o_massless - omega_nu_today() - ob - oc
    de = a ** (-3.0 * (1.0 + w0 + wa)) * np.exp(-3.0 * wa * (1.0 - a))
    total = (og + o_massless) * a**-4.0 + massive_nu_density(a)[None, :] + (ob + oc) * a**-3.0 + o_de * de
    return 100.0 * np.sqrt(total)


def z_star(omega_b, omega_m) -> np.ndarray:
    """Redshift of photon decoupling, Hu & Sugiyama (1996) fit."""
    ob, om = np.asarray(omega_b, float), np.asarray(omega_m, float)
    g1 = 0.0783 * ob**-0.238 / (1 + 39.5 * ob**0.763)
    g2 = 0.560 / (1 + 21.1 * ob**1.81)
    return 1048 * (1 + 0.00124 * ob**-0.738) * (1 + g1 * om**g2)


def theta_star(h, omega_b, omega_c, w0=-1.0, wa=0.0, n_grid: int = 2000, calibrated: bool = True) -> np.ndarray:
    """Angular size of the sound horizon at decoupling, r_s(z*) / D_M(z*) (CAMB's thetastar). (B,).

    n_grid points in ln a from 1e-8 to 1 (2000: 5e-6 relative, 0.02 sigma of the compressed CMB).
    """
    ob = np.atleast_1d(np.asarray(omega_b, float))
    log_a = np.linspace(np.log(1e-8), 0.0, n_grid)
    a = np.exp(log_a)
    H = hubble(a, h, omega_b, omega_c, w0, wa)  # (B, N)
    og = omega_gamma()
    sound = C_KM_S / np.sqrt(3 * (1 + 3 * ob[:, None] / (4 * og) * a[None, :]))  # (B, N) km/s
    d_log_a = log_a[1] - log_a[0]

    def cumulative(f: np.ndarray) -> np.ndarray:  # int from the first grid point, (B, N)
        return np.concatenate([np.zeros((f.shape[0], 1)), np.cumsum(0.5 * (f[:, 1:] + f[:, :-1]) * d_log_a, axis=1)], axis=1)

    rs_cum = cumulative(sound / (a * H))
    chi_cum = cumulative(C_KM_S / (a * H))
    log_a_star = -np.log1p(z_star(ob, ob + np.atleast_1d(omega_c) + omega_nu_today()))  # (B,)
    rs, chi_star = _interp_rows(log_a_star, log_a, rs_cum), _interp_rows(log_a_star, log_a, chi_cum)
    theta = rs / (chi_cum[:, -1] - chi_star)
    return theta * THETA_STAR_CALIBRATION if calibrated else theta


def _interp_rows(x: np.ndarray, grid: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Row b of `rows` (B, N) linearly interpolated at x[b] on the shared grid (N,). (B,)."""
    i = np.clip(np.searchsorted(grid, x) - 1, 0, len(grid) - 2)
    frac = (x - grid[i]) / (grid[i + 1] - grid[i])
    b = np.arange(len(x))
    return rows[b, i] * (1 - frac) + rows[b, i + 1] * frac


def r_drag(omega_b, omega_c, m_nu_ev: float = M_NU_EV) -> np.ndarray:
    """Sound horizon at the drag epoch in Mpc, Aubourg et al. 2015 eq. 16 (0.03 % from CAMB):
    r_d = 55.154 exp(-72.3 (omega_nu + 0.0006)^2) / (omega_cb^0.25351 omega_b^0.12807)."""
    ob, oc = np.asarray(omega_b, float), np.asarray(omega_c, float)
    onu = m_nu_ev / 93.14
    return 55.154 * np.exp(-72.3 * (onu + 0.0006) ** 2) / ((ob + oc) ** 0.25351 * ob**0.12807)
