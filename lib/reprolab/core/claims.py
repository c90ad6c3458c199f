"""The two tables every notebook ends with, the "paper vs this run" table, and `metrics.json`.

Paper claims carry a verdict from `core.evidence`; implementation checks are pass / fail and asserted. The
tables hold only deterministic words (no measured floats), so nbval can compare them between runs; in a notebook
they show as HTML tables (colour-coded verdicts) with the plain-text form beside them; the numbers behind each
verdict go into `metrics.json` and the comparison cell.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .evidence import VERDICTS, Evidence
from .paths import check_paper_id, run_dir

CheckResult = Literal["pass", "fail"]
COLOURS = {"reproduced": "#d4edda", "contradicted": "#f8d7da", "inconclusive": "#fff3cd",
           "not tested at this profile": "#e2e3e5", "pass": "#d4edda", "fail": "#f8d7da"}  # verdict cell backgrounds


class ClaimFailed(AssertionError):
    """An implementation check did not pass; the message carries the measured numbers."""


@dataclass
class PaperClaim:
    """One row of the paper-claims table: the claim, our criterion, and the evidence engine's verdict."""

    id: str
    claim: str  # in the paper's words
    criterion: str  # what this run compares, in words (no numbers that vary between runs)
    evidence: Evidence

    @property
    def verdict(self) -> str:
        return self.evidence.verdict

    def row(self) -> dict[str, Any]:
        return {"id": self.id, "claim": self.claim, "criterion": self.criterion, "verdict": self.verdict,
                "evidence": _plain(self.evidence.numbers())}


@dataclass
class Check:
    """One row of the implementation-checks table: exactness, invariants, reference agreement, paper arithmetic."""

    id: str
    check: str
    criterion: str
    passed: bool
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def result(self) -> CheckResult:
        return "pass" if self.passed else "fail"

    def row(self) -> dict[str, Any]:
        return {"id": self.id, "check": self.check, "criterion": self.criterion, "result": self.result,
                "numbers": self.numbers}


