"""Hot paths of `reprolab.lm`, each as a ratio against a simple baseline measured in the same run.

1. Training step of the tour model: 2 torch threads vs 1 (DESIGN.md: keep the faster per notebook), and its
   FLOP/s as a share of the measured fp32 GEMM peak at each thread count (bench_peak.py).
2. Greedy generation: one batched, left-padded `generate` call vs one call per prompt.
3. Evaluation loss: batched `mean_loss` vs one sequence at a time.

Run: .venv/bin/python benchmarks/bench_lm.py   (about a minute on 2 cores)
"""

from __future__ import annotations

import os
import platform
import time

import torch

from measure import counted_flops, gemm_share
from reprolab import lm


def seconds(fn, repeat: int = 3) -> float:
    """Best wall time of `repeat` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}")
    corpus = lm.english_corpus(max_chars=200_000)
    problems = lm.generate_task("arithmetic", 64, 0, n_steps=1, max_value=10)
    tokenizer = lm.char_tokenizer(corpus.train + [p.text for p in problems])
    data = lm.pack_text(tokenizer, corpus.train, 128)
    model = lm.tiny_lm(lm.TinyLMConfig(max_len=256), tokenizer, seed=0)
    batch = {k: v[:16] for k, v in data.items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step() -> None:
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    flops = counted_flops(step)
    per_threads, shares = {}, {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        step()  # warm-up
        per_threads[threads] = seconds(lambda: [step() for _ in range(5)]) / 5
        shares[threads] = gemm_share(flops, per_threads[threads])
    print(f"train step (16 x 128 tokens, {flops / 1e9:.1f} GFLOP): 1 thread {per_threads[1] * 1e3:.0f} ms "
          f"({shares[1]:.0%} of the 1-thread fp32 GEMM peak), 2 threads {per_threads[2] * 1e3:.0f} ms ({shares[2]:.0%} "
          f"of the 2-thread peak), ratio 1/2 threads = {per_threads[1] / per_threads[2]:.2f}x")

    prompts = [p.prompt for p in problems[:32]]
    batched = seconds(lambda: lm.generate(model, tokenizer, prompts, max_new_tokens=24), repeat=1)
    looped = seconds(lambda: [lm.generate(model, tokenizer, [p], max_new_tokens=24) for p in prompts], repeat=1)
    print(f"generate 32 prompts x 24 tokens: batched {batched:.2f} s, per prompt {looped:.2f} s, ratio {looped / batched:.1f}x")

    val = {k: v[:128] for k, v in data.items()}
    batched = seconds(lambda: lm.mean_loss(model, val, batch_size=32))
    looped = seconds(lambda: lm.mean_loss(model, val, batch_size=1))
    print(f"mean_loss 128 x 128 tokens: batched {batched:.2f} s, one at a time {looped:.2f} s, ratio {looped / batched:.1f}x")


if __name__ == "__main__":
    main()
