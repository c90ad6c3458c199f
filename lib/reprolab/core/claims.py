"""The claim table every notebook ends with, the "paper vs this run" table, and `metrics.json`.

The claim table's printed text holds only deterministic words (no floats), so nbval can compare
it between runs; the numbers behind each verdict go into `metrics.json` and the comparison table.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .paths import check_paper_id, run_dir

Verdict = Literal["reproduced", "not reproduced", "not tested at this profile"]


class ClaimFailed(AssertionError):
    """An asserted claim did not hold; the message carries the measured numbers."""


@dataclass
class Claim:
    """One row: the paper's claim, our criterion, and whether this run meets it (None = not tested)."""

    id: str
    claim: str  # in the paper's words
    criterion: str  # what this run checks, in words (no numbers that vary between runs)
    passed: bool | None  # None: not tested at this profile
    numbers: dict[str, Any] = field(default_factory=dict)  # the measurements behind the verdict
    asserted: bool = False  # raise ClaimFailed when it does not hold

    @property
    def verdict(self) -> Verdict:
        if self.passed is None:
            return "not tested at this profile"
        return "reproduced" if self.passed else "not reproduced"


class ClaimTable:
    """Collect claims, print them for nbval, raise on failed asserted claims, write metrics.json."""

    def __init__(self, paper: str) -> None:
        self.paper = check_paper_id(paper)
        self.claims: list[Claim] = []

    def add(
        self,
        id: str,
        claim: str,
        criterion: str,
        passed: bool | None,
        numbers: dict[str, Any] | None = None,
        asserted: bool = False,
    ) -> Claim:
        """Add a row; `passed` must be a real bool (numpy bools are converted) or None."""
        if any(c.id == id for c in self.claims):
            raise ValueError(f"claim id {id!r} already used; ids so far: {[c.id for c in self.claims]}")
        if passed is not None:
            passed = bool(passed)
        row = Claim(id, claim, criterion, passed, _plain(numbers or {}), asserted)
        self.claims.append(row)
        return row

    def counts(self) -> dict[str, int]:
        """Number of claims per verdict."""
        out = {"reproduced": 0, "not reproduced": 0, "not tested at this profile": 0}
        for c in self.claims:
            out[c.verdict] += 1
        return out

    def render(self) -> str:
        """Deterministic plain-text table: `id | claim | criterion | verdict` plus a count line."""
        lines = [f"Claims of paper {self.paper}", "id | claim | criterion | verdict"]
        lines += [f"{c.id} | {c.claim} | {c.criterion} | {c.verdict}" for c in self.claims]
        counts = self.counts()
        lines.append(
            f"{counts['reproduced']} reproduced, {counts['not reproduced']} not reproduced, "
            f"{counts['not tested at this profile']} not tested"
        )
        return "\n".join(lines)

    def check(self) -> None:
        """Raise ClaimFailed listing every asserted claim that did not hold, with its numbers."""
        failed = [c for c in self.claims if c.asserted and c.passed is False]
        if failed:
            detail = "; ".join(f"{c.id} ({c.criterion}): {c.numbers}" for c in failed)
            raise ClaimFailed(f"asserted claim(s) failed: {detail}")

    def finish(self, metrics: dict[str, Any] | None = None, config: Any = None) -> None:
        """Write metrics.json (in `run_dir(paper)`), print the table, then raise if an asserted claim failed."""
        write_metrics(self.paper, metrics or {}, self, config)
        print(self.render())
        self.check()


def _plain(value: Any) -> Any:
    """Convert numpy/torch scalars and arrays, tuples and paths into JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def write_metrics(paper: str, metrics: dict[str, Any], claims: ClaimTable | None = None, config: Any = None) -> Path:
    """Write `run_dir(paper)/metrics.json`: the metrics, the config and the claim rows."""
    payload: dict[str, Any] = {"paper": paper, "metrics": _plain(metrics), "environment": environment()}
    if config is not None:
        payload["config"] = _plain(asdict(config) if hasattr(config, "__dataclass_fields__") else config)
    if claims is not None:
        payload["claims"] = [{**asdict(c), "verdict": c.verdict} for c in claims.claims]
        payload["claim_counts"] = claims.counts()
    path = run_dir(paper) / "metrics.json"
    path.write_text(json.dumps(payload, indent=2))
    return path


def environment() -> dict[str, Any]:
    """Where the numbers came from: package versions and the CPU dispatch (pinned or native, the capability
    torch runs, the BLAS kernels, the CPU model). The reproduction check prints it on a difference."""
    from ..dispatch import dispatch_state
    from .runtime import versions

    return {"versions": versions("torch", "numpy", "scipy", "transformers"), "dispatch": dispatch_state()}


def comparison_table(rows: list[dict[str, Any]]):
    """"Paper vs this run" as a DataFrame; each row: quantity, paper, this run (and optional note)."""
    import pandas as pd

    for i, row in enumerate(rows):
        missing = {"quantity", "paper", "this run"} - set(row)
        if missing:
            raise ValueError(f"comparison row {i} lacks {sorted(missing)}; each row needs quantity, paper, this run")
    return pd.DataFrame(rows).set_index("quantity")
