import pytest
import torch
from transformers import DeepseekV2ForCausalLM

import reprolab.chain_of_experts as coe
from reprolab.chain_of_experts.experts import ExpertBank


def tiny_config(k_total=4, n_routed=7, layers=2):
    return coe.deepseek_config(40, 32, layers, 2, n_routed, 1, 24, k_total, 8, 8, 4, 8, max_len=64)


def test_padded_dispatch_equals_mask_loop():
    torch.manual_seed(0)
    bank = ExpertBank(6, 16, 12)
    x = torch.randn(50, 16)
    idx = torch.stack([torch.randperm(6)[:3] for _ in range(50)])
    w = torch.rand(50, 3)
    torch.testing.assert_close(bank(x, idx, w), bank.forward_naive(x, idx, w), rtol=1e-5, atol=1e-6)


def test_c1_layer_is_the_plain_moe_bit_for_bit():
    torch.manual_seed(0)
    layer = coe.ChainOfExpertsMoE(coe.CoESpec(16, 6, 12, k=2, n_iter=1)).eval()
    u = torch.randn(2, 5, 16)
    x = u.reshape(10, 16)
    r = layer.gates[0](x)
    moe = x + (layer.experts(x, r.indices, r.weights) + layer.shared_experts(x))
    assert torch.equal(layer(u), moe.view(2, 5, 16))


def test_matches_native_deepseek_v2_weights_and_outputs():
    """C = 1 in the pre-norm wiring is HF's DeepseekV2 MoE model: same weights load, same logits."""
    config = tiny_config()
    torch.manual_seed(0)
    native = DeepseekV2ForCausalLM(config).eval()
    ours = coe.build_coe_model(tiny_config(), coe.spec_from_config(config, 1), "prenorm").eval()
    ours.load_state_dict(coe.from_deepseek_state_dict(native.state_dict(), 1), strict=True)
    ids = torch.randint(0, 40, (2, 12))
    torch.testing.assert_close(ours(ids).logits, native(ids).logits, rtol=1e-5, atol=1e-5)


def test_shared_router_ablation_uses_one_router():
    layer = coe.ChainOfExpertsMoE(coe.CoESpec(16, 6, 12, k=2, n_iter=3, independent_gates=False))
    assert len(layer.gates) == 1
    assert len(coe.ChainOfExpertsMoE(coe.CoESpec(16, 6, 12, k=2, n_iter=3)).gates) == 3


def test_iterations_record_routing_and_aux_loss():
    layer = coe.ChainOfExpertsMoE(coe.CoESpec(16, 6, 12, k=2, n_iter=2)).train()
    layer(torch.randn(3, 4, 16))
    assert len(layer.last_indices) == 2 and layer.last_indices[0].shape == (3, 4, 2)
    assert layer.aux_loss > 0
    layer.eval()
    layer(torch.randn(3, 4, 16))
    assert layer.aux_loss == 0  # no balance loss outside training


def test_official_and_prenorm_differ_by_the_residual_stream():
    """Same weights and input: official block = norm2(h') + sum delta, prenorm block = h' + sum delta."""
    config = tiny_config(layers=1)
    spec = coe.spec_from_config(config, 2, k=2)
    torch.manual_seed(0)
    official = coe.build_coe_model(tiny_config(layers=1), spec, "official").eval()
    prenorm = coe.build_coe_model(tiny_config(layers=1), spec, "prenorm").eval()
    prenorm.load_state_dict(official.state_dict())
    seen = {}
    official.model.layers[0].post_attention_layernorm.register_forward_hook(lambda m, i, o: seen.update(h=i[0], u=o))
    official.model.layers[0].register_forward_hook(lambda m, i, o: seen.update(official=o))
    prenorm.model.layers[0].register_forward_hook(lambda m, i, o: seen.update(prenorm=o))
    ids = torch.randint(0, 40, (1, 6))
    official(ids), prenorm(ids)
    torch.testing.assert_close(seen["prenorm"] - seen["official"], seen["h"] - seen["u"], rtol=1e-5, atol=1e-5)


def test_balance_loss_hand_computed():
    probs = torch.tensor([[[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]]])  # B=1, T=2, E=3
    idx = torch.tensor([[[0], [1]]])  # k=1
    # f = E/(kT) * counts = 3/2 * (1, 1, 0); P = (0.3, 0.45, 0.25); sum f P = 1.5 * 0.75 = 1.125
    assert coe.sequence_balance_loss(probs, idx, alpha=1.0).item() == pytest.approx(1.125)
    uniform = torch.full((2, 6, 4), 0.25)
    idx = torch.arange(4).repeat(3)[:12].view(2, 6, 1) % 4
    assert coe.sequence_balance_loss(uniform, idx, 0.001).item() == pytest.approx(0.001, rel=1e-6)


