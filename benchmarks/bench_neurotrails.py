"""NeuroTrails hot path: M packed heads on a shared trunk, in the three ways to run them, against a loop over the same
M heads as separate modules (the baseline) and against the machine's measured fp32 GEMM peak.

Layouts of `MultiHeadResNet`: "per_head" (the CPU default: each head on its rows of the packed tensors) and "grouped"
(one grouped convolution over M copies of the trunk's output, the GPU default). Network: the 32/64/128 1-D ResNet
of notebook 08 with 4 units per head, batches of 256; inference (eval) and a training step (forward + backward).
Run: .venv/bin/python benchmarks/bench_neurotrails.py   (about a minute on 2 cores)
"""

from __future__ import annotations

import copy
import os
import platform

import torch
import torch.nn.functional as F

from measure import counted_flops, gemm_share, interleaved_medians
from reprolab.neurotrails.models import MultiHeadResNet, ResNetConfig, unpack_heads


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}")
    torch.manual_seed(0)
    x, labels = torch.randn(256, 1, 40), torch.randint(0, 10, (256,))
    for m in (3, 8):
        per_head = MultiHeadResNet(ResNetConfig(), n_heads=m, blocks_in_head=4, head_layout="per_head")
        grouped = copy.deepcopy(per_head)
        grouped.head_layout = "grouped"
        heads = unpack_heads(per_head)
        for mode, repeat in (("eval", 30), ("train", 12)):
            for module in (per_head, grouped, *heads):
                module.train(mode == "train")
            runs = {"per_head": _step(per_head, x, labels, mode), "grouped": _step(grouped, x, labels, mode),
                    "loop": _step_loop(per_head, heads, x, labels, mode)}
            with torch.no_grad():
                assert torch.allclose(per_head(x).logits, _loop(per_head, heads, x), atol=1e-4)
            flops = counted_flops(runs["loop"])
            t = interleaved_medians(runs, repeat)
            print(f"M = {m}, {mode}: per-head {t['per_head'] * 1e3:.1f} ms ({t['loop'] / t['per_head']:.2f}x the "
                  f"loop), grouped {t['grouped'] * 1e3:.1f} ms ({t['loop'] / t['grouped']:.2f}x), loop over separate "
                  f"heads {t['loop'] * 1e3:.1f} ms; per-head {flops / t['per_head'] / 1e9:.0f} GFLOP/s = "
                  f"{gemm_share(flops, t['per_head']):.0%} of the measured fp32 GEMM peak")


def _step(model: MultiHeadResNet, x: torch.Tensor, labels: torch.Tensor, mode: str):
    if mode == "eval":
        return lambda: _no_grad(lambda: model(x).logits)
    return lambda: (model.zero_grad(), model(x, labels).loss.backward())


def _step_loop(model: MultiHeadResNet, heads: list[torch.nn.Module], x: torch.Tensor, labels: torch.Tensor, mode: str):
    if mode == "eval":
        return lambda: _no_grad(lambda: _loop(model, heads, x))

    def step():
        model.zero_grad()
        for head in heads:
            head.zero_grad()
        logits = _loop(model, heads, x)
        F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.repeat_interleave(len(heads))).backward()
    return step


def _no_grad(fn):
    with torch.no_grad():
        return fn()


def _loop(model: MultiHeadResNet, heads: list[torch.nn.Module], x: torch.Tensor) -> torch.Tensor:
    features = model.trunk(x)
    return torch.cat([h(features) for h in heads], 1)


if __name__ == "__main__":
    main()
