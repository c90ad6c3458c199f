"""Multi-process training on the CPU: two processes under `torchrun` (accelerate forms a gloo group) of the shared loop with
LIFT's, SEFT's and NeuroTrails' topology hooks and AlphaDecay's decay refresh. Two processes at per-process batch B must equal one process at 2B (each process
takes every other B-batch of the same shuffle, and DDP averages the gradients), and every rank must hold the same
masks (the topology is computed from all-reduced gradients and synchronised weights). This test found that
accelerate steps a prepared scheduler once per process at every step (N processes ran the warm-up and cosine N
times faster); `lm.train` now steps it once per optimizer step."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).parent / "multiprocess" / "two_ranks.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    two, one = tmp_path_factory.mktemp("two_ranks"), tmp_path_factory.mktemp("one_rank")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
                    str(SCRIPT), str(two), "4"], check=True, env=env, timeout=600)
    subprocess.run([sys.executable, str(SCRIPT), str(one), "8"], check=True, env=env, timeout=600)
    return two, one


@pytest.mark.parametrize("method", ["sgd", "lift", "seft", "dst", "alphadecay"])
def test_two_processes_at_b_equal_one_at_2b_with_identical_masks(runs, method):
    two, one = runs
    rank0, rank1 = (torch.load(two / f"{method}_rank{r}.pt") for r in (0, 1))
    single = torch.load(one / f"{method}_rank0.pt")
    for a, b in zip(rank0["masks"], rank1["masks"]):
        assert torch.equal(a, b), f"{method}: the ranks' masks diverged"
    for a, b in zip(rank0["masks"], single["masks"]):  # decay maps are continuous: equal to float noise
        same = torch.allclose(a, b, rtol=1e-4) if method == "alphadecay" else torch.equal(a, b)
        assert same, f"{method}: two processes chose other masks than one process at twice the batch"
    for name, w in rank0["weights"].items():
        assert torch.equal(w, rank1["weights"][name]), f"{method}: replicas diverged at {name}"
        assert torch.allclose(w, single["weights"][name], rtol=1e-4, atol=1e-6), f"{method}: {name} differs from 1 x 2B"
    if method in ("seft", "dst", "alphadecay"):
        assert rank0["updates"] >= 2 and rank0["updates"] == rank1["updates"] == single["updates"]
