import numpy as np
import pytest
import torch

import reprolab.alphadecay as ad
from reprolab import lm


@pytest.fixture
def model(tokenizer):
    cfg = ad.AlphaDecayConfig(hidden=64, n_layers=2, n_heads=2, intermediate=128, seq_len=32)
    return ad.build_model(cfg, tokenizer, seed=0)


def test_tuned_modules_follow_the_official_exclusions(model):
    tuned = ad.tuned_modules(model, ad.DecaySpec())
    names = list(tuned)
    assert "model.layers.0.self_attn.q_proj" not in names and "lm_head" not in names
    assert "model.layers.0.self_attn.k_proj" in names and "model.layers.1.mlp.down_proj" in names
    assert len(names) == 2 * 7 - 1
    assert not ad.tuned_modules(model, ad.DecaySpec(min_eigs=65))  # hidden 64 < 65 eigenvalues: nothing tuned


def test_param_groups_cover_every_parameter_exactly_once(model):
    groups = ad.ModuleWiseDecay(model, ad.DecaySpec()).param_groups()
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    assert groups[-1]["name"] == "rest" and groups[-1]["weight_decay"] == 0.1


def test_mean_tuned_decay_weights_entries_and_steps(model):
    decay = ad.ModuleWiseDecay(model, ad.DecaySpec("alphadecay", base=0.1, every=5))
    sizes = np.array([m.weight.numel() for m in decay.tuned.values()], dtype=float)
    decay.log = [{"step": 0, "alpha": [], "decay": list(np.full(len(sizes), 0.1))},
                 {"step": 5, "alpha": [], "decay": list(np.where(sizes > sizes.min(), 1.0, 0.1))}]
    big = sizes[sizes > sizes.min()].sum() / sizes.sum()
    assert decay.mean_tuned_decay(20) == pytest.approx(0.25 * 0.1 + 0.75 * (big * 1.0 + (1 - big) * 0.1))


def test_inverted_map_with_equal_alphas_stays_at_base(model):
    decay = ad.ModuleWiseDecay(model, ad.DecaySpec("inverted", base=0.1))
    assert np.allclose(decay._map(np.full(3, 2.5)), 0.1)


def test_linear_map_endpoints_and_degenerate_range():
    alphas = np.array([2.0, 3.0, 4.0])
    np.testing.assert_allclose(ad.linear_map(alphas, 0.1, 0.5, 5.0), [0.05, 0.275, 0.5])
    np.testing.assert_allclose(ad.linear_map(np.array([3.0, 3.0]), 0.1, 0.5, 5.0), [0.1, 0.1])


def test_methods_assign_decays_as_documented(model):
    spec = dict(base=0.2, s1=0.5, s2=4.0)
    alpha = ad.ModuleWiseDecay(model, ad.DecaySpec("alphadecay", **spec))
    decays, alphas = alpha.decays(), alpha.alphas()
    assert decays[np.argmin(alphas)] == pytest.approx(0.1) and decays[np.argmax(alphas)] == pytest.approx(0.8)
    inverted = ad.ModuleWiseDecay(model, ad.DecaySpec("inverted", **spec)).decays()
    assert inverted[np.argmin(alphas)] == pytest.approx(0.8)
    assert np.all(ad.ModuleWiseDecay(model, ad.DecaySpec("uniform", tuned_decay=0.7, **spec)).decays() == 0.7)


def test_refresh_rewrites_only_the_tuned_groups_on_schedule(model, tokenizer):
    decay = ad.ModuleWiseDecay(model, ad.DecaySpec("alphadecay", base=0.1, every=2))
    opt = decay.optimizer("adam", lr=1e-2)
    assert isinstance(opt, torch.optim.Adam) and not isinstance(opt, torch.optim.AdamW)
    with torch.no_grad():  # make one tuned matrix very heavy-tailed so the assignment changes
        w = decay.tuned["model.layers.1.mlp.up_proj"].weight
        w.mul_(torch.logspace(0, 3, w.shape[1])[None, :])
    before = decay.decays().copy()
    decay.before_step(0, model)
    np.testing.assert_array_equal(decay.decays(), before)  # step 1: no refresh
    decay.before_step(1, model)
    after = decay.decays()
    assert not np.allclose(after, before) and opt.param_groups[-1]["weight_decay"] == 0.1
    assert after[decay.names.index("model.layers.1.mlp.up_proj")] == pytest.approx(0.1 * 0.6666)
    assert [r["step"] for r in decay.log] == [0, 2]


def test_frozen_keeps_the_init_assignment_and_awd_adadecay_follow_gradients(model, tokenizer):
    batch = lm.pack_text(tokenizer, ["In the beginning God created the heaven and the earth."] * 8, 16)
    for method in ("frozen", "awd", "adadecay"):
        decay = ad.ModuleWiseDecay(model, ad.DecaySpec(method, base=0.1, every=1))
        opt = decay.optimizer("adamw")
        model.zero_grad()
        model(**batch).loss.backward()
        before = decay.decays().copy()
        decay.before_step(0, model)
        if method == "frozen":
            np.testing.assert_array_equal(decay.decays(), before)
        elif method == "awd":
            assert len({g["weight_decay"] for g in opt.param_groups}) == 1 and opt.param_groups[0]["weight_decay"] != 0.1
        else:
            assert decay.decays().std() > 0 and np.all((decay.decays() > 0) & (decay.decays() < 0.2))


def test_bad_config_fails_clearly():
    with pytest.raises(ValueError, match="need 0 <= s1 <= s2"):
        ad.DecaySpec(s1=3.0, s2=1.0)
    with pytest.raises(ValueError, match="weight decay must be >= 0"):
        ad.DecaySpec(base=-0.1)
    with pytest.raises(ValueError, match="unknown decay method"):
        ad.DecaySpec(method="l2")
    with pytest.raises(ValueError, match="unknown methods"):
        ad.AlphaDecayConfig(methods=("uniform", "magic"))
    with pytest.raises(ValueError, match="'matched' needs 'alphadecay' earlier"):
        ad.AlphaDecayConfig(methods=("uniform", "matched", "alphadecay"))
    with pytest.raises(ValueError, match="optimizer must be"):
        ad.ModuleWiseDecay(torch.nn.Sequential(torch.nn.Linear(60, 60)), ad.DecaySpec("uniform")).optimizer("sgd")


def test_module_names_map_to_types_and_blocks():
    assert ad.module_type("model.layers.3.mlp.gate_proj") == "gate" and ad.block_index("model.layers.3.mlp.gate_proj") == 3
    assert ad.module_type("lm_head") == "other" and ad.block_index("lm_head") == -1
    assert ad.module_type("encoder.layer.2.attention.output.dense") == "O"
    assert ad.module_type("encoder.layer.2.output.dense") == "down" and ad.block_index("encoder.layer.2.output.dense") == 2
    assert ad.module_type("encoder.layer.0.attention.self.query") == "Q" and ad.module_type("pooler.dense") == "other"
