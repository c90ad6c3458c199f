"""The reproduction check: every number of a fresh metrics.json against the committed one."""

from __future__ import annotations

import json

from reprolab.core.reproduction import differences, flatten, reproduction_report


def _payload(loss=0.5, seconds=3.0, cpu="A"):
    return {"paper": "05", "metrics": {"runs": [{"loss": loss, "seconds": seconds, "method": "lift"}],
                                       "wall_seconds": seconds, "n": 3, "ok": True},
            "environment": {"dispatch": {"pinned": True, "cpu": cpu}}}


def test_equal_numbers_reproduce_and_timings_and_environment_are_ignored():
    assert differences(_payload(), _payload(seconds=9.0, cpu="B")) == []
    assert "metrics.runs[0].loss" in dict(flatten(_payload()))
    assert not any("seconds" in k or "environment" in k for k, _ in flatten(_payload()))


def test_last_bit_differences_within_tolerance_but_real_ones_named():
    assert differences(_payload(0.5), _payload(0.5 * (1 + 1e-12))) == []
    diff = differences(_payload(0.5), _payload(0.5001))
    assert diff == ["metrics.runs[0].loss: 0.5 -> 0.5001"]


def test_missing_and_extra_quantities_and_type_changes_count():
    fresh = _payload()
    del fresh["metrics"]["n"]
    fresh["metrics"]["extra"] = 1
    fresh["metrics"]["ok"] = 1  # a bool that became an int is a difference
    diff = differences(_payload(), fresh)
    assert "metrics.n: 3 -> missing" in diff and "metrics.extra: missing -> 1" in diff
    assert any(d.startswith("metrics.ok") for d in diff)


def test_report_names_notebook_first_differences_and_both_dispatches(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(_payload(0.5, cpu="Intel")))
    (tmp_path / "b.json").write_text(json.dumps(_payload(0.7, cpu="AMD")))
    assert reproduction_report("05_lift", tmp_path / "a.json", tmp_path / "a.json") is None
    report = reproduction_report("05_lift", tmp_path / "a.json", tmp_path / "b.json")
    assert report.startswith("05_lift: 1 quantities differ") and "0.5 -> 0.7" in report
    assert "CPU Intel" in report and "CPU AMD" in report
