"""nbval runs: the pinned CPU dispatch, each notebook's wall time against its budget, and the
reproduction check.

- The CPU dispatch is pinned before anything loads torch (`reprolab.dispatch`); the kernels nbval
  starts inherit this process's environment.
- `$REPROLAB_OVERRIDES` (`reprolab run --set`) is cleared, so the committed numbers are what is checked.
- Every run folder goes under one session folder (`REPROLAB_RUNS_ROOT`), so after a notebook's last
  cell an extra test item, `<notebook>::metrics-reproduction`, compares the fresh `metrics.json`
  number by number with the committed `notebooks/<name>.metrics.json`.
- Wall times are printed against the 4-minute default-profile budget; a notebook over 1.25x the
  budget fails the run, so a budget breach cannot land unnoticed.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path

from reprolab import dispatch

dispatch.pin()
os.environ.pop("REPROLAB_OVERRIDES", None)  # `--set` overrides of a user's shell never reach the checked runs

import pytest  # noqa: E402

collect_ignore = ["evidence"]  # evidence runs (up to an hour each) are checked by tests/test_evidence_notebooks.py

BUDGET_S = 240.0
HARD_LIMIT_S = 1.25 * BUDGET_S
_seconds: dict[str, float] = defaultdict(float)


def pytest_configure(config: pytest.Config) -> None:
    if "REPROLAB_RUNS_ROOT" not in os.environ:
        os.environ["REPROLAB_RUNS_ROOT"] = tempfile.mkdtemp(prefix="reprolab-nbval-runs-")


class MetricsReproduction(pytest.Item):
    """The fresh execution's metrics.json equals the committed one (machine-dependent timings aside)."""

    def runtest(self) -> None:
        from reprolab.core.reproduction import reproduction_report

        notebook = Path(self.path)
        committed = notebook.with_suffix(".metrics.json")
        if not committed.is_file():
            raise AssertionError(f"{notebook.name}: no committed {committed.name}; build it with "
                                 f"`make notebook NB={notebook.name[:2]}`")
        fresh = sorted((Path(os.environ["REPROLAB_RUNS_ROOT"]) / notebook.name[:2]).glob("*/metrics.json"))
        if len(fresh) != 1:
            raise AssertionError(f"{notebook.name}: expected one fresh metrics.json from this execution, found "
                                 f"{len(fresh)} (did a cell fail before the claim table?)")
        report = reproduction_report(notebook.name, committed, fresh[0])
        if report:
            raise AssertionError(report)

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, None, f"{Path(self.path).name}::metrics-reproduction"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """After each notebook's last cell, add its reproduction check (same parent: it runs before the kernel stops)."""
    out: list[pytest.Item] = []
    for i, item in enumerate(items):
        out.append(item)
        last_of_file = i + 1 == len(items) or items[i + 1].parent is not item.parent
        if str(item.path).endswith(".ipynb") and last_of_file:
            out.append(MetricsReproduction.from_parent(item.parent, name="metrics-reproduction"))
    items[:] = out


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.location[0] if report.location else report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _seconds[Path(path).name] += report.duration


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if any(s > HARD_LIMIT_S for s in _seconds.values()) and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter) -> None:
    if not _seconds:
        return
    terminalreporter.section("notebook wall time (default profile)")
    for name, s in sorted(_seconds.items()):
        flag = "FAIL: over 1.25x budget" if s > HARD_LIMIT_S else "over budget" if s > BUDGET_S else "ok"
        terminalreporter.write_line(f"{name:<40}{s:8.1f} s  budget {BUDGET_S:.0f} s  {flag}")
    terminalreporter.write_line(f"{'total':<40}{sum(_seconds.values()):8.1f} s")
