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
