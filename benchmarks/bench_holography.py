"""Speed of a full dE/dx curve: the vectorised closed-form path vs re-solving the integrals per point with `quad`.

Both compute x(z) [fm] and dE/dx(z) [GeV/fm] of one shooting string in the N_f = 2+1 background at T = 0.2 GeV;
the baseline integrates g(z_*) - g(z), x(z) and the dilaton afresh for every depth, as a per-point solver would.
Agreement is printed. Run: .venv/bin/python benchmarks/bench_holography.py   (about 20 s on 2 cores)
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
from scipy.integrate import quad

import reprolab.holography as holo
from reprolab.holography import background as hb


def point_by_point(bg: holo.Background, z_star: float, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The baseline: nested `quad` for x(z) (with the 1/sqrt launch singularity as an algebraic weight) and for phi."""
    m = bg.model
    g_prime = lambda y: float(bg.g_prime(y))  # noqa: E731
    drop = lambda y: -quad(g_prime, z_star, y, epsrel=1e-10)[0]  # noqa: E731
    slope_at_launch = -g_prime(z_star)
    e_over_p = np.sqrt(1 + quad(g_prime, 0, z_star, epsrel=1e-12)[0])
    x, dedx = [], []
    for zi in z:
        # x = int dz / sqrt(drop); drop ~ slope (z - z_*) near launch, so integrate sqrt((z-z_*)/drop) with weight (z-z_*)^-1/2
        smooth = lambda y: np.sqrt((y - z_star) / drop(y)) if y > z_star else 1 / np.sqrt(slope_at_launch)  # noqa: E731
        x.append(quad(smooth, z_star, zi, weight="alg", wvar=(-0.5, 0), epsrel=1e-9)[0] * holo.HBARC)
        phi = quad(lambda y: float(hb.dilaton_prime(m, np.array(y))), 0, zi, epsrel=1e-12)[0]
        a_s = hb.warp(m, zi) + phi / np.sqrt(6)
        dedx.append(-e_over_p * np.exp(2 * a_s) / zi**2 / (2 * np.pi) / holo.HBARC)
    return np.array(x), np.array(dedx)


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    m = holo.emd_model("2+1")
    bg = holo.Background(m, holo.zh_from_temperature(m, 0.2))
    start = time.perf_counter()
    for _ in range(20):
        tr = holo.trajectory(bg, 0.3, n=2001)
    t_vec = (time.perf_counter() - start) / 20
    sub = np.linspace(1, 2000, 40).astype(int)
    start = time.perf_counter()
    x_ref, dedx_ref = point_by_point(bg, 0.3, tr.z[sub])
    t_quad = (time.perf_counter() - start) / len(sub) * 2001
    print(f"max relative difference over 40 depths: x {np.abs(tr.x[sub] / x_ref - 1).max():.1e}, "
          f"dE/dx {np.abs(tr.dedx[sub] / dedx_ref - 1).max():.1e}")
    print(f"one 2001-point dE/dx curve: vectorised {t_vec * 1e3:.0f} ms, per-point quad {t_quad:.1f} s "
          f"(extrapolated from 40 points), ratio {t_quad / t_vec:.0f}x")
    start = time.perf_counter()
    holo.z_star_for_energy(bg, 20.0)
    print(f"fixed-E0 launch depth (root find over ~40 paths): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
