"""Phase structure of an EMD model: T(z_h) branches, free energy, first-order T_c, crossover and critical endpoint.

At fixed mu the grand potential obeys dOmega = -s dT along the curve T(z_h), so branches of one curve can be
compared by integrating -s dT in z_h. A first-order transition is where two branches have equal Omega; the
critical endpoint (CEP) is the smallest mu at which T(z_h) stops being monotonic (max_z_h dT/dz_h = 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from .background import entropy_density, temperature, warp_prime
from .models import EMDModel

ZH_RANGE = (0.05, 12.0)  # GeV^-1: from T of several GeV down to below 0.05 GeV for every preset


def zh_grid(n: int = 3000, zh_range: tuple[float, float] = ZH_RANGE) -> np.ndarray:
    """A geometric grid of horizons [GeV^-1], dense at small z_h where T varies fastest."""
    return np.geomspace(*zh_range, n)


def grand_potential(m: EMDModel, zh: np.ndarray, mu: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(T [GeV], Omega [GeV^4] up to a constant) along an increasing z_h grid at fixed mu."""
    t = temperature(m, zh, mu)
    s = entropy_density(m, zh)
    omega = -np.concatenate([[0.0], np.cumsum(0.5 * (s[1:] + s[:-1]) * np.diff(t))])
    return t, omega


@lru_cache(maxsize=64)
def _curve(m: EMDModel, mu: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z_h, T, Omega) on the geometric grid, cached per (model, mu, n): scans reuse one curve."""
    zh = zh_grid(n)
    return (zh, *grand_potential(m, zh, mu))


def _root_in_segment(m: EMDModel, mu: float, T: float, zs: np.ndarray, ts: np.ndarray) -> float:
    """The z_h in one decreasing segment (grid zs, temperatures ts) where T(z_h) = T, to 1e-13."""
    i = int(np.clip(np.searchsorted(-ts, -T), 1, len(ts) - 1))
    return brentq(lambda x: float(temperature(m, x, mu)) - T, zs[i - 1], zs[i], xtol=1e-13)


def _segments(t: np.ndarray) -> list[slice]:
    """Maximal index ranges on which T decreases with z_h (the thermodynamically stable kind of branch)."""
    dec = np.diff(t) < 0
    out, start = [], None
    for i, flag in enumerate(dec):
        if flag and start is None:
            start = i
        if not flag and start is not None:
            out.append(slice(start, i + 1))
            start = None
    if start is not None:
        out.append(slice(start, len(t)))
    return out


def zh_from_temperature(m: EMDModel, T: float, mu: float = 0.0, branch: str = "stable", n: int = 3000) -> float:
    """The horizon z_h [GeV^-1] of temperature T [GeV].

    branch: 'stable' (lowest grand potential among the solutions on decreasing branches), 'large' (the
    smallest z_h, i.e. the largest black hole) or 'small' (the largest z_h).
    """
    if branch not in ("stable", "large", "small"):
        raise ValueError(f"branch must be 'stable', 'large' or 'small', got {branch!r}")
    mu = m.check_mu(mu)
    zh, t, omega = _curve(m, mu, n)
    if not (t.min() < T < t.max()):
        raise ValueError(f"T = {T} GeV is outside the range {t.min():.4f}-{t.max():.3f} GeV reached by model "
                         f"{m.name!r} at mu = {mu} GeV (z_h in {ZH_RANGE} GeV^-1)")
    roots = []
    for seg in _segments(t):
        ts, zs = t[seg], zh[seg]
        if ts[-1] < T < ts[0]:
            roots.append((_root_in_segment(m, mu, T, zs, ts), float(np.interp(-T, -ts, omega[seg]))))
    if not roots:
        raise ValueError(f"no stable branch of model {m.name!r} reaches T = {T} GeV at mu = {mu} GeV")
    if branch == "large":
        return roots[0][0]
    if branch == "small":
        return roots[-1][0]
    return min(roots, key=lambda r: r[1])[0]


@dataclass(frozen=True)
class Transition:
    """A transition point: temperature T [GeV], chemical potential mu [GeV], horizon(s) z_h [GeV^-1], kind."""

    kind: str  # 'first order', 'crossover' or 'critical endpoint'
    T: float
    mu: float
    zh: tuple[float, ...]


def first_order_transition(m: EMDModel, mu: float = 0.0, zh_range: tuple[float, float] = (0.5, 12.0),
                           n: int = 8000) -> Transition:
    """The first-order transition at chemical potential mu [GeV]: where the branches on either side of the
    unstable (dT/dz_h > 0) segment of T(z_h) have equal grand potential."""
    zh = np.linspace(*zh_range, n)
    t, omega = grand_potential(m, zh, mu)
    segs = _segments(t)
    if len(segs) < 2:
        raise ValueError(f"model {m.name!r} has a single branch at mu = {mu} GeV for z_h in {zh_range}: "
                         "no first-order transition (crossover)")
    a, b = segs[0], segs[1]
    lo, hi = max(t[a].min(), t[b].min()), min(t[a].max(), t[b].max())
    gap = lambda T: np.interp(-T, -t[a], omega[a]) - np.interp(-T, -t[b], omega[b])  # noqa: E731
    if gap(lo + 1e-12) * gap(hi - 1e-12) > 0:
        raise ValueError(f"model {m.name!r} at mu = {mu} GeV: the branches do not cross for z_h in {zh_range}; "
                         "the transition lies at larger z_h (widen zh_range)")
    tc = brentq(gap, lo + 1e-12, hi - 1e-12, xtol=1e-12)
    z1, z2 = (_root_in_segment(m, mu, tc, zh[seg], t[seg]) for seg in (a, b))
    return Transition("first order", tc, mu, (z1, z2))


def _log_slope(m: EMDModel, zh: np.ndarray, mu: float, step: float = 1e-5) -> np.ndarray:
    """d ln T / d ln z_h by central differences."""
    up, down = temperature(m, zh * np.exp(step), mu), temperature(m, zh * np.exp(-step), mu)
    return (np.log(up) - np.log(down)) / (2 * step)


def sound_speed_squared(m: EMDModel, zh: np.ndarray) -> np.ndarray:
    """c_s^2 = d ln T / d ln s at mu = 0, with d ln s / d ln z_h = 3 z_h A'(z_h) - 3."""
    zh = np.asarray(zh, float)
    return _log_slope(m, zh, 0.0) / (3 * zh * warp_prime(m, zh) - 3)


