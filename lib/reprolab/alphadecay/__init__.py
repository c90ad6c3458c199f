"""Notebook 03: AlphaDecay, module-wise weight decay from heavy-tailed spectra (arXiv:2506.14562)."""

from . import paper, plots, real_spectra
from .config import PROFILES, AlphaDecayConfig
from .decay import (ATTENTION_TYPES, METHODS, DecaySpec, ModuleWiseDecay, block_index, linear_map, module_type,
                    tuned_modules)
from .experiment import LMData, RunResult, build_model, decay_spec, prepare_data, run, run_all
from .spectra import eigenvalues, hill_alpha, ks_alpha, module_alphas, weightwatcher_alphas

__all__ = [
    "paper", "plots", "real_spectra", "PROFILES", "AlphaDecayConfig",
    "ATTENTION_TYPES", "METHODS", "DecaySpec", "ModuleWiseDecay", "block_index", "linear_map", "module_type", "tuned_modules",
    "LMData", "RunResult", "build_model", "decay_spec", "prepare_data", "run", "run_all",
    "eigenvalues", "hill_alpha", "ks_alpha", "module_alphas", "weightwatcher_alphas",
]
