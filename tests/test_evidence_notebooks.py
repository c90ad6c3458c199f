"""Every committed evidence run (`notebooks/evidence/<nb>.<profile>.ipynb`, executed by `make evidence`, never by
nbval): it ran without errors, prints both claim tables, its metrics.json matches what the notebook printed, and it
was executed from the current `.py` source (stale evidence is named, with the command that refreshes it)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import nbformat
import pytest

from reprolab.catalog import NOTEBOOKS
from reprolab.cli import source_sha256
from reprolab.core.claims import _plain
from reprolab.core.paths import project_root
from reprolab.core.profiles import resolve

EVIDENCE = sorted((project_root() / "notebooks" / "evidence").glob("*.ipynb"))


def owner(path: Path):
    name, profile = path.stem.rsplit(".", 1)
    nb = next(nb for nb in NOTEBOOKS.values() if nb.name == name)
    return nb, profile


def printed_text(notebook) -> str:
    return "\n".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
                     if o.get("output_type") == "stream")


def test_evidence_notebooks_exist_for_the_real_model_profiles():
    assert {p.name for p in EVIDENCE} >= {"05_lift.smollm2.ipynb", "06_seft.smollm2.ipynb"}


@pytest.mark.parametrize("path", EVIDENCE, ids=[p.name for p in EVIDENCE])
def test_evidence_notebook_is_complete_consistent_and_current(path: Path):
    nb, profile = owner(path)
    notebook = nbformat.read(path, as_version=4)
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: error output {errors[0].get('ename')}: {errors[0].get('evalue')}"
    record = notebook.metadata.get("reprolab", {})
    assert record.get("profile") == profile, f"{path.name}: executed with profile {record.get('profile')!r}"
    assert record.get("source_sha256") == source_sha256(nb), (
        f"{path.name} is stale: {nb.source().name} changed since it was executed; refresh it with "
        f"`make evidence NB={nb.id} PROFILE={profile}`")
    metrics = json.loads(path.with_suffix(".metrics.json").read_text())
    config_class, profiles = nb.load()
    expected = json.loads(json.dumps(_plain(asdict(resolve(config_class, profiles, profile)))))
    assert metrics["config"] == expected, (f"{path.name} is stale: the {profile!r} profile's settings changed since it "
                                           f"was executed; refresh it with `make evidence NB={nb.id} PROFILE={profile}`")
    text = printed_text(notebook)
    assert f"Paper claims of {nb.id}" in text and f"Implementation checks of {nb.id}" in text
    for row in metrics["claims"]:
        assert f"{row['id']} | {row['claim']} |" in text and text.split(f"{row['id']} | {row['claim']} |")[1].split("\n")[0] \
            .endswith(f"| {row['verdict']}"), f"{path.name}: claim {row['id']} printed differently from metrics.json"
    for row in metrics["checks"]:
        assert row["result"] == "pass", f"{path.name}: check {row['id']} {row['result']}"
