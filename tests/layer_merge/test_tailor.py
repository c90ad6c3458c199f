"""`reprolab tailor CONFIG.yaml OUT/` on a tiny family written here: the search runs and writes an ordinary HF model,
its plan and a resumable trial log; bad configs fail before any model is loaded, naming the field."""

from __future__ import annotations

import json

import pytest
import torch

from reprolab import cli, lm


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    root = tmp_path_factory.mktemp("family")
    texts = [f"{a} plus {b} is {a + b}." for a in range(10) for b in range(10)]
    tok = lm.char_tokenizer(texts)
    shape = lm.TinyLMConfig(d_model=32, n_layers=4, n_heads=2, d_ff=64, max_len=64, tie_embeddings=False)
    base = lm.tiny_lm(shape, tok, seed=0)
    base.save_pretrained(root / "base")
    tok.save_pretrained(root / "base")
    for k in range(2):
        model = lm.tiny_lm(shape, tok, seed=0)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.02 * torch.randn(p.shape, generator=torch.Generator().manual_seed(k)))
        model.save_pretrained(root / f"ft{k}")
    rows = [{"prompt": f"{a} plus {b} is", "choices": [f" {a + b}", f" {a + b + 1}"], "answer": 0}
            for a in range(5) for b in range(4)]
    (root / "calib.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def write_config(folder, **fields):
    text = {"base": "base", "candidates": ["ft0", "ft1"], "calibration": ["calib.jsonl"], "remove_fraction": 0.25,
            "optimizer": "optuna", "trials": 4, "n_calibration": 12, "n_heuristics": 1, **fields}
    path = folder / "tailor.yaml"
    import yaml

    path.write_text(yaml.safe_dump(text))
    return path


def test_tailor_writes_a_model_a_plan_and_a_resumable_log(family, tmp_path, capsys):
    config = write_config(family)
    assert cli.main(["tailor", str(config), str(tmp_path / "out"), "--no-progress"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["n_layers"] == 4 and len(summary["removed_layers"]) == 1 and summary["parameter_share"] < 1
    assert "best_initial_design" in summary and summary["evaluations_computed"] > 0
    model = lm.load_causal_lm(tmp_path / "out" / "model")
    assert model.config.num_hidden_layers == 3 and (tmp_path / "out" / "plan.json").is_file()
    logged = len((tmp_path / "out" / "trials.jsonl").read_text().splitlines())
    assert logged == summary["evaluations_computed"]
    assert cli.main(["tailor", str(config), str(tmp_path / "out"), "--no-progress"]) == 0  # a rerun replays the log
    again = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert again["evaluations_computed"] == 0 and again["removed_layers"] == summary["removed_layers"]
    assert "replayed" in capsys.readouterr().out
    other = write_config(family, n_calibration=10)  # other scores: the old log must not be replayed for them
    assert cli.main(["tailor", str(other), str(tmp_path / "out"), "--no-progress"]) == 2
    assert "trials.jsonl was scored with other models or calibration tasks" in capsys.readouterr().err


def test_tailor_with_smac_runs(family, tmp_path):
    config = write_config(family, optimizer="smac", trials=6, min_budget=4)
    assert cli.main(["tailor", str(config), str(tmp_path / "out"), "--no-progress"]) == 0
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["trials"] >= 1


@pytest.mark.parametrize("fields,message", [
    ({"base": "nowhere"}, "base: no HF model at"),
    ({"candidates": ["ft0", "missing"]}, "candidates\\[1\\]: no HF model"),
    ({"calibration": ["none.jsonl"]}, "calibration\\[0\\]: no file"),
    ({"remove_fraction": 1.5}, "remove_fraction"),
    ({"optimizer": "grid"}, "optimizer"),
    ({"trial": 4}, "unknown parameter 'trial'"),
    ({"calibration": ["calib.jsonl", "calib.jsonl"]}, "calibration\\[1\\] and calibration\\[0\\] are both task 'calib'"),
])
def test_bad_tailor_configs_fail_before_loading_a_model(family, monkeypatch, capsys, fields, message):
    monkeypatch.setattr(lm, "load_causal_lm", lambda *a, **k: pytest.fail("a model was loaded"))
    assert cli.main(["tailor", str(write_config(family, **fields)), "unused"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_a_candidate_of_another_architecture_is_named(family, tmp_path, capsys):
    other = lm.tiny_lm(lm.TinyLMConfig(d_model=48, n_layers=4, n_heads=2, d_ff=64, max_len=64),
                       lm.char_tokenizer(["abc"]), seed=0)
    other.save_pretrained(family / "other")
    assert cli.main(["tailor", str(write_config(family, candidates=["ft0", "other"])), "unused"]) == 2
    err = capsys.readouterr().err
    assert "candidates[1] (other) differs from the base in hidden_size (48 vs 32)" in err and "vocab_size" in err


def test_builtin_bigbench_calibration_tasks(family, capsys):
    from reprolab.layer_merge.tailor import calibration_items

    name, items = calibration_items("bigbench:general_knowledge")
    assert name == "general_knowledge" and items and all(it.answer in it.choices for it in items)
    assert cli.main(["tailor", str(write_config(family, calibration=["bigbench:trivia"])), "unused"]) == 2
    assert "unknown built-in task 'bigbench:trivia'; allowed: bigbench:general_knowledge" in capsys.readouterr().err


def test_a_config_that_is_not_yaml_is_named(tmp_path, capsys):
    (tmp_path / "t.yaml").write_text("base: [unclosed\n")
    assert cli.main(["tailor", str(tmp_path / "t.yaml"), "unused"]) == 2
    err = capsys.readouterr().err
    assert "t.yaml: not valid YAML" in err and err.count("\n") == 1
