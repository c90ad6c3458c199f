"""LIFT in your own `transformers.Trainer` (or any training loop): a sparse optimizer and a mask-refresh callback.

    from reprolab.lift.trainer import lift_for_trainer

    optimizer, callback = lift_for_trainer(model, lr=2e-4, budget_rank=128, filter_rank=64, update_interval=400,
                                           total_steps=args.max_steps)
    Trainer(model=model, args=args, train_dataset=data, optimizers=(optimizer, None), callbacks=[callback]).train()

The model is changed in place: everything is frozen except the target matrices (every `nn.Linear` but the output
head), whose principal-weight entries (`method="lift"`) or largest-magnitude entries (`"magnitude"`) the optimizer
trains with moments stored only there. The callback re-chooses the masks from the current weights every
`update_interval` optimizer steps. In a plain loop (e.g. `reprolab.lm.train` or your own accelerate loop) call
`callback.refresh(step, model, optimizer)` after each optimizer step instead.
"""

from __future__ import annotations

from typing import Literal

import torch
from transformers import TrainerCallback

from .finetune import Prepared, SparseSpec, sparse_finetuning


class MaskRefreshCallback(TrainerCallback):
    """Calls LIFT's mask refresh after every optimizer step of a `Trainer` (with the 0-based step index)."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.refresh = prepared.after_step

    def on_step_end(self, args, state, control, model=None, optimizer=None, **kwargs):
        self.refresh(state.global_step - 1, model, optimizer)


def lift_for_trainer(model: torch.nn.Module, lr: float, budget_rank: int = 128, filter_rank: int = 64,
                     update_interval: int = 400, total_steps: int | None = None,
                     method: Literal["lift", "lift_smallest", "magnitude"] = "lift",
                     svd: Literal["exact", "randomized"] = "exact",
                     betas: tuple[float, float] = (0.9, 0.95)) -> tuple[torch.optim.Optimizer, MaskRefreshCallback]:
    """The optimizer and callback that make a `Trainer` fine-tune `model` with LIFT (see the module docstring).

    budget_rank: r_b, every target matrix of shape (m, n) trains (m + n) r_b entries (the count of a rank-r_b
    LoRA); filter_rank: the rank of the approximation whose largest entries are chosen; total_steps: no refresh
    after the last step (None: refresh on every interval).
    """
    if lr <= 0 or budget_rank < 1 or filter_rank < 1 or update_interval < 1:
        raise ValueError(f"need lr > 0 and budget_rank, filter_rank, update_interval >= 1; got {lr}, {budget_rank}, "
                         f"{filter_rank}, {update_interval}")
    prepared = sparse_finetuning(model, method, lr, SparseSpec(budget_rank, filter_rank, update_interval, svd), betas,
                                 total_steps)
    return prepared.optimizer, MaskRefreshCallback(prepared)
