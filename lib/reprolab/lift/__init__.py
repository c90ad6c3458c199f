"""Notebook 05: LIFT, low-rank-informed sparse fine-tuning of principal weights (arXiv:2506.00772)."""

from . import plots
from .config import PROFILES, LiftConfig
from .experiment import (Domains, FinetuneResult, Scores, base_model, changed_fraction, domains_for, finetune, finetune_all,
                         generated_domains, mask_spectra, pretrained_domains, score)
from .finetune import METHODS, SPARSE_METHODS, Prepared, SparseSpec, memory_bytes, prepare, sparse_masks, target_modules

__all__ = [
    "plots", "PROFILES", "LiftConfig", "Domains", "FinetuneResult", "Scores", "base_model", "changed_fraction",
    "domains_for", "finetune", "finetune_all", "generated_domains", "mask_spectra", "pretrained_domains", "score",
    "METHODS", "SPARSE_METHODS", "Prepared", "SparseSpec", "memory_bytes", "prepare", "sparse_masks", "target_modules",
]
