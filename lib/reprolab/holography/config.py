"""Parameters of notebook 09 (holographic light-quark energy loss) and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core.profiles import check_ranges
from .background import FRAMES


@dataclass
class HoloConfig:
    """String launch, coupling and scan settings. Units: GeV, GeV^-1 for depths, fm for distances."""

    sqrt_lambda: float = 1.0  # 't Hooft coupling sqrt(lambda); dE/dx scales linearly with it (paper's value unknown)
    z_star: float = 0.3  # launch depth [GeV^-1] of the 'fixed z_*' protocol (paper's value unknown)
    energy: float = 20.0  # total energy E0 [GeV] of the 'fixed E0' protocol
    launch_slope: float = 0.0  # (dz/dx) at launch; 0 is the FGG horizontal launch
    frame: str = "string"  # metric factor of dE/dx: 'string' (e^{2A_s}/z^2) or 'einstein' (e^{2A}/z^2)
    x_probe: float = 0.08  # distance [fm] at which dE/dx is compared across temperatures (below every x_stop)
    temperature: float = 0.3  # T [GeV] of the flavour comparison (mu = 0)
    mu_temperature: float = 0.2  # T [GeV] of the chemical-potential scan
    mu_values: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4)  # mu_B [GeV] of the scan (N_f = 2, 2+1)
    t_ratios: tuple[float, ...] = (1.0, 1.2, 1.5, 2.0)  # T / T_c of the dE/dx(x) curves
    n_temperatures: int = 10  # points of the T scan from T_c to t_max_ratio T_c
    t_max_ratio: float = 2.5
    t_below_ratio: float = 0.8  # the crossover models are also scanned down to this T / T_c
    n_points: int = 2001  # samples per string path (odd)

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "sqrt_lambda": ">0",
        "z_star": ">0",
        "energy": ">0",
        "launch_slope": ">=0",
        "x_probe": ">0",
        "temperature": ">0",
        "mu_temperature": ">0",
        "mu_values": "[0,1]",  # GeV
        "t_ratios": ">=1",  # T / T_c
        "n_temperatures": ">=3",
        "t_max_ratio": ">1",
        "t_below_ratio": "(0,1)",
        "n_points": ">=101",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.frame not in FRAMES:
            raise ValueError(f"frame must be one of {FRAMES}, got {self.frame!r}")
        if self.n_points % 2 == 0:
            raise ValueError(f"n_points must be odd, got {self.n_points}")
        if len(self.mu_values) < 2:
            raise ValueError(f"mu_values need at least two values in [0, 1] GeV, got {self.mu_values}")


PROFILES: dict[str, dict] = {
    "default": {},  # about 1 minute on 2 CPU cores
    "paper": {"n_points": 8001, "n_temperatures": 30, "mu_values": tuple(0.05 * i for i in range(13))},  # finer scans
    "lambda_6pi": {"sqrt_lambda": (6 * 3.141592653589793) ** 0.5},  # lambda = 6 pi (alpha_s = 0.5, N_c = 3)
}
