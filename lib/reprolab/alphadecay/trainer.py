"""AlphaDecay in your own `transformers.Trainer` (or any loop): module-wise weight decay from the spectra.

    from reprolab.alphadecay.trainer import alphadecay_for_trainer

    optimizer, callback = alphadecay_for_trainer(model, lr=1e-3, base=0.1, every=500)
    Trainer(model=model, args=args, train_dataset=data, optimizers=(optimizer, None), callbacks=[callback]).train()
    callback.decay.log   # one record per refresh: step, alpha and decay of every tuned matrix

Every tuned matrix (each `nn.Linear` but the first and the last, with at least `min_eigs` eigenvalues) gets its own
optimizer group; every `every` optimizer steps the callback re-fits each matrix's heavy-tail exponent alpha and maps
it linearly to a decay in [s1, s2] x base (smaller alpha, heavier tail -> less decay). The callback also puts the
latest alpha and decay summaries into the Trainer's log records (`trainer.state.log_history`). In a plain loop call
`callback.decay.before_step(step, model)` between `backward()` and `optimizer.step()`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from transformers import TrainerCallback

from .decay import DecaySpec, ModuleWiseDecay


class AlphaDecayCallback(TrainerCallback):
    """Refreshes the groups' decay before each optimizer step and reports alpha and decay in the Trainer's logs."""

    def __init__(self, decay: ModuleWiseDecay) -> None:
        self.decay = decay

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        self.decay.before_step(state.global_step, model)

    def on_log(self, args, state, control, logs=None, **kwargs):
        """Add the latest refresh's summary to this log record (the Trainer has already appended it to
        `state.log_history`, so it is updated there too; reporting integrations registered before this callback,
        e.g. by `report_to`, see the record without it)."""
        last = self.decay.log[-1]
        if logs is not None and last["alpha"]:
            alpha, decay = np.asarray(last["alpha"]), np.asarray(last["decay"])
            summary = {"alphadecay/alpha_mean": float(alpha.mean()), "alphadecay/alpha_min": float(alpha.min()),
                         "alphadecay/alpha_max": float(alpha.max()), "alphadecay/decay_min": float(decay.min()),
                         "alphadecay/decay_max": float(decay.max()), "alphadecay/refreshed_at": int(last["step"])}
            logs.update(summary)
            if state.log_history and state.log_history[-1].get("step") == state.global_step:
                state.log_history[-1].update(summary)


def alphadecay_for_trainer(model: torch.nn.Module, lr: float, base: float = 0.1, s1: float = 0.6666, s2: float = 5.0,
                           every: int = 500, method: Literal["alphadecay", "inverted", "frozen", "uniform"] = "alphadecay",
                           optimizer: Literal["adamw", "adam"] = "adamw", betas: tuple[float, float] = (0.9, 0.999),
                           fit: Literal["hill", "ks"] = "hill",
                           min_eigs: int = 50) -> tuple[torch.optim.Optimizer, AlphaDecayCallback]:
    """The optimizer (module-wise groups) and callback that give a `Trainer` AlphaDecay (see the module docstring).

    base: lambda_0 (AdamW: decoupled decay; Adam: coupled L2, the paper's main table); every: optimizer steps
    between alpha refreshes; min_eigs: matrices with fewer eigenvalues keep the base decay.
    """
    if lr <= 0:
        raise ValueError(f"the learning rate must be positive, got {lr}")
    decay = ModuleWiseDecay(model, DecaySpec(method, base, s1, s2, every, fit, min_eigs=min_eigs))
    return decay.optimizer(optimizer, lr, betas), AlphaDecayCallback(decay)
