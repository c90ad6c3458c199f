"""AdamW whose masked parameters are updated only on their masked entries, with moments stored only there.

For a masked parameter the state is two length-k moment vectors plus a flat int64 index vector (kept in `index`,
outside `state`, because `load_state_dict` - which Accelerate calls - casts state tensors to the parameter dtype),
so the optimizer costs 2k floats + k indices instead of 2 numel. Gradients stay dense (autograd computes them);
entries outside the mask are never written. `set_mask` moves a parameter to a new mask, keeping the moments of
entries in both masks and starting new entries at zero (LIFT's Algorithm 1); the step count is kept.
Parameters without a mask get ordinary AdamW.
"""

from __future__ import annotations

import torch

from ..kernels import sparse_adamw_


class MaskedAdamW(torch.optim.Optimizer):
    """AdamW (decoupled decay) with per-parameter sparse masks; `masks` maps parameters to bool tensors."""

    def __init__(self, params, masks: dict[torch.nn.Parameter, torch.Tensor] | None = None, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.95), eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        if lr <= 0 or not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1 or eps <= 0 or weight_decay < 0:
            raise ValueError(f"invalid hyper-parameters lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self.index: dict[torch.nn.Parameter, torch.Tensor] = {}
        for p, mask in (masks or {}).items():
            self.set_mask(p, mask)

    @torch.no_grad()
    def set_mask(self, p: torch.nn.Parameter, mask: torch.Tensor) -> None:
        """Train only the True entries of `mask` (shape of p) from now on, carrying moments where masks overlap."""
        if mask.shape != p.shape or mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor of shape {tuple(p.shape)}, got {mask.dtype} {tuple(mask.shape)}")
        index = mask.reshape(-1).nonzero().squeeze(1).to(p.device)
        state = self.state[p]
        if p in self.index:
            for key in ("exp_avg", "exp_avg_sq"):
                dense = torch.zeros(p.numel(), dtype=state[key].dtype, device=p.device)
                dense[self.index[p]] = state[key]
                state[key] = dense[index]
        else:
            state.update(step=0, exp_avg=torch.zeros(len(index), dtype=p.dtype, device=p.device),
                         exp_avg_sq=torch.zeros(len(index), dtype=p.dtype, device=p.device))
        self.index[p] = index

    def mask_of(self, p: torch.nn.Parameter) -> torch.Tensor:
        """The current bool mask of a masked parameter."""
        mask = torch.zeros(p.numel(), dtype=torch.bool, device=p.device)
        mask[self.index[p]] = True
        return mask.view(p.shape)

    def state_bytes(self) -> int:
        """Bytes held in optimizer state tensors (moments) and mask index vectors."""
        moments = sum(v.numel() * v.element_size() for s in self.state.values() for v in s.values()
                      if torch.is_tensor(v) and v.ndim > 0)
        return moments + sum(i.numel() * i.element_size() for i in self.index.values())

    def state_dict(self) -> dict:
        """The usual state plus the mask indices, by position of the parameter in the groups."""
        out = super().state_dict()
        order = [p for g in self.param_groups for p in g["params"]]
        out["mask_index"] = {i: self.index[p].clone() for i, p in enumerate(order) if p in self.index}
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        saved = state_dict.pop("mask_index", None)
        super().load_state_dict(state_dict)
        if saved is not None:
            order = [p for g in self.param_groups for p in g["params"]]
            self.index = {order[int(i)]: idx.long().to(order[int(i)].device) for i, idx in saved.items()}

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                index = self.index.get(p)
                sparse = index is not None
                if not state:
                    state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
                state["step"] += 1
                correction1, correction2 = 1 - b1 ** state["step"], 1 - b2 ** state["step"]
                if sparse:  # one fused pass on CUDA (reprolab.kernels), the same arithmetic elsewhere
                    sparse_adamw_(p, p.grad.contiguous(), index, state["exp_avg"], state["exp_avg_sq"], lr, b1, b2, eps,
                                  wd, correction1, correction2)
                    continue
                state["exp_avg"].mul_(b1).add_(p.grad, alpha=1 - b1)
                state["exp_avg_sq"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                update = (state["exp_avg"] / correction1) / ((state["exp_avg_sq"] / correction2).sqrt() + eps)
                p.copy_(p * (1 - lr * wd) - lr * update)
        return loss


def optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes of an optimizer's state tensors (for MaskedAdamW: moments plus mask indices)."""
    if isinstance(optimizer, MaskedAdamW):
        return optimizer.state_bytes()
    return sum(v.numel() * v.element_size() for s in optimizer.state.values() for v in s.values()
               if torch.is_tensor(v) and v.ndim > 0)
