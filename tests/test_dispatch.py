"""The CPU dispatch pin: set before torch loads, recorded in versions() and metrics.json, and in the kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import torch

from reprolab import dispatch
from reprolab.core import versions, write_metrics


def test_this_test_process_runs_pinned():
    # tests/conftest.py pins before torch is imported: ATen reports the pinned capability
    assert dispatch.is_pinned()
    assert torch.backends.cpu.get_cpu_capability() == "AVX2"
    assert versions()["cpu_dispatch"] == "pinned AVX2"


def test_pinned_and_native_environments():
    env = dispatch.pinned_environ({"OPENBLAS_CORETYPE": "Zen", "HOME": "/x"})
    assert env["ATEN_CPU_CAPABILITY"] == "avx2" and env["MKL_CBWR"].startswith("AVX2")
    assert env["OPENBLAS_CORETYPE"] == "Zen"  # a machine's own OpenBLAS setting wins
    assert dispatch.pinned_environ({})["OPENBLAS_CORETYPE"] == "Haswell"
    assert not set(dispatch.PINNED) & set(dispatch.native_environ(env)) and dispatch.native_environ(env)["HOME"] == "/x"


def test_a_fresh_process_without_the_pin_runs_native_and_pin_refuses_after_torch():
    code = ("import torch, reprolab.dispatch as d; print(torch.backends.cpu.get_cpu_capability());"
            "\ntry:\n d.pin()\nexcept RuntimeError as e: print('refused')")
    out = subprocess.run([sys.executable, "-c", code], env=dispatch.native_environ(), capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1] == "refused"
    pinned = subprocess.run([sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
                            env=dispatch.pinned_environ(), capture_output=True, text=True, check=True).stdout.strip()
    assert pinned == "AVX2"


def test_metrics_record_the_dispatch(project):
    payload = json.loads(write_metrics("03", {"x": 1.0}).read_text())
    state = payload["environment"]["dispatch"]
    assert state["pinned"] is True and state["torch_cpu_capability"] == "AVX2"
    assert state["variables"]["ATEN_CPU_CAPABILITY"] == "avx2" and "cpu" in state
    assert payload["environment"]["versions"]["torch"] == torch.__version__


def test_registered_kernel_carries_the_pin():
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if dispatch.KERNEL_PINNED not in specs:  # make setup registers it; a bare pytest run may not have
        import pytest

        pytest.skip("the reprolab kernel is not registered (run make setup)")
    spec = json.loads(open(os.path.join(specs[dispatch.KERNEL_PINNED], "kernel.json")).read())
    assert all(spec["env"][k] == v for k, v in dispatch.PINNED.items())
    native = json.loads(open(os.path.join(specs[dispatch.KERNEL_NATIVE], "kernel.json")).read())
    assert "env" not in native
