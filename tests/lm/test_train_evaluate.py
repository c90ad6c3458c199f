import json
from pathlib import Path

import numpy as np
import pytest
import torch

from reprolab import lm


@pytest.fixture
def data(tokenizer):
    return lm.pack_text(tokenizer, ["abcabcabcabc " * 40], block_size=16)


def test_training_reduces_loss_and_records_history(tiny_model, data, tmp_path):
    before = lm.mean_loss(tiny_model, data)
    cfg = lm.TrainConfig(steps=30, batch_size=8, lr=1e-2, warmup_steps=3, eval_every=10, log_every=5,
                         output_dir=str(tmp_path), progress=False, device="cpu")
    result = lm.train(tiny_model, data, cfg, eval_fn=lambda m: {"val_loss": lm.mean_loss(m, data)})
    after = lm.mean_loss(result.model, data)
    assert after < 0.5 * before
    steps, vals = result.column("val_loss")
    assert steps == [10, 20, 30] and vals[-1] == pytest.approx(after, rel=1e-4)
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert [json.loads(r)["step"] for r in lines] == [5, 10, 15, 20, 25, 30]


def test_hooks_run_every_step(tiny_model, data):
    seen = []
    frozen = tiny_model.get_input_embeddings().weight.detach().clone()

    def zero_embedding_grad(step, model):
        model.get_input_embeddings().weight.grad.zero_()

    cfg = lm.TrainConfig(steps=4, batch_size=4, progress=False, device="cpu", weight_decay=0.0)
    lm.train(tiny_model, data, cfg, after_backward=zero_embedding_grad,
             after_step=lambda step, model, opt: seen.append(step))
    assert seen == [0, 1, 2, 3]
    assert torch.equal(tiny_model.get_input_embeddings().weight, frozen)


@pytest.mark.parametrize("stop", [3, 7])  # inside the first epoch, and past an epoch boundary (5 batches per epoch)
def test_resume_continues_exactly(tokenizer, data, tmp_path, stop):
    cfg = lm.TinyLMConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=64)
    rows = {k: v[:20] for k, v in data.items()}  # 20 rows, batch 4: 5 batches per epoch
    common = dict(batch_size=4, progress=False, device="cpu", warmup_steps=2, log_every=1)
    straight = lm.train(lm.tiny_lm(cfg, tokenizer, seed=0), rows, lm.TrainConfig(steps=10, **common))

    def crash(step, model, optimizer):  # killed during the step after the checkpoint
        if step == stop:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        lm.train(lm.tiny_lm(cfg, tokenizer, seed=0), rows,
                 lm.TrainConfig(steps=10, **common, output_dir=str(tmp_path), checkpoint_every=stop), after_step=crash)
    resumed = lm.train(lm.tiny_lm(cfg, tokenizer, seed=1), rows,
                       lm.TrainConfig(steps=10, **common, output_dir=str(tmp_path), resume=True))
    assert [r["step"] for r in resumed.history] == list(range(1, 11))
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in straight.history]
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), f"{name} differs after resuming at step {stop}"


