"""The documentation site: `reprolab docs` (or `make docs`) renders the committed executed notebooks, default and
evidence runs, without executing them, with Sphinx, myst-nb and the PyData theme, into `docs/_build/html/`.

Before Sphinx runs, `prepare` writes `docs/generated/`: copies of the executed notebooks, the landing page with the
claims dashboard (every
paper claim and implementation check with its verdict at the default profile and in each evidence run, from the
committed metrics.json files) and pages cut from the README's sections. Sphinx runs with warnings as errors, so a
broken cross-reference or a missing image fails the build.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .catalog import NOTEBOOKS, Notebook
from .core.evidence import VERDICTS
from .core.paths import project_root
from .readme import evidence_runs

README_PAGES = {  # generated page: (title, README sections it holds)
    "usage": ("Use it in your own code", ["Use it in your own code"]),
    "reproducibility": ("Reproducibility, scaling up and GPU kernels",
                        ["Reproducibility: the same numbers on any x86-64 machine", "Scaling up", "GPU kernels"]),
    "evidence": ("Real pretrained models and evidence runs", ["Real pretrained models and evidence runs"]),
    "benchmarks": ("Benchmarks", ["Benchmarks"]),
}


def docs_dir() -> Path:
    return project_root() / "docs"


def readme_section(text: str, title: str) -> str:
    """The body of the README's `## title` section (up to the next `## ` heading), headings one level up."""
    lines, out, inside = text.splitlines(), [], False
    for line in lines:
        if line.startswith("## "):
            inside = line[3:].strip() == title
            continue
        if inside:
            out.append(line[1:] if line.startswith("###") else line)
    if not out:
        raise ValueError(f"README.md has no section '## {title}'")
    return "\n".join(out).strip() + "\n"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _verdict(verdict: str) -> str:
    return f"[{verdict}]{{.verdict .verdict-{verdict.split()[0]}}}"


INTRO = """# reprolab

Reproducible, runnable versions of ten recent ML and physics papers: one parameterized Jupyter notebook per paper
over one thin, tested Python library. Every notebook page is a committed, executed notebook rendered as it ran (the
default profile on a 2-core CPU, or an evidence run on a real pretrained model or real data); nothing is executed to
build this site. The verdicts come from one evidence engine: *reproduced* and *contradicted* need the 95 % interval
of the effect beyond the claim's minimal effect of interest; *inconclusive* means the run is too small to tell.

```{toctree}
:hidden:
:caption: Notebooks
:glob:

notebooks/*
```

```{toctree}
:hidden:
:caption: Evidence runs
:glob:

evidence/*
```

```{toctree}
:hidden:
:caption: Guides

usage
evidence
reproducibility
benchmarks
/api/reprolab/index
```
"""


def dashboard(notebooks: list[Notebook], prefix: str = "") -> str:
    """The landing page (MyST Markdown): the introduction, the navigation and the claims dashboard, per paper a table
    of its claims with the verdict at the default profile and in every committed evidence run, each claim id linking
    to the notebook's claims section. prefix: where the notebook pages lie relative to docs/generated/."""
    counts = {v: 0 for v in VERDICTS}
    sections = []
    for nb in notebooks:
        default = json.loads(nb.metrics_path().read_text())
        runs = {p.name.split(".")[1]: json.loads(p.read_text()) for p in evidence_runs(nb)}
        header = ["claim", "", "default"] + [f"evidence: {name}" for name in runs]
        rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        ids = [c["id"] for c in default["claims"]] + [c["id"] for r in runs.values() for c in r["claims"]
                                                     if c["id"] not in {d["id"] for d in default["claims"]}]
        by_run = {"default": {c["id"]: c for c in default["claims"]}, **{n: {c["id"]: c for c in r["claims"]}
                                                                        for n, r in runs.items()}}
        for cid in dict.fromkeys(ids):
            wordings = {}  # a profile may word a claim for its own set-up (another baseline, another split)
            for name, run in by_run.items():
                if cid in run:
                    wordings.setdefault(run[cid]["claim"], name)
            text = " · ".join(w if i == 0 else f"{name} run: {w}" for i, (w, name) in enumerate(wordings.items()))
            cells = [f"[{cid}]({prefix}notebooks/{nb.name}.ipynb#claims)", _cell(text)]
            for name, run in by_run.items():
                cells.append(_verdict(run[cid]["verdict"]) if cid in run else "—")
                if cid in run:
                    counts[run[cid]["verdict"]] += 1
            rows.append("| " + " | ".join(cells) + " |")
        checks = default["checks"]
        passed = sum(c["result"] == "pass" for c in checks)
        links = [f"[default run]({prefix}notebooks/{nb.name}.ipynb)"] + [
            f"[{name} run]({prefix}evidence/{nb.name}.{name}.ipynb)" for name in runs]
        sections.append("\n".join([
            f"### {nb.id} {nb.title}", "",
            f"arXiv {nb.arxiv} · " if nb.arxiv else "",
            f"{' · '.join(links)} · implementation checks at the default profile: {passed} of {len(checks)} pass", "",
            *rows, ""]))
    total = " · ".join(f"{_verdict(v)} {n}" for v, n in counts.items())
    return "\n".join([INTRO, "## Claims dashboard", "",
                      "Every paper claim of every notebook with the verdict of the evidence engine, at the default "
                      "profile (CI runs it) and in each committed evidence run on real models or data. Written from "
                      "the committed metrics.json files when the site is built.", "", f"All verdicts: {total}", "",
                      *sections])


