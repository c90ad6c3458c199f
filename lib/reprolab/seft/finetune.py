"""Fine-tuning methods for a pruned model at an equal trainable budget, and what each costs.

seft                  sparse delta of k = (m + n) r_b entries per matrix whose support evolves, growth may
                      reactivate pruned weights, sensitivity re-pruning keeps the sparsity exact
seft_no_reactivation  the same, growth restricted to alive weights (the paper's ablation)
static_delta          the same k entries chosen once among alive weights, never changed (SPP / SQFT-like topology)
all_alive             every surviving weight trainable (static mask; about (1 - s) / density times more parameters)
lora_reprune          LoRA (peft, rank r_b) on the pruned model, merged, then Wanda re-pruned to the same sparsity
lora_dense            LoRA merged without re-pruning: the sparsity is lost (an upper reference, not sparse)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping

import torch

from ..lm import add_lora
from ..sparsity import MaskedAdamW, optimizer_state_bytes, prune_model, target_modules
from .evolution import EvolutionConfig, SparsityEvolution

METHODS = ("seft", "seft_no_reactivation", "static_delta", "all_alive", "lora_reprune", "lora_dense")
SPARSE_DELTA = {"seft": {}, "seft_no_reactivation": {"grow_into_pruned": False}, "static_delta": {"evolve": False}}


@dataclass
class Prepared:
    """A copy of the pruned model ready to train: optimizer, gradient hook, trainable count and controller."""

    method: str
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    after_backward: Callable[[int, torch.nn.Module], None] | None
    trainable: int  # entries the optimizer updates
    evolution: SparsityEvolution | None = None


def prepare(pruned: torch.nn.Module, alive: Mapping[str, torch.Tensor], method: str, lr: float, evolution: EvolutionConfig,
            total_steps: int, init_batches: Iterable[Mapping[str, torch.Tensor]], betas: tuple[float, float] = (0.9, 0.95)) -> Prepared:
    """Set up `method` (see the module docstring) on a deep copy of `pruned`, whose kept masks are `alive`.

    init_batches: the batches whose mean gradient picks the sparse methods' first support.
    """
    if method not in METHODS:
        raise ValueError(f"unknown fine-tuning method {method!r}; allowed: {', '.join(METHODS)}")
    model = copy.deepcopy(pruned)
    if method in SPARSE_DELTA:
        controller = SparsityEvolution(target_modules(model), alive, replace(evolution, **SPARSE_DELTA[method]),
                                       total_steps, lr, betas)
        optimizer = controller.initialize(model, init_batches)
        return Prepared(method, model, optimizer, controller.after_backward,
                        sum(int(s.sum()) for s in controller.support.values()), controller)
    if method == "all_alive":
        for p in model.parameters():
            p.requires_grad_(False)
        targets = target_modules(model)
        for module in targets.values():
            module.weight.requires_grad_(True)
        optimizer = MaskedAdamW([m.weight for m in targets.values()], {targets[n].weight: a for n, a in alive.items()},
                                lr=lr, betas=betas)

        def mask_gradients(_step: int, _model: torch.nn.Module) -> None:  # clip on the trained entries' norm
            for name, module in targets.items():
                module.weight.grad.mul_(alive[name])

        return Prepared(method, model, optimizer, mask_gradients, sum(int(a.sum()) for a in alive.values()))
    model = add_lora(model, evolution.budget_rank)
    params = [p for p in model.parameters() if p.requires_grad]
    return Prepared(method, model, torch.optim.AdamW(params, lr=lr, betas=betas, eps=1e-6, weight_decay=0.0), None,
                    sum(p.numel() for p in params))


def finish(prepared: Prepared, trained: torch.nn.Module, sparsity: float,
           calibration: Iterable[Mapping[str, torch.Tensor]], pruner: str = "wanda",
           nm: tuple[int, int] | None = None) -> tuple[torch.nn.Module, float | None]:
    """The deployable model: LoRA merged (and re-pruned by `pruner` with the original sparsity or N:M pattern for
    lora_reprune); sparse methods as trained.

    Also returns the target-matrix sparsity of the merged LoRA model before any re-pruning (None for the others).
    """
    if prepared.method not in ("lora_reprune", "lora_dense"):
        return trained, None
    merged = trained.merge_and_unload()
    merged_sparsity = weight_sparsity(merged)
    if prepared.method == "lora_reprune":
        prune_model(merged, pruner, sparsity, calibration, nm)
    return merged, merged_sparsity


def memory_bytes(prepared: Prepared) -> dict[str, int]:
    """Measured bytes: parameters, dense gradients of trainable tensors, optimizer state (for sparse deltas with
    their indices and reference values) and the sparse deltas' alive masks, kept apart."""
    params = list(prepared.model.parameters())
    evolution = prepared.evolution
    return {"parameters": sum(p.numel() * p.element_size() for p in params),
            "gradients": sum(p.numel() * p.element_size() for p in params if p.requires_grad),
            "optimizer_state": evolution.state_bytes() if evolution else optimizer_state_bytes(prepared.optimizer),
            "masks": evolution.mask_bytes() if evolution else 0}


def weight_sparsity(model: torch.nn.Module) -> float:
    """Fraction of exact zeros over the target matrices of a (merged) model."""
    weights = [m.weight for m in target_modules(model).values()]
    return sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
