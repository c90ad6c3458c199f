"""reprolab.agentalign: chains, the sandbox (schemas, isolation), the synthesis pipeline and the harness."""

from __future__ import annotations

import builtins
import json
import socket
import subprocess

import numpy as np
import pytest

from reprolab import agentalign as aa


@pytest.fixture(scope="module")
def synthesis():
    return aa.synthesize(list(aa.BUILTIN_CHAINS), aa.TemplateBackend(), n_per_chain=4, seed=0)


def test_builtin_chains_are_valid_and_implemented():
    assert len(aa.BUILTIN_CHAINS) == 24
    assert {c.category for c in aa.BUILTIN_CHAINS} == set(aa.HARM_CATEGORIES)
    assert all(c.implemented() for c in aa.BUILTIN_CHAINS)
    assert sum(map(len, aa.HARM_CATEGORIES.values())) == 64 and len(aa.CAPABILITIES) == 42


@pytest.mark.parametrize("kwargs, message", [
    ({"category": "weather"}, "unknown harm category"),
    ({"subcategory": "ddos_attack"}, "unknown subcategory"),
    ({"steps": ()}, "1 to 5 steps"),
    ({"steps": ("Search.web_search",) * 6}, "1 to 5 steps"),
    ({"steps": ("Search.teleport",)}, "unknown capabilities"),
])
def test_malformed_chains_are_rejected(kwargs, message):
    fields = {"category": "privacy", "subcategory": "doxing", "steps": ("Search.web_search",), "explanation": "x"}
    with pytest.raises(ValueError, match=message):
        aa.BehaviorChain(**{**fields, **kwargs})


def test_load_chains_reads_the_official_format_and_names_bad_patterns(tmp_path):
    path = tmp_path / "chains.json"
    path.write_text(json.dumps({"privacy": {"doxing": {"patterns": [
        {"steps": ["Social.get_profile", "Social.create_post"], "explanation": "abstract"}]}}}))
    [chain] = aa.load_chains(path)
    assert chain.steps == ("Social.get_profile", "Social.create_post") and chain.implemented()
    path.write_text(json.dumps({"privacy": {"doxing": {"patterns": [{"steps": ["Nope.nothing"]}]}}}))
    with pytest.raises(ValueError, match="privacy/doxing pattern 0"):
        aa.load_chains(path)


def test_every_tool_schema_is_valid_and_rejects_bad_calls():
    import jsonschema

    for tool in aa.TOOLS.values():
        jsonschema.Draft202012Validator.check_schema(tool.parameters)
        assert tool.spec["function"]["name"] == tool.name
    world = aa.World()
    with pytest.raises(aa.ToolCallError, match="unknown tool"):
        aa.call_tool(world, "rm_everything", {})
    with pytest.raises(aa.ToolCallError, match="'body' is a required property"):
        aa.call_tool(world, "mailhub_send", {"to": "a@example.org", "subject": "s"})
    with pytest.raises(aa.ToolCallError, match="Additional properties"):
        aa.call_tool(world, "seekly_search", {"query": "q", "url": "x"})
    with pytest.raises(aa.ToolCallError, match="must be relative"):
        aa.call_tool(world, "sandbox_files", {"action": "read", "path": "/etc/passwd"})
    with pytest.raises(aa.ToolCallError, match="not simulated"):
        aa.call_tool(world, "sandbox_shell", {"command": "curl example.org"})
    assert world.log == []


