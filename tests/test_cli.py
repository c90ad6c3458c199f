import json
import os

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
    probe = catalog.Notebook("99", "probe", "probe", None, "reprolab.tour:TourConfig", "reprolab.tour:PROFILES")
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
    probe = catalog.Notebook("99", "probe", "probe", None, "reprolab.tour:TourConfig", "reprolab.tour:PROFILES")
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
    nb.cells = [nbformat.v4.new_code_cell("1"), nbformat.v4.new_markdown_cell("text")]
    nb.cells[0].metadata["papermill"] = {"start_time": "t0", "end_time": "t1", "duration": 0.5, "status": "completed"}
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "t"}
    nb.metadata["papermill"] = {"input_path": "/somewhere/in.ipynb", "output_path": "/x.ipynb", "parameters": {}}
    nbformat.write(nb, tmp_path / "n.ipynb")
    cli.strip_run_metadata(tmp_path / "n.ipynb", {"profile": "default"})
    out = nbformat.read(tmp_path / "n.ipynb", as_version=4)
    assert out.metadata["papermill"] == {"parameters": {}}
    assert out.metadata["reprolab"] == {"profile": "default", "cell_seconds": [0.5]}
    assert out.cells[0].metadata == {"tags": ["parameters"]} and out.cells[1].metadata == {}