def test_router_options():
    router = coe.TopKRouter(8, 5, 2, norm_topk_prob=True)
    r = router(torch.randn(7, 8))
    torch.testing.assert_close(r.weights.sum(-1), torch.ones(7))
    assert r.probs.dtype == torch.float32 and r.indices.shape == (7, 2)
    with pytest.raises(ValueError, match=r"top-k must be in \[1, n_experts=5\]"):
        coe.TopKRouter(8, 5, 6)


def test_paper_parameter_counts_exact():
    """Non-embedding parameters (2^20 units) of the paper's configs, on the meta device."""
    cases = [(64, 4, 8, 1, 544.51), (64, 4, 4, 2, 544.75), (48, 4, 4, 2, 412.63), (64, 8, 8, 1, 1089.01), (64, 12, 8, 1, 1633.52)]
    for n, layers, k, c, expected in cases:
        config = coe.paper_config(n, layers, k * c)
        counts = coe.parameter_counts(config, coe.spec_from_config(config, c, k=k))
        assert round(coe.mebi(counts["non_embedding"]), 2) == expected


def test_accounting_helpers():
    spec_moe, spec_coe = coe.CoESpec(1024, 63, 704, 8), coe.CoESpec(1024, 63, 704, 4, n_iter=2)
    assert coe.expert_ffn_calls(spec_moe) == {"routed": 8, "shared": 1}
    assert coe.expert_ffn_calls(spec_coe) == {"routed": 8, "shared": 2}
    flat = coe.CoESpec(1024, 63, 704, 4, n_iter=2, shared_each_iter=False)
    assert coe.expert_flops_per_token(flat) == coe.expert_flops_per_token(spec_moe) == 2 * 3 * 1024 * 704 * 9
    assert coe.combinations(64, 8, 2)["ratio"] == pytest.approx(91.2, abs=0.1)
    assert coe.static_memory_bytes(10) == 160
    with pytest.raises(ValueError, match="divisible"):
        coe.combinations(64, 7, 2)


def test_save_and_load_round_trip(tmp_path):
    config = tiny_config()
    model = coe.build_coe_model(config, coe.spec_from_config(config, 2, k=2), "official", outer_residual=True).eval()
    coe.save_coe_model(model, tmp_path / "m")
    loaded = coe.load_coe_model(tmp_path / "m").eval()
    ids = torch.randint(0, 40, (2, 8))
    assert torch.equal(model(ids).logits, loaded(ids).logits)
    assert loaded.model.layers[0].outer_residual and len(loaded.model.layers[0].mlp.gates) == 2
    with pytest.raises(FileNotFoundError, match="no download"):
        coe.load_coe_model(tmp_path / "absent")


def test_with_aux_loss_adds_balance_term():
    config = tiny_config()
    model = coe.WithAuxLoss(coe.build_coe_model(config, coe.spec_from_config(config, 2, k=2))).train()
    ids = torch.randint(0, 40, (2, 8))
    out = model(input_ids=ids, labels=ids)
    assert out.aux_loss > 0
    plain = model.model(input_ids=ids, labels=ids).loss
    torch.testing.assert_close(out.loss - out.aux_loss, plain)


def test_bad_arguments():
    config = tiny_config()
    spec = coe.spec_from_config(config, 1)
    with pytest.raises(ValueError, match="allowed: official, prenorm"):
        coe.build_coe_model(config, spec, "postnorm")
    with pytest.raises(ValueError, match="outer_residual only applies"):
        coe.build_coe_model(config, spec, "prenorm", outer_residual=True)
    with pytest.raises(ValueError, match="k must be in"):
        coe.CoESpec(16, 4, 8, k=5)


def test_config_validation():
    from reprolab.core import ProfileError, resolve

    with pytest.raises(ProfileError, match="needs metamathqa_path"):
        resolve(coe.CoEConfig, coe.PROFILES, "paper")
    with pytest.raises(ProfileError, match="k_moe must be even"):
        resolve(coe.CoEConfig, coe.PROFILES, k_moe=3)


