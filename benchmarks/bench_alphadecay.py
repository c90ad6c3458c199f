"""Speed of the per-module alpha computation: batched eigvalsh + vectorised fits vs WeightWatcher, and against the
ideal, the bare `torch.linalg.eigvalsh` of the same Gram matrices (already formed, batched by shape).

The 55 tuned matrices of a LLaMA-60M-shaped model (hidden 512, 8 blocks, MLP 1376; random weights): our
median-Hill and KS fits against `weightwatcher.WeightWatcher.analyze()` on the same matrices (agreement printed);
the pipeline's time split into Gram products, eigen-solve and fits.
Run: .venv/bin/python benchmarks/bench_alphadecay.py   (about 1 minute on 2 cores)
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM

import reprolab.alphadecay as ad
from reprolab.core import time_call


def grams(weights: list[torch.Tensor], dtype: torch.dtype) -> list[torch.Tensor]:
    """The (count, n, n) Gram matrices of the smaller side, one stack per shape (as `ad.eigenvalues` forms them)."""
    by_shape: dict[tuple, list[torch.Tensor]] = {}
    for w in weights:
        by_shape.setdefault(tuple(w.shape), []).append(w.detach())
    out = []
    for (rows, cols), ws in by_shape.items():
        stack = torch.stack(ws).to(dtype)
        out.append(stack.mT @ stack if rows >= cols else stack @ stack.mT)
    return out


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=1000, hidden_size=512, intermediate_size=1376, num_hidden_layers=8,
                         num_attention_heads=8, tie_word_embeddings=False)
    model = LlamaForCausalLM(config)
    tuned = ad.tuned_modules(model, ad.DecaySpec())
    weights = [m.weight for m in tuned.values()]
    timings, alphas = {}, {}
    for fit, dtype in (("hill", torch.float32), ("hill", torch.float64), ("ks", torch.float64)):
        start = time.perf_counter()
        alphas[fit] = ad.module_alphas(weights, fit=fit, dtype=dtype)
        timings[fit, str(dtype)[6:]] = time.perf_counter() - start
    import weightwatcher

    start = time.perf_counter()
    table = weightwatcher.WeightWatcher(model=torch.nn.Sequential(*tuned.values())).analyze()
    t_ww = time.perf_counter() - start
    rel = np.abs(alphas["ks"].double().numpy() / table["alpha"].to_numpy() - 1).max()
    print(f"{len(weights)} matrices; KS alpha vs WeightWatcher: max relative difference {rel:.1e}")
    print(f"WeightWatcher {t_ww:.1f} s; ours: " + ", ".join(f"{fit} {dt} {t:.2f} s ({t_ww / t:.1f}x)"
                                                         for (fit, dt), t in timings.items()))
    for dtype in (torch.float32, torch.float64):
        name = str(dtype)[6:]
        pipeline = time_call(lambda: ad.module_alphas(weights, fit="hill", dtype=dtype), repeat=3, warmup=True)[0]
        t_gram, stacks = time_call(lambda: grams(weights, dtype), repeat=3, warmup=True)
        t_eig = time_call(lambda: [torch.linalg.eigvalsh(g) for g in stacks], repeat=3, warmup=True)[0]
        print(f"{name}: Hill alpha pipeline {pipeline:.2f} s = {pipeline / t_eig:.2f}x the bare eigvalsh of the same "
              f"Gram matrices ({t_eig:.2f} s); forming them {t_gram:.2f} s, the rest (stacking, clamping, fits) "
              f"{max(0.0, pipeline - t_eig - t_gram):.2f} s")


if __name__ == "__main__":
    main()