def test_non_finite_values_are_refused_at_once(capsys):
    for text in ("NaN", "Infinity", "-Infinity", "1e400", "[1, NaN]"):
        with pytest.raises(cli.UsageError, match="not a finite number"):
            cli.parse_params([["lr", text]])
    from reprolab.core import ProfileError, resolve
    from reprolab.tour import PROFILES, TourConfig

    with pytest.raises(ProfileError, match="'lr' must be a finite number"):
        resolve(TourConfig, PROFILES, lr=float("nan"))
    assert cli.main(["run", "00", "-p", "lr", "NaN"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a finite number" in err and "Traceback" not in err


def test_run_all_skips_notebooks_without_the_profile(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(cli, "check_parameters", lambda nb, profile, params, sets=None: None)
    monkeypatch.setattr(cli, "run_notebook", lambda nb, profile, params, dispatch=None, sets=None, resume=False: ran.append(nb.id) or
                        cli.RunSummary(nb.name, 0.0, {}, cli.Path("runs") / nb.id / "x"))
    assert cli.main(["run-all", "--profile", "lambda_6pi"]) == 0
    assert ran == ["09"]
    err = capsys.readouterr().err
    assert "00_tour: skipped, it has no profile 'lambda_6pi'" in err
    assert cli.main(["run-all", "--profile", "nope"]) == 2
    assert "no notebook has a profile 'nope'" in capsys.readouterr().err


def test_unknown_notebook_is_one_line_but_internal_key_errors_are_not_hidden(monkeypatch, capsys):
    assert cli.main(["run", "99"]) == 2 and "unknown notebook '99'" in capsys.readouterr().err

    def broken(*_):
        raise KeyError("internal")

    monkeypatch.setattr(cli, "command_list", broken)
    with pytest.raises(KeyError, match="internal"):
        cli.main(["list"])


@pytest.mark.parametrize("nb", list(catalog.NOTEBOOKS.values()), ids=lambda nb: nb.name)
def test_cli_parameters_equal_the_parameters_cell(nb):
    """papermill's view of the committed notebook's parameters (what `reprolab run` accepts) is every name the
    .py parameters cell assigns: a comment that breaks papermill's parser would make a knob vanish."""
    import ast

    import papermill

    source = nb.source().read_text()
    cell = source.split('tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    names = [t.id for node in ast.parse(cell).body if isinstance(node, ast.Assign) for t in node.targets]
    assert list(papermill.inspect_notebook(str(nb.path()))) == names


def test_figures_of_other_profiles_go_to_the_run_folder(tmp_path, monkeypatch):
    from reprolab.core import paths

    monkeypatch.setenv("REPROLAB_ROOT", str(tmp_path))
    with cli.kernel_environment(True, tmp_path / "run", figures_in_run=True):
        assert paths.figures_dir("03") == tmp_path / "run" / "figures" / "03"
    with cli.kernel_environment(True, tmp_path / "run"):
        assert paths.figures_dir("03") == tmp_path / "figures" / "03"


def test_relative_path_parameters_resolve_against_the_callers_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.json").write_text("[]")
    out = cli.absolute_paths({"metamathqa_path": "data/x.json", "tokenizer_path": "t5-base", "steps": 3,
                              "candidate_paths": ["data", "missing"], "image_root": "/abs"}, cwd=tmp_path)
    assert out["metamathqa_path"] == str(tmp_path / "data" / "x.json")
    assert out["tokenizer_path"] == "t5-base" and out["steps"] == 3 and out["image_root"] == "/abs"
    assert out["candidate_paths"] == [str(tmp_path / "data"), "missing"]


def test_build_of_an_unknown_profile_fails_before_any_work(capsys):
    assert cli.main(["build", "05", "--profile", "no_such_profile"]) == 2
    assert "05_lift has no profile 'no_such_profile'; its profiles: default, cpu_long, smollm2, paper" in capsys.readouterr().err


def test_out_of_range_values_are_one_line_errors_before_any_work(capsys):
    assert cli.main(["run", "06", "-p", "sparsity", "1.0"]) == 2
    assert capsys.readouterr().err.strip() == "reprolab: error: notebook 06_seft: parameter 'sparsity' got 1.0; allowed: [0,1)"


def test_run_help_lists_every_field_with_its_range_and_profile_values(capsys):
    assert cli.main(["run", "06", "--help"]) == 0
    out = capsys.readouterr().out
    assert "parameters (-p): seed, n_seeds, sparsity" in out
    header = next(line for line in out.splitlines() if line.startswith("name "))
    assert header.split() == ["name", "type", "default", "range", "default", "cpu_long", "smollm2", "paper"]
    row = next(line for line in out.splitlines() if line.startswith("sparsity "))
    assert row.split()[:4] == ["sparsity", "float", "0.7", "[0,1)"] and row.split()[-2:] == ["0.5", "0.7"]
    assert cli.main(["run", "77", "--help"]) == 2


def test_run_all_summary_survives_failures_interrupts_and_sigterm(monkeypatch, capsys):
    import os
    import signal

    monkeypatch.setattr(cli, "check_parameters", lambda nb, profile, params, sets=None: None)
    calls = []

    def fake_run(nb, profile, params, dispatch=None, sets=None, resume=False):
        calls.append(nb.id)
        if nb.id == "01":
            return cli.RunSummary(nb.name, 1.0, {}, cli.Path("runs") / nb.id / "x", "ValueError: boom", "failed")
        if nb.id == "02":
            os.kill(os.getpid(), signal.SIGTERM)  # as a scheduler or `kill` would stop the whole run
        return cli.RunSummary(nb.name, 1.0, {}, cli.Path("runs") / nb.id / "x")

    monkeypatch.setattr(cli, "run_notebook", fake_run)
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["run-all", "--profile", "default"]) == 130
    assert calls == ["00", "01", "02"] and signal.getsignal(signal.SIGTERM) == before
    out = capsys.readouterr().out
    status = {line.split()[0]: line.rsplit("  ", 1)[-1] for line in out.splitlines()[1:] if line[:2].isdigit()}
    assert status["00_tour"] == "ok" and status["01_layer_merge"] == "FAILED ValueError: boom"
    assert status["02_chain_of_experts"] == "interrupted" and status["10_desi_bao"] == "not run"


def probe_project(tmp_path, monkeypatch) -> catalog.Notebook:
    """A project root in tmp_path holding one notebook, 99_probe, whose parameters cell has seed and steps."""
    monkeypatch.setenv("REPROLAB_ROOT", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "default"\nseed = 0\nsteps = None')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "99_probe.ipynb")
    return catalog.Notebook("99", "probe", "probe", None, "reprolab.tour:TourConfig", "reprolab.tour:PROFILES")


def test_dead_kernel_is_a_failed_row_not_a_traceback(tmp_path, monkeypatch):
    import papermill
    from nbclient.exceptions import DeadKernelError

    probe = probe_project(tmp_path, monkeypatch)

    def die(*args, **kwargs):
        raise DeadKernelError("Kernel died")

    monkeypatch.setattr(papermill, "execute_notebook", die)
    summary = cli.run_notebook(probe, "default", {})
    assert summary.state == "failed" and "the kernel died" in summary.error and str(summary.run_dir) in summary.error
    from jupyter_client.kernelspec import NoSuchKernel

    def no_kernel(*args, **kwargs):
        raise NoSuchKernel("reprolab")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    summary = cli.run_notebook(probe, "default", {})
    assert summary.state == "failed" and "no Jupyter kernel named 'reprolab'" in summary.error


def test_set_reaches_any_field_and_null_means_none(monkeypatch, capsys):
    """`-p threads null` sets None (it used to keep the profile's 2); `--set` reaches fields outside the parameters
    cell; bad names and values fail before anything runs."""
    import papermill

    from reprolab.core.profiles import OVERRIDES_ENV

    seen = []

    def fake_execute(*args, **kwargs):
        seen.append(os.environ.get(OVERRIDES_ENV))
        raise papermill.PapermillExecutionError(0, 1, "stop", "Stop", "", [])

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    monkeypatch.delenv(OVERRIDES_ENV, raising=False)
    assert cli.main(["run", "05", "-p", "steps", "30", "-p", "threads", "null", "--set", "budget_rank", "8"]) == 1
    assert json.loads(seen[-1]) == {"budget_rank": 8, "threads": None}
    assert OVERRIDES_ENV not in os.environ  # the caller's environment is restored
    from reprolab.core import resolve
    from reprolab.lift import PROFILES, LiftConfig

    monkeypatch.setenv(OVERRIDES_ENV, seen[-1])
    cfg = resolve(LiftConfig, PROFILES, "default", steps=30)
    assert cfg.threads is None and cfg.budget_rank == 8 and cfg.steps == 30
    monkeypatch.delenv(OVERRIDES_ENV)
    capsys.readouterr()
    for argv, message in ((["run", "05", "--set", "no_such_field", "1"], "not a field of LiftConfig"),
                          (["run", "05", "--set", "lr_full", "-1"], "lr_full"),
                          (["run", "05", "--set", "steps", "null"], "steps"),
                          (["run", "05", "-p", "steps", "30", "--set", "steps", "40"], "both with -p and --set")):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert len(seen) == 1  # nothing ran for the bad ones


def test_resume_runs_again_in_the_newest_run_folder(tmp_path, monkeypatch, capsys):
    """`-p resume true` reuses the newest run folder of that notebook and profile and tells the kernel to resume; with
    no earlier run, or a value other than true / false, it fails in one line before anything runs."""
    import papermill

    from reprolab.core.paths import RESUME_ENV

    probe = probe_project(tmp_path, monkeypatch)
    seen = []
    monkeypatch.setattr(papermill, "execute_notebook",
                        lambda *a, **k: seen.append((os.environ["REPROLAB_RUN_DIR"], os.environ.get(RESUME_ENV))))
    with pytest.raises(cli.UsageError, match="no earlier run with profile 'default'"):
        cli.run_notebook(probe, "default", {}, resume=True)
    first = cli.run_notebook(probe, "default", {})
    second = cli.run_notebook(probe, "default", {})  # same second: the folder gets a -1 suffix and is the newest
    (tmp_path / "runs" / "99" / "20990101T000000Z-cpu_long").mkdir()  # another profile's run is never picked
    resumed = cli.run_notebook(probe, "default", {}, resume=True)
    assert resumed.run_dir == second.run_dir != first.run_dir
    assert seen == [(str(first.run_dir), None), (str(second.run_dir), None), (str(second.run_dir), "1")]
    assert cli.main(["run", "00", "-p", "resume", "yes"]) == 2
    err = capsys.readouterr().err
    assert "-p resume takes true or false, got 'yes'" in err and err.count("\n") == 1


def test_source_hash_follows_the_cells_not_the_jupytext_header(tmp_path):
    """Evidence goes stale when a cell's code, text or tags change, not when jupytext's header does."""
    class Source:
        def __init__(self, text: str) -> None:
            self.path = tmp_path / f"n{abs(hash(text))}.py"
            self.path.write_text(text)

        def source(self):
            return self.path

    body = "# %% [markdown]\n# text\n#\n# more\n\n# %% tags=[\"parameters\"]\nx = 1\n"
    header = "# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n#       jupytext_version: 1.19.6\n# ---\n\n"
    h = cli.source_sha256(Source(header + body))
    assert cli.source_sha256(Source(header.replace("1.19.6", "1.20.0") + body)) == h
    assert cli.source_sha256(Source(header + body.replace("x = 1", "x = 2"))) != h
    assert cli.source_sha256(Source(header + body.replace('tags=["parameters"]', ""))) != h
