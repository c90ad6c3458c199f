"""Fine-tuning methods at an equal trainable budget: LIFT, magnitude-masked sparse FT, full FT, LoRA and DoRA.

LIFT (and the magnitude baseline) train only k = (m+n) r_b entries of every target matrix, chosen as the largest
entries of |rank-r approximation| (or of |W|) and re-chosen from the current weights every `update_interval` steps;
embeddings, norms and lm_head are frozen, as in the released scripts. LoRA uses `peft` with rank r_b on the same
matrices, so it trains exactly k parameters per matrix too; DoRA adds its m magnitude parameters per matrix.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import torch

from ..lm import add_lora
from ..sparsity import MaskedAdamW, magnitude_mask, optimizer_state_bytes, principal_mask, target_modules

METHODS = ("full", "lora", "dora", "lift", "lift_smallest", "magnitude")
SPARSE_METHODS = ("lift", "lift_smallest", "magnitude")


@dataclass
class SparseSpec:
    """How sparse methods choose their entries."""

    budget_rank: int = 4  # r_b: k = (m + n) r_b entries per matrix (LoRA-rank equivalent)
    filter_rank: int = 4  # r: rank of the approximation whose largest entries are chosen
    update_interval: int = 100  # optimizer steps between mask refreshes
    svd: str = "exact"  # 'exact' or 'randomized'


def sparse_masks(model: torch.nn.Module, method: str, spec: SparseSpec) -> dict[str, torch.Tensor]:
    """The current mask of every target matrix for a sparse method."""
    if method not in SPARSE_METHODS:
        raise ValueError(f"{method!r} is not a sparse method; sparse methods: {', '.join(SPARSE_METHODS)}")
    masks = {}
    for name, module in target_modules(model).items():
        if method == "magnitude":
            masks[name] = magnitude_mask(module.weight, spec.budget_rank)
        else:
            masks[name] = principal_mask(module.weight, spec.filter_rank, spec.budget_rank,
                                         largest=method == "lift", svd=spec.svd)
    return masks


@dataclass
class Prepared:
    """A model ready to fine-tune with its optimizer and the hook that refreshes sparse masks (or None)."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    after_step: Callable[[int, torch.nn.Module, torch.optim.Optimizer], None] | None
    trainable: int  # parameters the optimizer updates (sparse methods: masked entries)


def prepare(base: torch.nn.Module, method: str, lr: float, spec: SparseSpec, betas: tuple[float, float] = (0.9, 0.95),
            total_steps: int | None = None) -> Prepared:
    """A fresh copy of `base` set up for `method` (see the module docstring); sparse masks are refreshed every
    `update_interval` steps except after the last of `total_steps` (a mask that would never be trained)."""
    if method not in METHODS:
        raise ValueError(f"unknown fine-tuning method {method!r}; allowed: {', '.join(METHODS)}")
    model = copy.deepcopy(base)
    if method == "full":
        params = [p for p in model.parameters() if p.requires_grad]
        return Prepared(model, torch.optim.AdamW(params, lr=lr, betas=betas, eps=1e-6, weight_decay=0.0), None,
                        sum(p.numel() for p in params))
    if method in ("lora", "dora"):
        model = add_lora(model, spec.budget_rank, dora=method == "dora")
        params = [p for p in model.parameters() if p.requires_grad]
        return Prepared(model, torch.optim.AdamW(params, lr=lr, betas=betas, eps=1e-6, weight_decay=0.0), None,
                        sum(p.numel() for p in params))
    return sparse_finetuning(model, method, lr, spec, betas, total_steps)


def sparse_finetuning(model: torch.nn.Module, method: str, lr: float, spec: SparseSpec,
                      betas: tuple[float, float] = (0.9, 0.95), total_steps: int | None = None) -> Prepared:
    """Set `model` itself (no copy) up for a sparse method: everything frozen but the target matrices, whose
    masked entries a `MaskedAdamW` trains; the returned hook refreshes the masks on `spec.update_interval`."""
    if method not in SPARSE_METHODS:
        raise ValueError(f"{method!r} is not a sparse method; sparse methods: {', '.join(SPARSE_METHODS)}")
    for p in model.parameters():
        p.requires_grad_(False)
    targets = target_modules(model)
    if not targets:
        raise ValueError("the model has no target matrices (q/k/v/o/gate/up/down projections) to fine-tune sparsely")
    for module in targets.values():
        module.weight.requires_grad_(True)
    masks = sparse_masks(model, method, spec)
    optimizer = MaskedAdamW([m.weight for m in targets.values()], {targets[n].weight: mk for n, mk in masks.items()},
                            lr=lr, betas=betas)

    def refresh(step: int, model: torch.nn.Module, _opt: torch.optim.Optimizer) -> None:
        if (step + 1) % spec.update_interval == 0 and (total_steps is None or step + 1 < total_steps):
            for name, mask in sparse_masks(model, method, spec).items():
                optimizer.set_mask(targets[name].weight, mask)

    return Prepared(model, optimizer, refresh, sum(int(m.sum()) for m in masks.values()))


def memory_bytes(prepared: Prepared) -> dict[str, int]:
    """Parameters, gradients (dense, of every trainable tensor) and optimizer-state bytes, measured after training."""
    params = list(prepared.model.parameters())
    state = optimizer_state_bytes(prepared.optimizer)
    return {"parameters": sum(p.numel() * p.element_size() for p in params),
            "gradients": sum(p.numel() * p.element_size() for p in params if p.requires_grad),
            "optimizer_state": state}
