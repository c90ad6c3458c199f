"""Closed forms for the shooting string in AdS5-Schwarzschild (g = 1 - z^4/z_h^4, T = 1/(pi z_h)).

x(z) = z_h^2/(sqrt2 z_*) F(arccos(z_*/z) | 1/2) and dE/dx = -(sqrt(lambda)/2pi) sqrt(1 - z_*^4/z_h^4)/z^2. For z_* << z_h,
x_stop T = C (E/(T sqrt(lambda)))^{1/3}: the light-quark stopping law. Units as in `shooting` (fm, GeV/fm, GeV).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ellipkinc, gamma

from .models import HBARC

C1_STOP = gamma(0.25) ** 2 / (4 * np.sqrt(2 * np.pi))  # x_stop -> z_h^2 C1 / z_*
C2_ENERGY = np.sqrt(np.pi) * gamma(0.75) / gamma(0.25)  # E_0 -> (sqrt(lambda)/2pi) z_h^2 C2 / z_*^3
C_SHOOT = (2 * np.pi * C1_STOP**3 / C2_ENERGY) ** (1 / 3) / np.pi ** (4 / 3)  # x_stop T = C (E/(T sqrt(lambda)))^(1/3)


def distance(z: np.ndarray, z_star: float, zh: float) -> np.ndarray:
    """x(z) [fm] of a string launched horizontally at z_star [GeV^-1]."""
    phi = np.arccos(z_star / np.asarray(z, float))
    return zh**2 / (np.sqrt(2) * z_star) * ellipkinc(phi, 0.5) * HBARC


def energy_loss(z: np.ndarray, z_star: float, zh: float, sqrt_lambda: float = 1.0) -> np.ndarray:
    """dE/dx [GeV/fm] at depth z."""
    return -sqrt_lambda / (2 * np.pi) * np.sqrt(1 - (z_star / zh) ** 4) / np.asarray(z, float) ** 2 / HBARC


def stopping_distance_law(energy: np.ndarray, T: float, sqrt_lambda: float = 1.0) -> np.ndarray:
    """Leading small-z_* stopping distance [fm] for total energy `energy` [GeV] at temperature T [GeV]."""
    return C_SHOOT / T * (np.asarray(energy, float) / (T * sqrt_lambda)) ** (1 / 3) * HBARC
