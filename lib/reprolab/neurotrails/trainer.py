"""NeuroTrails' dynamic sparse training in your own `transformers.Trainer` (or any loop), for the library's
multi-head networks (`MultiHeadCausalLM`, `MultiHeadResNet`) or any model with a `masked_weights()` method.

    from reprolab.neurotrails import MultiHeadCausalLM
    from reprolab.neurotrails.trainer import neurotrails_for_trainer

    model = MultiHeadCausalLM(llama_config, n_heads=3, blocks_in_head=2)
    callback = neurotrails_for_trainer(model, density=0.6, update_every=50, total_steps=args.max_steps)
    Trainer(model=model, args=args, train_dataset=data, callbacks=[callback]).train()

The callback keeps `density` of the masked weights alive (ERK across layers, the same live count in every packed
head), prunes and regrows on schedule between `backward()` and the optimizer step (RigL: drop the smallest, or with
soft magnitude sample by |w|^3; regrow where the gradient is largest), masks the gradients, and after every optimizer
step zeroes the dead weights and their optimizer moments. In a plain loop call `callback.sparsity.after_backward(step,
model)` after `backward()` and `callback.sparsity.after_step(step, model, optimizer)` after `optimizer.step()`.
The Trainer clips gradients before its pre-optimizer-step callback, so with `max_grad_norm > 0` the dead weights'
gradients count in the clipped norm (the library's own loop masks first, then clips): pass `max_grad_norm=0` for
the library's behaviour (regrowth needs the unmasked gradients, so the callback cannot mask earlier).
"""

from __future__ import annotations

from typing import Literal

import torch
from transformers import TrainerCallback

from ..sparsity import DSTConfig, DynamicSparsity


class NeuroTrailsCallback(TrainerCallback):
    """Runs `sparsity`'s topology update and gradient mask before each optimizer step, and re-masks weights and
    optimizer state after it."""

    def __init__(self, sparsity: DynamicSparsity) -> None:
        self.sparsity = sparsity

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        self.sparsity.after_backward(state.global_step, model)

    def on_optimizer_step(self, args, state, control, model=None, optimizer=None, **kwargs):
        self.sparsity.apply(optimizer)

    def on_log(self, args, state, control, logs=None, **kwargs):
        """Add the weights moved by the latest topology update to this log record (and to its copy already in
        `state.log_history`, as the AlphaDecay callback does)."""
        if logs is not None and self.sparsity.updates:
            last = self.sparsity.updates[-1]
            summary = {"neurotrails/topology_changed": last["changed"], "neurotrails/updated_at": last["step"]}
            logs.update(summary)
            if state.log_history and state.log_history[-1].get("step") == state.global_step:
                state.log_history[-1].update(summary)


def neurotrails_for_trainer(model: torch.nn.Module, density: float, update_every: int, total_steps: int,
                            drop_rate: float = 0.5, prune: Literal["magnitude", "soft_magnitude"] = "soft_magnitude",
                            regrow: Literal["gradient", "random"] = "gradient", fix: bool = False,
                            seed: int = 0) -> NeuroTrailsCallback:
    """The callback that trains `model` (it must have `masked_weights()` -> ({name: weight}, {name: heads packed in
    it})) as NeuroTrails does; `fix=True` keeps the initial masks (the static-sparse control). The masks apply at
    once: dead weights are zero from here on."""
    if not hasattr(model, "masked_weights"):
        raise TypeError(f"{type(model).__name__} has no masked_weights(); use a reprolab.neurotrails multi-head model")
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    weights, groups = model.masked_weights()
    cfg = DSTConfig(density, "erk", update_every, drop_rate, fix=fix, prune=prune, regrow=regrow)
    return NeuroTrailsCallback(DynamicSparsity(weights, cfg, total_steps, groups, seed=seed))
