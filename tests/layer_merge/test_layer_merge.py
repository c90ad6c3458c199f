import json

import numpy as np
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

import reprolab.layer_merge as lmg
from reprolab import lm
from reprolab.layer_merge import LayerOp, MergePlan


def tiny(seed: int, layers: int = 4) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=24, hidden_size=16, intermediate_size=32, num_hidden_layers=layers,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32,
                         tie_word_embeddings=False)
    return LlamaForCausalLM(config).eval()


def finetune_of(base: LlamaForCausalLM, seed: int, scale: float = 0.05) -> LlamaForCausalLM:
    model = LlamaForCausalLM(base.config).eval()
    model.load_state_dict(base.state_dict())
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))
    return model


@pytest.fixture(scope="module")
def family():
    base = tiny(0)
    return base, [finetune_of(base, s) for s in (1, 2, 3)]


IDS = torch.randint(0, 24, (3, 10), generator=torch.Generator().manual_seed(0))


def logits(model):
    with torch.no_grad():
        return model(input_ids=IDS, use_cache=False).logits


def test_identity_and_take_plans_rebuild_the_base_and_each_candidate_exactly(family):
    base, cands = family
    models = lmg.PlanModels(base, cands)
    assert torch.equal(logits(models.model(MergePlan.identity(4))), logits(base))
    assert torch.equal(logits(lmg.apply(MergePlan.identity(4), base, cands)), logits(base))
    for i, c in enumerate(cands):
        plan = MergePlan(tuple(LayerOp("take", (i,)) for _ in range(4)))
        assert torch.equal(logits(models.model(plan)), logits(c))


def test_merging_identical_candidates_is_the_identity(family):
    base, cands = family
    copies = [finetune_of(cands[0], 0, scale=0.0) for _ in range(3)]
    linear = MergePlan(tuple(LayerOp("merge", (0, 1, 2), 1.0) for _ in range(4)), method="linear")
    assert torch.allclose(logits(lmg.PlanModels(base, copies).model(linear)), logits(cands[0]), atol=1e-5)
    same_as_base = [finetune_of(base, 0, scale=0.0) for _ in range(2)]
    ta = MergePlan(tuple(LayerOp("merge", (0, 1), 0.7) for _ in range(4)))
    assert torch.equal(logits(lmg.PlanModels(base, same_as_base).model(ta)), logits(base))


def test_task_arithmetic_and_peft_merges_on_tensors():
    b, c1, c2 = torch.zeros(4), torch.tensor([1.0, -2, 0, 4]), torch.tensor([3.0, 2, 0, -4])
    op = LayerOp("merge", (0, 1), 0.5)
    assert torch.equal(lmg.merge_tensors(b, [c1, c2], op), 0.5 * (c1 + c2))
    assert torch.equal(lmg.merge_tensors(b, [c1, c2], op, "linear"), 0.5 * (c1 + c2) / 2)
    c3 = torch.tensor([3.0, 1, 0, -1])
    with pytest.warns(UserWarning, match="no pruning"):
        ties = lmg.merge_tensors(b, [c1, c3], LayerOp("merge", (0, 1), 1.0), "ties", density=1.0)
    # elected signs (of the sums 4, -1, 0, 3): +, -, +, +; the mean of the agreeing entries
    assert torch.allclose(ties, torch.tensor([2.0, -2.0, 0.0, 4.0]))


def test_plan_validation_names_the_problem():
    ok = MergePlan.removal(4, (1,))
    assert ok.validate(4, 3, n_remove=1) is ok
    with pytest.raises(ValueError, match="unknown op 'drop'"):
        MergePlan((LayerOp("drop"),) + ok.layers[1:]).validate(4, 3)
    with pytest.raises(ValueError, match="source index 5 out of range; 3 candidates"):
        MergePlan((LayerOp("take", (5,)),) + ok.layers[1:]).validate(4, 3)
    with pytest.raises(ValueError, match="budget needs exactly 2"):
        ok.validate(4, 3, n_remove=2)
    with pytest.raises(ValueError, match="base model has 5 layers"):
        ok.validate(5, 3)
    with pytest.raises(ValueError, match="needs 1-1 sources"):
        MergePlan((LayerOp("take", (0, 1)),) + ok.layers[1:]).validate(4, 3)
    with pytest.raises(ValueError, match="unknown merge method"):
        MergePlan(ok.layers, method="slerp").validate(4, 3)
    with pytest.raises(ValueError, match="not a MergePlan"):
        MergePlan.from_json(json.dumps({"ops": []}))


