"""LIFT's and SEFT's real-data path on any local HF folder: BIG-bench target and multiple choice, English text."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest

import reprolab.lift as lift
import reprolab.seft as seft
from reprolab import lm
from reprolab.seft.experiment import score_items


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny_hf")
    tok = lm.char_tokenizer([string.printable])
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=16, n_layers=1, n_heads=2, d_ff=32, max_len=256), tok, seed=0)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_lift_pretrained_domains_score_target_and_source_choices(tiny_folder: Path):
    cfg = lift.LiftConfig(model_path=str(tiny_folder), n_eval=6, n_source_choices=5, n_text_blocks=3, text_block_size=64,
                          block_size=64, n_target_train=40, answer_tokens=4)
    domains = lift.domains_for(cfg)
    assert domains.source_metric == "source_choice" and len(domains.source_choices) == 5
    assert len(domains.target_eval) == 6 and domains.target_train["input_ids"].shape == (40, 64)
    train_prompts = {e.prompt for e in lm.real_tasks.arithmetic_examples(split="train")}
    assert not {e.prompt for e in domains.target_eval} & train_prompts
    base, history = lift.base_model(cfg, domains)
    assert history == []
    scores = lift.score(base, domains, cfg.answer_tokens)
    assert set(scores.items) == {"target", "source_choice", "source_loss"}
    assert scores.items["source_choice"].shape == (5,) and np.isfinite(scores.source_loss)


def test_seft_pretrained_domains_score_choices_and_text(tiny_folder: Path):
    cfg = seft.SeftConfig(model_path=str(tiny_folder), n_choices=4, n_text_blocks=3, n_repair_blocks=20, n_calibration=4,
                          block_size=32)
    domains = seft.domains_for(cfg)
    assert domains.task_metric == "multiple-choice accuracy" and not domains.task_eval
    assert domains.repair["input_ids"].shape == (20, 32) and domains.calibration["input_ids"].shape == (4, 32)
    assert not set(map(tuple, domains.repair["input_ids"].tolist())) & set(map(tuple, domains.calibration["input_ids"].tolist()))
    scores, items = score_items(seft.base_model(cfg, domains), domains)
    assert items["task"].shape == (4,) and items["text_loss"].shape == (3,) and np.isfinite(scores.perplexity)
