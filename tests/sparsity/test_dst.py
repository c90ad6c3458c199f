import math

import pytest
import torch

from reprolab.sparsity import DSTConfig, DynamicSparsity, drop_and_grow_rows, erk_densities


def test_erk_gives_the_global_density_and_caps_layers_at_dense():
    shapes = {"stem": (32, 1, 5), "big": (128, 64, 5), "fc": (10, 128)}
    d = erk_densities(shapes, 0.2)
    total = sum(math.prod(s) for s in shapes.values())
    assert sum(d[n] * math.prod(s) for n, s in shapes.items()) == pytest.approx(0.2 * total)
    assert d["stem"] == 1.0 and d["big"] < 0.2 and all(0 < v <= 1 for v in d.values())
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        erk_densities(shapes, 0.0)


def test_rows_keep_their_counts_and_may_regrow_a_dropped_entry_only_when_allowed():
    support = torch.tensor([[True, True, False, False], [False, True, True, False]])
    drop = torch.tensor([[0.1, 0.9, 0.0, 0.0], [0.0, 0.2, 0.8, 0.0]])
    grow = torch.tensor([[5.0, 0.0, 1.0, 2.0], [0.0, 3.0, 0.0, 1.0]])
    again = drop_and_grow_rows(support, drop, grow, 1, regrow_dropped=True)
    assert again.tolist() == [[True, True, False, False], [False, True, True, False]]  # largest |g| was just dropped
    never = drop_and_grow_rows(support, drop, grow, 1, regrow_dropped=False)
    assert never.tolist() == [[False, True, False, True], [False, False, True, True]]
    assert (never.sum(1) == support.sum(1)).all()


def test_dynamic_sparsity_keeps_exact_counts_per_group_and_regrows_at_zero():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(6, 20))  # 3 packed heads of (2, 20)
    dst = DynamicSparsity({"w": w}, DSTConfig(density=0.3, distribution="uniform", update_every=1), total_steps=10,
                          groups={"w": 3})
    before = dst.masks["w"].clone()
    assert dst.live_counts()["w"] == [12, 12, 12] and (w[~before] == 0).all()
    w.grad = torch.randn(6, 20)
    dst.after_backward(1, None)
    after = dst.masks["w"]
    assert dst.live_counts()["w"] == [12, 12, 12] and not torch.equal(before, after)
    assert (w[after & ~before] == 0).all() and (w.grad[~after] == 0).all()
    assert dst.updates[0]["changed"] == int((after & ~before).sum())
    static = DynamicSparsity({"w": w}, DSTConfig(density=0.3, fix=True, update_every=1), total_steps=10)
    fixed = static.masks["w"].clone()
    w.grad = torch.randn(6, 20)
    static.after_backward(1, None)
    assert torch.equal(fixed, static.masks["w"])
    with pytest.raises(ValueError, match="divisible"):
        DynamicSparsity({"w": w}, DSTConfig(), 10, groups={"w": 4})
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        DSTConfig(density=1.5)


def test_optimizer_moments_of_dead_weights_are_zeroed():
    w = torch.nn.Parameter(torch.randn(4, 10))
    dst = DynamicSparsity({"w": w}, DSTConfig(density=0.5, distribution="uniform"), total_steps=10)
    opt = torch.optim.AdamW([w], lr=0.1)
    w.grad = torch.randn(4, 10)
    opt.step()
    dst.after_step(0, None, opt)
    assert (w[~dst.masks["w"]] == 0).all() and (opt.state[w]["exp_avg"][~dst.masks["w"]] == 0).all()


def test_erk_on_packed_heads_equals_erk_on_separate_head_layers():
    """M heads packed as one (M c_out, c_in, k) tensor get the density ERK gives M separate (c_out, c_in, k) layers."""
    m, trunk, head = 3, (16, 8, 3), (32, 32, 3)
    separate = erk_densities({"trunk": trunk, **{f"head{i}": head for i in range(m)}}, 0.2)
    weights = {"trunk": torch.nn.Parameter(torch.randn(*trunk)), "heads": torch.nn.Parameter(torch.randn(m * 32, 32, 3))}
    dst = DynamicSparsity(weights, DSTConfig(density=0.2), total_steps=10, groups={"heads": m})
    assert dst.live_per_group["heads"] == round(separate["head0"] * 32 * 32 * 3)
    assert dst.live_per_group["trunk"] == round(separate["trunk"] * 16 * 8 * 3)
    packed_naive = erk_densities({"trunk": trunk, "heads": (m * 32, 32, 3)}, 0.2)
    assert packed_naive["heads"] < separate["head0"]  # the old allocation starved the heads


def test_soft_magnitude_pruning_keeps_exact_counts_and_favours_large_weights():
    kept_large = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        w = torch.nn.Parameter(torch.randn(4 * 16, 50))
        dst = DynamicSparsity({"w": w}, DSTConfig(density=0.5, prune="soft_magnitude"), total_steps=100,
                              groups={"w": 4}, seed=seed)
        before = dst.masks["w"].clone()
        w.grad = torch.randn_like(w)
        dst.update(1)
        assert dst.live_counts()["w"] == [int(before.view(4, -1)[0].sum())] * 4
        dropped, kept = before & ~dst.masks["w"], before & dst.masks["w"]
        kept_large.append(float(w.detach().abs()[kept].mean() > w.detach().abs()[dropped].mean()))
    assert kept_large == [1.0, 1.0]
    with pytest.raises(ValueError, match="prune must be"):
        DSTConfig(prune="random")