def test_killed_while_checkpointing_resumes_from_the_last_complete_checkpoint(tokenizer, data, tmp_path,
                                                                              monkeypatch):
    """A run killed in the middle of writing its second checkpoint (as SIGKILL would leave it: a half-written
    folder) resumes from the first, complete one and still ends equal to the uninterrupted run; history.jsonl
    holds each step once."""
    from accelerate import Accelerator

    cfg = lm.TinyLMConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=64)
    rows = {k: v[:20] for k, v in data.items()}
    common = dict(batch_size=4, progress=False, device="cpu", warmup_steps=2, log_every=1)
    straight = lm.train(lm.tiny_lm(cfg, tokenizer, seed=0), rows, lm.TrainConfig(steps=10, **common))
    save_state, saves = Accelerator.save_state, []

    def dies_in_second_save(self, folder, **kwargs):
        saves.append(folder)
        if len(saves) == 2:
            save_state(self, folder, **kwargs)
            next(Path(folder).glob("*.safetensors")).write_bytes(b"half a file")
            raise KeyboardInterrupt
        return save_state(self, folder, **kwargs)

    monkeypatch.setattr(Accelerator, "save_state", dies_in_second_save)
    with pytest.raises(KeyboardInterrupt):
        lm.train(lm.tiny_lm(cfg, tokenizer, seed=0), rows,
                 lm.TrainConfig(steps=10, **common, output_dir=str(tmp_path), checkpoint_every=3))
    monkeypatch.setattr(Accelerator, "save_state", save_state)
    assert json.loads((tmp_path / "checkpoint" / "trainer_state.json").read_text())["step"] == 3
    resumed = lm.train(lm.tiny_lm(cfg, tokenizer, seed=1), rows,
                       lm.TrainConfig(steps=10, **common, output_dir=str(tmp_path), resume=True))
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in straight.history]
    logged = [json.loads(line)["step"] for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert logged == list(range(1, 11))
    assert not (tmp_path / "checkpoint.partial").exists() and not (tmp_path / "checkpoint.old").exists()


@pytest.mark.parametrize(
    "kwargs,message",
    [({"steps": 0}, "must be positive"), ({"lr": -1.0}, "need lr > 0"), ({"device": "tpu"}, "allowed: auto, cpu, cuda"),
     ({"checkpoint_every": 5}, "need an output_dir")],
)
def test_bad_train_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lm.TrainConfig(**kwargs)


def test_too_little_data(tiny_model, data):
    with pytest.raises(ValueError, match="fewer than batch_size"):
        lm.train(tiny_model, data, lm.TrainConfig(batch_size=10_000, progress=False))


def test_lr_schedule():
    cfg = lm.TrainConfig(steps=100, warmup_steps=10, min_lr_ratio=0.1)
    from reprolab.lm.train import lr_factor
    assert lr_factor(0, cfg) == pytest.approx(0.1) and lr_factor(9, cfg) == 1.0
    assert lr_factor(99, cfg) == pytest.approx(0.1, abs=1e-3)
    step = lm.TrainConfig(steps=100, warmup_steps=10, schedule="multistep", milestones=(0.5, 0.75))
    assert [lr_factor(s, step) for s in (9, 49, 50, 74, 75, 99)] == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])
    with pytest.raises(ValueError, match=r"milestones must lie in \(0, 1\)"):
        lm.TrainConfig(schedule="multistep", milestones=(50,))


def test_perplexity_of_uniform_model_is_vocab_size(tokenizer, data):
    class Uniform(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, input_ids, **_):
            return type("Out", (), {"logits": torch.zeros(*input_ids.shape, len(tokenizer)) + self.w})

    assert lm.perplexity(Uniform(), data) == pytest.approx(len(tokenizer), rel=1e-5)


def test_generate_and_exact_match(tiny_model, tokenizer):
    examples = lm.generate_task("add", 3, 0)
    acc, preds = lm.exact_match_accuracy(tiny_model, tokenizer, examples, max_new_tokens=5)
    assert len(preds) == 3 and 0.0 <= acc <= 1.0
    again = lm.generate(tiny_model, tokenizer, [e.prompt for e in examples], max_new_tokens=5, batch_size=2)
    assert again == preds  # batching and left padding do not change greedy output
    assert tokenizer.padding_side == "right"


def test_generate_cuts_after_answer_line():
    from reprolab.lm.evaluate import _cut
    assert _cut("1 + 1 = 2.\n#### 2\nQuestion: next", "####") == "1 + 1 = 2.\n#### 2\n"
    assert _cut("no answer", "####") == "no answer"


def test_unigram_cross_entropy():
    train = torch.tensor([0, 0, 1, 1])
    assert lm.unigram_cross_entropy(train, torch.tensor([0, 1]), vocab_size=2, smoothing=0) == pytest.approx(0.6931, abs=1e-4)
    # smoothing keeps unseen tokens finite
    assert lm.unigram_cross_entropy(train, torch.tensor([2]), vocab_size=3) == pytest.approx(-torch.log(torch.tensor(1 / 7)).item(), abs=1e-5)


