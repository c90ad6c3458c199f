"""Sparse masks and an optimizer that keeps state only for masked entries (shared by LIFT and SEFT)."""

from .masks import lora_equivalent_budget, magnitude_mask, principal_mask, topk_mask
from .optim import MaskedAdamW

__all__ = ["lora_equivalent_budget", "magnitude_mask", "principal_mask", "topk_mask", "MaskedAdamW"]
