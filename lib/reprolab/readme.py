"""The README's notebook table, written from the committed notebooks' metrics.json and execution times.

`reprolab readme` rewrites the part of README.md between the two marker comments; a unit test fails when the
README and the committed metrics disagree, so the table cannot drift from what the notebooks show.
"""

from __future__ import annotations

import json
from pathlib import Path

from .catalog import NOTEBOOKS, Notebook
from .core.evidence import VERDICTS
from .core.paths import project_root

BEGIN = "<!-- notebooks table: written by `reprolab readme` from the committed metrics; do not edit -->"
END = "<!-- end of notebooks table -->"
SHORT = {"reproduced": "R", "contradicted": "C", "inconclusive": "I", "not tested at this profile": "N"}


def wall_seconds(path: Path) -> float:
    """The execution time papermill recorded in an executed notebook (seconds)."""
    return float(json.loads(path.read_text())["metadata"]["papermill"]["duration"])


def evidence_runs(nb: Notebook) -> list[Path]:
    """Committed evidence-run metrics of `nb`: notebooks/evidence/<name>.<profile>.metrics.json."""
    return sorted((project_root() / "notebooks" / "evidence").glob(f"{nb.name}.*.metrics.json"))


def _verdicts(payload: dict) -> str:
    """`R 1a, 2 · I 3 · N 4`: claim ids grouped by verdict, in the order of VERDICTS."""
    groups = {v: [c["id"] for c in payload.get("claims", []) if c["verdict"] == v] for v in VERDICTS}
    return " · ".join(f"{SHORT[v]} {', '.join(ids)}" for v, ids in groups.items() if ids) or "none"


def _evidence_cell(metrics: Path) -> str:
    """`smollm2 (model smollm2-135m-instruct, 41 min): R 1a · I 2a, 2b` (or `data fashion-mnist` where the run is
    on real data rather than a real model), from an evidence run's metrics and notebook."""
    payload = json.loads(metrics.read_text())
    profile = metrics.name.split(".")[1]
    config = payload.get("config", {})
    model = config.get("model_path") or config.get("pretrained")
    what = (f"model {model}" if model else
            f"data {config['dataset'].replace('_', '-')}" if config.get("dataset") else "tiny model")
    notebook = metrics.with_name(metrics.name.replace(".metrics.json", ".ipynb"))
    seconds = json.loads(notebook.read_text())["metadata"].get("reprolab", {}).get("wall_seconds")
    cost = f", {seconds / 60:.0f} min" if seconds else ""
    return f"{profile} ({what}{cost}): {_verdicts(payload)}"


def _row(nb: Notebook) -> str:
    payload = json.loads(nb.metrics_path().read_text())
    counts = payload["claim_counts"]
    claims = " / ".join(str(counts["paper_claims"][v]) for v in VERDICTS)
    checks = f"{counts['checks']['pass']}/{counts['checks']['pass'] + counts['checks']['fail']}"
    extra = [_evidence_cell(p) for p in evidence_runs(nb)]
    evidence = "; ".join(extra) if extra else "—"
    return (f"| {nb.id} | {nb.arxiv or '—'} | {nb.title} | {claims} | {_verdicts(payload)} | {checks} | "
            f"{wall_seconds(nb.path()):.0f} s | {evidence} |")


def notebook_table() -> str:
    """The generated Markdown table (with its markers) for every notebook of the catalog."""
    lines = [BEGIN,
             "| nb | arXiv | notebook | paper claims R / C / I / N | claims by verdict (default profile) | checks "
             "| wall time (2 cores) | evidence runs |",
             "|----|-------|----------|----------------------------|--------------------------------------|--------"
             "|--------------------|---------------|"]
    lines += [_row(nb) for nb in NOTEBOOKS.values()]
    lines += ["", "R reproduced, C contradicted, I inconclusive, N not tested at this profile (decided by "
              "`reprolab.core.evidence`; each notebook's last cell gives the claims in words, its \"paper vs this run\" "
              "cell the intervals and minimal detectable effects). Checks: implementation checks passed / run.", END]
    return "\n".join(lines)


def update_readme(path: Path | None = None) -> bool:
    """Rewrite the table between the markers of README.md; returns whether the file changed."""
    path = path or project_root() / "README.md"
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{path.name} lacks the table markers; add {BEGIN!r} and {END!r} where the table goes")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = head + notebook_table() + tail
    path.write_text(new)
    return new != text
