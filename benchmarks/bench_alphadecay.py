"""Speed of the per-module alpha computation: batched eigvalsh + vectorised fits vs WeightWatcher.

The 55 tuned matrices of a LLaMA-60M-shaped model (hidden 512, 8 blocks, MLP 1376; random weights): our
median-Hill and KS fits against `weightwatcher.WeightWatcher.analyze()` on the same matrices (agreement printed).
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


if __name__ == "__main__":
    main()