def test_query_response_layout():
    from reprolab import lm

    ex = lm.generate_task("arithmetic", 1, 0)[0]
    text = coe.query_response(ex)
    assert text.startswith("query : ") and " response : " in text and text.endswith(f"The answer is: {ex.answer}")


def test_routing_stats():
    first = torch.tensor([[0, 1], [2, 3]])
    second = torch.tensor([[1, 2], [0, 1]])
    counts = coe.co_selection(first, second, 4)
    assert counts.sum() == 8 and counts[0, 1] == 1 and counts[2, 0] == 1
    assert coe.reselection_rate(first, second) == pytest.approx(0.25)
    assert coe.usage_entropy(torch.tensor([0, 1, 2, 3]), 4) == pytest.approx(torch.log(torch.tensor(4.0)).item())
    import numpy as np
    assert coe.js_divergence(np.array([1.0, 0]), np.array([1.0, 0])) == 0.0


def test_upcycle_a_saved_native_checkpoint(tmp_path):
    """A native DeepSeek-V2 checkpoint on disk (per-expert tensors) loads into a CoE-2 model."""
    from safetensors.torch import load_file

    config = tiny_config()
    DeepseekV2ForCausalLM(config).save_pretrained(tmp_path / "native")
    state = {}
    for f in (tmp_path / "native").glob("*.safetensors"):
        state.update(load_file(f))
    assert any(".mlp.experts.0.gate_proj.weight" in k for k in state)
    model = coe.build_coe_model(tiny_config(), coe.spec_from_config(config, 2, k=2), "prenorm")
    model.load_state_dict(coe.from_deepseek_state_dict(state, n_gates=2), strict=True)
    gates = model.model.layers[0].mlp.gates
    assert torch.equal(gates[0].weight, gates[1].weight)


def test_drops_into_another_hf_moe_model():
    """Pre-norm CoE (return_delta) replaces the sparse MoE block of a Qwen2-MoE model and trains."""
    from transformers import Qwen2MoeConfig, Qwen2MoeForCausalLM

    config = Qwen2MoeConfig(vocab_size=40, hidden_size=32, intermediate_size=48, moe_intermediate_size=24,
                            shared_expert_intermediate_size=24, num_hidden_layers=2, num_attention_heads=2,
                            num_key_value_heads=2, num_experts=6, num_experts_per_tok=2, max_position_embeddings=64)
    model = Qwen2MoeForCausalLM(config)
    for layer in model.model.layers:
        layer.mlp = coe.ChainOfExpertsMoE(coe.CoESpec(32, 6, 24, k=1, n_iter=2), return_delta=True)
    ids = torch.randint(0, 40, (2, 10))
    out = coe.WithAuxLoss(model).train()(input_ids=ids, labels=ids)
    out.loss.backward()
    assert torch.isfinite(out.loss) and out.aux_loss > 0
    assert model.model.layers[0].mlp.gates[1].weight.grad is not None


def test_ablation_variants_build_and_run():
    from reprolab.core import resolve

    cfg = resolve(coe.CoEConfig, coe.PROFILES, ablations=True, hidden=32, kv_lora_rank=8, qk_nope_head_dim=8,
                  qk_rope_head_dim=4, v_head_dim=8)
    variants = coe.variants(cfg)
    assert [v.name for v in variants][3:] == ["CoE-2(2/16) shared router", "CoE-2(2/16) outer residual"]
    for v in variants[3:]:
        config, spec = coe.experiment.model_config(cfg, 40, v)
        model = coe.build_coe_model(config, spec, cfg.residual_mode, v.outer_residual)
        assert model(torch.randint(0, 40, (1, 8))).logits.shape == (1, 8, 40)
    shared, outer = (coe.experiment.model_config(cfg, 40, v) for v in variants[3:])
    assert not shared[1].independent_gates and not outer[1].inner_residual
    from reprolab.core import ProfileError
    with pytest.raises(ProfileError, match="needs residual_mode='official'"):
        resolve(coe.CoEConfig, coe.PROFILES, ablations=True, residual_mode="prenorm")