def test_param_groups_decay_only_matrices(tiny_model):
    from reprolab.lm.train import param_groups
    decay, no_decay = param_groups(tiny_model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.ndim >= 2 for p in decay["params"]) and all(p.ndim < 2 for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(tiny_model.parameters()))


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_packed_continuation_scores_equal_scoring_each_sequence_alone(arch):
    """Each prompt computed once with its options packed after it (4-D mask, restarted positions) gives the summed
    log-probabilities that one forward pass per (prompt, option) sequence gives, across batches of unequal length;
    lm.real_tasks.option_log_likelihoods (one sequence per option) agrees."""
    from reprolab.lm.real_tasks import ChoiceItem, option_log_likelihoods

    tok = lm.char_tokenizer(["the cat sat on a mat", "one two three four"])
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64, arch=arch), tok,
                       seed=0).eval()
    items = [("the c", ["at", "o", "at sat"]), ("one two thr", ["ee", "ee four", "a", "xyz"]), ("a", ["t"]),
             ("on a m", ["at", "att"])]
    ids = lambda text: tok(text, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        expect = []
        for prompt, opts in items:
            p = ids(prompt)
            lps = [torch.log_softmax(model(input_ids=torch.tensor([p + ids(o)])).logits[0].double(), -1) for o in opts]
            expect.append([sum(float(lp[len(p) - 1 + i, t]) for i, t in enumerate(ids(o))) for lp, o in zip(lps, opts)])
    for max_tokens in (8, 4096):  # one item per batch (padding-free) and every item in one padded batch
        got = lm.continuation_log_likelihoods(model, [ids(p) for p, _ in items], [[ids(o) for o in opts] for _, opts in items],
                                              max_tokens=max_tokens, pad_id=tok.pad_token_id)
        for g, e in zip(got, expect):
            np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4)
    alone = option_log_likelihoods(model, tok, [ChoiceItem(p, tuple(o), 0, "t") for p, o in items])
    for a, e in zip(alone, expect):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="at least one token"):
        lm.continuation_log_likelihoods(model, [ids("ab")], [[[]]])


def test_trimming_right_padding_trains_the_same_model_on_fewer_tokens(tokenizer):
    """trim_padding cuts each batch after its longest row (SFT rows padded to 256): the loss curve and the
    weights equal the padded run's, every batch is narrower than the block; data without a mask is refused."""
    examples = lm.generate_task("arithmetic", 64, 0)
    data = lm.sft_tensors(tokenizer, examples, block_size=256)
    longest = int(data["attention_mask"].sum(1).max())
    runs, widths = {}, []
    for trim in (False, True):
        model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=256), tokenizer, seed=0)
        if trim:
            model.register_forward_pre_hook(lambda m, args, kwargs: widths.append(kwargs["input_ids"].shape[1]),
                                            with_kwargs=True)
        cfg = lm.TrainConfig(steps=12, batch_size=8, lr=3e-3, warmup_steps=2, log_every=1, progress=False,
                             device="cpu", trim_padding=trim)
        runs[trim] = lm.train(model, data, cfg)
    np.testing.assert_allclose(runs[True].column("loss")[1], runs[False].column("loss")[1], rtol=1e-5)
    for a, b in zip(runs[True].model.parameters(), runs[False].model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert len(widths) == 12 and max(widths) <= longest < 256
    with pytest.raises(ValueError, match="trim_padding needs an attention_mask"):
        lm.train(runs[True].model, {k: v for k, v in data.items() if k != "attention_mask"},
                 lm.TrainConfig(steps=1, batch_size=8, progress=False, device="cpu", trim_padding=True))


def test_fused_adamw_trains_the_same_model(tokenizer):
    """fused_adamw swaps torch's per-parameter AdamW loop for its fused kernel: same losses and weights to rounding."""
    data = lm.sft_tensors(tokenizer, lm.generate_task("arithmetic", 32, 0), block_size=256)
    runs = {}
    for fused in (False, True):
        model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=256), tokenizer, seed=0)
        cfg = lm.TrainConfig(steps=10, batch_size=8, lr=3e-3, warmup_steps=2, weight_decay=0.1, log_every=1,
                             progress=False, device="cpu", fused_adamw=fused)
        runs[fused] = lm.train(model, data, cfg)
    assert runs[True].model is not runs[False].model
    np.testing.assert_allclose(runs[True].column("loss")[1], runs[False].column("loss")[1], rtol=1e-5)
    for a, b in zip(runs[True].model.parameters(), runs[False].model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
