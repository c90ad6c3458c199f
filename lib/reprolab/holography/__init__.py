"""Notebook 09: light-quark energy loss from shooting strings in flavour-dependent EMD plasmas (arXiv:2504.04979)."""

from . import ads, plots
from .analysis import decreasing, energy_loss_summary, increasing, scan
from .background import (Background, dilaton, entropy_density, field_equation_residuals, integrate_from_horizon,
                         string_warp, temperature, warp)
from .config import PROFILES, HoloConfig
from .models import HBARC, MODELS, EMDModel, emd_model
from .phases import (Transition, critical_endpoint, crossover_temperature, first_order_transition,
                     grand_potential, sound_speed_squared, zh_from_temperature, zh_grid)
from .shooting import Trajectory, trajectory, z_star_for_energy

__all__ = [
    "ads", "plots", "decreasing", "energy_loss_summary", "increasing", "scan", "integrate_from_horizon",
    "Background", "dilaton", "entropy_density", "field_equation_residuals", "string_warp", "temperature", "warp",
    "PROFILES", "HoloConfig", "HBARC", "MODELS", "EMDModel", "emd_model",
    "Transition", "critical_endpoint", "crossover_temperature", "first_order_transition",
    "grand_potential", "sound_speed_squared", "zh_from_temperature", "zh_grid",
    "Trajectory", "trajectory", "z_star_for_energy",
]
