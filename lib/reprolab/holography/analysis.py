"""Energy-loss summaries and scans over temperature and chemical potential, in both launch protocols.

Protocol 'fixed z_*' launches every string at the same depth; protocol 'fixed E0' picks z_* so that every
string carries the same total energy. The paper's choice is unknown, so both are reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .background import Background
from .models import EMDModel
from .phases import zh_from_temperature
from .shooting import trajectory, z_star_for_energy


def energy_loss_summary(m: EMDModel, T: float, mu: float, z_star: float, energy: float, x_probe: float,
                        sqrt_lambda: float = 1.0, launch_slope: float = 0.0, frame: str = "string",
                        n: int = 2001) -> dict[str, float]:
    """One state (T, mu) [GeV]: stopping distance [fm] and dE/dx [GeV/fm] summaries in both protocols.

    Keys: z_h, x_stop, launch, path_mean, horizon, at_x (dE/dx at x_probe fm) for fixed z_*; z_star_E0, launch_E0,
    path_mean_E0, x_stop_E0 for fixed E0.
    """
    bg = Background(m, zh_from_temperature(m, T, mu), mu)
    p1 = trajectory(bg, z_star, sqrt_lambda, launch_slope, frame, n)
    zs = z_star_for_energy(bg, energy, sqrt_lambda, launch_slope, frame)
    p2 = trajectory(bg, zs, sqrt_lambda, launch_slope, frame, n)
    return {"model": m.name, "T": T, "mu": mu, "z_h": bg.zh, "x_stop": p1.x_stop, "launch": p1.launch,
            "path_mean": p1.path_mean, "horizon": p1.horizon, "at_x": float(p1.at_distance(x_probe)),
            "z_star_E0": zs, "launch_E0": p2.launch, "path_mean_E0": p2.path_mean, "x_stop_E0": p2.x_stop}


def scan(m: EMDModel, temperatures: np.ndarray, mus: np.ndarray, **kwargs) -> pd.DataFrame:
    """energy_loss_summary over every (T, mu) pair of the two arrays (same length), one row each."""
    temperatures, mus = np.broadcast_arrays(np.asarray(temperatures, float), np.asarray(mus, float))
    return pd.DataFrame([energy_loss_summary(m, float(t), float(u), **kwargs) for t, u in zip(temperatures, mus)])


def increasing(values: np.ndarray) -> bool:
    """True when |values| grows strictly along the array (dE/dx is negative, so compare magnitudes); NaN -> False."""
    values = np.asarray(values, float)
    return bool(np.all(np.isfinite(values)) and np.all(np.diff(np.abs(values)) > 0))


def decreasing(values: np.ndarray) -> bool:
    """True when |values| shrinks strictly along the array; NaN -> False."""
    values = np.asarray(values, float)
    return bool(np.all(np.isfinite(values)) and np.all(np.diff(np.abs(values)) < 0))