def crossover_temperature(m: EMDModel, zh_range: tuple[float, float] = (0.5, 8.0)) -> Transition:
    """Pseudo-critical T at mu = 0: the minimum of c_s^2 (the softest point of the equation of state)."""
    zh = np.linspace(*zh_range, 800)
    i = int(np.argmin(sound_speed_squared(m, zh)))
    res = minimize_scalar(lambda z: float(sound_speed_squared(m, np.array(z))), bounds=(zh[max(i - 1, 0)], zh[min(i + 1, len(zh) - 1)]),
                          method="bounded", options={"xatol": 1e-8})
    return Transition("crossover", float(temperature(m, res.x)), 0.0, (float(res.x),))


def _max_slope(m: EMDModel, mu: float, zh: np.ndarray) -> tuple[float, float]:
    """(max over z_h of dT/dz_h, its z_h), refined from the grid maximum."""
    slope = lambda z: float((temperature(m, z + 1e-6, mu) - temperature(m, z - 1e-6, mu)) / 2e-6)  # noqa: E731
    grid = (temperature(m, zh + 1e-6, mu) - temperature(m, zh - 1e-6, mu)) / 2e-6
    i = int(np.argmax(grid))
    res = minimize_scalar(lambda z: -slope(z), bounds=(zh[max(i - 1, 0)], zh[min(i + 1, len(zh) - 1)]), method="bounded",
                          options={"xatol": 1e-9})
    return -float(res.fun), float(res.x)


def critical_endpoint(m: EMDModel, mu_bracket: tuple[float, float] = (0.05, None),
                      zh_range: tuple[float, float] = (1.0, 8.0)) -> Transition:
    """The CEP: the chemical potential where T(z_h) first develops a stationary point, and its temperature."""
    if m.mu_max == 0:
        raise ValueError(f"model {m.name!r} has no chemical potential, hence no critical endpoint")
    zh = np.linspace(*zh_range, 600)
    lo, hi = mu_bracket[0], mu_bracket[1] if mu_bracket[1] is not None else m.mu_max
    f = lambda mu: _max_slope(m, mu, zh)[0]  # noqa: E731
    if f(lo) >= 0 or f(hi) <= 0:
        raise ValueError(f"model {m.name!r}: no critical endpoint for mu in [{lo}, {hi}] GeV")
    mu_c = brentq(f, lo, hi, xtol=1e-8)
    z_c = _max_slope(m, mu_c, zh)[1]
    return Transition("critical endpoint", float(temperature(m, z_c, mu_c)), float(mu_c), (z_c,))
