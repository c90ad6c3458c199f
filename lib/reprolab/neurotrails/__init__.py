"""Notebook 08: NeuroTrails, sparse multi-head ensembles with evolving topology (arXiv:2505.17909)."""

from . import plots
from .config import PROFILES, VARIANTS, NeuroTrailsConfig
from .ensemble import batched_scores, calibration_error, ensemble_logits, scores
from .experiment import (RunResult, Variant, balanced_subset, evaluate_language, evaluate_vision, language_data,
                         lm_variants, main_density, matching_density, mnist1d, nonzero_budget, run_all, run_language,
                         run_vision, vision_data, vision_variants)
from .lm_heads import MultiHeadCausalLM
from .models import MultiHeadResNet, ResNetConfig, resnet_preset, unpack_heads

__all__ = [
    "plots", "PROFILES", "VARIANTS", "NeuroTrailsConfig", "batched_scores", "calibration_error", "ensemble_logits",
    "scores", "RunResult", "Variant", "balanced_subset", "evaluate_language", "evaluate_vision", "language_data",
    "lm_variants", "main_density", "matching_density", "mnist1d", "nonzero_budget", "run_all", "run_language",
    "run_vision", "vision_data", "vision_variants", "MultiHeadCausalLM", "MultiHeadResNet", "ResNetConfig",
    "resnet_preset", "unpack_heads",
]
