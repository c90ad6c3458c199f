"""Parameters of notebook 10 (DESI DR1 vs DR2 BAO) and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core.profiles import check_ranges


@dataclass
class DesiConfig:
    """Chain lengths, the relaxed prior ranges (the paper's are not public) and reference values."""

    seed: int = 0  # seeds every emcee chain (chain k uses seed + k)
    n_walkers: int = 32  # emcee walkers per chain
    steps_desi: int = 3000  # BAO-only w0waCDM chains with DESI priors (tau ~ 70 steps)
    steps_relaxed: int = 5000  # BAO-only w0waCDM chains with relaxed priors (tau ~ 100-300 steps)
    steps_cmb: int = 2500  # BAO + compressed CMB chains (tau ~ 55 steps; 8 ms per step)
    burn_fraction: float = 0.3  # share of each chain discarded
    w0_range: tuple[float, float] = (-10.0, 10.0)  # relaxed prior on w0 (DESI: -3, 1)
    wa_range: tuple[float, float] = (-20.0, 20.0)  # relaxed prior on wa (DESI: -3, 2)
    relaxed_w0_plus_wa_negative: bool = False  # keep DESI's w0 + wa < 0 cut in the relaxed prior
    planck_omega_m: float = 0.3153  # Planck 2018 TT,TE,EE+lowE+lensing LCDM, reference for per-bin pulls
    planck_omega_m_sigma: float = 0.0073
    q0_probability_limit: float = 0.84  # "q0 < 0 established" needs P(q0 < 0) above this (1 sigma)

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_walkers": ">=10",  # 2 x 5 parameters
        "steps_desi": ">=100",
        "steps_relaxed": ">=100",
        "steps_cmb": ">=100",
        "burn_fraction": "[0,1)",
        "w0_range": "any",
        "wa_range": "any",
        "planck_omega_m": ">0",
        "planck_omega_m_sigma": ">0",
        "q0_probability_limit": "(0,1)",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        if not (self.w0_range[0] < self.w0_range[1] and self.wa_range[0] < self.wa_range[1]):
            raise ValueError(f"prior ranges need low < high, got w0 {self.w0_range}, wa {self.wa_range}")


PROFILES: dict[str, dict] = {
    "default": {},  # about 2.5 minutes on 2 CPU cores; relaxed chains shorter than 50 tau (reported)
    "paper": {"n_walkers": 64, "steps_desi": 10_000, "steps_relaxed": 30_000, "steps_cmb": 10_000},  # all > 50 tau
}
