import copy

import pytest
import torch

import reprolab.seft as seft
from reprolab import lm
from reprolab.sparsity import prune_model, target_modules


@pytest.fixture(scope="module")
def pruned_setup():
    examples = lm.generate_task("add", 128, 0, max_value=20)
    tok = lm.char_tokenizer([e.text for e in examples])
    data = lm.sft_tensors(tok, examples, 32, train_on_prompt=True)
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64), tok, seed=0)
    batches = [{"input_ids": data["input_ids"][i:i + 32]} for i in range(0, 128, 32)]
    alive = prune_model(model, "wanda", 0.7, batches)
    return model, alive, data


def run(pruned_setup, method, steps=40, **evolution):
    model, alive, data = pruned_setup
    cfg = seft.EvolutionConfig(budget_rank=1, update_every=5, accumulation_steps=2, drop_fraction=0.5, **evolution)
    init = [{k: v[:32] for k, v in data.items()}]
    prepared = seft.prepare(model, alive, method, 3e-3, cfg, steps, init)
    result = lm.train(prepared.model, data, lm.TrainConfig(steps=steps, batch_size=32, progress=False, device="cpu"),
                      optimizer=prepared.optimizer, after_backward=prepared.after_backward)
    return prepared, result.model


def test_seft_keeps_the_alive_count_exact_and_reactivates_pruned_weights(pruned_setup):
    model, alive, _ = pruned_setup
    prepared, tuned = run(pruned_setup, "seft")
    evo = prepared.evolution
    assert len(evo.records) > len(alive) * 5  # the initial selection and several updates per matrix
    assert all(r["alive"] == r["target"] and r["zero_outside_alive"] for r in evo.records)
    before, after = target_modules(model), target_modules(tuned)
    for name, module in after.items():
        w = module.weight.detach()
        assert int(evo.alive[name].sum()) == int(alive[name].sum())
        assert (w[~evo.alive[name]] == 0).all() and int((w != 0).sum()) <= int(alive[name].sum())
        assert int(evo.support[name].sum()) == evo.budget[name] and (evo.support[name] <= evo.alive[name]).all()
        # outside the delta's support every weight is the pruned model's value, or 0 where the sensitivity step
        # removed it and a later growth brought it back only for a while
        rest = evo.alive[name] & ~evo.support[name]
        assert ((w[rest] == before[name].weight.detach()[rest]) | (w[rest] == 0)).all()
    assert sum(r["reactivated"] for r in evo.records) > 0
    assert any((evo.alive[n] & ~alive[n]).any() for n in alive)


@pytest.mark.parametrize("method", ["static_delta", "seft_no_reactivation", "all_alive"])
def test_static_and_restricted_methods_never_touch_pruned_positions(pruned_setup, method):
    model, alive, _ = pruned_setup
    prepared, tuned = run(pruned_setup, method)
    before = target_modules(model)
    changed_any = False
    for name, module in target_modules(tuned).items():
        changed = module.weight.detach() != before[name].weight.detach()
        assert not (changed & ~alive[name]).any()
        changed_any |= bool(changed.any())
        if method == "static_delta":
            assert (changed <= prepared.evolution.support[name]).all()
    assert changed_any


def test_lora_star_restores_the_sparsity_that_merging_destroyed(pruned_setup):
    _, alive, data = pruned_setup
    prepared, tuned = run(pruned_setup, "lora_reprune", steps=10)
    calibration = [{"input_ids": data["input_ids"][:32]}]
    final, merged_sparsity = seft.finish(prepared, tuned, 0.7, calibration)
    assert merged_sparsity < 0.01
    realised = 1 - sum(int(a.sum()) for a in alive.values()) / sum(a.numel() for a in alive.values())
    assert seft.weight_sparsity(final) == pytest.approx(realised, abs=1e-3)


def test_memory_accounting_counts_the_sparse_state(pruned_setup):
    seft_prepared, _ = run(pruned_setup, "seft", steps=10)
    lora_prepared, _ = run(pruned_setup, "lora_reprune", steps=10)
    mem_seft, mem_lora = seft.memory_bytes(seft_prepared), seft.memory_bytes(lora_prepared)
    k = seft_prepared.trainable
    assert mem_seft["optimizer_state"] >= 2 * 4 * k + 8 * k  # two fp32 moments and an int64 index per delta entry
    assert mem_lora["optimizer_state"] == 2 * 4 * lora_prepared.trainable


