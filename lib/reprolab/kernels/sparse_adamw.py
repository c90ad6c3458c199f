"""Fused sparse AdamW: one pass over a flat index list reads the gradient at the k indices, updates both moments
and the parameter (decoupled weight decay, bias correction). Parameters fp32, bf16 or fp16; moments of any float
dtype (fp32 recommended for low-precision parameters); the arithmetic is fp32 in both paths."""

from __future__ import annotations

import torch

from . import use_triton


def sparse_adamw_reference(param: torch.Tensor, grad: torch.Tensor, index: torch.Tensor, exp_avg: torch.Tensor,
                           exp_avg_sq: torch.Tensor, lr: float, beta1: float, beta2: float, eps: float,
                           weight_decay: float, correction1: float, correction2: float) -> None:
    """In place, for the flat entries `index` (k,) of contiguous `param` and `grad` (any shape, same numel):
    m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2 (exp_avg, exp_avg_sq: (k,)),
    p <- p (1 - lr wd) - lr (m / c1) / (sqrt(v / c2) + eps), with c1 = 1 - b1^t, c2 = 1 - b2^t given."""
    flat = param.view(-1)
    g = grad.reshape(-1)[index].float()
    m = exp_avg.float().mul_(beta1).add_(g, alpha=1 - beta1)
    v = exp_avg_sq.float().mul_(beta2).addcmul_(g, g, value=1 - beta2)
    update = (m / correction1) / ((v / correction2).sqrt() + eps)
    flat[index] = (flat[index].float() * (1 - lr * weight_decay) - lr * update).to(flat.dtype)
    exp_avg.copy_(m)
    exp_avg_sq.copy_(v)


@torch.library.custom_op("reprolab::sparse_adamw_", mutates_args=("param", "exp_avg", "exp_avg_sq"))
def sparse_adamw_(param: torch.Tensor, grad: torch.Tensor, index: torch.Tensor, exp_avg: torch.Tensor,
                  exp_avg_sq: torch.Tensor, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                  correction1: float, correction2: float) -> None:
    """`sparse_adamw_reference` as one op: the Triton kernel where `use_triton(param)`, else the reference."""
    if not (param.is_contiguous() and grad.is_contiguous()):
        raise ValueError("sparse_adamw_ needs contiguous param and grad (the index list addresses their flat storage)")
    if use_triton(param):
        from ._triton import sparse_adamw_triton

        sparse_adamw_triton(param, grad, index, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                            correction1, correction2)
    else:
        sparse_adamw_reference(param, grad, index, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                               correction1, correction2)


@sparse_adamw_.register_fake
def _(param, grad, index, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, correction1, correction2) -> None:
    return None