def copy_mathjax(static: Path) -> Path:
    """MathJax 3's combined TeX component and its fonts (from the django-static-mathjax package) into
    static/mathjax/, so formulas render offline (Sphinx's default loads MathJax from a CDN)."""
    from importlib.resources import files

    es5 = Path(str(files("mathjax") / "static" / "mathjax" / "es5"))
    target = static / "mathjax"
    (target / "output" / "chtml").mkdir(parents=True)
    shutil.copy2(es5 / "tex-mml-chtml.js", target)
    shutil.copytree(es5 / "output" / "chtml" / "fonts", target / "output" / "chtml" / "fonts")
    return target / "tex-mml-chtml.js"


def prepare(out: Path | None = None) -> Path:
    """Write docs/generated/: notebooks, evidence notebooks, the dashboard, the README pages and the static files
    served from the site itself (MathJax)."""
    out = out or docs_dir() / "generated"
    shutil.rmtree(out, ignore_errors=True)
    (out / "notebooks").mkdir(parents=True)
    (out / "evidence").mkdir()
    copy_mathjax(out / "static")
    notebooks = [nb for nb in NOTEBOOKS.values() if nb.path().is_file()]
    for nb in notebooks:
        shutil.copy2(nb.path(), out / "notebooks" / nb.path().name)
        for metrics in evidence_runs(nb):
            executed = metrics.with_name(metrics.name.replace(".metrics.json", ".ipynb"))
            shutil.copy2(executed, out / "evidence" / executed.name)
    (out / "index.md").write_text(dashboard(notebooks))
    readme = (project_root() / "README.md").read_text()
    for page, (title, sections) in README_PAGES.items():
        body = "\n\n".join(readme_section(readme, s) if len(sections) == 1 else f"## {s}\n\n{readme_section(readme, s)}"
                           for s in sections)
        (out / f"{page}.md").write_text(f"# {title}\n\n{body}")
    return out


DOCS_PACKAGES = ("sphinx", "myst_nb", "pydata_sphinx_theme", "autoapi", "mathjax")  # import names of the docs extra


def missing_packages() -> list[str]:
    """The docs extra's packages that are not importable here."""
    from importlib.util import find_spec

    return [name for name in DOCS_PACKAGES if find_spec(name) is None]


def build(strict: bool = True) -> tuple[Path, float]:
    """prepare(), then sphinx-build (warnings are errors unless not `strict`); returns (index.html, seconds)."""
    t0 = time.perf_counter()
    prepare()
    html = docs_dir() / "_build" / "html"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "--fail-on-warning" if strict else "--keep-going",
           str(docs_dir()), str(html)]
    status = subprocess.run(cmd).returncode
    if status:
        raise DocsBuildError(f"sphinx-build failed (exit status {status}); the lines above name the broken reference "
                             "or missing file")
    (html / "index.html").write_text(REDIRECT)  # the site's entry point: the landing page lives in generated/
    return html / "index.html", time.perf_counter() - t0


REDIRECT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>reprolab</title>
<meta http-equiv="refresh" content="0; url=generated/index.html"><link rel="canonical" href="generated/index.html">
<link rel="icon" href="data:,">
</head><body><a href="generated/index.html">reprolab: the claims dashboard</a></body></html>
"""


class DocsBuildError(RuntimeError):
    """Sphinx reported an error or (strict builds) a warning."""