def test_bad_inputs_fail_early_with_the_allowed_values(pruned_setup):
    model, alive, data = pruned_setup
    with pytest.raises(ValueError, match="allowed: seft"):
        seft.prepare(model, alive, "sparse", 1e-3, seft.EvolutionConfig(), 10, [])
    with pytest.raises(ValueError, match="exceed update_every"):
        seft.EvolutionConfig(update_every=4, accumulation_steps=5)
    with pytest.raises(ValueError, match="prune the model first"):
        dense = copy.deepcopy(model)
        for m in target_modules(dense).values():
            torch.nn.init.ones_(m.weight)
        seft.SparsityEvolution(target_modules(dense), alive, seft.EvolutionConfig(), 10, 1e-3)
    with pytest.raises(ValueError, match=r"parameter .sparsity. got 1.0; allowed: \[0,1\)"):
        seft.SeftConfig(sparsity=1.0)
    with pytest.raises(ValueError, match="unknown methods"):
        seft.SeftConfig(methods=("seft", "sparse"))
    with pytest.raises(ValueError, match="0 < n < m"):
        seft.SeftConfig(nm=(4, 2))
    with pytest.raises(ValueError, match="go together"):
        seft.SeftConfig(model_path="some/model", train_path="train.json")
    with pytest.raises(ValueError, match="parameter .n_choices. got 0; allowed: >=1"):
        seft.SeftConfig(n_choices=0)
    assert seft.SeftConfig(model_path="smollm2-135m-instruct").model_path  # a model alone uses the shipped data


def test_updates_use_the_mean_gradient_of_the_accumulation_window(pruned_setup):
    model, alive, _ = pruned_setup
    model = copy.deepcopy(model)
    cfg = seft.EvolutionConfig(budget_rank=1, update_every=4, accumulation_steps=2)
    evo = seft.SparsityEvolution(target_modules(model), alive, cfg, total_steps=13, lr=1e-3)
    evo.start({n: torch.ones_like(m.weight) for n, m in evo.modules.items()})
    seen = []
    evo.update = lambda step, grads: seen.append((step, float(next(iter(grads.values())).mean())))
    for step in range(13):
        for m in evo.modules.values():
            m.weight.grad = torch.full_like(m.weight, float(step))
        evo.after_backward(step, model)
    # updates at 4 and 8 (12 is the last step): mean of the gradients of steps 3, 4 and of 7, 8
    assert seen == [(4, 3.5), (8, 7.5)]
    name = next(iter(evo.modules))
    assert (evo.modules[name].weight.grad[~evo.support[name]] == 0).all()


def test_the_delta_never_outgrows_the_alive_count(pruned_setup):
    model, alive, _ = pruned_setup
    evo = seft.SparsityEvolution(target_modules(copy.deepcopy(model)), alive, seft.EvolutionConfig(budget_rank=64), 10, 1e-3)
    assert all(evo.budget[n] == int(alive[n].sum()) for n in alive)


def test_a_resumed_seft_repair_equals_the_uninterrupted_one(pruned_setup, tmp_path):
    pruned, alive, data = pruned_setup
    cfg = seft.EvolutionConfig(budget_rank=1, update_every=3, accumulation_steps=2)
    init = [{k: v[:4] for k, v in data.items()}]
    train = dict(steps=9, batch_size=4, lr=1e-2, seed=0, device="cpu", progress=False, log_every=1)

    def run(crash_at=None, **extra):
        prepared = seft.prepare(pruned, alive, "seft", 1e-2, cfg, 9, init)

        def after_step(step, model, optimizer):
            if step == crash_at:
                raise KeyboardInterrupt

        result = lm.train(prepared.model, data, lm.TrainConfig(**train, **extra), optimizer=prepared.optimizer,
                          after_backward=prepared.after_backward, after_step=after_step, checkpointed=[prepared.evolution])
        return result, prepared.evolution

    straight, ctrl = run()
    with pytest.raises(KeyboardInterrupt):
        run(crash_at=5, output_dir=str(tmp_path), checkpoint_every=4)
    resumed, ctrl2 = run(output_dir=str(tmp_path), resume=True)
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in straight.history]
    for name in ctrl.alive:
        assert torch.equal(ctrl.alive[name], ctrl2.alive[name]) and torch.equal(ctrl.support[name], ctrl2.support[name])
    for a, b in zip(straight.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
