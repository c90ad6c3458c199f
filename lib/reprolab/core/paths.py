"""Where a run writes: the project root, `figures/<nb>/` and `runs/<nb>/<timestamp>/`."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

_RUN_DIRS: dict[str, Path] = {}
PAPER_ID = re.compile(r"^\d\d$")
RESUME_ENV = "REPROLAB_RESUME"  # "1": this run continues an earlier one in the same run folder (`-p resume true`)


def project_root() -> Path:
    """The reprolab checkout: `$REPROLAB_ROOT`, else the nearest parent of the working directory
    holding `pyproject.toml` and `notebooks/`, else the checkout this package was installed from
    in editable mode, else the working directory itself."""
    if os.environ.get("REPROLAB_ROOT"):
        return Path(os.environ["REPROLAB_ROOT"]).resolve()
    here = Path.cwd().resolve()
    source_checkout = Path(__file__).resolve().parents[3]  # lib/reprolab/core/paths.py -> root
    for folder in (here, *here.parents, source_checkout):
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    return here


def check_paper_id(paper: str) -> str:
    """Paper ids are two digits, the notebook number: '00' (tour) to '10'."""
    if not isinstance(paper, str) or not PAPER_ID.match(paper):
        raise ValueError(f"paper id must be two digits such as '03', got {paper!r}")
    return paper


def figures_dir(paper: str) -> Path:
    """`figures/<paper>/` under the project root (the committed default-profile figures), or
    `$REPROLAB_FIGURES_DIR/<paper>/` where set (`reprolab run` sets it to the run folder for other profiles, so
    they never overwrite the committed figures); created if absent."""
    env = os.environ.get("REPROLAB_FIGURES_DIR")
    folder = (Path(env) if env else project_root() / "figures") / check_paper_id(paper)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def runs_root() -> Path:
    """Where run folders go: `$REPROLAB_RUNS_ROOT` (the nbval session sets it), else `<project>/runs`."""
    env = os.environ.get("REPROLAB_RUNS_ROOT")
    return Path(env).resolve() if env else project_root() / "runs"


def new_run_folder(parent: Path, suffix: str = "") -> Path:
    """A new folder `parent/<UTC timestamp>[-suffix][-n]`, created here: never one another run already uses
    (two runs started in the same second get `-1`, `-2`, ...)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + (f"-{suffix}" if suffix else "")
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        folder = parent / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a new run folder under {parent}")


def resuming() -> bool:
    """Whether this process continues an interrupted run (`reprolab run NB -p resume true` sets `$REPROLAB_RESUME`
    and reuses that run's folder): training loops then restart from the checkpoints they find there."""
    return os.environ.get(RESUME_ENV) == "1"


def latest_run_folder(parent: Path, suffix: str) -> Path | None:
    """The newest folder `parent/<timestamp>-<suffix>[-n]` that `new_run_folder(parent, suffix)` made; None if none."""
    pattern = re.compile(r"^\d{8}T\d{6}Z-" + re.escape(suffix) + r"(-(\d+))?$")
    found = [(f.name[:16], int(m.group(2) or 0), f) for f in parent.glob("*")
             if f.is_dir() and (m := pattern.match(f.name))] if parent.is_dir() else []
    return max(found, key=lambda t: t[:2])[2] if found else None


def run_dir(paper: str) -> Path:
    """This run's output folder: `$REPROLAB_RUN_DIR` (set by `reprolab run`), else a new
    `<runs_root>/<paper>/<UTC timestamp>[-n]/` (never shared with a run started in the same second),
    fixed for the life of the process and created if absent."""
    check_paper_id(paper)
    if paper not in _RUN_DIRS:
        env = os.environ.get("REPROLAB_RUN_DIR")
        if env:
            _RUN_DIRS[paper] = Path(env)
        else:
            _RUN_DIRS[paper] = new_run_folder(runs_root() / paper)
    _RUN_DIRS[paper].mkdir(parents=True, exist_ok=True)
    return _RUN_DIRS[paper]


def cache_dir(paper: str) -> Path:
    """`runs/<paper>/cache/`: what later runs of the notebook may reuse (e.g. trained models keyed by their
    settings), created if absent; delete it to start from scratch."""
    folder = project_root() / "runs" / check_paper_id(paper) / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
