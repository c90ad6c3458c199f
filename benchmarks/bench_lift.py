"""LIFT hot paths on a LLaMA-7B-shaped attention matrix (4096 x 4096; --mlp for 4096 x 11008):

1. the principal-weight mask (rank 128, k = (m+n) 128 = 6.25 %) with the exact SVD vs the randomized SVD
   (torch.svd_lowrank, 2r oversampling, 2 power iterations), and how many selected entries the two agree on;
2. one optimizer step: MaskedAdamW on the k entries vs dense torch AdamW on the whole matrix, and state bytes; both
   memory-bound, so each is also given as bytes moved per second against the measured copy bandwidth (bench_peak.py).
Run: .venv/bin/python benchmarks/bench_lift.py   (about 1-2 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import os
import platform

import torch

from measure import bandwidth_share
from reprolab.core import time_call
from reprolab.sparsity import MaskedAdamW, principal_mask


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mlp", action="store_true", help="use the 4096 x 11008 MLP shape")
    args = parser.parse_args()
    shape = (4096, 11008) if args.mlp else (4096, 4096)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}; shape {shape}")
    w = torch.randn(*shape, generator=torch.Generator().manual_seed(0)) * 0.02
    t_rand, m_rand = time_call(lambda: principal_mask(w, 128, 128, svd="randomized"))
    t_exact, m_exact = time_call(lambda: principal_mask(w, 128, 128, svd="exact"))
    agree = float((m_rand & m_exact).sum() / m_exact.sum())
    print(f"mask: exact SVD {t_exact:.1f} s, randomized {t_rand:.2f} s ({t_exact / t_rand:.0f}x); "
          f"{agree:.1%} of the selected entries agree (random weights: no spectral gap, the hardest case)")
    p_sparse, p_dense = torch.nn.Parameter(w.clone()), torch.nn.Parameter(w.clone())
    sparse = MaskedAdamW([p_sparse], {p_sparse: m_exact}, lr=1e-4)
    dense = torch.optim.AdamW([p_dense], lr=1e-4, betas=(0.9, 0.95), eps=1e-6, weight_decay=0.0)
    grad = torch.randn_like(w)
    p_sparse.grad, p_dense.grad = grad, grad.clone()
    t_sparse, _ = time_call(sparse.step, 10)
    t_dense, _ = time_call(dense.step, 10)
    dense_bytes = sum(v.numel() * v.element_size() for s in dense.state.values() for v in s.values() if v.ndim > 0)
    k = int(m_exact.sum())
    sparse_moved = k * (8 + 4 + 2 * 4 + 2 * 2 * 4)  # index, grad, param read + write, both moments read + write
    dense_moved = w.numel() * (4 + 2 * 4 + 2 * 2 * 4)  # grad, param read + write, both moments read + write
    print(f"optimizer step: masked {t_sparse * 1e3:.1f} ms vs dense AdamW {t_dense * 1e3:.1f} ms "
          f"({t_dense / t_sparse:.1f}x); state {sparse.state_bytes() / 2**20:.1f} MiB vs {dense_bytes / 2**20:.1f} MiB; "
          f"bytes moved at {bandwidth_share(sparse_moved, t_sparse):.0%} (masked) and "
          f"{bandwidth_share(dense_moved, t_dense):.0%} (dense) of the measured copy bandwidth")


if __name__ == "__main__":
    main()
