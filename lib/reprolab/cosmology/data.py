"""DESI BAO data vectors and covariances, and the compressed CMB likelihood, from `data/desi_bao/`.

Rows carry their tracer bin, effective redshift and quantity (DM, DH or DV over r_d), so code
selects by name, never by position (the Lya rows are DM, DH in DR1 but DH, DM in DR2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.data_files import data_file

RELEASES = ("DR1", "DR2")
QUANTITIES = {"DM_over_rd": "DM", "DH_over_rd": "DH", "DV_over_rd": "DV"}
BINS = ("BGS", "LRG1", "LRG2", "LRG3+ELG1", "ELG2", "QSO", "Lya")


class DataFileError(ValueError):
    """A malformed BAO or CMB data file."""


@dataclass(frozen=True)
class BAOData:
    """A Gaussian BAO data vector: n rows of (bin, z_eff, kind, value) and an (n, n) covariance."""

    release: str
    bins: np.ndarray  # (n,) str: tracer bin of each row
    z: np.ndarray  # (n,) effective redshift
    kind: np.ndarray  # (n,) str: 'DM', 'DH' or 'DV' (each over r_d)
    value: np.ndarray  # (n,) measured D_X / r_d
    cov: np.ndarray  # (n, n)

    @property
    def bin_names(self) -> list[str]:
        """Bins in row order, each once."""
        return list(dict.fromkeys(self.bins.tolist()))

    @property
    def inv_cov(self) -> np.ndarray:
        return np.linalg.inv(self.cov)

    def select(self, bins: list[str] | None = None, drop: list[str] | None = None) -> "BAOData":
        """The rows of `bins` (default all) minus those of `drop`, with the matching covariance block."""
        for name in (bins or []) + (drop or []):
            if name not in self.bin_names:
                raise KeyError(f"unknown bin {name!r} in {self.release}; available: {', '.join(self.bin_names)}")
        keep = np.isin(self.bins, bins if bins is not None else self.bin_names) & ~np.isin(self.bins, drop or [])
        if not keep.any():
            raise ValueError("the selection leaves no rows")
        idx = np.flatnonzero(keep)
        return BAOData(self.release, self.bins[idx], self.z[idx], self.kind[idx], self.value[idx], self.cov[np.ix_(idx, idx)])


def _read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    table = pd.read_csv(path, comment="#")
    missing = set(columns) - set(table.columns)
    if missing:
        raise DataFileError(f"{path.name} lacks column(s) {sorted(missing)}; expected {columns}")
    return table


def check_covariance(cov: np.ndarray, n: int, name: str) -> np.ndarray:
    """Raise DataFileError unless `cov` is (n, n), symmetric and positive definite."""
    if cov.shape != (n, n):
        raise DataFileError(f"{name}: covariance has shape {cov.shape}, expected ({n}, {n}) to match the data rows")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0):
        raise DataFileError(f"{name}: covariance is not symmetric")
    if np.linalg.eigvalsh(cov).min() <= 0:
        raise DataFileError(f"{name}: covariance is not positive definite")
    return cov


def read_bao(mean_path: Path, cov_path: Path, release: str) -> BAOData:
    """Parse a mean table (bin, z_eff, quantity, value) and its covariance matrix file."""
    table = _read_table(mean_path, ["bin", "z_eff", "quantity", "value"])
    bad = sorted(set(table["quantity"]) - set(QUANTITIES))
    if bad:
        raise DataFileError(f"{mean_path.name}: unknown quantity {bad}; allowed: {', '.join(QUANTITIES)}")
    if (table["z_eff"] <= 0).any() or (table["value"] <= 0).any():
        raise DataFileError(f"{mean_path.name}: z_eff and value must be positive")
    cov = np.loadtxt(cov_path, delimiter=",", comments="#", ndmin=2)
    check_covariance(cov, len(table), cov_path.name)
    return BAOData(release, table["bin"].to_numpy(str), table["z_eff"].to_numpy(float),
                   table["quantity"].map(QUANTITIES).to_numpy(str), table["value"].to_numpy(float), cov)


def load_bao(release: str = "DR2", split_lrg3_elg1: bool = False) -> BAOData:
    """DESI BAO (all tracers) for `release` ('DR1' or 'DR2').

    split_lrg3_elg1 (DR2 only): replace the combined LRG3+ELG1 bin by LRG3 and ELG1 measured
    separately (DESI DR2 Table IV, printed precision), to study ELG1 on its own.
    """
    if release not in RELEASES:
        raise ValueError(f"unknown release {release!r}; allowed: {', '.join(RELEASES)}")
    stem = release.lower()
    data = read_bao(data_file(f"desi_bao/{stem}_mean.csv"), data_file(f"desi_bao/{stem}_cov.csv"), release)
    if not split_lrg3_elg1:
        return data
    if release != "DR2":
        raise ValueError("split_lrg3_elg1 is available for DR2 only (DR1's separate LRG3/ELG1 values are not shipped)")
    split = _read_table(data_file("desi_bao/dr2_lrg3_elg1_split.csv"),
                        ["bin", "z_eff", "DM_over_rd", "DM_sigma", "DH_over_rd", "DH_sigma", "r"])
    rest = data.select(drop=["LRG3+ELG1"])
    bins, z, kind, value, blocks = [rest.bins], [rest.z], [rest.kind], [rest.value], [rest.cov]
    for row in split.itertuples():
        bins.append(np.array([row.bin] * 2))
        z.append(np.array([row.z_eff] * 2))
        kind.append(np.array(["DM", "DH"]))
        value.append(np.array([row.DM_over_rd, row.DH_over_rd]))
        off = row.r * row.DM_sigma * row.DH_sigma
        blocks.append(np.array([[row.DM_sigma**2, off], [off, row.DH_sigma**2]]))
    n = sum(len(b) for b in value)
    cov, i = np.zeros((n, n)), 0
    for block in blocks:
        k = block.shape[0]
        cov[i : i + k, i : i + k] = block
        i += k
    return BAOData("DR2", np.concatenate(bins), np.concatenate(z), np.concatenate(kind), np.concatenate(value), cov)


@dataclass(frozen=True)
class CompressedCMB:
    """Gaussian likelihood in (theta_star, omega_b, omega_bc): mean (3,) and covariance (3, 3)."""

    names: tuple[str, ...]
    mean: np.ndarray
    cov: np.ndarray
    source: str


def load_cmb_compressed(path: Path | None = None) -> CompressedCMB:
    """DESI DR2's compressed Planck PR4 CMB likelihood (theta_star is CAMB's thetastar, not 100 theta)."""
    path = path or data_file("desi_bao/cmb_compressed_pr4.json")
    raw = json.loads(Path(path).read_text())
    if raw.get("names") != ["theta_star", "omega_b", "omega_bc"]:
        raise DataFileError(f"{Path(path).name}: names must be ['theta_star', 'omega_b', 'omega_bc'], got {raw.get('names')}")
    cov = check_covariance(np.asarray(raw["cov"], float), 3, Path(path).name)
    return CompressedCMB(tuple(raw["names"]), np.asarray(raw["mean"], float), cov, raw.get("source", ""))
