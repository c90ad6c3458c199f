"""The prepared GPU check runs end to end here, in Triton's interpreter with tiny shapes, so that its first run on
a real GPU does not fail on a typo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("triton", reason="triton is not installed (Linux extra of `dev`)")
ROOT = Path(__file__).resolve().parent.parent


def test_gpu_check_runs_in_the_interpreter(tmp_path):
    env = {**os.environ, "GPU_CHECK_OUT": str(tmp_path), "TRITON_INTERPRET": "1"}
    run = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--tiny"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["tests_passed"] and report["tiny"]
    for key in ("sparse_adamw", "expert_mlp"):
        assert set(report[key]["seconds"]) == {"triton", "reference"} and min(report[key]["seconds"].values()) > 0
    assert report["expert_mlp"]["overhead_vs_ideal"] > 0
