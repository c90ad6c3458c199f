import json

import numpy as np
import pytest

from reprolab.core.claims import ClaimFailed, ClaimTable, comparison_table


def test_render_is_deterministic_words(project):
    table = ClaimTable("00")
    table.add("1", "loss falls", "val loss < entropy", np.bool_(True), {"loss": np.float32(1.5)})
    table.add("2", "beats untrained", "acc > 0", False)
    table.add("3", "scales", "paper profile only", None)
    text = table.render()
    assert "1 | loss falls | val loss < entropy | reproduced" in text
    assert "2 | beats untrained | acc > 0 | not reproduced" in text
    assert "3 | scales | paper profile only | not tested at this profile" in text
    assert "1 reproduced, 1 not reproduced, 1 not tested" in text
    assert "1.5" not in text


def test_finish_writes_metrics_and_raises_on_asserted_failure(project, capsys):
    table = ClaimTable("00")
    table.add("1", "holds", "x", True, asserted=True)
    table.add("2", "fails", "acc > 0.5", False, {"acc": 0.1}, asserted=True)
    with pytest.raises(ClaimFailed, match=r"2 \(acc > 0.5\): \{'acc': 0.1\}"):
        table.finish({"val_loss": np.array([1.0, 2.0])})
    assert "Claims of paper 00" in capsys.readouterr().out
    (path,) = project.glob("runs/00/*/metrics.json")
    payload = json.loads(path.read_text())
    assert payload["metrics"]["val_loss"] == [1.0, 2.0]
    assert payload["claims"][1]["verdict"] == "not reproduced"
    assert payload["claim_counts"]["reproduced"] == 1


def test_unasserted_failure_does_not_raise(project):
    table = ClaimTable("00")
    table.add("1", "fails honestly", "x", False)
    table.finish()


def test_duplicate_ids_and_bad_paper_rejected():
    table = ClaimTable("01")
    table.add("1", "a", "b", True)
    with pytest.raises(ValueError, match="already used"):
        table.add("1", "a", "b", True)
    with pytest.raises(ValueError, match="two digits"):
        ClaimTable("1")


def test_comparison_table():
    df = comparison_table([{"quantity": "ppl", "paper": 10.0, "this run": 12.0}])
    assert df.loc["ppl", "this run"] == 12.0
    with pytest.raises(ValueError, match="lacks \\['this run'\\]"):
        comparison_table([{"quantity": "ppl", "paper": 1}])
