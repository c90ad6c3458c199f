import json

import numpy as np
import pytest

from reprolab.core import evidence
from reprolab.core.claims import ClaimFailed, ClaimTable, comparison_table

RNG = np.random.default_rng(0)
BETTER = 0.7 + 0.05 * RNG.standard_normal((3, 200))
WORSE = BETTER - 0.2 + 0.05 * RNG.standard_normal((3, 200))


def _table(paper="00"):
    table = ClaimTable(paper)
    table.claim("1", "A beats B", "A against B", evidence.directional(BETTER, WORSE, delta=0.05, metric="acc"))
    table.claim("2", "A matches B", "within the margin",
                evidence.equivalence(RNG.random((2, 10)), RNG.random((2, 10)), delta=0.01, metric="loss"))
    table.claim("3", "scales", "needs the paper profile", evidence.directional(None, None, delta=0.1, metric="acc"))
    table.claim("4", "a count", "exact", evidence.deterministic(True, metric="parameters"))
    table.check("c1", "identity holds", "logits equal", np.bool_(True), {"gap": np.float32(0.0)})
    return table


def test_render_is_two_tables_of_deterministic_words(project):
    text = _table().render()
    assert "1 | A beats B | A against B (directional, acc, delta 0.05) | reproduced" in text
    assert "2 | A matches B | within the margin (equivalence, loss, delta 0.01) | inconclusive" in text
    assert "3 | scales | needs the paper profile (directional, acc, delta 0.1) | not tested at this profile" in text
    assert "4 | a count | exact (check, parameters, exact) | reproduced" in text
    assert "2 reproduced, 0 contradicted, 1 inconclusive, 1 not tested at this profile" in text
    assert "Implementation checks of 00" in text and "c1 | identity holds | logits equal | pass" in text
    assert "1 pass, 0 fail" in text
    assert "0.7" not in text and "0.2" not in text  # no measured numbers


def test_finish_writes_both_tables_and_evidence_and_raises_on_failed_check(project, capsys):
    table = _table()
    table.check("c2", "breaks", "acc > 0.5", False, {"acc": 0.1})
    with pytest.raises(ClaimFailed, match=r"c2 \(acc > 0.5\): \{'acc': 0.1\}"):
        table.finish({"val_loss": np.array([1.0, 2.0])})
    assert "Paper claims of 00" in capsys.readouterr().out
    (path,) = project.glob("runs/00/*/metrics.json")
    payload = json.loads(path.read_text())
    assert payload["metrics"]["val_loss"] == [1.0, 2.0]
    assert payload["claims"][0]["verdict"] == "reproduced" and payload["claims"][0]["evidence"]["mde"] > 0
    assert payload["checks"][1]["result"] == "fail"
    assert payload["claim_counts"]["paper_claims"]["reproduced"] == 2
    assert payload["claim_counts"]["checks"] == {"pass": 1, "fail": 1}


def test_paper_claims_never_raise(project):
    table = ClaimTable("00")
    table.claim("1", "fails honestly", "x", evidence.directional(WORSE, BETTER, delta=0.05, metric="acc"))
    table.finish()
    assert table.claims[0].verdict == "contradicted"


def test_bad_rows_rejected():
    table = ClaimTable("01")
    table.check("1", "a", "b", True)
    with pytest.raises(ValueError, match="already used"):
        table.claim("1", "a", "b", evidence.deterministic(True, metric="m"))
    with pytest.raises(TypeError, match="Evidence"):
        table.claim("2", "a", "b", True)
    with pytest.raises(TypeError, match="bool"):
        table.check("3", "a", "b", 1.0)
    with pytest.raises(ValueError, match="two digits"):
        ClaimTable("1")


def test_evidence_frame_lists_intervals_and_mde(project):
    frame = _table().evidence_frame()
    assert list(frame.index) == ["1", "2", "3", "4"] and frame.loc["1", "MDE"] > 0
    assert frame.loc["3", "noise"] == "an arm was not run"


def test_comparison_table():
    df = comparison_table([{"quantity": "ppl", "paper": 10.0, "this run": 12.0}])
    assert df.loc["ppl", "this run"] == 12.0
    with pytest.raises(ValueError, match="lacks \\['this run'\\]"):
        comparison_table([{"quantity": "ppl", "paper": 1}])


def test_html_tables_hold_the_plain_text_words_and_colour_each_verdict():
    """In a notebook the tables are real HTML tables (bars inside a claim such as |dE/dx| stay text, not column
    separators), with the same words as the plain text nbval compares, one coloured cell per verdict."""
    table = _table()
    table.claim("5", "|dE/dx| grows <fast>", "x & y", evidence.deterministic(False, metric="m"))
    page = table._repr_html_()
    assert page.count("<table") == 2 and page.count("<tr id='claim-00-") == 6
    assert "<td style='text-align:left'>|dE/dx| grows &lt;fast&gt;</td>" in page and "x &amp; y" in page
    assert "background:#d4edda;white-space:nowrap'>reproduced<" in page
    assert "background:#f8d7da;white-space:nowrap'>contradicted<" in page
    assert "background:#e2e3e5;white-space:nowrap'>not tested at this profile<" in page
    assert "2 reproduced, 1 contradicted, 1 inconclusive, 1 not tested at this profile" in page
    assert repr(table) == table.render() and "0.7" not in page


def test_evidence_frame_keeps_small_effects_in_significant_digits():
    table = ClaimTable("00")
    table.claim("1", "tiny", "x", evidence.from_differences(5e-9 + 1e-10 * RNG.standard_normal((2, 50)),
                                                           kind="directional", delta=1e-9, metric="m"))
    frame = table.evidence_frame()
    assert frame.loc["1", "effect"] != 0 and abs(frame.loc["1", "effect"] / 5e-9 - 1) < 0.01
    assert frame.loc["1", "delta"] == 1e-9
