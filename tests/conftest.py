"""Shared fixtures: a tiny character tokenizer and model, and an isolated project root per test.

The CPU dispatch is pinned first, before torch loads (see `reprolab.dispatch`), so the unit tests
compute the same numbers on any x86-64 machine. Without a GPU, Triton's interpreter is switched on before anything
imports triton (transformers may), so the kernel tests in tests/kernels run the real kernels on CPU tensors.
"""

from __future__ import annotations

import os
import shutil

if not shutil.which("nvidia-smi"):
    os.environ.setdefault("TRITON_INTERPRET", "1")
os.environ.pop("REPROLAB_OVERRIDES", None)  # a user's `--set` overrides never reach the tests

from reprolab import dispatch  # noqa: E402

dispatch.pin()

import pytest  # noqa: E402

from reprolab import lm  # noqa: E402


@pytest.fixture(scope="session")
def tokenizer():
    texts = ["In the beginning God created the heaven and the earth."]
    texts += [e.text for e in lm.generate_task("arithmetic", 50, 0)]
    texts += [e.text for e in lm.generate_task("arithmetic", 50, 0, "validation")]
    return lm.char_tokenizer(texts)


@pytest.fixture
def tiny_model(tokenizer):
    return lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=128), tokenizer, seed=0)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throw-away project root: figures/ and runs/ land under tmp_path."""
    from reprolab.core import paths

    monkeypatch.setenv("REPROLAB_ROOT", str(tmp_path))
    monkeypatch.delenv("REPROLAB_RUN_DIR", raising=False)
    monkeypatch.setattr(paths, "_RUN_DIRS", {})
    return tmp_path
