"""Expert-grouped GEMMs on tokens sorted by expert, with no padding: rows [s_e, s_e + n_e) of the sorted activations
belong to expert e (s = the exclusive cumulative sum of `counts`).

grouped_mm(a (N, K), b (E, K, M), counts (E,)) -> (N, M): each expert's rows times its own matrix.
grouped_mm_wgrad(a (N, K), c (N, M), counts) -> (E, K, M): each expert's a_e^T c_e (the weight gradient).
expert_mlp: the SwiGLU expert MLP (gate/up and down projections in the DeepSeek-V2 layout) on the sorted tokens.

The reference pads every expert to the largest count and runs one batched matmul (the CPU path of the expert
bank); the Triton kernels tile each expert's rows, so no padded buffer exists and empty experts cost nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import use_triton


def _padded_positions(counts: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(expert, slot within the expert) of each of the n sorted rows, and the largest count."""
    expert = torch.repeat_interleave(torch.arange(len(counts), device=counts.device), counts, output_size=n)
    starts = torch.cumsum(counts, 0) - counts
    return expert, torch.arange(n, device=counts.device) - starts[expert], int(counts.max()) if len(counts) else 0


def grouped_mm_reference(a: torch.Tensor, b: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """(N, K) x (E, K, M) -> (N, M) through a padded (E, max count, K) buffer and `torch.bmm`."""
    expert, slot, capacity = _padded_positions(counts, a.shape[0])
    buffer = a.new_zeros(b.shape[0], capacity, a.shape[1])
    buffer[expert, slot] = a
    return torch.bmm(buffer, b)[expert, slot]


def grouped_mm_wgrad_reference(a: torch.Tensor, c: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """(N, K), (N, M) -> (E, K, M), each expert's a_e^T c_e (zeros for an expert without rows)."""
    expert, slot, capacity = _padded_positions(counts, a.shape[0])
    pa = a.new_zeros(len(counts), capacity, a.shape[1])
    pc = c.new_zeros(len(counts), capacity, c.shape[1])
    pa[expert, slot], pc[expert, slot] = a, c
    return torch.bmm(pa.transpose(1, 2), pc)


def _check(a: torch.Tensor, b_rows: int, counts: torch.Tensor) -> None:
    if counts.dtype != torch.int64 or counts.ndim != 1:
        raise ValueError(f"counts must be a 1-D int64 tensor of rows per expert, got {counts.dtype} {tuple(counts.shape)}")
    if a.ndim != 2 or a.shape[1] != b_rows:
        raise ValueError(f"a must be (N, K) with K = {b_rows}, got {tuple(a.shape)}")


@torch.library.custom_op("reprolab::grouped_mm", mutates_args=())
def grouped_mm(a: torch.Tensor, b: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Rows of expert e of `a` (sorted by expert, `counts` rows each) times b[e]: (N, K) x (E, K, M) -> (N, M),
    in a's dtype (fp32 accumulation); differentiable in a and b."""
    _check(a, b.shape[1], counts)
    if use_triton(a):
        from ._triton import grouped_mm_triton

        return grouped_mm_triton(a, b, counts)
    return grouped_mm_reference(a, b, counts)


@grouped_mm.register_fake
def _(a, b, counts):
    return a.new_empty(a.shape[0], b.shape[2])


@torch.library.custom_op("reprolab::grouped_mm_wgrad", mutates_args=())
def grouped_mm_wgrad(a: torch.Tensor, c: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Per expert a_e^T c_e: (N, K), (N, M) -> (E, K, M) in a's dtype, the weight gradient of `grouped_mm`."""
    _check(a, a.shape[1], counts)
    if use_triton(a):
        from ._triton import grouped_mm_wgrad_triton

        return grouped_mm_wgrad_triton(a, c, counts)
    return grouped_mm_wgrad_reference(a, c, counts)


@grouped_mm_wgrad.register_fake
def _(a, c, counts):
    return a.new_empty(counts.shape[0], a.shape[1], c.shape[1])


def _setup_context(ctx, inputs, output) -> None:
    a, b, counts = inputs
    ctx.save_for_backward(a, b, counts)


def _backward(ctx, grad_out):
    a, b, counts = ctx.saved_tensors
    grad_out = grad_out.contiguous()
    grad_a = grouped_mm(grad_out, b.transpose(1, 2), counts) if ctx.needs_input_grad[0] else None
    grad_b = grouped_mm_wgrad(a, grad_out, counts).to(b.dtype) if ctx.needs_input_grad[1] else None
    return grad_a, grad_b, None


grouped_mm.register_autograd(_backward, setup_context=_setup_context)


def expert_mlp(x: torch.Tensor, gate_up_proj: torch.Tensor, down_proj: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """E_e(x) = W_down (SiLU(W_gate x) * (W_up x)) on tokens sorted by expert: x (N, H), gate_up_proj (E, 2I, H)
    with gate rows first, down_proj (E, H, I) (transformers' DeepseekV2Experts layout) -> (N, H)."""
    intermediate = down_proj.shape[2]
    gate, up = grouped_mm(x, gate_up_proj.transpose(1, 2), counts).split(intermediate, dim=-1)
    return grouped_mm(F.silu(gate) * up, down_proj.transpose(1, 2), counts)
