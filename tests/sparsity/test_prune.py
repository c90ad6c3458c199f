import copy
import math

import pytest
import torch

from reprolab import lm
from reprolab.sparsity import decoder_layers, keep_mask, prune_model, sparsegpt_prune, sparsity_of, target_modules, wanda_score


def tiny_model_and_batches():
    examples = lm.generate_task("add", 64, 0, max_value=20)
    tok = lm.char_tokenizer([e.text for e in examples])
    data = lm.sft_tensors(tok, examples, 32, train_on_prompt=True)
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64), tok, seed=0)
    return model, [{"input_ids": data["input_ids"][i:i + 16]} for i in range(0, 64, 16)]


def test_keep_mask_counts_are_exact_per_row_per_matrix_and_per_group():
    score = torch.rand(6, 16, generator=torch.Generator().manual_seed(0))
    rows = keep_mask(score, 0.7)
    assert (rows.sum(1) == 16 - math.floor(0.7 * 16)).all()
    assert score[0][rows[0]].min() >= score[0][~rows[0]].max()
    whole = keep_mask(score, 0.7, per_row=False)
    assert int(whole.sum()) == 96 - math.floor(0.7 * 96)
    nm = keep_mask(score, 0.0, nm=(2, 4))
    assert (nm.view(6, 4, 4).sum(2) == 2).all()


@pytest.mark.parametrize("sparsity, nm, message", [(1.0, None, r"\[0, 1\)"), (-0.1, None, r"\[0, 1\)"),
                                                   (0.5, (4, 2), "0 < n < m"), (0.5, (2, 3), "multiple of m")])
def test_bad_sparsity_is_refused_with_the_allowed_range(sparsity, nm, message):
    with pytest.raises(ValueError, match=message):
        keep_mask(torch.rand(4, 16), sparsity, nm=nm)


def test_wanda_on_a_hand_computed_case_differs_from_magnitude():
    w = torch.tensor([[1.0, 1.5], [3.0, -1.0]])
    score = wanda_score(w, torch.tensor([4.0, 1.0]))  # ||X_j|| = 2, 1
    assert torch.allclose(score, torch.tensor([[2.0, 1.5], [6.0, 1.0]]))
    assert keep_mask(score, 0.5).tolist() == [[True, False], [True, False]]
    assert keep_mask(w.abs(), 0.5).tolist() == [[False, True], [True, False]]


def test_wanda_calibrates_each_layer_on_the_outputs_of_the_pruned_layers_before_it():
    model, batches = tiny_model_and_batches()
    reference = copy.deepcopy(model)
    masks = prune_model(model, "wanda", 0.6, batches)
    assert 0.59 < sparsity_of(masks) <= 0.6  # floor(0.6 n_in) per row
    for name, module in target_modules(model).items():
        rows, n_in = module.weight.shape
        assert (masks[name].sum(1) == n_in - math.floor(0.6 * n_in)).all()
        assert (module.weight[~masks[name]] == 0).all()
    # by hand: prune layer 0 with statistics from the dense model, then layer 1 with inputs through pruned layer 0
    modules = target_modules(reference)
    for layer_index in (0, 1):
        layer = decoder_layers(reference)[layer_index]
        names = [n for n, m in modules.items() if any(m is x for x in layer.modules())]
        sums = {}
        hooks = [modules[n].register_forward_hook(
            lambda mod, args, out, n=n: sums.__setitem__(n, sums.get(n, 0) + (args[0].reshape(-1, args[0].shape[-1]) ** 2).sum(0)))
            for n in names]
        with torch.no_grad():
            for b in batches:
                reference(**b)
        for h in hooks:
            h.remove()
        for n in names:
            expected = keep_mask(wanda_score(modules[n].weight, sums[n]), 0.6)
            assert torch.equal(expected, masks[n]), n
            with torch.no_grad():
                modules[n].weight.mul_(expected)


def test_sparsegpt_reconstructs_the_layer_output_better_than_magnitude_and_wanda():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(512, 48, generator=gen) @ torch.randn(48, 48, generator=gen)  # correlated inputs
    w = torch.randn(24, 48, generator=gen)
    h = x.T @ x
    pruned, kept = sparsegpt_prune(w, h, 0.5, block_size=16)
    assert int((~kept).sum()) == math.floor(0.5 * w.numel()) and (pruned[~kept] == 0).all()
    error = lambda w_hat: float(((x @ w.T - x @ w_hat.T) ** 2).sum())  # noqa: E731
    wanda = w * keep_mask(wanda_score(w, (x ** 2).sum(0)), 0.5)
    magnitude = w * keep_mask(w.abs(), 0.5, per_row=False)
    assert error(pruned) < error(wanda) < error(magnitude)
    nm_pruned, nm_kept = sparsegpt_prune(w, h, 0.0, nm=(2, 4), block_size=16)
    assert (nm_kept.view(24, 12, 4).sum(2) == 2).all() and (nm_pruned[~nm_kept] == 0).all()


def test_prune_model_checks_its_inputs():
    model, batches = tiny_model_and_batches()
    with pytest.raises(ValueError, match="allowed: magnitude, wanda, sparsegpt"):
        prune_model(model, "random", 0.5, batches)
    with pytest.raises(ValueError, match="calibration batches"):
        prune_model(model, "wanda", 0.5)
    with pytest.raises(ValueError, match="decoder layers"):
        decoder_layers(torch.nn.Linear(2, 2))
    masks = prune_model(model, "sparsegpt", 0.5, batches)
    for name, module in target_modules(model).items():
        assert int((~masks[name]).sum()) == math.floor(0.5 * module.weight.numel())


def test_sparsegpt_counts_are_exact_when_blocks_do_not_divide_the_width():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(256, 40, generator=gen)
    w = torch.randn(7, 40, generator=gen)
    pruned, kept = sparsegpt_prune(w, x.T @ x, 0.7, block_size=16)  # blocks of 16, 16, 8 columns
    assert int((~kept).sum()) == math.floor(0.7 * w.numel()) and (pruned[~kept] == 0).all()
    with pytest.raises(ValueError, match="multiples of m"):
        sparsegpt_prune(w, x.T @ x, 0.0, nm=(2, 4), block_size=18)
