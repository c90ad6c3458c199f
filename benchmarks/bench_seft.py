"""SEFT hot paths on a LLaMA-7B-shaped MLP matrix (11008 x 4096; --attention for 4096 x 4096):

1. Wanda pruning of the matrix to 70 % (per-row top-k on |W| * ||X||), vectorised vs a loop over rows with one
   sort each, in weights per second, and the least bytes it must move (the weights read once, the mask written
   once) against the measured copy bandwidth (bench_peak.py): the per-row selection, not memory, bounds it;
2. one SEFT topology update (drop / grow / sensitivity re-prune, k = (m + n) 32 delta entries), the library's
   top-k implementation vs the same update written with full sorts of every score, checking both keep the exact
   counts; and SparseGPT on the same matrix for scale.
Run: .venv/bin/python benchmarks/bench_seft.py   (about 1-2 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import math
import os
import platform

import torch

from measure import bandwidth_share
from reprolab.core import time_call
from reprolab.seft import EvolutionConfig, SparsityEvolution
from reprolab.sparsity import keep_mask, sparsegpt_prune, wanda_score


def wanda_rows_loop(weight: torch.Tensor, sq_norm: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Baseline: the same per-row Wanda mask, one row at a time with a full sort."""
    score = weight.abs() * sq_norm.sqrt()[None, :]
    mask = torch.ones_like(weight, dtype=torch.bool)
    cut = math.floor(sparsity * weight.shape[1])
    for i in range(weight.shape[0]):
        mask[i, torch.sort(score[i]).indices[:cut]] = False
    return mask


def update_with_sorts(weight, alive, support, reference, grad, n, target):
    """Baseline: one drop / grow / adapt round with full sorts instead of top-k (same result up to ties)."""
    flat_w, flat_a, flat_s, flat_g = weight.view(-1), alive.view(-1).clone(), support.view(-1).clone(), grad.view(-1)
    delta = torch.where(flat_s, (flat_w - reference.view(-1)).abs(), torch.tensor(math.inf))
    dropped = torch.sort(delta).indices[:n]
    grow_score = torch.where(flat_s, torch.tensor(-math.inf), flat_g.abs())
    grown = torch.sort(grow_score, descending=True).indices[:n]
    flat_s[dropped] = False
    flat_s[grown] = True
    flat_w[dropped] = reference.view(-1)[dropped]
    flat_a[grown] = True
    excess = int(flat_a.sum()) - target
    sens = torch.where(flat_a & ~flat_s, (flat_w * flat_g).abs(), torch.tensor(math.inf))
    removed = torch.sort(sens).indices[:excess]
    flat_a[removed] = False
    flat_w[removed] = 0.0
    return flat_a.view_as(alive), flat_s.view_as(support)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attention", action="store_true", help="use the 4096 x 4096 attention shape")
    args = parser.parse_args()
    shape = (4096, 4096) if args.attention else (11008, 4096)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}; shape {shape}")
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(*shape, generator=gen) * 0.02
    sq_norm = torch.rand(shape[1], generator=gen) * 100
    t_vec, mask = time_call(lambda: keep_mask(wanda_score(w, sq_norm), 0.7), 3)
    t_loop, mask_loop = time_call(lambda: wanda_rows_loop(w, sq_norm, 0.7))
    assert torch.equal(mask.sum(1), mask_loop.sum(1))
    print(f"Wanda 70 %: vectorised {w.numel() / t_vec / 1e6:.0f} M weights/s ({t_vec * 1e3:.0f} ms) vs row loop "
          f"{w.numel() / t_loop / 1e6:.1f} M weights/s ({t_loop:.2f} s): {t_loop / t_vec:.0f}x; "
          f"{float((mask == mask_loop).float().mean()):.4%} of entries agree; the least bytes it moves (weights "
          f"read, mask written) at {bandwidth_share(w.numel() * 5, t_vec):.1%} of the measured copy bandwidth")

    layer = torch.nn.Linear(shape[1], shape[0], bias=False)
    with torch.no_grad():
        layer.weight.copy_(w * mask)
    evo = SparsityEvolution({"mlp": layer}, {"mlp": mask}, EvolutionConfig(budget_rank=32), total_steps=1000, lr=1e-4)
    grad = torch.randn(*shape, generator=gen) * 1e-3
    evo.start({"mlp": grad})
    with torch.no_grad():  # pretend some training happened on the support
        layer.weight[evo.support["mlp"]] += 1e-3 * torch.randn(int(evo.support["mlp"].sum()), generator=gen)
    weight0, alive0, support0 = layer.weight.detach().clone(), evo.alive["mlp"].clone(), evo.support["mlp"].clone()
    reference = weight0.clone()
    reference.view(-1)[support0.view(-1)] = evo.reference["mlp"]
    new_grad = torch.randn(*shape, generator=gen) * 1e-3
    n = round(0.2 * evo.budget["mlp"])
    t_update, _ = time_call(lambda: evo.update(0, {"mlp": new_grad}))
    target = evo.target_count["mlp"]
    assert int(evo.alive["mlp"].sum()) == target and int(evo.support["mlp"].sum()) == evo.budget["mlp"]
    t_sort, (alive_s, support_s) = time_call(lambda: update_with_sorts(weight0.clone(), alive0, support0, reference, new_grad,
                                                                  n, target))
    assert int(alive_s.sum()) == target and int(support_s.sum()) == evo.budget["mlp"]
    agree = float((support_s == evo.support["mlp"]).float().mean())
    print(f"SEFT update (k = {evo.budget['mlp']:,}, {n:,} dropped and grown, 70 % sparse): top-k {t_update:.2f} s vs "
          f"full sorts {t_sort:.2f} s: {t_sort / t_update:.1f}x; supports agree on {agree:.4%} of entries")
    hessian = torch.randn(512, shape[1], generator=gen)
    hessian = hessian.T @ hessian
    t_gpt, _ = time_call(lambda: sparsegpt_prune(w, hessian, 0.7))
    print(f"SparseGPT 70 % on the same matrix (block 128): {t_gpt:.1f} s ({w.numel() / t_gpt / 1e6:.1f} M weights/s)")


if __name__ == "__main__":
    main()