def test_sandbox_touches_no_network_files_or_processes(synthesis, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the sandbox reached outside its in-memory world")

    monkeypatch.setattr(socket, "socket", forbidden)
    monkeypatch.setattr(builtins, "open", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    calls = 0
    for instruction, _ in synthesis.items:
        world = aa.World()
        for tool, args in instruction.plan:
            aa.call_tool(world, tool, args)
            calls += 1
    assert calls > 100


def test_synthesis_is_deterministic_filtered_and_mixed(synthesis):
    again = aa.synthesize(list(aa.BUILTIN_CHAINS), aa.TemplateBackend(), n_per_chain=4, seed=0)
    assert [(i.text, r) for i, r in synthesis.items] == [(i.text, r) for i, r in again.items]
    assert synthesis.counts["not executable"] > 0  # garbled arguments were caught
    labels = [i.label for i, _ in synthesis.items]
    shares = np.array([labels.count(k) for k in ("harmful", "benign", "third_party")]) / len(labels)
    np.testing.assert_allclose(shares, [0.264, 0.522, 0.214], atol=0.03)
    for instruction, reply in synthesis.items:
        assert aa.executable(instruction)
        for tool, args in instruction.plan:  # parameter completeness: every required value is in the text
            props = aa.TOOLS[tool].parameters["properties"]
            for key in aa.TOOLS[tool].parameters["required"]:
                assert "enum" in props[key] or str(args[key]) in instruction.text  # an enum is implied by the verb
        if instruction.label == "harmful":
            assert "CALL" not in reply and reply.startswith(("I can't", "I won't", "Sorry"))
        else:
            assert reply.endswith("DONE") and reply.count("CALL") == len(instruction.plan)
            assert aa.grade(instruction, " " + reply)["full_score"] == 1.0  # as a model's output is graded


def test_generated_text_stays_clear_of_the_blocklist(synthesis):
    for instruction, reply in synthesis.items:
        text = (instruction.prompt() + reply).lower()
        assert not aa.blocked(text), text
        assert "http" not in instruction.text


def test_bad_ratio_and_unimplemented_chains_are_errors():
    chain = aa.BehaviorChain("privacy", "doxing", ("System_Tools.manage_ssh",), "x")
    with pytest.raises(ValueError, match="does not implement"):
        aa.synthesize([chain], aa.TemplateBackend(), 2, 0)
    with pytest.raises(ValueError, match="summing to 1"):
        aa.synthesize(list(aa.BUILTIN_CHAINS[:2]), aa.TemplateBackend(), 2, 0, ratio=(0.5, 0.5, 0.5))


def test_harness_grades_hand_made_responses(synthesis):
    benign = next(i for i, _ in synthesis.items if i.label == "benign" and len(i.plan) >= 2)
    perfect = aa.response(benign, np.random.default_rng(0))
    assert aa.grade(benign, perfect) == {"score": 1.0, "full_score": 1.0, "refusal": 0.0}
    first_only = perfect.splitlines()[0] + "\nDONE"
    partial = aa.grade(benign, first_only)
    assert partial["score"] == pytest.approx((1 + 2) / (len(benign.plan) + 2)) and partial["full_score"] == 0.0
    broken = aa.grade(benign, "CALL mailhub_send {not json}\nDONE")
    assert broken["score"] == pytest.approx(1 / (len(benign.plan) + 2))
    assert aa.grade(benign, " " + perfect)["full_score"] == 1.0  # a leading space (as generated) changes nothing
    assert aa.blocked("Use a Password here") == ["password"] and aa.blocked("a diagram of the program") == []
    with pytest.raises(aa.ToolCallError, match="not simulated"):
        aa.call_tool(aa.World(), "sandbox_shell", {"command": "  "})
    refusal = aa.grade(benign, "I can't help with that.")
    assert refusal == {"score": 0.0, "full_score": 0.0, "refusal": 1.0}
    summary = aa.evaluate([benign, benign], [perfect, "I can't help with that."])
    assert summary["benign"]["refusal"] == 0.5 and summary["benign"]["non_refusal_score"] == 1.0


def test_config_and_examples():
    with pytest.raises(ValueError, match="base_url and backend_model"):
        aa.AgentAlignConfig(backend="openai")
    with pytest.raises(ValueError, match="http"):
        aa.OpenAICompatibleBackend("localhost:8000", "m")
    items = aa.synthesize(list(aa.BUILTIN_CHAINS[:6]), aa.TemplateBackend(), 3, 0).items
    assert all(e.task != "harmful" for e in aa.examples(items, "benign_only"))
    assert any(e.task == "harmful" for e in aa.examples(items, "agentalign"))
    train, test = aa.split_chains(list(aa.BUILTIN_CHAINS), 1, 0)
    assert len(test) == 8 and not set(train) & set(test)


def test_variants_and_chat_template_need_a_pretrained_model():
    with pytest.raises(ValueError, match="non-empty subset of untuned, benign_only, agentalign"):
        aa.AgentAlignConfig(variants=("agentalign", "rlhf"))
    with pytest.raises(ValueError, match="'untuned' needs model_path"):
        aa.AgentAlignConfig(variants=("untuned", "agentalign"))
    with pytest.raises(ValueError, match="chat_template needs model_path"):
        aa.AgentAlignConfig(chat_template=True)


def tiny_chat_model(folder):
    """A 1-layer LLaMA with a character tokenizer and a bracket chat template ("[user]="), saved to `folder`."""
    from reprolab import lm

    texts = [i.prompt() + " " + r for i, r in aa.synthesize(list(aa.BUILTIN_CHAINS), aa.TemplateBackend(), 2, 0).items]
    tokenizer = lm.char_tokenizer(texts + ["[]="])
    tokenizer.chat_template = ("{% for m in messages %}[{{ m['content'] }}]{% endfor %}"
                               "{% if add_generation_prompt %}={% endif %}")
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=1024), tokenizer, seed=0)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return tokenizer


