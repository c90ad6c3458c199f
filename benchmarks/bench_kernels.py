"""The kernel ops' CPU paths (what runs here: the PyTorch references of `reprolab.kernels`) against plain PyTorch
baselines and the machine's measured peak, with identical-result checks; the Triton kernels themselves are timed
on a GPU by benchmarks/gpu_check.py.

  * Sparse AdamW (`MaskedAdamW`, LIFT / SEFT) on an 11008 x 4096 fp32 matrix (LLaMA-7B MLP) at 5 % of its entries,
    against torch's dense AdamW (foreach) on the whole matrix and against the bytes it must move at the measured
    copy bandwidth; its result against torch's AdamW on the gathered entries.
  * The expert bank of the CoE / MoE layer, forward + backward, at the notebook's shape and at DeepSeek-V2-Lite-like
    widths (64 experts, top-6, hidden 2048, width 1408; 512 tokens on the CPU): today's padded dispatch against
    the ideal, the same GEMMs on dense blocks of the routed tokens; share of the measured fp32 GEMM peak; and the
    sort-by-expert, no-padding path on the CPU (torch's `F.grouped_mm`) against the same ideal.

Run: .venv/bin/python benchmarks/bench_kernels.py   (about a minute on 2 cores; reads results/peak.json)
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

from reprolab.chain_of_experts.experts import ExpertBank
from reprolab.core.runtime import time_call
from reprolab.kernels import expert_mlp
from reprolab.sparsity import MaskedAdamW

RESULTS = Path(__file__).parent / "results"


def sparse_adamw(peak: dict) -> dict:
    rows, cols, share = 11008, 4096, 0.05
    g = torch.Generator().manual_seed(0)
    weight = torch.nn.Parameter(torch.randn(rows, cols, generator=g))
    weight.grad = torch.randn(rows, cols, generator=g)
    mask = torch.rand(rows, cols, generator=g) < share
    k = int(mask.sum())
    sparse = MaskedAdamW([weight], {weight: mask}, lr=1e-3, weight_decay=0.1)
    dense_param = torch.nn.Parameter(weight.detach().clone())
    dense_param.grad = weight.grad.clone()
    dense = torch.optim.AdamW([dense_param], lr=1e-3, weight_decay=0.1, foreach=True)
    t_sparse = time_call(sparse.step, repeat=5, warmup=True)[0]
    t_dense = time_call(dense.step, repeat=5, warmup=True)[0]
    moved = k * (8 + 4 + 2 * 4 + 2 * 2 * 4)  # index, grad, param read + write, both moments read + write
    # the same update by torch's AdamW on the gathered entries, from a fresh start, one step each
    index = mask.view(-1).nonzero().squeeze(1)
    before = torch.randn(rows, cols, generator=torch.Generator().manual_seed(1))
    ours = torch.nn.Parameter(before.clone())
    ours.grad = weight.grad
    MaskedAdamW([ours], {ours: mask}, lr=1e-3, weight_decay=0.1).step()
    gathered = torch.nn.Parameter(before.view(-1)[index].clone())
    gathered.grad = weight.grad.view(-1)[index].clone()
    torch.optim.AdamW([gathered], lr=1e-3, weight_decay=0.1, eps=1e-6, betas=(0.9, 0.95)).step()
    outside = ~mask
    out = {"shape": [rows, cols], "k": k, "sparse_seconds": t_sparse, "dense_adamw_seconds": t_dense,
           "speedup_vs_dense": t_dense / t_sparse, "gbs": moved / t_sparse / 1e9,
           "share_of_copy_bandwidth": moved / t_sparse / 1e9 / peak["bandwidth_gbs"]["2 threads"]["copy"],
           "max_diff_vs_torch_adamw": float((ours.detach().view(-1)[index] - gathered.detach()).abs().max()),
           "untouched_outside_mask": bool(torch.equal(ours.detach()[outside], before[outside]))}
    print(f"sparse AdamW {rows} x {cols}, k = {k} (5 %): {t_sparse * 1e3:.1f} ms vs dense torch AdamW "
          f"{t_dense * 1e3:.1f} ms ({out['speedup_vs_dense']:.1f}x); {out['gbs']:.1f} GB/s = "
          f"{out['share_of_copy_bandwidth']:.0%} of the measured copy bandwidth; max |diff| vs torch AdamW on the "
          f"gathered entries {out['max_diff_vs_torch_adamw']:.1e}; entries outside the mask untouched: "
          f"{out['untouched_outside_mask']}")
    return out


def expert_bank(peak: dict, experts: int, top_k: int, hidden: int, width: int, tokens: int, label: str) -> dict:
    torch.manual_seed(0)
    bank = ExpertBank(experts, hidden, width)
    x = torch.randn(tokens, hidden, requires_grad=True)
    indices = torch.rand(tokens, experts).topk(top_k, dim=-1).indices
    weights = torch.rand(tokens, top_k)

    def step():
        bank(x, indices, weights).sum().backward()

    n = tokens * top_k
    h, act = torch.randn(n, hidden), torch.randn(n, width)
    w1, w2 = torch.randn(hidden, 2 * width), torch.randn(width, hidden)
    t_bank = time_call(step, repeat=3, warmup=True)[0]
    t_sorted = _sorted_no_padding_seconds(bank, x.detach(), indices, experts)
    t_ideal = 3 * time_call(lambda: (h @ w1, act @ w2), repeat=3, warmup=True)[0]  # backward: 2x forward FLOPs
    flops = 3 * 6 * n * hidden * width
    counts = torch.bincount(indices.reshape(-1), minlength=experts)
    out = {"label": label, "experts": experts, "top_k": top_k, "hidden": hidden, "width": width, "tokens": tokens,
           "padding": float(counts.max() * experts / n), "seconds": t_bank, "ideal_seconds": t_ideal,
           "overhead_vs_ideal": t_bank / t_ideal, "gflops": flops / t_bank / 1e9,
           "torch_grouped_mm_seconds": t_sorted, "torch_grouped_mm_vs_ideal": t_sorted / t_ideal,
           "share_of_fp32_peak": flops / t_bank / 1e9 / peak["gemm_gflops"]["fp32 2 threads"]}
    print(f"expert bank, {label} (E={experts}, top-{top_k}, H={hidden}, I={width}, {tokens} tokens), fwd + bwd: "
          f"{t_bank * 1e3:.1f} ms vs ideal {t_ideal * 1e3:.1f} ms ({out['overhead_vs_ideal']:.2f}x; padded buffer "
          f"{out['padding']:.2f}x the routed rows); {out['gflops']:.0f} GFLOP/s = {out['share_of_fp32_peak']:.0%} "
          f"of the measured fp32 GEMM peak; the experts alone on the sorted rows without padding through torch's "
          f"grouped_mm: {t_sorted * 1e3:.1f} ms ({out['torch_grouped_mm_vs_ideal']:.2f}x the ideal)")
    return out


def _sorted_no_padding_seconds(bank: ExpertBank, x: torch.Tensor, indices: torch.Tensor, experts: int) -> float:
    """Forward + backward of the expert MLP alone on the routed rows sorted by expert, no padding: torch's
    `F.grouped_mm` (its CPU path loops over the experts' row blocks in C++), checked against the padded reference."""
    order = torch.argsort(indices.reshape(-1), stable=True)
    rows = x[order // indices.shape[1]].requires_grad_()
    counts = torch.bincount(indices.reshape(-1), minlength=experts)
    offsets = torch.cumsum(counts, 0).to(torch.int32)
    width = bank.intermediate

    def mlp() -> torch.Tensor:
        gate, up = F.grouped_mm(rows, bank.gate_up_proj.transpose(1, 2), offs=offsets).split(width, dim=-1)
        return F.grouped_mm((F.silu(gate) * up).contiguous(), bank.down_proj.transpose(1, 2), offs=offsets)

    with torch.no_grad():
        reference = expert_mlp(rows, bank.gate_up_proj, bank.down_proj, counts)
        assert torch.allclose(mlp(), reference, rtol=1e-4, atol=1e-4)
    grad = torch.randn(rows.shape[0], x.shape[1])  # contiguous: grouped_mm's backward refuses expanded gradients
    return time_call(lambda: mlp().backward(grad), repeat=3, warmup=True)[0]


def main() -> None:
    torch.set_num_threads(2)
    peak = json.loads((RESULTS / "peak.json").read_text())
    report = {"sparse_adamw": sparse_adamw(peak),
              "expert_bank": [expert_bank(peak, 15, 2, 64, 48, 2048, "notebook 02"),
                              expert_bank(peak, 64, 6, 2048, 1408, 512, "DeepSeek-V2-Lite-like")]}
    (RESULTS / "kernels.json").write_text(json.dumps(report, indent=1))
    print("written to benchmarks/results/kernels.json")


if __name__ == "__main__":
    main()
