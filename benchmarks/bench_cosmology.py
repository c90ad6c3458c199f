"""Speed of the BAO likelihood: batched evaluation on a fixed grid vs a per-point scipy `quad` baseline.

Both compute the same DR2 BAO chi^2 for the same w0waCDM parameter sets (agreement is printed).
Run: .venv/bin/python benchmarks/bench_cosmology.py   (about 20 s on 2 cores)
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
from scipy.integrate import quad

import reprolab.cosmology as cosmo


def chi2_quad(theta: np.ndarray, data: cosmo.BAOData, inv_cov: np.ndarray) -> float:
    """The baseline: one `quad` per redshift for one parameter set."""
    om, hrd, w0, wa = theta

    def e(z: float) -> float:
        return float(cosmo.e_of_z(np.array([z]), om, w0, wa)[0, 0])

    scale = cosmo.background.HUBBLE_DISTANCE_H / hrd
    pred = []
    for z, kind in zip(data.z, data.kind):
        dm = scale * quad(lambda x: 1 / e(x), 0, z, epsabs=0, epsrel=1e-8)[0]
        dh = scale / e(z)
        pred.append({"DM": dm, "DH": dh, "DV": np.cbrt(z * dm**2 * dh)}[kind])
    r = np.array(pred) - data.value
    return float(r @ inv_cov @ r)


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    dr2 = cosmo.load_bao("DR2")
    post = cosmo.Posterior("w0wa_bao", dr2, cosmo.desi_prior())
    rng = np.random.default_rng(0)
    theta = np.column_stack([rng.uniform(0.25, 0.4, 32), rng.uniform(95, 105, 32), rng.uniform(-1.2, -0.3, 32),
                             rng.uniform(-2, 0.5, 32)])
    start = time.perf_counter()
    for _ in range(100):
        batched = post.chi2(theta)
    t_batched = (time.perf_counter() - start) / (100 * len(theta))
    start = time.perf_counter()
    baseline = np.array([chi2_quad(t, dr2, dr2.inv_cov) for t in theta])
    t_quad = (time.perf_counter() - start) / len(theta)
    print(f"max relative chi2 difference (801-point grid vs quad) = {np.abs(batched / baseline - 1).max():.1e}")
    print(f"BAO chi2 per parameter set: batched {t_batched * 1e6:.0f} us ({1 / t_batched:,.0f}/s), "
          f"per-point quad {t_quad * 1e3:.1f} ms ({1 / t_quad:,.0f}/s), ratio {t_quad / t_batched:.0f}x")
    cmb = cosmo.Posterior("w0wa_bao_cmb", dr2, cosmo.desi_prior(), cosmo.load_cmb_compressed())
    start = time.perf_counter()
    chain = cosmo.sample(cmb, 2500, seed=0)
    print(f"DR2 BAO+CMB w0waCDM posterior, 32 walkers x 2500 steps: {time.perf_counter() - start:.1f} s "
          f"(steps / max tau = {chain.n_steps / chain.tau.max():.0f}; w0 = {chain.summary('w0')['mean']:.3f})")


if __name__ == "__main__":
    main()
