"""Every Triton kernel against its PyTorch reference on small odd shapes, several dtypes, empty experts and
collapsed routing; gradients against the reference's autograd; opcheck on the ops; the CoE layer on both paths."""

from __future__ import annotations

import pytest
import torch

from reprolab import kernels

TOL = {torch.float32: dict(rtol=1e-5, atol=1e-5), torch.bfloat16: dict(rtol=2e-2, atol=2e-2),
       torch.float16: dict(rtol=2e-3, atol=2e-3)}


def _both(use_backend, fn):
    """fn() under the Triton kernel and under the reference."""
    use_backend("triton")
    fast = fn()
    use_backend("reference")
    return fast, fn()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_sparse_adamw_equals_reference(use_backend, device, dtype):
    g = torch.Generator().manual_seed(0)
    numel, k = 3001, 1037
    param0 = torch.randn(numel, generator=g).to(device, dtype).view(1, 3001)
    index = torch.randperm(numel, generator=g)[:k].sort().values.to(device)
    states = {}
    for name in ("triton", "reference"):
        use_backend(name)
        param, m, v = param0.clone(), torch.zeros(k, device=device), torch.zeros(k, device=device)
        for step in range(1, 4):
            grad = torch.randn(numel, generator=torch.Generator().manual_seed(step)).to(device, dtype).view(1, 3001)
            kernels.sparse_adamw_(param, grad, index, m, v, 1e-2, 0.9, 0.999, 1e-8, 0.1, 1 - 0.9 ** step,
                                  1 - 0.999 ** step)
        states[name] = (param, m, v)
    (p, m, v), (p_ref, m_ref, v_ref) = states["triton"], states["reference"]
    torch.testing.assert_close(m, m_ref, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(v, v_ref, rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(p, p_ref, **TOL[dtype])  # the interpreter's fp32 -> bf16 cast truncates: 1 ulp
    outside = torch.ones(numel, dtype=torch.bool, device=device)
    outside[index] = False
    assert torch.equal(p.view(-1)[outside], param0.view(-1)[outside])  # entries off the list are never written


def test_masked_adamw_steps_equal_on_both_paths(use_backend, device):
    from reprolab.sparsity import MaskedAdamW

    def train():
        torch.manual_seed(0)
        layer = torch.nn.Linear(13, 7).to(device)
        mask = torch.rand(7, 13, generator=torch.Generator().manual_seed(1)) < 0.3
        opt = MaskedAdamW(layer.parameters(), {layer.weight: mask.to(device)}, lr=1e-2, weight_decay=0.05)
        for _ in range(3):
            opt.zero_grad()
            layer(torch.randn(5, 13, device=device)).square().sum().backward()
            opt.step()
        return layer.weight.detach().clone(), layer.bias.detach().clone()

    (w, b), (w_ref, b_ref) = _both(use_backend, train)
    torch.testing.assert_close(w, w_ref, rtol=1e-6, atol=1e-7)
    assert torch.equal(b, b_ref)  # the unmasked bias takes the dense path on both


ROUTINGS = {"spread": [10, 0, 20, 1, 6], "collapsed": [0, 0, 37, 0, 0], "empty": [0, 0, 0, 0, 0]}


@pytest.mark.parametrize("routing", ROUTINGS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_grouped_mm_forward_and_gradients(use_backend, device, routing, dtype):
    counts = torch.tensor(ROUTINGS[routing], device=device)
    g = torch.Generator().manual_seed(0)
    a0 = torch.randn(int(counts.sum()), 19, generator=g).to(device, dtype)
    b0 = torch.randn(5, 23, 19, generator=g).to(device, dtype)  # used transposed: a non-contiguous (E, K, M) view
    grad = torch.randn(len(a0), 23, generator=g).to(device, dtype)

    def run():
        a, b = a0.clone().requires_grad_(), b0.clone().requires_grad_()
        out = kernels.grouped_mm(a, b.transpose(1, 2), counts)
        out.backward(grad)
        return out.detach(), a.grad, b.grad

    fast, ref = _both(use_backend, run)
    for x, y in zip(fast, ref):
        torch.testing.assert_close(x, y, **TOL[dtype])
    if routing != "empty":
        assert float(fast[2][1].abs().max()) == 0  # expert 1 has no tokens: zero weight gradient


def test_grouped_mm_rejects_bad_counts(device):
    with pytest.raises(ValueError, match="counts must be a 1-D int64"):
        kernels.grouped_mm(torch.zeros(3, 4, device=device), torch.zeros(2, 4, 5, device=device),
                           torch.tensor([1, 2], dtype=torch.int32, device=device))


@pytest.mark.parametrize("backend", ["triton", "reference"])
def test_opcheck(use_backend, device, backend):
    use_backend(backend)
    g = torch.Generator().manual_seed(0)
    counts = torch.tensor([3, 0, 5], device=device)
    a = torch.randn(8, 6, generator=g).to(device).requires_grad_()
    b = torch.randn(3, 6, 5, generator=g).to(device).requires_grad_()
    torch.library.opcheck(torch.ops.reprolab.grouped_mm.default, (a, b, counts))
    torch.library.opcheck(torch.ops.reprolab.grouped_mm_wgrad.default, (a.detach(), torch.randn(8, 5, device=device),
                                                                       counts))
    p, grad = torch.randn(11, device=device), torch.randn(11, device=device)
    index = torch.tensor([0, 4, 10], device=device)
    torch.library.opcheck(torch.ops.reprolab.sparse_adamw_.default,
                          (p, grad, index, torch.zeros(3, device=device), torch.zeros(3, device=device), 1e-3, 0.9,
                           0.99, 1e-8, 0.0, 0.1, 0.01))


@pytest.mark.parametrize("collapse", [False, True])
def test_coe_layer_equal_on_kernel_and_reference_paths(use_backend, device, collapse):
    from reprolab.chain_of_experts.experts import ExpertBank

    torch.manual_seed(0)
    bank = ExpertBank(6, 12, 20, init_std=0.2).to(device)
    x0 = torch.randn(11, 12, device=device)
    indices = torch.zeros(11, 2, dtype=torch.long, device=device) if collapse else torch.randint(0, 6, (11, 2),
                                                                                              device=device)
    weights = torch.rand(11, 2, device=device)

    def run():
        bank.zero_grad()
        x = x0.clone().requires_grad_()
        out = bank(x, indices, weights)
        out.square().sum().backward()
        return out.detach(), x.grad, bank.gate_up_proj.grad.clone(), bank.down_proj.grad.clone()

    fast, ref = _both(use_backend, run)
    for x, y in zip(fast, ref):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)


def test_backend_errors_are_one_line(monkeypatch):
    monkeypatch.setenv("REPROLAB_KERNELS", "cuda")
    with pytest.raises(ValueError, match="allowed: auto, triton, reference"):
        kernels.backend()
    monkeypatch.setenv("REPROLAB_KERNELS", "triton")
    monkeypatch.delenv("TRITON_INTERPRET")
    if kernels.HAS_TRITON and not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="needs Triton's interpreter"):
            kernels.use_triton(torch.zeros(1))
