"""Pin the CPU kernel dispatch so that the default profiles give the same numbers on any x86-64 machine.

PyTorch's CPU build picks its kernels by the CPU's instruction set: ATen's vectorised kernels
(`ATEN_CPU_CAPABILITY`), MKL's BLAS (`MKL_CBWR`, conditional numerical reproducibility) and
oneDNN's convolutions and matmuls (`ONEDNN_MAX_CPU_ISA`, formerly `DNNL_MAX_CPU_ISA`). An AVX-512
machine and an AVX2 machine then differ in the last bits, and training amplifies those bits into a
different trajectory. NumPy's OpenBLAS dispatches the same way (`OPENBLAS_CORETYPE`).

Each variable is read once, when its library loads, so the pin must be in the environment *before*
torch or numpy is imported: the `reprolab` kernelspec carries it in its `env`, `reprolab run` passes
it to the papermill kernel, `tests/conftest.py` and `notebooks/conftest.py` set it first. AVX2 is the
path every current x86-64 server has (Haswell, 2013, and AMD Zen onwards).

This module lives outside `reprolab.core` because importing `core` imports torch.
`python -m reprolab.dispatch kernelspec` writes the pin into the registered kernels (`make setup`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, MutableMapping

PINNED: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",  # ATen's vectorised CPU kernels (default: the best the CPU has)
    "MKL_CBWR": "AVX2,STRICT",  # MKL: one code branch and bitwise-reproducible reductions
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN (mkldnn) convolutions, matmuls, bf16 paths
    "DNNL_MAX_CPU_ISA": "AVX2",  # the same for oneDNN builds older than 2.x
}
# Set only where the machine has not set it: some machines set OPENBLAS_CORETYPE themselves because
# older OpenBLAS builds compute wrong results on their processor, and that setting must win.
PINNED_IF_UNSET: dict[str, str] = {"OPENBLAS_CORETYPE": "Haswell"}
KERNEL_PINNED = "reprolab"  # the kernel that notebooks, JupyterLab and `reprolab build` use
KERNEL_NATIVE = "reprolab-native"  # the same environment on the machine's fastest path (paper / evidence runs)


def pinned_environ(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `environ` (default: `os.environ`) with the pin applied."""
    env = dict(os.environ if environ is None else environ)
    env.update(PINNED)
    for key, value in PINNED_IF_UNSET.items():
        env.setdefault(key, value)
    return env


def native_environ(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `environ` without the pin's variables (the machine's fastest path)."""
    env = dict(os.environ if environ is None else environ)
    for key in PINNED:
        env.pop(key, None)
    return env


def pin() -> None:
    """Apply the pin to this process's environment; an error if torch is already loaded (too late)."""
    if "torch" in sys.modules and not is_pinned():
        raise RuntimeError("torch was imported before the CPU dispatch was pinned; call "
                           "reprolab.dispatch.pin() before importing torch (or numpy)")
    os.environ.update(pinned_environ())


def is_pinned(environ: MutableMapping[str, str] | None = None) -> bool:
    """Whether every variable of the pin has its pinned value in `environ` (default: `os.environ`)."""
    env = os.environ if environ is None else environ
    return all(env.get(k) == v for k, v in PINNED.items())


def dispatch_key() -> str:
    """A short name of the kernels in use, for cache keys: results computed under another dispatch (or
    another torch) are other numbers. Needs torch."""
    import torch

    path = "pinned-avx2" if is_pinned() else f"native-{torch.backends.cpu.get_cpu_capability().lower()}"
    return f"{path}-torch{torch.__version__}"


def dispatch_state() -> dict[str, Any]:
    """What this process runs on: the pin's variables as set, and, where loaded, torch's CPU
    capability and the BLAS libraries' own reports (threadpoolctl). Goes into every metrics.json."""
    state: dict[str, Any] = {"pinned": is_pinned()}
    state["variables"] = {k: os.environ.get(k) for k in (*PINNED, *PINNED_IF_UNSET)}
    if "torch" in sys.modules:
        import torch

        state["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        state["mkldnn_enabled"] = bool(torch.backends.mkldnn.enabled)
    try:
        from threadpoolctl import threadpool_info

        state["blas"] = sorted({f"{i.get('internal_api')}:{i.get('architecture', '?')}" for i in threadpool_info()
                                if i.get("user_api") == "blas"})
    except ImportError:
        pass
    state["cpu"] = _cpu_model()
    return state


def _cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def write_kernelspecs(prefix: str | None = None) -> list[Path]:
    """Give the registered `reprolab` kernel the pin in its `env`, and register `reprolab-native`
    beside it without the pin. Returns the kernel.json files written."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if KERNEL_PINNED not in specs:
        raise SystemExit(f"kernel {KERNEL_PINNED!r} is not registered; run `make setup` "
                         f"(python -m ipykernel install --sys-prefix --name {KERNEL_PINNED})")
    pinned_dir = Path(specs[KERNEL_PINNED])
    spec = json.loads((pinned_dir / "kernel.json").read_text())
    spec["env"] = {**PINNED, **{k: os.environ.get(k, v) for k, v in PINNED_IF_UNSET.items()}}
    (pinned_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    native_dir = pinned_dir.parent / KERNEL_NATIVE
    native_dir.mkdir(exist_ok=True)
    native = {k: v for k, v in spec.items() if k != "env"} | {"display_name": "reprolab (native CPU dispatch)"}
    (native_dir / "kernel.json").write_text(json.dumps(native, indent=1))
    return [pinned_dir / "kernel.json", native_dir / "kernel.json"]


if __name__ == "__main__":
    if sys.argv[1:] == ["kernelspec"]:
        for path in write_kernelspecs():
            print(f"wrote {path.parent.name} kernel")
    else:
        print(json.dumps(dispatch_state(), indent=1))
