import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from reprolab.core import paths  # noqa: E402
from reprolab.core.plotting import save_figure, use_style  # noqa: E402


def test_save_figure_writes_png_under_figures(project):
    use_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = save_figure("00", "loss_curves", fig)
    assert str(path) == "figures/00/loss_curves.png"
    assert (project / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(fig)


@pytest.mark.parametrize("name", ["Loss Curves", "fig-1", "", "a__b"])
def test_save_figure_rejects_bad_names(project, name):
    with pytest.raises(ValueError, match="slug"):
        save_figure("00", name)


def test_run_dir_is_stable_and_respects_env(project, monkeypatch):
    first = paths.run_dir("03")
    assert first == paths.run_dir("03") and first.parent == project / "runs" / "03"
    monkeypatch.setattr(paths, "_RUN_DIRS", {})
    monkeypatch.setenv("REPROLAB_RUN_DIR", str(project / "chosen"))
    assert paths.run_dir("03") == project / "chosen" and (project / "chosen").is_dir()


def test_project_root_walks_up(tmp_path, monkeypatch):
    monkeypatch.delenv("REPROLAB_ROOT", raising=False)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert paths.project_root() == tmp_path


def test_cache_dir_is_shared_by_runs(project):
    assert paths.cache_dir("01") == project / "runs" / "01" / "cache" and paths.cache_dir("01").is_dir()
    with pytest.raises(ValueError, match="two digits"):
        paths.cache_dir("1")


def test_run_folders_started_in_the_same_second_are_distinct(tmp_path):
    from reprolab.core.paths import new_run_folder

    first, second = new_run_folder(tmp_path, "default"), new_run_folder(tmp_path, "default")
    assert first != second and first.is_dir() and second.is_dir() and first.name.endswith("-default")
