"""Paper- and checkpoint-fidelity of the CoE layer: bf16 training, DeepSeek-V2 routers, the authors' keys,
bounded dispatch under collapsed routing, and the C >= 2 recurrence written out by hand."""

import pytest
import torch
import torch.nn.functional as F
from transformers import DeepseekV2Config
from transformers.models.deepseek_v2.modeling_deepseek_v2 import DeepseekV2TopkRouter

import reprolab.chain_of_experts as coe
from reprolab import lm
from reprolab.chain_of_experts.experts import ExpertBank
from reprolab.chain_of_experts.routing import TopKRouter


def _cfg(**kw):
    from reprolab.core import resolve

    return resolve(coe.CoEConfig, coe.PROFILES, hidden=32, kv_lora_rank=8, qk_nope_head_dim=8, qk_rope_head_dim=4,
                   v_head_dim=8, **kw)


@pytest.mark.parametrize("index", range(5))
def test_bf16_autocast_training_step_of_every_variant(index):
    cfg = _cfg(ablations=True)
    variant = coe.variants(cfg)[index]
    config, spec = coe.experiment.model_config(cfg, 40, variant)
    model = coe.build_coe_model(config, spec, cfg.residual_mode, variant.outer_residual)
    ids = torch.randint(0, 40, (4, 16))
    result = lm.train(coe.WithAuxLoss(model), {"input_ids": ids, "labels": ids.clone()},
                      lm.TrainConfig(steps=2, batch_size=2, mixed_precision="bf16", device="cpu", progress=False,
                                     log_every=1))
    assert all(torch.isfinite(torch.tensor(h["loss"])) for h in result.history)


def test_group_limited_router_with_scaling_equals_transformers():
    config = DeepseekV2Config(hidden_size=16, num_attention_heads=2, num_key_value_heads=2, n_routed_experts=8, num_experts_per_tok=2, topk_method="group_limited_greedy",
                              n_group=4, topk_group=2, routed_scaling_factor=16.0)
    torch.manual_seed(0)
    theirs = DeepseekV2TopkRouter(config)
    torch.nn.init.normal_(theirs.weight)
    ours = TopKRouter(16, 8, 2, scaling=16.0, n_group=4, topk_group=2)
    ours.weight.data.copy_(theirs.weight.data)
    x = torch.randn(30, 16)
    _, w_ref, i_ref = theirs(x)
    r = ours(x)
    order_ref, order = i_ref.sort(-1), r.indices.sort(-1)
    assert torch.equal(order_ref.values, order.values)
    torch.testing.assert_close(w_ref.gather(1, order_ref.indices), r.weights.gather(1, order.indices))
    spec = coe.spec_from_config(DeepseekV2Config(n_routed_experts=8, num_experts_per_tok=2, n_shared_experts=1,
                                                 topk_method="group_limited_greedy", n_group=4, topk_group=2,
                                                 routed_scaling_factor=16.0, moe_intermediate_size=8, hidden_size=16,
                                                 num_attention_heads=2, num_key_value_heads=2))
    assert (spec.routed_scaling, spec.n_group, spec.topk_group) == (16.0, 4, 2)
    with pytest.raises(ValueError, match="topk_method 'noaux_tc' is not supported"):
        coe.spec_from_config(DeepseekV2Config(n_routed_experts=8, num_experts_per_tok=2, topk_method="noaux_tc",
                                              hidden_size=16, num_attention_heads=2, num_key_value_heads=2))


def test_authors_router_keys_map_to_our_routers():
    state = {"model.layers.0.mlp.gate.0.weight": torch.ones(7, 32), "model.layers.0.mlp.gate.1.weight": torch.zeros(7, 32),
             "model.layers.0.mlp.experts.0.gate_proj.weight": torch.ones(2, 3)}
    state |= {f"model.layers.0.mlp.experts.0.{p}_proj.weight": torch.ones(2, 3) for p in ("up",)}
    state["model.layers.0.mlp.experts.0.down_proj.weight"] = torch.ones(3, 2)
    out = coe.from_deepseek_state_dict(state)
    assert torch.equal(out["model.layers.0.mlp.gates.0.weight"], torch.ones(7, 32))
    assert torch.equal(out["model.layers.0.mlp.gates.1.weight"], torch.zeros(7, 32))
    assert not any(".mlp.gate." in k for k in out)


def test_collapsed_routing_takes_the_bounded_path_and_matches_the_mask_loop():
    torch.manual_seed(0)
    bank = ExpertBank(32, 16, 12)
    x = torch.randn(200, 16)
    idx = torch.tensor([[3, 7]] * 200)  # every token to the same two experts
    w = torch.rand(200, 2)
    counts = torch.bincount(idx.reshape(-1), minlength=32)
    assert int(counts.max()) * 32 > bank.PADDING_LIMIT * idx.numel()  # the padded buffer would be 16x the pairs
    torch.testing.assert_close(bank(x, idx, w), bank.forward_naive(x, idx, w), rtol=1e-5, atol=1e-6)
    balanced = torch.stack([torch.randperm(32)[:2] for _ in range(200)])
    torch.testing.assert_close(bank(x, balanced, w), bank.forward_naive(x, balanced, w), rtol=1e-5, atol=1e-6)


def _swiglu(x, gate_up, down, inner):
    gate, up = (x @ gate_up.t()).split(inner, dim=-1)
    return (F.silu(gate) * up) @ down.t()


@pytest.mark.parametrize("variant", ["coe", "shared router", "no inner residual", "shared first only"])
def test_two_and_three_iterations_equal_the_unrolled_recurrence(variant):
    """x(t) = sum_i g_{t,i} E_i(x(t-1)) + shared(x(t-1)) + x(t-1), written out expert by expert."""
    torch.manual_seed(1)
    options = {"coe": {}, "shared router": {"independent_gates": False}, "no inner residual": {"inner_residual": False},
               "shared first only": {"shared_each_iter": False}}[variant]
    for n_iter in (2, 3):
        spec = coe.CoESpec(16, 6, 12, k=2, n_iter=n_iter, **options)
        layer = coe.ChainOfExpertsMoE(spec).eval()
        u = torch.randn(1, 5, 16)
        x = u.reshape(5, 16)
        bank, shared = layer.experts, layer.shared_experts
        for it in range(n_iter):
            gate = layer.gates[it if spec.independent_gates else 0]
            probs = torch.softmax(x @ gate.weight.t(), dim=-1)
            w, idx = torch.topk(probs, 2, dim=-1)
            delta = torch.zeros_like(x)
            for t in range(5):
                for j in range(2):
                    e = int(idx[t, j])
                    delta[t] += w[t, j] * _swiglu(x[t:t + 1], bank.gate_up_proj[e], bank.down_proj[e], 12)[0]
            if spec.shared_each_iter or it == 0:
                delta = delta + shared(x)
            x = x + delta if spec.inner_residual else delta
        torch.testing.assert_close(layer(u).reshape(5, 16), x, rtol=1e-5, atol=1e-5)
