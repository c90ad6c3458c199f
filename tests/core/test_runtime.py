import numpy as np
import pytest
import torch

from reprolab.core import runtime


def test_seed_everything_repeats_draws():
    g1 = runtime.seed_everything(3)
    a = (torch.rand(3), np.random.rand(), g1.random())
    g2 = runtime.seed_everything(3)
    b = (torch.rand(3), np.random.rand(), g2.random())
    assert torch.equal(a[0], b[0]) and a[1:] == b[1:]


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_seed_rejects_bad_values(seed):
    with pytest.raises(ValueError, match="non-negative int"):
        runtime.seed_everything(seed)


def test_select_device():
    assert runtime.select_device("cpu").type == "cpu"
    assert runtime.select_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="allowed: auto, cpu, cuda"):
        runtime.select_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_gpu_is_an_error():
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        runtime.select_device("cuda")


def test_set_threads_and_setup():
    before = torch.get_num_threads()
    try:
        assert runtime.set_threads(1) == 1
        rt = runtime.setup(seed=5, device="cpu", threads=1)
        assert (rt.seed, rt.device.type, rt.threads) == (5, "cpu", 1)
        with pytest.raises(ValueError, match="positive int"):
            runtime.set_threads(0)
        assert runtime.set_threads(None) == 1
    finally:
        torch.set_num_threads(before)


def test_timer_measures_elapsed():
    with runtime.Timer() as t:
        sum(range(10000))
    assert t.seconds > 0


def test_versions():
    v = runtime.versions("torch", "no-such-package-xyz")
    assert v["torch"] == torch.__version__.split("+")[0] or v["torch"].startswith(torch.__version__[:4])
    assert v["no-such-package-xyz"] == "not installed" and "python" in v


def test_time_call_returns_mean_seconds_and_the_last_result():
    import pytest

    from reprolab.core import time_call

    calls = []
    seconds, out = time_call(lambda: calls.append(1) or len(calls), repeat=3, warmup=True)
    assert out == 4 and len(calls) == 4 and seconds >= 0
    with pytest.raises(ValueError, match="at least 1"):
        time_call(lambda: None, repeat=0)
