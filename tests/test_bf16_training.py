"""bf16 autocast training (the paper profiles' setting) through every paper module's training path, on the CPU.

The Chain-of-Experts variants are covered in tests/chain_of_experts/test_fidelity.py.
"""

from __future__ import annotations

import math

import torch

import reprolab.alphadecay as ad
from reprolab import lm
from reprolab.neurotrails import NeuroTrailsConfig, Variant, run_language, run_vision
from reprolab.neurotrails.experiment import language_data, mnist1d
from reprolab.lm.train import TensorDictDataset


def test_alphadecay_bf16_run(tokenizer):
    cfg = ad.AlphaDecayConfig(n_seeds=1, steps=20, refresh_every=10, hidden=64, n_layers=2, n_heads=2, intermediate=128,
                              seq_len=32, batch_size=4, device="cpu", mixed_precision="bf16", sweep=())
    texts = ["In the beginning God created the heaven and the earth."] * 20
    data = ad.LMData(tokenizer, lm.pack_text(tokenizer, texts, 32), lm.pack_text(tokenizer, texts[:4], 32), "test")
    result = ad.run(cfg, data, "alphadecay", ad.experiment.decay_spec(cfg, "alphadecay", None), seed=0)
    assert math.isfinite(result.val_loss) and len(result.log) >= 2


def test_neurotrails_bf16_vision_and_language_runs():
    cfg = NeuroTrailsConfig(n_samples=400, channels=(8, 8, 8), epochs=1, batch_size=64, sweep_blocks=(), device="cpu",
                            mixed_precision="bf16", lm_layers=2, lm_hidden=16, lm_blocks_in_head=1, lm_steps=3,
                            lm_batch_size=4, lm_train_sequences=16, lm_seq_len=16, lm_vocab=12, lm_update_every=1)
    d = mnist1d(cfg.n_samples)
    data = {"train": TensorDictDataset({"x": d["x"], "labels": d["labels"]}),
            "test": TensorDictDataset({"x": d["x_test"], "labels": d["labels_test"]}), "n_classes": 10}
    vision = run_vision(cfg, data, Variant("neurotrails", cfg.n_heads, 1, 0.3), seed=0)
    assert vision.density_exact and math.isfinite(vision.scores["nll"])
    train, val, _ = language_data(cfg)
    language = run_language(cfg, train, val, Variant("neurotrails", cfg.n_heads, 1, 0.6), seed=0)
    assert language.density_exact and math.isfinite(language.scores["ensemble_loss"])
    assert torch.isfinite(torch.tensor(language.items["sequence_loss"])).all()
