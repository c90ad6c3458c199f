"""Notebook 08: NeuroTrails, sparse multi-head ensembles with evolving topology (arXiv:2505.17909)."""

from . import plots
from .config import PROFILES, VARIANTS, NeuroTrailsConfig
from .ensemble import ensemble_logits, scores
from .experiment import (RunResult, Variant, language_data, lm_variants, matching_density, mnist1d, nonzero_budget, run_all, run_language, run_vision,
                         vision_variants)
from .lm_heads import MultiHeadCausalLM
from .models import MultiHeadResNet1d, ResNet1dConfig, unpack_heads

__all__ = [
    "plots", "PROFILES", "VARIANTS", "NeuroTrailsConfig", "ensemble_logits", "scores", "RunResult", "Variant",
    "language_data", "lm_variants", "matching_density", "mnist1d", "nonzero_budget", "run_all", "run_language", "run_vision", "vision_variants",
    "MultiHeadCausalLM", "MultiHeadResNet1d", "ResNet1dConfig", "unpack_heads",
]
