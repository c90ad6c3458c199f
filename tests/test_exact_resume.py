"""A run killed after a checkpoint and resumed equals the uninterrupted run bit for bit, for the training hooks that
keep state: LIFT's mask refresh (masks and moments live in its optimizer), AlphaDecay's decay map and log, and the
dynamic sparse masks of NeuroTrails (RigL with soft-magnitude pruning and random regrowth, so the random stream too).
(SEFT's controller: tests/seft; the shared loop alone: tests/lm.)"""

from __future__ import annotations

import copy

import pytest
import torch

from reprolab import lm
from reprolab.alphadecay.decay import DecaySpec, ModuleWiseDecay
from reprolab.lift.finetune import SparseSpec, prepare


@pytest.fixture(scope="module")
def tiny():
    texts = [f"{a} plus {b} is {a + b}." for a in range(12) for b in range(10)]
    tok = lm.char_tokenizer(texts)
    return lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64), tok, seed=0), \
        {k: v[:24] for k, v in lm.pack_text(tok, texts, 32).items()}


def crash_after(step_index):
    def hook(step, *args):
        if step == step_index:
            raise KeyboardInterrupt
    return hook


def chain(*hooks):
    def run(*args):
        for h in hooks:
            if h is not None:
                h(*args)
    return run


def straight_and_resumed(make, data, tmp_path):
    """make() -> (model, optimizer, after_backward, after_step, checkpointed); 9 steps straight, then 9 steps killed
    in step 6 (checkpoint at 4) and resumed."""
    cfg = dict(steps=9, batch_size=4, lr=1e-2, seed=0, device="cpu", progress=False, log_every=1)
    model, opt, backward, step, state = make()
    straight = lm.train(model, data, lm.TrainConfig(**cfg), optimizer=opt, after_backward=backward, after_step=step,
                        checkpointed=state)
    model, opt, backward, step, state = make()
    with pytest.raises(KeyboardInterrupt):
        lm.train(model, data, lm.TrainConfig(**cfg, output_dir=str(tmp_path), checkpoint_every=4), optimizer=opt,
                 after_backward=backward, after_step=chain(step, crash_after(5)), checkpointed=state)
    model, opt, backward, step, state = make()
    resumed = lm.train(model, data, lm.TrainConfig(**cfg, output_dir=str(tmp_path), resume=True), optimizer=opt,
                       after_backward=backward, after_step=step, checkpointed=state)
    return straight, resumed, opt


def assert_same(straight, resumed):
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in straight.history]
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_lift_resumes_exactly(tiny, tmp_path):
    base, data = tiny
    masks = []

    def make():
        prepared = prepare(base, "lift", 1e-2, SparseSpec(2, 2, 3), total_steps=9)
        masks.append(prepared.optimizer)
        return prepared.model, prepared.optimizer, None, prepared.after_step, []

    straight, resumed, _ = straight_and_resumed(make, data, tmp_path)
    assert_same(straight, resumed)
    first, last = masks[0], masks[-1]
    for p, q in zip(first.index, last.index):
        assert torch.equal(first.index[p], last.index[q]), "the refreshed masks differ after resuming"


def test_alphadecay_resumes_exactly(tiny, tmp_path):
    base, data = tiny
    decays = []

    def make():
        model = copy.deepcopy(base)
        decay = ModuleWiseDecay(model, DecaySpec("alphadecay", 0.1, every=3, min_eigs=8))
        decays.append(decay)
        return model, decay.optimizer("adamw", 1e-2), decay.before_step, None, [decay]

    straight, resumed, opt = straight_and_resumed(make, data, tmp_path)
    assert_same(straight, resumed)
    assert decays[-1].log == decays[0].log and [r["step"] for r in decays[0].log] == [0, 3, 6, 9]


def test_dynamic_sparsity_resumes_exactly(tiny, tmp_path):
    from reprolab.sparsity import DSTConfig, DynamicSparsity

    base, data = tiny
    controllers = []

    def make():
        model = copy.deepcopy(base)
        weights = {n: p for n, p in model.named_parameters() if p.ndim == 2 and "embed" not in n}
        dst = DynamicSparsity(weights, DSTConfig(0.5, "erk", 2, 0.5, prune="soft_magnitude", regrow="random"), 9, seed=0)
        controllers.append(dst)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        return model, opt, dst.after_backward, dst.after_step, [dst]

    straight, resumed, _ = straight_and_resumed(make, data, tmp_path)
    assert_same(straight, resumed)
    first, last = controllers[0], controllers[-1]
    assert len(first.updates) == len(last.updates) >= 3
    assert all(torch.equal(first.masks[n], last.masks[n]) for n in first.masks)


def test_interrupted_notebook_run_resumes_in_its_folder(tmp_path, monkeypatch):
    """What `reprolab run 03 --set checkpoint_every N -p resume true` does inside the kernel: AlphaDecay's run_all,
    killed in its second training run, run again in the same folder with `$REPROLAB_RESUME` set, reloads the first
    run from its final checkpoint, continues the second from its last one, and ends with the uninterrupted results
    and a results.jsonl that holds each run once."""
    import json

    from reprolab.alphadecay import experiment as ad
    from reprolab.alphadecay.config import AlphaDecayConfig
    from reprolab.core.paths import RESUME_ENV

    cfg = AlphaDecayConfig(n_seeds=1, corpus_chars=20_000, vocab_size=300, seq_len=32, hidden=64, n_layers=1,
                           n_heads=2, intermediate=128, batch_size=4, steps=20, methods=("uniform", "alphadecay"),
                           checkpoint_every=6, device="cpu", real_models=(), threads=None)
    data = ad.prepare_data(cfg)
    monkeypatch.delenv(RESUME_ENV, raising=False)
    straight = ad.run_all(cfg, data, tmp_path / "straight")
    real_train, calls = lm.train, []

    def killed_in_second_run(*args, after_backward=None, **kwargs):
        calls.append(1)
        hook = chain(after_backward, crash_after(9)) if len(calls) == 2 else after_backward
        return real_train(*args, after_backward=hook, **kwargs)

    out = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(ad.lm, "train", killed_in_second_run)
        with pytest.raises(KeyboardInterrupt):
            ad.run_all(cfg, data, out)
    assert [json.loads(x)["label"] for x in (out / "results.jsonl").read_text().splitlines()] == ["uniform"]
    monkeypatch.setenv(RESUME_ENV, "1")
    steps_run = []

    def counted(*args, after_backward=None, **kwargs):
        steps_run.append(0)
        return real_train(*args, after_backward=chain(after_backward, lambda *a: steps_run.append(1)), **kwargs)

    monkeypatch.setattr(ad.lm, "train", counted)
    resumed = ad.run_all(cfg, data, out)
    assert sum(steps_run) == 20 - 6  # run 1 reloaded at its end, run 2 went on from its checkpoint at step 6
    assert [r.val_loss for r in resumed] == [r.val_loss for r in straight]
    assert [r.log for r in resumed] == [r.log for r in straight]
    assert [[h["loss"] for h in r.history] for r in resumed] == [[h["loss"] for h in r.history] for r in straight]
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [(r["label"], r["val_loss"]) for r in rows] == [(r.label, r.val_loss) for r in straight]
