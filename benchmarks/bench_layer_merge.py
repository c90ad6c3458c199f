"""GPTailor hot path: evaluating many plans. `PlanModels` assembles each plan from the base's and candidates' own
modules (shared, never copied; merged layers cached) against a naive rebuild per plan (`apply`: a fresh model with
its own tensors, as a search that re-assembles checkpoints would do). Both score the same plans on the same
calibration items, each plan twice as Hyperband does (67 then 200 prompts); reported: plan evaluations per minute,
the assembly alone, and the scoring's FLOP/s as a share of the measured fp32 GEMM peak (bench_peak.py). Models: a LLaMA of notebook 01's default shape
(8 layers, width 48) and a wider one (8 layers, width 256), random weights; 3 candidates.
Run: .venv/bin/python benchmarks/bench_layer_merge.py   (about a minute on 2 cores)
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM

import reprolab.layer_merge as lmg
from measure import counted_flops, gemm_share


def family(width: int, layers: int = 8) -> tuple[LlamaForCausalLM, list[LlamaForCausalLM]]:
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=width, intermediate_size=int(width * 8 / 3),
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=4,
                         max_position_embeddings=64, tie_word_embeddings=False)
    models = [LlamaForCausalLM(config).eval() for _ in range(4)]
    return models[0], models[1:]


def plans(space: lmg.SearchSpace, n: int) -> list[lmg.MergePlan]:
    rng = np.random.default_rng(0)
    return [space.decode({name: int(rng.integers(b[0], b[1] + 1)) if kind in ("int", "bit") else
                          float(rng.choice([0.3, 0.5, 0.7])) for name, kind, b in space.names()}) for _ in range(n)]


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}")
    ids = torch.randint(4, 64, (200, 24), generator=torch.Generator().manual_seed(0))  # 200 calibration prompts
    for width in (48, 256):
        base, cands = family(width)
        todo = [(p, n) for p in plans(lmg.SearchSpace(8, 3, 2), 20) for n in (67, 200)]
        shared = lmg.PlanModels(base, cands)

        def score(model: torch.nn.Module, n: int) -> torch.Tensor:
            with torch.no_grad():
                return model(input_ids=ids[:n], use_cache=False).logits[:, -1].argmax(-1)

        t0 = time.perf_counter()
        fast = [score(shared.model(p), n) for p, n in todo]
        t_shared = time.perf_counter() - t0
        t0 = time.perf_counter()
        slow = [score(lmg.apply(p, base, cands), n) for p, n in todo]
        t_naive = time.perf_counter() - t0
        assert all(torch.equal(a, b) for a, b in zip(fast, slow))
        fresh = lmg.PlanModels(base, cands)
        distinct = [p for p, n in todo if n == 67]
        a_cold = _time(lambda: [fresh.model(p) for p in distinct]) * len(todo) / len(distinct)
        a_warm = _time(lambda: [fresh.model(p) for p, _ in todo])
        a_naive = _time(lambda: [lmg.apply(p, base, cands) for p, _ in todo])
        flops = sum(counted_flops(lambda: score(shared.model(p), n)) for p, n in todo)
        per_min = lambda t: 60 * len(todo) / t  # noqa: E731
        print(f"width {width}: shared modules {per_min(t_shared):.0f} evaluations/min vs rebuild per plan "
              f"{per_min(t_naive):.0f}/min ({t_naive / t_shared:.1f}x); assembly alone {a_naive / len(todo) * 1e3:.1f} ms "
              f"per plan rebuilt vs {a_cold / len(todo) * 1e3:.1f} ms shared, merges computed "
              f"({a_naive / a_cold:.1f}x), {a_warm / len(todo) * 1e3:.2f} ms merges cached ({a_naive / a_warm:.0f}x); "
              f"shared scoring at {gemm_share(flops, t_shared):.0%} of the fp32 GEMM peak")


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