class ClaimTable:
    """The two tables every notebook ends with: paper claims (four verdicts, never asserted) and implementation
    checks (pass / fail, asserted); `finish` prints both for nbval and writes metrics.json."""

    def __init__(self, paper: str) -> None:
        self.paper = check_paper_id(paper)
        self.claims: list[PaperClaim] = []
        self.checks: list[Check] = []

    def _new_id(self, id: str) -> None:
        used = [c.id for c in self.claims] + [c.id for c in self.checks]
        if id in used:
            raise ValueError(f"id {id!r} already used; ids so far: {used}")

    def claim(self, id: str, claim: str, criterion: str, evidence: Evidence) -> PaperClaim:
        """Add a paper claim decided by `core.evidence` (directional, equivalence or Monte Carlo)."""
        if not isinstance(evidence, Evidence):
            raise TypeError(f"claim {id!r} needs an Evidence from reprolab.core.evidence, got {type(evidence).__name__}")
        self._new_id(id)
        row = PaperClaim(id, claim, criterion, evidence)
        self.claims.append(row)
        return row

    def check(self, id: str, check: str, criterion: str, passed: bool, numbers: dict[str, Any] | None = None) -> Check:
        """Add an implementation check; `passed` must be a real bool (numpy bools are converted)."""
        if not isinstance(passed, (bool, np.bool_)):
            raise TypeError(f"check {id!r} needs passed as a bool, got {passed!r}")
        self._new_id(id)
        row = Check(id, check, criterion, bool(passed), _plain(numbers or {}))
        self.checks.append(row)
        return row

    def counts(self) -> dict[str, dict[str, int]]:
        """Paper claims per verdict and checks per result."""
        claims = {v: sum(c.verdict == v for c in self.claims) for v in VERDICTS}
        checks = {r: sum(c.result == r for c in self.checks) for r in ("pass", "fail")}
        return {"paper_claims": claims, "checks": checks}

    def render(self) -> str:
        """Deterministic plain text: both tables and their count lines (δ printed as configured, no measured numbers)."""
        lines = [f"Paper claims of {self.paper}", "id | claim | criterion (minimal effect of interest) | verdict"]
        for c in self.claims:
            lines.append(f"{c.id} | {c.claim} | {c.criterion} ({self._margin(c)}) | {c.verdict}")
        counts = self.counts()
        lines.append(", ".join(f"{n} {v}" for v, n in counts["paper_claims"].items()))
        lines += ["", f"Implementation checks of {self.paper}", "id | check | criterion | result"]
        lines += [f"{c.id} | {c.check} | {c.criterion} | {c.result}" for c in self.checks]
        lines.append(f"{counts['checks']['pass']} pass, {counts['checks']['fail']} fail")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Both tables as HTML (the same words as `render`), each verdict cell coloured, ids as anchors."""
        def table(title: str, header: list[str], rows: list[list[str]], counts: str) -> str:
            cell = "<td style='text-align:left'>{}</td>".format
            head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in header)
            body = "".join(
                f"<tr id='claim-{self.paper}-{html.escape(r[0])}'>" + "".join(cell(html.escape(c)) for c in r[:-1])
                + f"<td style='background:{COLOURS[r[-1]]};white-space:nowrap'>{html.escape(r[-1])}</td></tr>"
                for r in rows)
            return (f"<p><b>{html.escape(title)}</b></p><table class='reprolab-claims'><thead><tr>{head}</tr></thead>"
                    f"<tbody>{body}</tbody></table><p>{html.escape(counts)}</p>")

        counts = self.counts()
        claims = [[c.id, c.claim, f"{c.criterion} ({self._margin(c)})", c.verdict] for c in self.claims]
        checks = [[c.id, c.check, c.criterion, c.result] for c in self.checks]
        return (table(f"Paper claims of {self.paper}", ["id", "claim", "criterion (minimal effect of interest)", "verdict"],
                      claims, ", ".join(f"{n} {v}" for v, n in counts["paper_claims"].items()))
                + table(f"Implementation checks of {self.paper}", ["id", "check", "criterion", "result"], checks,
                        f"{counts['checks']['pass']} pass, {counts['checks']['fail']} fail"))

    def __repr__(self) -> str:
        return self.render()

    @staticmethod
    def _margin(c: PaperClaim) -> str:
        e = c.evidence
        margin = f"delta {e.delta:g}" if e.kind != "check" else (f"tolerance {e.delta:g}" if e.delta else "exact")
        return f"{e.kind}, {e.metric}, {margin}"

    def assert_checks(self) -> None:
        """Raise ClaimFailed listing every failed implementation check with its numbers."""
        failed = [c for c in self.checks if not c.passed]
        if failed:
            detail = "; ".join(f"{c.id} ({c.criterion}): {c.numbers}" for c in failed)
            raise ClaimFailed(f"implementation check(s) failed: {detail}")

    def evidence_frame(self):
        """The paper claims' numbers as a DataFrame (the "paper vs this run" cell shows it), floats to 4 significant
        digits (a 5e-9 effect stays 5e-09, not 0.0)."""
        import pandas as pd

        rows = [{"id": c.id, "verdict": c.verdict, "metric": c.evidence.metric, "effect": c.evidence.effect,
                 "95% low": c.evidence.low, "95% high": c.evidence.high, "MDE": c.evidence.mde,
                 "delta": c.evidence.delta, "seeds": c.evidence.seeds, "items": c.evidence.items,
                 "noise": c.evidence.noise or c.evidence.reason} for c in self.claims]
        frame = pd.DataFrame(rows).set_index("id")
        return frame.apply(lambda col: col.map(_significant) if col.dtype.kind == "f" else col)

    def finish(self, metrics: dict[str, Any] | None = None, config: Any = None) -> None:
        """Write metrics.json (in `run_dir(paper)`), show both tables (HTML with its plain text in a notebook,
        printed elsewhere), then raise if a check failed."""
        write_metrics(self.paper, metrics or {}, self, config)
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            display(self)
        else:
            print(self.render())
        self.assert_checks()


def _significant(x: float, digits: int = 4) -> float:
    """x rounded to `digits` significant digits (NaN and 0 unchanged)."""
    return float(f"{x:.{digits}g}") if math.isfinite(x) else x


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
        payload["claims"] = [c.row() for c in claims.claims]
        payload["checks"] = [c.row() for c in claims.checks]
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