def test_plan_round_trips_through_json_and_save_pretrained(family, tmp_path):
    base, cands = family
    plan = MergePlan((LayerOp("merge", (0, 2), 0.55), LayerOp("remove"), LayerOp("take", (1,)), LayerOp("base")))
    plan.save(tmp_path / "plan.json")
    again = MergePlan.load(tmp_path / "plan.json")
    assert again == plan
    exported = lmg.apply(again, base, cands)
    exported.save_pretrained(tmp_path / "model")
    reloaded = LlamaForCausalLM.from_pretrained(tmp_path / "model").eval()
    assert reloaded.config.num_hidden_layers == 3
    view = logits(lmg.PlanModels(base, cands).model(plan))
    assert torch.equal(view, logits(exported)) and torch.equal(view, logits(reloaded))
    with torch.no_grad():  # renumbered layers: a KV cache works
        reloaded.generate(IDS[:1, :4], max_new_tokens=3, do_sample=False)


def test_embeddings_follow_the_first_kept_layer_and_the_head_the_last(family):
    base, cands = family
    plan = MergePlan((LayerOp("remove"), LayerOp("take", (0,)), LayerOp("base"), LayerOp("take", (2,))))
    model = lmg.apply(plan, base, cands)
    assert torch.equal(model.model.embed_tokens.weight, cands[0].model.embed_tokens.weight)
    assert torch.equal(model.lm_head.weight, cands[2].lm_head.weight)
    assert torch.equal(model.model.norm.weight, cands[2].model.norm.weight)
    assert torch.equal(model.model.layers[1].mlp.up_proj.weight, base.model.layers[2].mlp.up_proj.weight)
    merged = lmg.apply(MergePlan((LayerOp("merge", (0, 1), 0.3),) + plan.layers[1:3] + (LayerOp("base"),)), base, cands)
    expected = base.model.embed_tokens.weight + 0.3 * (cands[0].model.embed_tokens.weight
                                                       + cands[1].model.embed_tokens.weight
                                                       - 2 * base.model.embed_tokens.weight)
    assert torch.allclose(merged.model.embed_tokens.weight, expected, atol=1e-6)
    assert torch.equal(merged.lm_head.weight, base.lm_head.weight)


def test_candidates_must_match_the_base(family):
    base, _ = family
    with pytest.raises(ValueError, match="candidate 0 .* does not have the base's architecture"):
        lmg.PlanModels(base, [tiny(1, layers=3)])


def test_search_space_decodes_every_point_to_a_valid_plan():
    space = lmg.SearchSpace(8, 3, 3)
    rng = np.random.default_rng(0)
    for _ in range(50):
        params = {n: (int(rng.integers(b[0], b[1] + 1)) if k in ("int", "bit") else float(rng.uniform(*b)))
                  for n, k, b in space.names()}
        plan = space.decode(params).validate(8, 3, n_remove=3)
        assert len(set(plan.removed)) == 3
    point = space.encode((6, 2, 5), (0, 2), 0.4)
    plan = space.decode(point)
    assert plan.removed == (2, 5, 6) and plan.layers[0] == LayerOp("merge", (0, 2), 0.4)
    for removed in lmg.heuristic_removals(40, 10):
        assert len(set(removed)) == 10 and all(0 <= j < 40 for j in removed)
    assert len(lmg.initial_design(space, (0.5,), 2)) == 2 * (1 + 7)


def fake_scores(plan: MergePlan, budget: int) -> dict[str, float]:
    """Prefers candidate 0 in every kept layer, and merges at weight 0.5."""
    ops = [plan.layers[j] for j in plan.kept]
    return {"t1": float(np.mean([0 in op.sources for op in ops])),
            "t2": float(np.mean([op.op == "merge" and abs(op.weight - 0.5) < 0.2 for op in ops])) * min(1, budget / 9)}


