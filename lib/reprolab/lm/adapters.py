"""LoRA / DoRA adapters (peft) on every linear layer of a causal LM except its output head."""

from __future__ import annotations

import warnings

import torch


def add_lora(model: torch.nn.Module, rank: int, dora: bool = False):
    """`model` wrapped by peft with rank-`rank` adapters (alpha = 2 rank, no dropout) on every nn.Linear but lm_head.

    A rank-r LoRA on an (m, n) matrix trains (m + n) r parameters; DoRA adds m magnitudes. Only adapters train.
    """
    from peft import LoraConfig, get_peft_model

    if rank < 1:
        raise ValueError(f"the LoRA rank must be a positive integer, got {rank}")
    names = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules()
                    if isinstance(m, torch.nn.Linear) and "lm_head" not in n})
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=names, use_dora=dora)
    with warnings.catch_warnings():  # transformers deprecates an attribute peft still reads (harmless)
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return get_peft_model(model, config)