def test_split_held_out_and_metamathqa_loader(tmp_path):
    texts = [f"row {i}" for i in range(50)]
    train, val = coe.split_held_out(texts, n_val=10)
    assert len(val) == 10 and sorted(train + val, key=lambda t: int(t.split()[1])) == texts
    assert coe.split_held_out(texts, n_val=10) == (train, val)
    with pytest.raises(ValueError, match="n_val must be between 1 and 49"):
        coe.split_held_out(texts, n_val=50)
    (tmp_path / "m.jsonl").write_text('{"query": "1+1?", "response": "The answer is: 2"}\n')
    assert coe.metamathqa_texts(str(tmp_path / "m.jsonl")) == ["query : 1+1? response : The answer is: 2"]
    (tmp_path / "bad.jsonl").write_text('{"question": "x"}\n')
    with pytest.raises(KeyError, match="lacks column"):
        coe.metamathqa_texts(str(tmp_path / "bad.jsonl"))


def test_coe_is_an_hf_model_type_that_round_trips_through_auto_classes(tmp_path):
    """save_pretrained / AutoModelForCausalLM.from_pretrained without trust_remote_code, same logits; `convert`
    upcycles a native model (C = 1: the same function; C = 2: routers copied, k split)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    native = DeepseekV2ForCausalLM(tiny_config()).eval()
    ids = torch.randint(0, 40, (2, 12))
    same = coe.convert(native, n_iter=1).eval()
    torch.testing.assert_close(same(ids).logits, native(ids).logits, rtol=1e-5, atol=1e-5)
    chain = coe.convert(native, n_iter=2).eval()
    layer = chain.model.layers[0].mlp
    assert len(layer.gates) == 2 and torch.equal(layer.gates[0].weight, layer.gates[1].weight) and layer.spec.k == 2
    chain.save_pretrained(tmp_path / "coe")
    assert AutoConfig.from_pretrained(tmp_path / "coe").model_type == "reprolab_coe"
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "coe").eval()
    assert type(loaded) is coe.CoEForCausalLM and loaded.model.layers[0].mlp.spec == layer.spec
    torch.testing.assert_close(loaded(ids).logits, chain(ids).logits, rtol=0, atol=0)
    with pytest.raises(TypeError, match="DeepseekV2ForCausalLM"):
        coe.convert(chain)


def test_qwen2_moe_converts_to_its_coe_form_and_round_trips(tmp_path):
    """A Qwen2-MoE (gated shared expert of its own width, a dense layer in `mlp_only_layers`) converts with C = 1 to
    the same function, with C = 2 to a chain whose routers start as copies; the CoE model type saves and loads
    through the Auto classes, and trains (balance loss on, gradients reach the shared expert's gate)."""
    from transformers import AutoModelForCausalLM, Qwen2MoeConfig, Qwen2MoeForCausalLM

    torch.manual_seed(0)
    config = Qwen2MoeConfig(vocab_size=40, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                            num_key_value_heads=1, intermediate_size=48, moe_intermediate_size=16,
                            shared_expert_intermediate_size=24, num_experts=6, num_experts_per_tok=2,
                            mlp_only_layers=[1], norm_topk_prob=False, max_position_embeddings=64)
    native = Qwen2MoeForCausalLM(config).eval()
    with torch.no_grad():
        for p in native.parameters():  # random routers and gates (the init leaves some at zero: ties in top-k)
            p.normal_(0, 0.2)
    ids = torch.randint(0, 40, (2, 12))
    same = coe.convert(native, n_iter=1).eval()
    assert type(same.model.layers[1].mlp).__name__ == "Qwen2MoeMLP"  # the dense layer stays dense
    torch.testing.assert_close(same(ids).logits, native(ids).logits, rtol=1e-5, atol=1e-5)
    chain = coe.convert(native, n_iter=2).eval()
    layer = chain.model.layers[0].mlp
    assert layer.spec.k == 1 and layer.spec.shared_intermediate == 24 and layer.shared_expert_gate is not None
    assert torch.equal(layer.gates[0].weight, layer.gates[1].weight)
    assert not torch.allclose(chain(ids).logits, native(ids).logits, atol=1e-3)  # a different function
    chain.save_pretrained(tmp_path / "qwen-coe")
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "qwen-coe").eval()
    assert type(loaded) is coe.CoEQwen2MoeForCausalLM and loaded.model.layers[2].mlp.spec == layer.spec
    torch.testing.assert_close(loaded(ids).logits, chain(ids).logits, rtol=0, atol=0)
    train = coe.WithAuxLoss(loaded.train())
    out = train(input_ids=ids, labels=ids)
    out.loss.backward()
    assert torch.isfinite(out.loss) and out.aux_loss > 0
    assert loaded.model.layers[0].mlp.shared_expert_gate.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="prenorm"):
        coe.convert(native, n_iter=2, residual_mode="official")
