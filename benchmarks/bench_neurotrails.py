"""NeuroTrails hot path: the forward pass of M heads packed into grouped convolutions (one call) against a loop over
the same M heads as separate modules, on a 1-D ResNet (widths 32/64/128, 2 blocks per stage, 4 units per head).
Run: .venv/bin/python benchmarks/bench_neurotrails.py   (under a minute on 2 cores)
"""

from __future__ import annotations

import os
import platform

import torch

from reprolab.core import time_call
from reprolab.neurotrails.models import MultiHeadResNet, ResNetConfig, unpack_heads


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}")
    torch.manual_seed(0)
    x = torch.randn(256, 1, 40)
    for m in (3, 8):
        model = MultiHeadResNet(ResNetConfig(), n_heads=m, blocks_in_head=4).eval()
        heads = unpack_heads(model)
        with torch.no_grad():
            packed = lambda: model(x).logits  # noqa: E731
            loop = lambda: _loop(model, heads, x)  # noqa: E731
            assert torch.allclose(packed(), loop(), atol=1e-4)
            t_packed, t_loop = time_call(packed, 20, warmup=True)[0], time_call(loop, 20, warmup=True)[0]
        print(f"M = {m}: packed heads {t_packed * 1e3:.1f} ms vs loop over heads {t_loop * 1e3:.1f} ms per batch of 256 "
              f"({t_loop / t_packed:.1f}x)")


def _loop(model: MultiHeadResNet, heads: list[torch.nn.Module], x: torch.Tensor) -> torch.Tensor:
    features = model.trunk(x)
    return torch.cat([h(features) for h in heads], 1)


if __name__ == "__main__":
    main()