def test_evaluator_logs_every_plan_and_replays_the_log(tmp_path):
    calls = []

    def score(plan, budget):
        calls.append(budget)
        return fake_scores(plan, budget)

    log = tmp_path / "evaluations.jsonl"
    first = lmg.PlanEvaluator(score, log)
    plan = MergePlan.removal(4, (3,))
    first.score(plan, 9)
    first.score(plan, 9)
    assert calls == [9] and len(log.read_text().splitlines()) == 1
    second = lmg.PlanEvaluator(score, log)
    assert second.score(plan, 9) == first.score(plan, 9) and calls == [9] and second.computed == 0


def test_both_optimizers_return_valid_plans_at_the_budget(tmp_path):
    space = lmg.SearchSpace(5, 2, 1)
    evaluator = lmg.PlanEvaluator(fake_scores, tmp_path / "log.jsonl")
    start = lmg.initial_design(space, (0.5,), 1)
    optuna = lmg.search_optuna(space, evaluator, 8, 9, seed=0, initial=start, progress=False)
    smac = lmg.search_smac(space, evaluator, 8, 3, 9, seed=0, initial=start, output_dir=tmp_path, challengers=50,
                           progress=False)
    for res in (optuna, smac):
        res.plan.validate(5, 2, n_remove=1)
        assert res.calibration >= 0.5 and len(res.trials) == 8  # the initial design holds a 0.5-weight merge of both
    assert {t["budget"] for t in smac.trials} > {9}  # Hyperband used lower budgets too


def test_choice_scoring_single_and_multi_token():
    from reprolab.layer_merge.skills import Item

    class Tok:
        pad_token_id = 0

        def __call__(self, texts, add_special_tokens=False):
            one = isinstance(texts, str)
            ids = [[ord(ch) - 96 for ch in t] for t in ([texts] if one else texts)]
            return {"input_ids": ids[0] if one else ids}

    class Successor(torch.nn.Module):  # predicts the letter after the current one: "a" -> "b", "x" -> "y"
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, input_ids, **_):  # the next character's successor, whatever the mask or positions
            out = torch.full((*input_ids.shape, 28), -5.0)
            out.scatter_(-1, (input_ids + 1).clamp(max=27)[..., None], 5.0)
            return type("Out", (), {"logits": out})()

    # the prediction is read after the prompt's last character, whatever the padding of shorter prompts
    items = [Item("xy", "z", ("a", "z"), "t"), Item("x", "a", ("a", "y"), "t"), Item("vwx", "y", ("a", "y"), "t")]
    assert lmg.choice_correct(Successor(), Tok(), items).tolist() == [True, False, True]
    # multi-token choices: every continuation token is scored after its own predecessor
    multi = [Item("a", "bc", ("bc", "bd", "cd"), "t"), Item("a", "bd", ("bc", "bd"), "t")]
    assert lmg.choice_correct(Successor(), Tok(), multi).tolist() == [True, False]


def test_multi_token_scoring_of_an_hf_model_equals_full_logits():
    """On an HF Llama the general path (each prompt once, its choices packed after it) decides as scoring every
    (prompt, choice) sequence alone with every position's logits would, for choices of 1 to 3 tokens."""
    from reprolab.layer_merge.skills import Item

    texts = ["the cat sat", "a dog ran far", "one two three"]
    tok = lm.char_tokenizer(texts)
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=32), tok, seed=0).eval()
    items = [Item("the ", "cat", ("cat", "do", "c"), "t"), Item("a d", "og", ("og", "ogs"), "t"),
             Item("one tw", "o", ("o", "oo", "a"), "t")]
    with torch.no_grad():
        expect = []
        for it in items:
            sums = []
            for c in it.choices:
                p, q = tok(it.prompt, add_special_tokens=False)["input_ids"], tok(c, add_special_tokens=False)["input_ids"]
                lp = torch.log_softmax(model(input_ids=torch.tensor([p + q])).logits[0].float(), -1)
                sums.append(sum(float(lp[len(p) - 1 + i, t]) for i, t in enumerate(q)))
            expect.append(int(np.argmax(sums)) == it.choices.index(it.answer))
    assert lmg.choice_correct(model, tok, items, batch_size=8).tolist() == expect


def test_block_influence_is_zero_for_a_layer_that_passes_its_input_through(family):
    base, _ = family
    model = finetune_of(base, 0, scale=0.0)
    with torch.no_grad():
        model.model.layers[2].self_attn.o_proj.weight.zero_()
        model.model.layers[2].mlp.down_proj.weight.zero_()
    bi = lmg.block_influence(model, IDS)
    assert bi.shape == (4,) and abs(float(bi[2])) < 1e-6 and (bi[[0, 1, 3]] > 1e-4).all()
    assert lmg.shortgpt_plan(model, IDS, 1).removed == (2,)
    assert lmg.last_layers_plan(4, 2).removed == (2, 3)


