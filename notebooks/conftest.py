"""nbval runs: print each notebook's wall time against the 4-minute default-profile budget.

A notebook over 1.25x the budget fails the run, so a budget breach cannot land unnoticed.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

BUDGET_S = 240.0
HARD_LIMIT_S = 1.25 * BUDGET_S
_seconds: dict[str, float] = defaultdict(float)


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
