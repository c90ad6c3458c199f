import math

import pytest
import torch

from reprolab.sparsity import MaskedAdamW, lora_equivalent_budget, magnitude_mask, principal_mask, topk_mask
from reprolab.sparsity.masks import low_rank_approximation


def test_budget_is_the_lora_parameter_count_capped_at_the_matrix():
    assert lora_equivalent_budget((4096, 4096), 128) == 8192 * 128
    assert lora_equivalent_budget((10, 10), 8) == 100
    with pytest.raises(ValueError, match="positive integer"):
        lora_equivalent_budget((10, 10), 0)


def test_principal_mask_has_exact_density_and_picks_the_largest_low_rank_entries():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(40, 60, generator=gen)
    mask = principal_mask(w, filter_rank=3, budget_rank=2)
    k = lora_equivalent_budget((40, 60), 2)
    assert int(mask.sum()) == k
    u, s, vh = torch.linalg.svd(w, full_matrices=False)
    approx = ((u[:, :3] * s[:3]) @ vh[:3]).abs()
    assert approx[mask].min() >= approx[~mask].max()
    smallest = principal_mask(w, 3, 2, largest=False)
    assert int(smallest.sum()) == k and not (smallest & mask).any()


def test_a_rank_r_matrix_with_sparse_support_gives_its_own_support():
    w = torch.zeros(30, 30)
    w[:5, :4] = torch.outer(torch.arange(1.0, 6.0), torch.arange(1.0, 5.0))  # rank 1, 20 non-zeros
    mask = topk_mask(low_rank_approximation(w, 1).abs(), 20)
    assert torch.equal(mask, w != 0)


def test_randomized_svd_agrees_with_exact_on_a_low_rank_matrix():
    gen = torch.Generator().manual_seed(1)
    w = torch.randn(50, 6, generator=gen) @ torch.randn(6, 80, generator=gen)
    assert torch.allclose(low_rank_approximation(w, 6, "randomized", niter=4), low_rank_approximation(w, 6), atol=1e-3)
    with pytest.raises(ValueError, match="svd must be"):
        low_rank_approximation(w, 2, "qr")
    with pytest.raises(ValueError, match="rank must be in"):
        principal_mask(w, 0, 2)


def test_masked_adamw_updates_only_masked_entries_like_adamw_does_there():
    gen = torch.Generator().manual_seed(2)
    w = torch.nn.Parameter(torch.randn(12, 20, generator=gen))
    bias = torch.nn.Parameter(torch.randn(20, generator=gen))
    mask = magnitude_mask(w, 1)
    start = w.detach().clone()
    opt = MaskedAdamW([w, bias], {w: mask}, lr=0.05)
    ref_w = torch.nn.Parameter(start.clone())
    ref = torch.optim.AdamW([ref_w], lr=0.05, betas=(0.9, 0.95), eps=1e-6, weight_decay=0.0)
    for _ in range(4):
        opt.zero_grad(), ref.zero_grad()
        ((w - 1) ** 2).sum().add(bias.sum()).backward()
        ((ref_w - 1) ** 2).sum().backward()
        opt.step(), ref.step()
    assert torch.equal(w.detach()[~mask], start[~mask])  # bit-identical outside the mask
    assert torch.allclose(w.detach()[mask], ref_w.detach()[mask], atol=1e-6)
    k = int(mask.sum())
    assert opt.state_bytes() == 2 * k * 4 + k * 8 + 2 * bias.numel() * 4


def test_refresh_carries_moments_where_masks_overlap_and_zeroes_new_entries():
    w = torch.nn.Parameter(torch.ones(4, 4))
    old = torch.zeros(4, 4, dtype=torch.bool)
    old[0, :2] = True
    opt = MaskedAdamW([w], {w: old}, lr=0.1)
    w.grad = torch.ones(4, 4)
    opt.step()
    moment = opt.state[w]["exp_avg"].clone()
    new = torch.zeros(4, 4, dtype=torch.bool)
    new[0, 1] = new[3, 3] = True
    opt.set_mask(w, new)
    assert torch.equal(opt.mask_of(w), new)
    assert opt.state[w]["exp_avg"].tolist() == [moment[1].item(), 0.0] and opt.state[w]["step"] == 1
    restored = MaskedAdamW([w], lr=0.1)
    restored.load_state_dict(opt.state_dict())  # what Accelerate does: indices survive as int64
    assert restored.index[w].dtype == torch.int64 and torch.equal(restored.mask_of(w), new)
    with pytest.raises(ValueError, match="bool tensor of shape"):
        opt.set_mask(w, torch.ones(3, 3, dtype=torch.bool))


@pytest.mark.parametrize("k, largest", [(1, True), (500, True), (3000, False), (200_000, True)])
def test_top_indices_selects_what_topk_selects_on_large_tensors(k, largest):
    from reprolab.sparsity import top_indices

    gen = torch.Generator().manual_seed(k)
    values = torch.randn(600, 1000, generator=gen)
    values.view(-1)[:100_000] = -math.inf if largest else math.inf  # masked-out entries, as drop/grow scores have
    fast = set(top_indices(values, k, largest).tolist())
    exact = set(torch.topk(values.reshape(-1), k, largest=largest).indices.tolist())
    assert len(fast) == k and fast == exact
