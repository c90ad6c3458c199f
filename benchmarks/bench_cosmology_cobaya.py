"""Peer comparison: DR2 BAO w0waCDM posterior with reprolab (analytic + emcee) vs cobaya + CAMB.

cobaya runs its own DESI DR2 likelihood (`bao.desi_dr2.desi_bao_all`) on the DR2 files this
project ships, written in cobaya's bao_data layout into a temporary packages folder (no download).
Both use DESI's priors (w0 in [-3, 1], wa in [-3, 2], w0 + wa < 0); cobaya samples
(H0, ombh2 with a BBN prior, omch2, w, wa) and gets r_d from CAMB, reprolab samples
(Omega_m, h r_d, w0, wa). Converged means: cobaya R-1 < 0.01; emcee longer than 50 tau.

Needs the `bench` extra: pip install -e ".[bench]"   (cobaya + camb; about 3 minutes to run)
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

import reprolab.cosmology as cosmo

QUANTITY = {"DM": "DM_over_rs", "DH": "DH_over_rs", "DV": "DV_over_rs"}


def write_bao_data(root: Path, data: cosmo.BAOData) -> None:
    """The DR2 vector and covariance in cobaya's bao_data layout, with the version file it checks."""
    folder = root / "data" / "bao_data" / "desi_bao_dr2"
    folder.mkdir(parents=True)
    (root / "data" / "bao_data" / "version.dat").write_text("2.6\n")
    rows = [f"{z:.4f} {v:.10f} {QUANTITY[k]}" for z, v, k in zip(data.z, data.value, data.kind)]
    (folder / "desi_gaussian_bao_ALL_GCcomb_mean.txt").write_text("# z value quantity\n" + "\n".join(rows) + "\n")
    np.savetxt(folder / "desi_gaussian_bao_ALL_GCcomb_cov.txt", data.cov)


def run_cobaya(packages: Path) -> tuple[float, dict[str, float]]:
    from cobaya.run import run

    info = {
        "packages_path": str(packages),
        "theory": {"camb": {"extra_args": {"dark_energy_model": "ppf", "num_massive_neutrinos": 1, "nnu": 3.044}}},
        "likelihood": {"bao.desi_dr2.desi_bao_all": None},
        "params": {
            "H0": {"prior": {"min": 20, "max": 100}, "ref": 65, "proposal": 2},
            "ombh2": {"prior": {"dist": "norm", "loc": 0.02218, "scale": 0.00055}, "ref": 0.0222, "proposal": 0.0005},
            "omch2": {"prior": {"min": 0.001, "max": 0.99}, "ref": 0.12, "proposal": 0.005},
            "w": {"prior": {"min": -3, "max": 1}, "ref": -0.6, "proposal": 0.1},
            "wa": {"prior": {"min": -3, "max": 2}, "ref": -1.0, "proposal": 0.3},
            "mnu": 0.06, "omegam": None,
        },
        "prior": {"w0_plus_wa_negative": "lambda w, wa: 0 if w + wa < 0 else -np.inf"},
        "sampler": {"mcmc": {"Rminus1_stop": 0.01, "max_tries": 10_000}},
    }
    start = time.perf_counter()
    _, sampler = run(info)
    seconds = time.perf_counter() - start
    table = sampler.products()["sample"].data  # pandas: one row per accepted point, with its weight
    weight = table["weight"] / table["weight"].sum()
    return seconds, {"omega_m": float((table["omegam"] * weight).sum()), "w0": float((table["w"] * weight).sum()),
                     "n": len(table)}


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    dr2 = cosmo.load_bao("DR2")
    start = time.perf_counter()
    chain = cosmo.sample(cosmo.Posterior("w0wa_bao", dr2, cosmo.desi_prior()), n_steps=4000, seed=0)
    ours = time.perf_counter() - start
    print(f"reprolab: {ours:.1f} s, steps/tau = {chain.n_steps / chain.tau.max():.0f}, "
          f"Omega_m = {chain.summary('omega_m')['mean']:.3f}, w0 = {chain.summary('w0')['mean']:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        write_bao_data(Path(tmp), dr2)
        peer, stats = run_cobaya(Path(tmp))
    print(f"cobaya + CAMB: {peer:.1f} s, {stats['n']} samples, Omega_m = {stats['omega_m']:.3f}, w0 = {stats['w0']:.3f}")
    print(f"ratio cobaya / reprolab = {peer / ours:.1f}x")


if __name__ == "__main__":
    main()
