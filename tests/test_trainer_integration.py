"""LIFT and SEFT inside a real `transformers.Trainer` run (a few steps on a tiny model and data built here), and
the same objects in the library's accelerate loop."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from reprolab import lm
from reprolab.lift.trainer import lift_for_trainer
from reprolab.seft.trainer import prune, seft_for_trainer
from reprolab.sparsity import target_modules

datasets = pytest.importorskip("datasets")
transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny():
    texts = [f"{a} plus {b} is {a + b}." for a in range(20) for b in range(10)]
    tok = lm.char_tokenizer(texts)
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64), tok, seed=0)
    data = lm.pack_text(tok, texts, 32)
    return model, data


def hf_dataset(data: dict[str, torch.Tensor]):
    return datasets.Dataset.from_dict({k: v.tolist() for k, v in data.items()})


def trainer_args(tmp_path, steps: int, **extra):
    return transformers.TrainingArguments(output_dir=str(tmp_path), max_steps=steps, per_device_train_batch_size=8,
                                          learning_rate=1e-2, lr_scheduler_type="constant", report_to="none", use_cpu=True,
                                          save_strategy="no", logging_steps=1, disable_tqdm=True, seed=0, **extra)


def test_lift_in_a_trainer_changes_only_the_masked_entries(tiny, tmp_path):
    base, data = tiny
    model = copy.deepcopy(base)
    optimizer, callback = lift_for_trainer(model, lr=1e-2, budget_rank=2, filter_rank=2, update_interval=100, total_steps=6)
    masks = {n: optimizer.mask_of(m.weight).clone() for n, m in target_modules(model).items()}
    transformers.Trainer(model=model, args=trainer_args(tmp_path, 6), train_dataset=hf_dataset(data),
                         optimizers=(optimizer, None), callbacks=[callback]).train()
    before, after = dict(base.named_parameters()), dict(model.named_parameters())
    for name, module in target_modules(model).items():
        w0, w1 = before[f"{name}.weight"], module.weight.detach()
        assert torch.equal(w1[~masks[name]], w0[~masks[name]]), f"{name}: an entry outside the LIFT mask changed"
        assert bool((w1[masks[name]] != w0[masks[name]]).any()), f"{name}: nothing inside the mask was trained"
    frozen = [n for n in before if not any(n == f"{t}.weight" for t in masks)]
    assert frozen and all(torch.equal(before[n], after[n]) for n in frozen)


def test_lift_callback_refreshes_the_masks_on_its_interval(tiny, tmp_path):
    model = copy.deepcopy(tiny[0])
    optimizer, callback = lift_for_trainer(model, lr=5e-2, budget_rank=2, filter_rank=2, update_interval=3, total_steps=7)
    first = {n: optimizer.mask_of(m.weight).clone() for n, m in target_modules(model).items()}
    transformers.Trainer(model=model, args=trainer_args(tmp_path, 7), train_dataset=hf_dataset(tiny[1]),
                         optimizers=(optimizer, None), callbacks=[callback]).train()
    now = {n: optimizer.mask_of(m.weight) for n, m in target_modules(model).items()}
    assert any(not torch.equal(first[n], now[n]) for n in first), "no mask moved after two refreshes"
    assert all(int(first[n].sum()) == int(now[n].sum()) for n in first), "the budget must stay the same"


def test_seft_for_trainer_refuses_an_accumulation_window_longer_than_the_update_interval(tiny):
    model = copy.deepcopy(tiny[0])
    alive = prune(model, "magnitude", 0.5, [])
    with pytest.raises(ValueError, match=r"accumulation_steps \(5\) cannot exceed update_every \(2\)"):
        seft_for_trainer(model, alive, lr=1e-2, total_steps=4, init_batches=[], update_every=2, accumulation_steps=5)


def test_seft_in_a_trainer_keeps_the_pruned_sparsity_exactly(tiny, tmp_path):
    base, data = tiny
    model = copy.deepcopy(base)
    alive = prune(model, "wanda", 0.5, [{"input_ids": data["input_ids"][:8]}])
    counts = {n: int(a.sum()) for n, a in alive.items()}
    init = [{k: v[:8] for k, v in data.items()}]
    optimizer, callback = seft_for_trainer(model, alive, lr=1e-2, total_steps=8, init_batches=init, budget_rank=2,
                                           update_every=2, accumulation_steps=1, clip_norm=1.0)
    transformers.Trainer(model=model, args=trainer_args(tmp_path, 8, max_grad_norm=0.0), train_dataset=hf_dataset(data),
                         optimizers=(optimizer, None), callbacks=[callback]).train()
    controller = callback.controller
    assert len({r["step"] for r in controller.records}) >= 3, "drop-and-grow never ran"
    assert sum(r["reactivated"] for r in controller.records if r["step"] > 0) > 0, "no pruned weight was regrown"
    for name, module in target_modules(model).items():
        assert int(controller.alive[name].sum()) == counts[name]
        assert int(torch.count_nonzero(module.weight.detach()[~controller.alive[name]])) == 0, f"{name}: weight outside alive"


def test_the_same_lift_objects_drive_the_library_loop(tiny):
    model = copy.deepcopy(tiny[0])
    optimizer, callback = lift_for_trainer(model, lr=1e-2, budget_rank=2, filter_rank=2, update_interval=2, total_steps=4)
    result = lm.train(model, tiny[1], lm.TrainConfig(steps=4, batch_size=8, lr=1e-2, seed=0, device="cpu", progress=False),
                      optimizer=optimizer, after_step=callback.refresh)
    assert result.history[-1]["step"] == 4 and torch.isfinite(torch.tensor(result.history[-1]["loss"]))


def test_alphadecay_in_a_trainer_refreshes_the_decay_map_and_logs_it(tiny, tmp_path):
    from reprolab.alphadecay.decay import linear_map
    from reprolab.alphadecay.trainer import alphadecay_for_trainer

    model = copy.deepcopy(tiny[0])
    optimizer, callback = alphadecay_for_trainer(model, lr=1e-2, base=0.1, every=2, min_eigs=8)
    trainer = transformers.Trainer(model=model, args=trainer_args(tmp_path, 6), train_dataset=hf_dataset(tiny[1]),
                                   optimizers=(optimizer, None), callbacks=[callback])
    trainer.train()
    log = callback.decay.log
    assert [r["step"] for r in log] == [0, 2, 4, 6]
    assert log[-1]["alpha"] != log[0]["alpha"], "training should move the spectra"
    groups = [g["weight_decay"] for g in optimizer.param_groups[:len(log[-1]["alpha"])]]
    assert np.allclose(groups, linear_map(np.asarray(log[-1]["alpha"]), 0.1, 0.6666, 5.0))
    logged = [r for r in trainer.state.log_history if "alphadecay/alpha_mean" in r]
    assert logged and logged[-1]["alphadecay/refreshed_at"] == 6


def test_neurotrails_in_a_trainer_keeps_exact_live_counts_per_head(tmp_path):
    from transformers import LlamaConfig

    from reprolab.neurotrails import MultiHeadCausalLM
    from reprolab.neurotrails.trainer import neurotrails_for_trainer

    texts = [f"{a} plus {b} is {a + b}." for a in range(20) for b in range(10)]
    tok = lm.char_tokenizer(texts)
    data = lm.pack_text(tok, texts, 32)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64)
    model = MultiHeadCausalLM(config, n_heads=3, blocks_in_head=2, seed=0)
    callback = neurotrails_for_trainer(model, density=0.5, update_every=2, total_steps=8)
    dst = callback.sparsity
    before = {n: m.clone() for n, m in dst.masks.items()}
    trainer = transformers.Trainer(model=model, args=trainer_args(tmp_path, 8), train_dataset=hf_dataset(data),
                                   callbacks=[callback])
    trainer.train()
    assert len(dst.updates) >= 3 and sum(u["changed"] for u in dst.updates) > 0, "the topology never changed"
    assert any(not torch.equal(before[n], dst.masks[n]) for n in before)
    for name, w in dst.weights.items():
        assert all(c == dst.live_per_group[name] for c in dst.live_counts()[name]), name
        assert int(torch.count_nonzero(w.detach()[~dst.masks[name]])) == 0, f"{name}: a dead weight is non-zero"
    assert any("neurotrails/topology_changed" in row for row in trainer.state.log_history)
    with pytest.raises(TypeError, match="masked_weights"):
        neurotrails_for_trainer(torch.nn.Linear(2, 2), density=0.5, update_every=2, total_steps=8)
