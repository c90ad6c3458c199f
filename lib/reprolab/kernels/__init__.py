"""GPU kernels for the hot paths, each beside the PyTorch reference that stays the truth, under one op name.

Ops (registered with `torch.library`, so eager, `torch.compile` and `opcheck` see one operator):
  * `sparse_adamw_`: AdamW (decoupled decay, bias correction) on the k entries of a flat index list, in place
    (LIFT's and SEFT's `MaskedAdamW`).
  * `grouped_mm` / `grouped_mm_wgrad`: expert-grouped GEMMs on tokens sorted by expert, no padding, with autograd
    (the MoE / CoE expert bank), and `expert_mlp`, the SwiGLU expert MLP built on them.

Dispatch (`use_triton`): the Triton kernel runs on CUDA tensors when triton is importable, the reference
everywhere else. `REPROLAB_KERNELS=reference` forces the reference; `REPROLAB_KERNELS=triton` forces the kernel
also on CPU tensors, which works only under Triton's interpreter (`TRITON_INTERPRET=1` set before this package's
kernels are first used): that is how the CPU CI tests them. A machine without triton imports this package and runs
the references without a warning.
"""

from __future__ import annotations

import importlib.util
import os

import torch

BACKENDS = ("auto", "triton", "reference")
HAS_TRITON = importlib.util.find_spec("triton") is not None


def backend() -> str:
    """The kernel backend asked for in `$REPROLAB_KERNELS` (default auto: Triton on CUDA, the reference elsewhere)."""
    name = os.environ.get("REPROLAB_KERNELS", "auto")
    if name not in BACKENDS:
        raise ValueError(f"REPROLAB_KERNELS={name!r} is not a kernel backend; allowed: {', '.join(BACKENDS)}")
    return name


def use_triton(tensor: torch.Tensor) -> bool:
    """Whether an op on `tensor` runs its Triton kernel (see the module docstring)."""
    name = backend()
    if name == "reference":
        return False
    if name == "triton":
        if not HAS_TRITON:
            raise RuntimeError("REPROLAB_KERNELS=triton but triton is not installed (pip install triton, Linux only)")
        if not tensor.is_cuda and os.environ.get("TRITON_INTERPRET") != "1":
            raise RuntimeError("REPROLAB_KERNELS=triton on a CPU tensor needs Triton's interpreter: set "
                               "TRITON_INTERPRET=1 before the first kernel call")
        return True
    return HAS_TRITON and tensor.is_cuda


from .grouped_mm import expert_mlp, grouped_mm, grouped_mm_reference, grouped_mm_wgrad  # noqa: E402
from .sparse_adamw import sparse_adamw_, sparse_adamw_reference  # noqa: E402

__all__ = ["BACKENDS", "HAS_TRITON", "backend", "use_triton", "expert_mlp", "grouped_mm", "grouped_mm_reference",
           "grouped_mm_wgrad", "sparse_adamw_", "sparse_adamw_reference"]
