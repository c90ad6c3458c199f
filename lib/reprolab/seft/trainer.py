"""SEFT in your own `transformers.Trainer` (or any training loop): prune, then train an evolving sparse delta.

    from reprolab.seft.trainer import prune, seft_for_trainer

    alive = prune(model, "wanda", 0.5, calibration_batches)          # in place; {matrix name: kept mask}
    optimizer, callback = seft_for_trainer(model, alive, lr=2e-4, total_steps=args.max_steps,
                                           init_batches=first_batches, budget_rank=32, update_every=10)
    Trainer(model=model, args=args, train_dataset=data, optimizers=(optimizer, None), callbacks=[callback]).train()

After training the model is exactly as sparse as the pruner left it: every target matrix keeps exactly its pruned
count of alive weights and is 0 elsewhere. The callback runs before each optimizer step (after the gradients exist):
it accumulates gradients, runs drop / grow / sensitivity re-pruning on schedule and keeps the update inside the
delta's support. In a plain loop call `callback.controller.after_backward(step, model)` between `backward()` and
`optimizer.step()`.
"""

from __future__ import annotations

from typing import Iterable, Literal, Mapping

import torch
from transformers import TrainerCallback

from ..sparsity import prune_model, target_modules
from .evolution import EvolutionConfig, SparsityEvolution


def prune(model: torch.nn.Module, pruner: Literal["magnitude", "wanda", "sparsegpt"], sparsity: float,
          calibration: Iterable[Mapping[str, torch.Tensor]], nm: tuple[int, int] | None = None) -> dict[str, torch.Tensor]:
    """Prune `model`'s target matrices in place (calibration: batches with `input_ids`); returns the kept masks."""
    return prune_model(model, pruner, sparsity, list(calibration), nm)


class SeftCallback(TrainerCallback):
    """Runs SEFT's controller between `backward()` and the optimizer step of every `Trainer` step, then clips the
    (now support-only) gradients to `clip_norm` if given.

    The Trainer clips before callbacks run, over the dense gradients of the target matrices; to clip on the norm
    of the trained entries only, as `reprolab.lm.train` does, give `TrainingArguments(max_grad_norm=0)` and
    `clip_norm` here.
    """

    def __init__(self, controller: SparsityEvolution, clip_norm: float | None = None) -> None:
        self.controller, self.clip_norm = controller, clip_norm

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        self.controller.after_backward(state.global_step, model)
        if self.clip_norm:
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], self.clip_norm)


def seft_for_trainer(model: torch.nn.Module, alive: Mapping[str, torch.Tensor], lr: float, total_steps: int,
                     init_batches: Iterable[Mapping[str, torch.Tensor]], budget_rank: int = 32, update_every: int = 10,
                     drop_fraction: float = 0.2, accumulation_steps: int = 5, grow_into_pruned: bool = True,
                     betas: tuple[float, float] = (0.9, 0.95),
                     clip_norm: float | None = None) -> tuple[torch.optim.Optimizer, SeftCallback]:
    """The optimizer and callback that make a `Trainer` repair the pruned `model` with SEFT (module docstring).

    alive: the pruner's kept masks by matrix name (`prune`'s result); total_steps: the training length (the drop
    fraction's cosine schedule); init_batches: a few training batches (with labels) whose mean gradient picks the
    first support; budget_rank: every (m, n) matrix trains (m + n) r_b delta entries; clip_norm: see
    `SeftCallback`.
    """
    if lr <= 0 or total_steps < 1:
        raise ValueError(f"need lr > 0 and total_steps >= 1, got {lr}, {total_steps}")
    modules = target_modules(model)
    cfg = EvolutionConfig(budget_rank, update_every, drop_fraction, "cosine", accumulation_steps,
                          grow_into_pruned=grow_into_pruned)  # validates: accumulation_steps <= update_every, ...
    controller = SparsityEvolution(modules, alive, cfg, total_steps, lr, betas)
    return controller.initialize(model, init_batches), SeftCallback(controller, clip_norm)
