"""Notebook 06: SEFT, sparsity-evolution fine-tuning of pruned LLMs (arXiv:2505.24037)."""

from .config import PROFILES, SeftConfig
from .evolution import EvolutionConfig, SparsityEvolution
from .experiment import (Domains, RepairResult, Scores, base_model, damage_sweep, domains_for, generated_domains, paper_domains, pretrained_domains, prune,
                         repair, repair_all, score)
from . import plots
from .finetune import METHODS, Prepared, finish, memory_bytes, prepare, weight_sparsity

__all__ = [
    "plots", "PROFILES", "SeftConfig", "EvolutionConfig", "SparsityEvolution", "Domains", "RepairResult", "Scores", "base_model", "damage_sweep",
    "domains_for", "generated_domains", "paper_domains", "pretrained_domains", "prune", "repair", "repair_all", "score", "METHODS", "Prepared",
    "finish", "memory_bytes", "prepare", "weight_sparsity",
]
