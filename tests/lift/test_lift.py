import pytest
import torch

import reprolab.lift as lift
from reprolab import lm


@pytest.fixture
def small(tokenizer):
    cfg = lift.LiftConfig(d_model=32, n_layers=1, d_ff=64, block_size=64, n_seeds=1, steps=12, batch_size=4,
                          budget_rank=2, filter_rank=2, update_interval=5, device="cpu", n_eval=4)
    base = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=128, tie_embeddings=False),
                      tokenizer, seed=0)
    examples = lm.generate_task("add", 16, 0)
    domains = lift.Domains(tokenizer, None, lm.sft_tensors(tokenizer, examples, 64), examples[:4], examples[:4],
                           lm.sft_tensors(tokenizer, examples[:4], 64))
    return cfg, base, domains


def test_target_modules_are_every_linear_but_the_head(small):
    names = list(lift.target_modules(small[1]))
    assert len(names) == 7 and not any("lm_head" in n for n in names)


@pytest.mark.parametrize("method", ["lift", "magnitude"])
def test_sparse_methods_change_only_masked_entries_and_refresh_on_schedule(small, method):
    cfg, base, domains = small
    result = lift.finetune(cfg, base, domains, method, seed=0)
    per_matrix = [2 * (m.weight.shape[0] + m.weight.shape[1]) for m in lift.target_modules(base).values()]
    assert result.trainable == sum(per_matrix)
    total = sum(m.weight.numel() for m in lift.target_modules(base).values())
    refreshes = cfg.steps // cfg.interval
    assert 0 < result.changed_fraction * total <= (refreshes + 1) * sum(per_matrix)


def test_frozen_parameters_stay_put_for_lift(small):
    cfg, base, _ = small
    prepared = lift.prepare(base, "lift", 1e-2, lift.SparseSpec(2, 2, 5))
    trainable = {n for n, p in prepared.model.named_parameters() if p.requires_grad}
    assert all(n.endswith(".weight") and "lm_head" not in n and "norm" not in n and "embed" not in n for n in trainable)


@pytest.mark.parametrize("method", ["lora", "dora", "full"])
def test_peft_and_full_baselines_train(small, method):
    cfg, base, domains = small
    result = lift.finetune(cfg, base, domains, method, seed=0)
    assert result.changed_fraction > 0.5 and result.memory["optimizer_state"] > 0
    if method == "lora":  # rank r_b LoRA trains (m + n) r_b parameters per matrix, like LIFT
        assert result.trainable == sum(2 * sum(m.weight.shape) for m in lift.target_modules(base).values())


def test_bad_inputs_fail_clearly():
    with pytest.raises(ValueError, match="unknown methods"):
        lift.LiftConfig(methods=("full", "sift"))
    with pytest.raises(ValueError, match="parameter .budget_rank. got 0; allowed: >=1"):
        lift.LiftConfig(budget_rank=0)
    with pytest.raises(ValueError, match="unknown fine-tuning method"):
        lift.prepare(torch.nn.Linear(2, 2), "qlora", 1e-3, lift.SparseSpec())
    with pytest.raises(ValueError, match="target_path needs model_path"):
        lift.LiftConfig(target_path="math_10k.json")
    with pytest.raises(ValueError, match="allowed: 2_digit_addition, 2_digit_subtraction"):
        lift.LiftConfig(target_tasks=("3_digit_addition",))
    with pytest.raises(ValueError, match="parameter .n_source_choices. got 0; allowed: >=1"):
        lift.LiftConfig(n_source_choices=0)


def test_masks_refresh_on_schedule_but_not_after_the_last_step(small):
    _, base, _ = small
    prepared = lift.prepare(base, "lift", 1e-2, lift.SparseSpec(2, 2, 5), total_steps=10)
    calls = []
    original = prepared.optimizer.set_mask
    prepared.optimizer.set_mask = lambda p, m: calls.append(1) or original(p, m)
    for step in range(10):
        prepared.after_step(step, prepared.model, prepared.optimizer)
    assert len(calls) == 7  # one refresh (after step 5) of the 7 target matrices; none after the last step
