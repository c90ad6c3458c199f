"""The Triton kernels behind `reprolab.kernels`' ops (imported only when a kernel runs). Shapes and semantics are
those of the references in `sparse_adamw.py` and `grouped_mm.py`; every pointer offset is computed in int64."""

from __future__ import annotations

import os

import torch
import triton
import triton.language as tl

ADAMW_BLOCK = 1024
BLOCK_M, BLOCK_N, BLOCK_K = 32, 32, 32  # one config: autotuning over several fails under the interpreter


def _dot_flags(dtype: torch.dtype) -> dict:
    """IEEE: fp32 inputs multiply in full fp32 (no TF32 on the GPU). UPCAST: bf16 tiles go to fp32 before tl.dot
    under the interpreter, whose bf16 dot is wrong (numpy has no bf16); exact there, since bf16 products fit fp32."""
    interpreted = os.environ.get("TRITON_INTERPRET") == "1"
    return dict(IEEE=dtype == torch.float32, UPCAST=interpreted and dtype == torch.bfloat16)


@triton.jit
def _sparse_adamw_kernel(p_ptr, g_ptr, idx_ptr, m_ptr, v_ptr, n, lr, beta1, beta2, eps, decay, c1, c2,
                         BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    live = offs < n
    i = tl.load(idx_ptr + offs, mask=live, other=0).to(tl.int64)
    g = tl.load(g_ptr + i, mask=live, other=0.0).to(tl.float32)
    m = beta1 * tl.load(m_ptr + offs, mask=live, other=0.0).to(tl.float32) + (1 - beta1) * g
    v = beta2 * tl.load(v_ptr + offs, mask=live, other=0.0).to(tl.float32) + (1 - beta2) * g * g
    p = tl.load(p_ptr + i, mask=live, other=0.0).to(tl.float32)
    p = p * (1 - lr * decay) - lr * (m / c1) / (tl.sqrt(v / c2) + eps)
    tl.store(m_ptr + offs, m.to(m_ptr.dtype.element_ty), mask=live)
    tl.store(v_ptr + offs, v.to(v_ptr.dtype.element_ty), mask=live)
    tl.store(p_ptr + i, p.to(p_ptr.dtype.element_ty), mask=live)


def sparse_adamw_triton(param, grad, index, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                        correction1, correction2) -> None:
    n = index.numel()
    if n == 0:
        return
    _sparse_adamw_kernel[(triton.cdiv(n, ADAMW_BLOCK),)](param, grad, index, exp_avg, exp_avg_sq, n, lr, beta1, beta2,
                                                         eps, weight_decay, correction1, correction2, BLOCK=ADAMW_BLOCK)


@triton.jit
def _grouped_mm_kernel(a_ptr, b_ptr, c_ptr, tile_expert_ptr, tile_row_ptr, row_end_ptr, N, K,
                       s_am, s_ak, s_be, s_bk, s_bn, s_cm, s_cn,
                       BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, IEEE: tl.constexpr,
                       UPCAST: tl.constexpr):
    """One (BM rows of one expert) x (BN output columns) tile of c = a_e b_e."""
    tile, col_block = tl.program_id(0), tl.program_id(1)
    e = tl.load(tile_expert_ptr + tile).to(tl.int64)
    rows = tl.load(tile_row_ptr + tile).to(tl.int64) + tl.arange(0, BM)
    row_end = tl.load(row_end_ptr + e)
    cols = col_block.to(tl.int64) * BN + tl.arange(0, BN)
    ks = tl.arange(0, BK)
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k0 in range(0, K, BK):
        k = k0 + ks
        a = tl.load(a_ptr + rows[:, None] * s_am + k[None, :] * s_ak, mask=(rows[:, None] < row_end) & (k[None, :] < K),
                    other=0.0)
        b = tl.load(b_ptr + e * s_be + k[:, None] * s_bk + cols[None, :] * s_bn,
                    mask=(k[:, None] < K) & (cols[None, :] < N), other=0.0)
        if UPCAST:
            a, b = a.to(tl.float32), b.to(tl.float32)
        if IEEE or UPCAST:
            acc = tl.dot(a, b, acc, input_precision="ieee")
        else:
            acc = tl.dot(a, b, acc)
    tl.store(c_ptr + rows[:, None] * s_cm + cols[None, :] * s_cn, acc.to(c_ptr.dtype.element_ty),
             mask=(rows[:, None] < row_end) & (cols[None, :] < N))


@triton.jit
def _grouped_wgrad_kernel(a_ptr, c_ptr, out_ptr, start_ptr, end_ptr, K, N, s_am, s_ak, s_cm, s_cn, s_oe, s_ok, s_on,
                          BR: tl.constexpr, BK: tl.constexpr, BN: tl.constexpr, IEEE: tl.constexpr,
                          UPCAST: tl.constexpr):
    """One (BK x BN) tile of out_e = a_e^T c_e, summed over the expert's rows BR at a time."""
    e, k_block, n_block = tl.program_id(0).to(tl.int64), tl.program_id(1), tl.program_id(2)
    start, end = tl.load(start_ptr + e), tl.load(end_ptr + e)
    k = k_block.to(tl.int64) * BK + tl.arange(0, BK)
    cols = n_block.to(tl.int64) * BN + tl.arange(0, BN)
    acc = tl.zeros((BK, BN), dtype=tl.float32)
    for r0 in range(start, end, BR):
        rows = r0 + tl.arange(0, BR).to(tl.int64)
        a = tl.load(a_ptr + rows[:, None] * s_am + k[None, :] * s_ak, mask=(rows[:, None] < end) & (k[None, :] < K),
                    other=0.0)
        c = tl.load(c_ptr + rows[:, None] * s_cm + cols[None, :] * s_cn,
                    mask=(rows[:, None] < end) & (cols[None, :] < N), other=0.0)
        if UPCAST:
            a, c = a.to(tl.float32), c.to(tl.float32)
        if IEEE or UPCAST:
            acc = tl.dot(tl.trans(a), c, acc, input_precision="ieee")
        else:
            acc = tl.dot(tl.trans(a), c, acc)
    tl.store(out_ptr + e * s_oe + k[:, None] * s_ok + cols[None, :] * s_on, acc.to(out_ptr.dtype.element_ty),
             mask=(k[:, None] < K) & (cols[None, :] < N))


def _tiles(counts: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(expert, first row) of every row tile, each tile inside one expert's rows, and each expert's end row."""
    ends = torch.cumsum(counts, 0)
    starts = ends - counts
    per_expert = (counts + block - 1) // block
    n_tiles = int(per_expert.sum())
    tile_expert = torch.repeat_interleave(torch.arange(len(counts), device=counts.device), per_expert,
                                          output_size=n_tiles)
    first_tile = torch.cumsum(per_expert, 0) - per_expert
    tile_row = starts[tile_expert] + (torch.arange(n_tiles, device=counts.device) - first_tile[tile_expert]) * block
    return tile_expert, tile_row, ends


def grouped_mm_triton(a: torch.Tensor, b: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    n_out = b.shape[2]
    b = b.to(a.dtype)
    c = a.new_empty(a.shape[0], n_out)
    tile_expert, tile_row, ends = _tiles(counts.to(a.device), BLOCK_M)
    if len(tile_expert) == 0 or n_out == 0:
        return c.zero_()
    grid = (len(tile_expert), triton.cdiv(n_out, BLOCK_N))
    _grouped_mm_kernel[grid](a, b, c, tile_expert, tile_row, ends, n_out, a.shape[1], a.stride(0), a.stride(1),
                             b.stride(0), b.stride(1), b.stride(2), c.stride(0), c.stride(1),
                             BM=BLOCK_M, BN=BLOCK_N, BK=BLOCK_K, **_dot_flags(a.dtype))
    return c


def grouped_mm_wgrad_triton(a: torch.Tensor, c: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    c = c.to(a.dtype)
    counts = counts.to(a.device)
    out = a.new_empty(len(counts), a.shape[1], c.shape[1])
    if out.numel() == 0:
        return out
    ends = torch.cumsum(counts, 0)
    grid = (len(counts), triton.cdiv(a.shape[1], BLOCK_K), triton.cdiv(c.shape[1], BLOCK_N))
    _grouped_wgrad_kernel[grid](a, c, out, ends - counts, ends, a.shape[1], c.shape[1], a.stride(0), a.stride(1),
                                c.stride(0), c.stride(1), out.stride(0), out.stride(1), out.stride(2),
                                BR=BLOCK_M, BK=BLOCK_K, BN=BLOCK_N, **_dot_flags(a.dtype))
    return out
