"""The prepared GPU check of `reprolab.kernels`: every kernel test on the GPU, then each kernel timed against its
PyTorch reference at paper-like shapes, with achieved bandwidth / TFLOP/s as a share of this GPU's measured peak.

  python benchmarks/gpu_check.py           # a CUDA machine with triton: under 5 minutes on one GPU
  python benchmarks/gpu_check.py --tiny    # anywhere with triton: Triton's interpreter on CPU tensors, tiny shapes
                                           # (tests/test_gpu_check.py runs it so, so the script works first time)

Shapes: sparse AdamW on a LLaMA-7B MLP matrix (11008 x 4096, bf16, fp32 moments) at 5 % of its entries (LIFT's
budget order); the SwiGLU expert MLP of a DeepSeek-V2-Lite-like MoE layer (64 routed experts, top-6, hidden 2048,
expert width 1408, 4096 tokens, bf16), forward + backward, also against the ideal: the same GEMMs as dense blocks.
Writes benchmarks/results/gpu_check.json, or $GPU_CHECK_OUT/gpu_check.json (a --tiny run only there).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="interpreter on CPU tensors, tiny shapes")
    parser.add_argument("--skip-tests", action="store_true", help="only the timings")
    return parser.parse_args()


def main() -> None:
    args = parse()
    if args.tiny:
        os.environ["TRITON_INTERPRET"] = "1"  # before triton is imported
    import torch

    from reprolab import kernels
    from reprolab.core.runtime import time_call

    if not kernels.HAS_TRITON:
        raise SystemExit("triton is not installed: pip install triton (Linux)")
    cuda = not args.tiny
    if cuda and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run with --tiny for the interpreter check on the CPU")
    device = "cuda" if cuda else "cpu"
    report: dict = {"device": torch.cuda.get_device_name() if cuda else "cpu (Triton interpreter)", "tiny": args.tiny}
    print(f"device: {report['device']}")

    if not args.skip_tests:
        selection = ["-k", "sparse_adamw_equals and dtype0"] if args.tiny else []
        tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/kernels", *selection], cwd=ROOT)
        report["tests_passed"] = tests.returncode == 0
        print(f"kernel tests on {device}: {'pass' if tests.returncode == 0 else 'FAIL'}")

    def timed(fn, repeat: int) -> float:
        return time_call(fn, repeat=repeat, warmup=True, cuda=cuda)[0]

    def both(fn, repeat: int) -> dict[str, float]:
        """Seconds of fn() with the Triton kernel and with the reference."""
        out = {}
        for name in ("triton", "reference"):
            os.environ["REPROLAB_KERNELS"] = name
            out[name] = timed(fn, repeat)
        os.environ.pop("REPROLAB_KERNELS")
        return out

    repeat = 1 if args.tiny else 20
    # the GPU's measured limits: bf16 GEMM and copy bandwidth
    n = 256 if args.tiny else 8192
    a, b = torch.randn(n, n, device=device, dtype=torch.bfloat16), torch.randn(n, n, device=device, dtype=torch.bfloat16)
    peak_tflops = 2 * n**3 / timed(lambda: a @ b, repeat) / 1e12
    x = torch.empty((1 << 20) if args.tiny else (1 << 30), dtype=torch.uint8, device=device)
    y = torch.empty_like(x)
    peak_gbs = 2 * x.numel() / timed(lambda: y.copy_(x), repeat) / 1e9
    report["peak"] = {"bf16_gemm_tflops": peak_tflops, "copy_gbs": peak_gbs}
    print(f"measured peak: bf16 GEMM {n}^2 {peak_tflops:.1f} TFLOP/s, copy {peak_gbs:.0f} GB/s")

    # sparse AdamW
    rows, cols = (64, 48) if args.tiny else (11008, 4096)
    g = torch.Generator(device=device).manual_seed(0)
    param = torch.randn(rows, cols, device=device, dtype=torch.bfloat16, generator=g)
    grad = torch.randn(rows, cols, device=device, dtype=torch.bfloat16, generator=g)
    k = rows * cols // 20
    index = torch.randperm(rows * cols, device=device, generator=g)[:k].sort().values
    m, v = torch.zeros(k, device=device), torch.zeros(k, device=device)
    seconds = both(lambda: kernels.sparse_adamw_(param, grad, index, m, v, 1e-4, 0.9, 0.999, 1e-8, 0.0, 0.1, 0.001),
                   repeat)
    moved = k * (8 + 2 + 2 * 2 + 2 * 4 * 2)  # index, grad, param read + write, both moments read + write
    report["sparse_adamw"] = {"shape": [rows, cols], "k": k, "seconds": seconds,
                              "speedup": seconds["reference"] / seconds["triton"],
                              "kernel_gbs": moved / seconds["triton"] / 1e9,
                              "share_of_copy_peak": moved / seconds["triton"] / 1e9 / peak_gbs}
    print(f"sparse AdamW {rows} x {cols}, k = {k}: kernel {seconds['triton'] * 1e3:.3f} ms, reference "
          f"{seconds['reference'] * 1e3:.3f} ms ({report['sparse_adamw']['speedup']:.2f}x), "
          f"{report['sparse_adamw']['kernel_gbs']:.0f} GB/s = {report['sparse_adamw']['share_of_copy_peak']:.0%} of copy")

    # expert MLP of a MoE layer, forward + backward
    experts, top_k, hidden, width, tokens = (4, 2, 32, 24, 16) if args.tiny else (64, 6, 2048, 1408, 4096)
    choice = torch.rand(tokens, experts, device=device, generator=g).topk(top_k, dim=-1).indices.reshape(-1)
    counts = torch.bincount(choice, minlength=experts)
    x = torch.randn(tokens * top_k, hidden, device=device, dtype=torch.bfloat16, generator=g).requires_grad_()
    gate_up = (0.02 * torch.randn(experts, 2 * width, hidden, device=device, generator=g)).bfloat16().requires_grad_()
    down = (0.02 * torch.randn(experts, hidden, width, device=device, generator=g)).bfloat16().requires_grad_()
    out_grad = torch.randn(tokens * top_k, hidden, device=device, dtype=torch.bfloat16, generator=g)

    def step():
        out = kernels.expert_mlp(x, gate_up, down, counts)
        out.backward(out_grad)

    seconds = both(step, max(1, repeat // 4))
    flops = 3 * 6 * tokens * top_k * hidden * width  # forward 6 N H I (gate, up, down), backward twice that
    # the ideal: the same GEMMs as if every expert's tokens were one dense block (no sorting, tiling or scatter);
    # backward costs twice the forward's FLOPs, so 3x the forward GEMMs
    n_rows = tokens * top_k
    w1 = torch.randn(hidden, 2 * width, device=device, dtype=torch.bfloat16)
    w2 = torch.randn(width, hidden, device=device, dtype=torch.bfloat16)
    h, act = torch.randn(n_rows, hidden, device=device, dtype=torch.bfloat16), torch.randn(
        n_rows, width, device=device, dtype=torch.bfloat16)
    dense_seconds = 3 * timed(lambda: (h @ w1, act @ w2), repeat)
    report["expert_mlp"] = {"experts": experts, "top_k": top_k, "hidden": hidden, "width": width, "tokens": tokens,
                            "seconds": seconds, "speedup": seconds["reference"] / seconds["triton"],
                            "kernel_tflops": flops / seconds["triton"] / 1e12,
                            "share_of_gemm_peak": flops / seconds["triton"] / 1e12 / peak_tflops,
                            "ideal_dense_seconds": dense_seconds,
                            "overhead_vs_ideal": seconds["triton"] / dense_seconds}
    r = report["expert_mlp"]
    print(f"expert MLP E={experts} top-{top_k} H={hidden} I={width} T={tokens}, fwd+bwd: kernel "
          f"{seconds['triton'] * 1e3:.2f} ms, padded reference {seconds['reference'] * 1e3:.2f} ms "
          f"({r['speedup']:.2f}x), {r['kernel_tflops']:.1f} TFLOP/s = {r['share_of_gemm_peak']:.0%} of the bf16 GEMM "
          f"peak; {r['overhead_vs_ideal']:.2f}x the same FLOPs as dense GEMMs")

    out = os.environ.get("GPU_CHECK_OUT") or ("" if args.tiny else str(ROOT / "benchmarks" / "results"))
    if out:  # a tiny run's numbers are the interpreter's: written only where asked
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "gpu_check.json").write_text(json.dumps(report, indent=1))
        print(f"written to {Path(out) / 'gpu_check.json'}")
    if not report.get("tests_passed", True):
        raise SystemExit("kernel tests failed on this device")


if __name__ == "__main__":
    main()
