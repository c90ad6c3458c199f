import pytest
import torch

from reprolab import lm


def test_tiny_llama_and_gpt2_forward(tokenizer):
    for arch in ("llama", "gpt2"):
        cfg = lm.TinyLMConfig(arch=arch, d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64)
        model = lm.tiny_lm(cfg, tokenizer, seed=0)
        ids = torch.randint(0, len(tokenizer), (2, 16))
        out = model(input_ids=ids, labels=ids)
        assert out.logits.shape == (2, 16, len(tokenizer)) and torch.isfinite(out.loss)


def test_seeded_init_is_repeatable_and_private(tokenizer):
    cfg = lm.TinyLMConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64)
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    a = lm.tiny_lm(cfg, tokenizer, seed=7)
    b = lm.tiny_lm(cfg, tokenizer, seed=7)
    assert torch.rand(1) == before  # the global RNG was not consumed
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_config_validation():
    with pytest.raises(ValueError, match="divisible by n_heads"):
        lm.TinyLMConfig(d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="unknown architecture 'rwkv'; allowed: llama, gpt2"):
        lm.tiny_lm(lm.TinyLMConfig(arch="rwkv"), None)


def test_count_parameters(tiny_model):
    total = sum(p.numel() for p in tiny_model.parameters())
    emb = tiny_model.get_input_embeddings().weight.numel()
    assert lm.count_parameters(tiny_model) == total  # tied weights counted once
    assert lm.count_parameters(tiny_model, non_embedding=True) == total - emb


def test_save_and_load_round_trip(tiny_model, tmp_path):
    tiny_model.save_pretrained(tmp_path / "m")
    loaded = lm.load_causal_lm(tmp_path / "m")
    ids = torch.randint(0, tiny_model.config.vocab_size, (1, 12))
    assert torch.allclose(tiny_model.eval()(ids).logits, loaded.eval()(ids).logits)
    with pytest.raises(FileNotFoundError, match="no download"):
        lm.load_causal_lm(tmp_path / "absent")


def test_pack_text(tokenizer):
    data = lm.pack_text(tokenizer, ["abc", "de"], block_size=3)
    eos = tokenizer.eos_token_id
    assert data["input_ids"].tolist() == [tokenizer("abc", add_special_tokens=False)["input_ids"],
                                          [eos] + tokenizer("de", add_special_tokens=False)["input_ids"]]
    with pytest.raises(ValueError, match="do not fill one block"):
        lm.pack_text(tokenizer, ["a"], block_size=8)


def test_sft_tensors_mask_prompt_and_padding(tokenizer):
    ex = lm.generate_task("add", 2, 0)
    data = lm.sft_tensors(tokenizer, ex, block_size=64)
    n_prompt = len(ex[0].prompt)
    n_total = n_prompt + len(ex[0].completion) + 1
    assert (data["labels"][0, :n_prompt] == -100).all() and (data["labels"][0, n_total:] == -100).all()
    assert (data["labels"][0, n_prompt:n_total] == data["input_ids"][0, n_prompt:n_total]).all()
    assert data["attention_mask"][0].sum() == n_total
    with pytest.raises(ValueError, match="more than block_size=8"):
        lm.sft_tensors(tokenizer, ex, block_size=8)


def test_concat_fills_attention_mask(tokenizer):
    a = lm.pack_text(tokenizer, ["abcdef"], 3)
    b = lm.sft_tensors(tokenizer, lm.generate_task("add", 1, 0), 32)
    with pytest.raises(RuntimeError):
        lm.concat(a, b)  # block sizes differ
    both = lm.concat(a, a)
    assert both["attention_mask"].shape == both["input_ids"].shape == (4, 3)


def test_add_lora_trains_the_rank_r_budget_on_every_linear_but_the_head():
    examples = lm.generate_task("add", 8, 0)
    tok = lm.char_tokenizer([e.text for e in examples])
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=1, n_heads=2, d_ff=48, max_len=32), tok, seed=0)
    linears = [m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and "lm_head" not in n]
    wrapped = lm.add_lora(model, 2)
    trainable = sum(p.numel() for p in wrapped.parameters() if p.requires_grad)
    assert trainable == sum((m.in_features + m.out_features) * 2 for m in linears)
    with pytest.raises(ValueError, match="positive integer"):
        lm.add_lora(model, 0)