def test_laco_removes_the_requested_layers_and_keeps_a_working_cache(family):
    base, _ = family
    model, log = lmg.laco(base, IDS, 2, m=2)
    assert model.config.num_hidden_layers == 2 and len(model.model.layers) == 2 and log[0]["m"] == 2
    at = log[0]["at"]  # the folded layer: theta_l + (theta_l+1 - theta_l) + (theta_l+2 - theta_l)
    w = [base.model.layers[at + k].self_attn.q_proj.weight for k in range(3)]
    assert torch.allclose(model.model.layers[at].self_attn.q_proj.weight, w[1] + w[2] - w[0], atol=1e-6)
    with torch.no_grad():
        model.generate(IDS[:1, :4], max_new_tokens=3, do_sample=False)


def test_skills_are_deterministic_and_split_cleanly():
    from reprolab.layer_merge.skills import generate

    a, b = generate("vartrack", 50, "calibration"), generate("vartrack", 50, "calibration")
    assert a == b
    test = generate("vartrack", 100, "test", exclude={it.prompt for it in a})
    assert not {it.prompt for it in test} & {it.prompt for it in a}
    for skill in lmg.SKILLS:
        for it in generate(skill, 20, "train"):
            assert it.answer in it.choices
    arith = generate("arith", 200, "train")
    assert all(str(eval(it.prompt[:-1])) == it.answer for it in arith)
    with pytest.raises(ValueError, match="unknown skill"):
        generate("chess", 1, "train")


def test_config_errors():
    with pytest.raises(ValueError, match=r"finetune_skills must be a non-empty subset of arith, vartrack, coref, facts, got \(.poetry.,\)"):
        lmg.LayerMergeConfig(finetune_skills=("poetry",))
    with pytest.raises(ValueError, match=r"subset of math, grammar, reasoning \(with pretrained\), got \('coref',\)"):
        lmg.LayerMergeConfig(pretrained="smollm2-135m-instruct", finetune_skills=("coref",),
                             calibration_tasks=("arithmetic",))
    with pytest.raises(ValueError, match="calibration_tasks must be a non-empty subset of arithmetic, subject_verb"):
        lmg.LayerMergeConfig(pretrained="smollm2-135m-instruct", finetune_skills=("math",))
    with pytest.raises(ValueError, match="exclude each other"):
        lmg.LayerMergeConfig(pretrained="smollm2-135m-instruct", base_path="llama", candidate_paths=("a",),
                             finetune_skills=("math",), calibration_tasks=("arithmetic",), calibration_paths=("c",),
                             test_paths=("t",))
    with pytest.raises(ValueError, match="go together"):
        lmg.LayerMergeConfig(base_path="llama")
    with pytest.raises(ValueError, match=r"parameter .remove_fraction. got 1.0; allowed: \(0,1\)"):
        lmg.LayerMergeConfig(remove_fraction=1.0)


def test_a_seeded_smac_search_is_the_same_in_every_process():
    """SMAC iterates sets of configurations in hash order; this process and one with another string-hash seed must
    agree trial for trial."""
    import os
    import subprocess
    import sys

    code = """
import hashlib, reprolab.layer_merge as lmg
def score(plan, budget):
    kept = [plan.layers[j] for j in plan.kept]
    return {"t1": sum(0 in op.sources for op in kept) / len(kept), "t2": sum(op.weight for op in kept) / len(kept)}
res = lmg.search_smac(lmg.SearchSpace(6, 2, 1), lmg.PlanEvaluator(score), 10, 3, 9, seed=0, challengers=50,
                      progress=False)
print(hashlib.md5(str([(t["plan"].to_json(), t["budget"]) for t in res.trials]).encode()).hexdigest())
"""
    here = {}
    exec(code.replace("print(", "here['digest'] = ("), {"here": here})
    current = os.environ.get("PYTHONHASHSEED", "")
    other = str(int(current) + 1) if current.isdigit() else "1"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": other})
    assert run.stdout.split()[-1] == here["digest"]
