"""Sparse masks, one-shot pruning, drop-and-grow, and an optimizer that keeps state only for masked entries
(shared by LIFT, SEFT and NeuroTrails)."""

from .dst import DSTConfig, DynamicSparsity, erk_densities
from .evolve import drop_and_grow, drop_and_grow_rows, drop_fraction
from .masks import lora_equivalent_budget, magnitude_mask, principal_mask, top_indices, topk_mask
from .optim import MaskedAdamW, optimizer_state_bytes
from .prune import PRUNERS, check_sparsity, decoder_layers, decoder_layers_path, keep_mask, prune_model, sparsegpt_prune, sparsity_of, target_modules, wanda_score

__all__ = [
    "DSTConfig", "DynamicSparsity", "erk_densities",
    "drop_and_grow", "drop_and_grow_rows", "drop_fraction", "lora_equivalent_budget", "magnitude_mask", "principal_mask", "top_indices", "topk_mask",
    "MaskedAdamW", "optimizer_state_bytes", "PRUNERS", "check_sparsity", "decoder_layers", "decoder_layers_path", "keep_mask", "prune_model", "sparsegpt_prune",
    "sparsity_of", "target_modules", "wanda_score",
]
