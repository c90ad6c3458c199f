"""Kernel tests run the Triton kernels on the GPU where there is one, else on CPU tensors in Triton's interpreter
(switched on by tests/conftest.py before triton is first imported); they skip where triton is not installed."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture
def use_backend(monkeypatch):
    """use_backend("triton" | "reference"): the kernel backend for the rest of the test."""
    pytest.importorskip("triton", reason="triton is not installed (Linux extra of `dev`)")
    return lambda name: monkeypatch.setenv("REPROLAB_KERNELS", name)
