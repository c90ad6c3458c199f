"""Every catalogued notebook is consistent: files present and in sync, parameters match its config."""

import dataclasses

import jupytext
import papermill
import pytest

from reprolab.catalog import NOTEBOOKS, UnknownNotebook, find
from reprolab.core.paths import project_root
from reprolab.core.profiles import ProfileError, resolve


@pytest.mark.parametrize("nb", NOTEBOOKS.values(), ids=lambda nb: nb.name)
def test_notebook_files_are_paired_and_in_sync(nb):
    assert nb.source().is_file() and nb.path().is_file()
    source = [c.source for c in jupytext.read(nb.source()).cells]
    executed = jupytext.read(nb.path())
    assert source == [c.source for c in executed.cells], f"re-build {nb.name}.ipynb: make notebook NB={nb.id}"
    assert any(c.cell_type == "code" and c.outputs for c in executed.cells), "commit the notebook executed"
    assert "NBVAL_CHECK_OUTPUT" in executed.cells[-1].source
    assert "input_path" not in executed.metadata.get("papermill", {}), "built outside `reprolab build`"
    root = str(project_root())
    assert root not in nb.path().read_text(), f"an output of {nb.name} names this machine's project folder"


@pytest.mark.parametrize("nb", NOTEBOOKS.values(), ids=lambda nb: nb.name)
def test_parameters_cell_matches_config(nb):
    config_cls, profiles = nb.load()
    cell = papermill.inspect_notebook(str(nb.path()))
    fields = {f.name for f in dataclasses.fields(config_cls)}
    assert "profile" in cell and set(cell) - {"profile"} <= fields
    assert "default" in profiles
    for name in profiles:  # every profile is valid, or fails at once naming the local data it needs
        try:
            resolve(config_cls, profiles, name)
        except ProfileError as err:
            assert "path" in str(err), f"profile {name!r} of {nb.name} is invalid: {err}"


def test_find():
    assert find("0") is find("00") is find("00_tour") is NOTEBOOKS["00"]
    with pytest.raises(UnknownNotebook, match=r"unknown notebook '99'; available: 00 \(00_tour\)"):
        find("99")
    with pytest.raises(UnknownNotebook, match="unknown notebook '00_wrong'"):
        find("00_wrong")
