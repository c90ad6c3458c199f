import json

import nbformat
import pytest

from reprolab import catalog, cli


def test_run_rejects_bad_value_before_running(capsys):
    assert cli.main(["run", "00", "-p", "steps", "banana"]) == 2
    err = capsys.readouterr().err
    assert "'steps' expects int, got 'banana'" in err and "Traceback" not in err


def test_run_rejects_unknown_notebook_parameter_and_profile(capsys):
    assert cli.main(["run", "99"]) == 2
    assert "unknown notebook '99'; available: 00" in capsys.readouterr().err
    assert cli.main(["run", "00", "-p", "stepz", "3"]) == 2
    assert "unknown parameter 'stepz' for notebook 00_tour; allowed: seed, steps" in capsys.readouterr().err
    assert cli.main(["run", "00", "--profile", "papr"]) == 2
    assert "unknown profile 'papr'; allowed: default, cpu_long, gpu" in capsys.readouterr().err
    assert cli.main(["run", "00", "-p", "profile", "gpu"]) == 2
    assert "choose the profile with --profile" in capsys.readouterr().err
    assert cli.main(["run", "00", "-p", "seed", "1", "-p", "seed", "2"]) == 2
    assert "given twice" in capsys.readouterr().err


def test_list(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "00" in out and "default, cpu_long, gpu" in out


PROBE = """\
from reprolab.core import ClaimTable, evidence, resolve
from reprolab.tour import PROFILES, TourConfig
cfg = resolve(TourConfig, PROFILES, profile, seed=seed, steps=steps)
claims = ClaimTable("99")
claims.claim("1", "steps were passed through", "steps equals 7", evidence.deterministic(cfg.steps == 7, metric="steps"))
claims.claim("2", "an honest failure", "always false", evidence.deterministic(False, metric="x"))
claims.check("3", "a check", "true", True)
claims.finish({"steps": cfg.steps}, cfg)
"""


def test_run_notebook_end_to_end(tmp_path, monkeypatch):
    """papermill run of a small probe notebook: parameters injected, metrics.json read back."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "default"\nseed = 0\nsteps = None')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(PROBE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "99_probe.ipynb")
    monkeypatch.setenv("REPROLAB_ROOT", str(tmp_path))
    probe = catalog.Notebook("99", "probe", "probe", None, "reprolab.tour:TourConfig", "reprolab.tour:PROFILES", 1.0)
    summary = cli.run_notebook(probe, "default", {"steps": 7})
    assert summary.error is None, summary.error
    assert summary.claims["paper_claims"] == {"reproduced": 1, "contradicted": 1, "inconclusive": 0,
                                              "not tested at this profile": 0}
    metrics = json.loads((summary.run_dir / "metrics.json").read_text())
    assert metrics["metrics"]["steps"] == 7 and (summary.run_dir / "99_probe.ipynb").is_file()
    assert metrics["environment"]["dispatch"]["pinned"] is True  # the default profile runs on the pinned dispatch
    table = cli.format_summary([summary])
    assert "99_probe" in table and " ok" in table and "1/1 pass" in table


def test_build_replaces_the_committed_notebook_only_on_success(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    source = tmp_path / "notebooks" / "99_probe.py"
    committed = tmp_path / "notebooks" / "99_probe.ipynb"
    committed.write_text("committed")
    monkeypatch.setenv("REPROLAB_ROOT", str(tmp_path))
    probe = catalog.Notebook("99", "probe", "probe", None, "reprolab.tour:TourConfig", "reprolab.tour:PROFILES", 1.0)
    source.write_text("# %%\nraise RuntimeError('broken on purpose')\n")
    with pytest.raises(cli.UsageError, match="broken on purpose.*unchanged"):
        cli.build_notebook(probe)
    assert committed.read_text() == "committed" and not probe.metrics_path().exists()
    source.write_text('# %% tags=["parameters"]\nprofile = "default"\nseed = 0\nsteps = None\n# %%\n' + PROBE)
    cli.build_notebook(probe)
    from reprolab.core import resolve
    from reprolab.tour import PROFILES, TourConfig

    assert json.loads(probe.metrics_path().read_text())["metrics"]["steps"] == resolve(TourConfig, PROFILES).steps
    assert "Paper claims of 99" in committed.read_text()


def test_parse_params():
    assert cli.parse_params([["steps", "10"], ["lr", "1e-3"], ["device", "cpu"]]) == {"steps": 10, "lr": 1e-3, "device": "cpu"}
    with pytest.raises(cli.UsageError, match="given twice"):
        cli.parse_params([["a", "1"], ["a", "2"]])


def test_strip_run_metadata(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    nb.cells[0].metadata["papermill"] = {"start_time": "t0", "end_time": "t1", "duration": 0.5, "status": "completed"}
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "t"}
    nb.metadata["papermill"] = {"input_path": "/somewhere/in.ipynb", "output_path": "/x.ipynb", "parameters": {}}
    nbformat.write(nb, tmp_path / "n.ipynb")
    cli.strip_run_metadata(tmp_path / "n.ipynb")
    out = nbformat.read(tmp_path / "n.ipynb", as_version=4)
    assert out.metadata["papermill"] == {"parameters": {}}
    assert out.cells[0].metadata == {"papermill": {"duration": 0.5}}
