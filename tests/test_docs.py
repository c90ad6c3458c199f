"""The documentation site's generated pages (reprolab.docs), without running Sphinx: the dashboard lists every
claim of every committed metrics.json (default and evidence runs) with its verdict and a link to its notebook, and
`prepare` writes every page the site's navigation names."""

import json
import re

import pytest

from reprolab import docs
from reprolab.catalog import NOTEBOOKS
from reprolab.readme import evidence_runs


def test_dashboard_lists_every_claim_with_its_verdict_and_link():
    text = docs.dashboard(list(NOTEBOOKS.values()))
    rows, texts = {}, {}
    for line in text.splitlines():
        cells = re.split(r"(?<!\\) \| ", line.strip()[2:-2]) if line.startswith("| [") else []
        match = re.match(r"\[([^\]]+)\]\(notebooks/(\w+)\.ipynb#claims\)$", cells[0]) if cells else None
        if match:
            rows[(match[2], match[1])] = [re.sub(r".*\.verdict-(\w+)\}", r"\1", c) for c in cells[2:]]
            texts[(match[2], match[1])] = cells[1]
    for nb in NOTEBOOKS.values():
        runs = [json.loads(nb.metrics_path().read_text())] + [json.loads(p.read_text()) for p in evidence_runs(nb)]
        for k, run in enumerate(runs):
            for claim in run["claims"]:
                shown = rows[(nb.name, claim["id"])]
                assert len(shown) == len(runs), f"{nb.name} {claim['id']}: {len(shown)} verdict columns"
                assert shown[k] == claim["verdict"].split()[0], f"{nb.name} {claim['id']} run {k}"
                assert docs._cell(claim["claim"]) in texts[(nb.name, claim["id"])], "each run's wording is shown"
    assert "| [5a](notebooks/07_agentalign.ipynb#claims) |" in text


def test_table_cells_escape_bars():
    assert docs._cell("|dE/dx| grows") == "\\|dE/dx\\| grows"


def test_prepare_writes_every_page_the_navigation_names(tmp_path):
    out = docs.prepare(tmp_path / "generated")
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == sorted(nb.path().name for nb in NOTEBOOKS.values())
    assert len(list((out / "evidence").iterdir())) == sum(len(evidence_runs(nb)) for nb in NOTEBOOKS.values())
    index = (out / "index.md").read_text()
    for page in docs.README_PAGES:
        assert f"\n{page}\n" in index and (out / f"{page}.md").read_text().startswith("# ")
    assert "pip install -e" in (out / "usage.md").read_text() or "import" in (out / "usage.md").read_text()


def test_missing_readme_section_is_named():
    with pytest.raises(ValueError, match="no section '## Nowhere'"):
        docs.readme_section("## Set-up\ntext\n", "Nowhere")


def test_docs_command_names_the_missing_extra(monkeypatch, capsys):
    from reprolab import cli

    monkeypatch.setattr(docs, "missing_packages", lambda: ["myst_nb"])
    assert cli.main(["docs"]) == 2
    err = capsys.readouterr().err
    assert "the docs extra is not installed (missing: myst_nb)" in err and err.count("\n") == 1