def test_pretrained_model_with_chat_template_and_untuned_rows(tmp_path):
    tokenizer = tiny_chat_model(tmp_path / "model")
    cfg = aa.AgentAlignConfig(n_seeds=2, n_per_chain=1, model_path=str(tmp_path / "model"), chat_template=True,
                              variants=("untuned", "agentalign"), steps=2, batch_size=4, max_len=1024,
                              max_new_tokens=4, device="cpu")
    data = aa.prepare(cfg)
    item = data.train.items[0]
    example = aa.examples([item], "agentalign", tokenizer)[0]
    assert example.prompt == f"[{item[0].prompt()}]=" and example.completion == item[1]
    rows = aa.run_all(cfg, data, tmp_path)
    untuned = [r for r in rows if r["variant"] == "untuned"]
    assert {r["seed"] for r in untuned} == {0, 1} and all(r["seconds"] == 0 and r["train_pairs"] == 0 for r in untuned)
    first, second = ([{k: v for k, v in r.items() if k != "seed"} for r in untuned if r["seed"] == s] for s in (0, 1))
    assert first == second  # the untuned model is scored once: greedy answers have no seed
    tuned = [r for r in rows if r["variant"] == "agentalign"]
    assert all(r["seconds"] > 0 and r["gen_tokens_per_s"] > 0 for r in tuned)
    assert (tmp_path / "responses_untuned_1.jsonl").is_file()


def test_synthesize_command_writes_the_chat_format(tmp_path, capsys):
    from reprolab import cli

    assert cli.main(["agentalign", "synthesize", str(tmp_path / "out"), "--n-per-chain", "2"]) == 0
    records = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert records and {r["label"] for r in records} == {"harmful", "benign", "third_party"}
    first = records[0]
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"] and first["messages"][0]["content"].startswith(
        "TOOLS: ")
    tests = [json.loads(line) for line in (tmp_path / "out" / "test.jsonl").read_text().splitlines()]
    assert tests and all(len(t["messages"]) == 1 for t in tests)
    counts = json.loads((tmp_path / "out" / "counts.json").read_text())
    assert sum(counts[f"kept {k}"] for k in ("harmful", "benign", "third_party")) == len(records)
    assert cli.main(["agentalign", "synthesize", str(tmp_path / "ds"), "--n-per-chain", "1", "--format", "datasets"]) == 0
    from datasets import load_from_disk

    assert load_from_disk(str(tmp_path / "ds" / "train"))[0]["messages"][1]["role"] == "assistant"
    capsys.readouterr()
    assert cli.main(["agentalign", "synthesize", str(tmp_path / "bad"), "--n-per-chain", "0"]) == 2
    assert "n_per_chain" in capsys.readouterr().err


def test_evaluate_command_scores_a_local_chat_model(tmp_path, capsys):
    from reprolab import cli

    tiny_chat_model(tmp_path / "model")
    assert cli.main(["agentalign", "evaluate", str(tmp_path / "model"), "--n-per-chain", "1", "--max-new-tokens",
                     "4"]) == 0
    out = capsys.readouterr().out
    assert "held-out chains" in out and "harmful refusal" in out and "tokens/s" in out
    assert cli.main(["agentalign", "evaluate", str(tmp_path / "missing")]) == 2
    assert "no model folder" in capsys.readouterr().err
