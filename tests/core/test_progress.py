import pytest
from tqdm.auto import tqdm as auto_tqdm

from reprolab.core.progress import progress_bar


def test_final_mode_prints_one_line_per_loop_and_nothing_while_it_runs(monkeypatch, capsys):
    monkeypatch.setenv("REPROLAB_PROGRESS", "final")
    assert sum(progress_bar(range(1000), desc="train", mininterval=0)) == 499500
    with progress_bar(total=3, desc="search") as bar:
        bar.update(2)
    assert capsys.readouterr().err.splitlines() == ["train: 1000/1000 in 00:00", "search: 2/3 in 00:00"]


def test_auto_mode_is_tqdm_auto_and_off_and_disabled_bars_stay_silent(monkeypatch, capsys):
    monkeypatch.delenv("REPROLAB_PROGRESS", raising=False)
    assert isinstance(progress_bar(range(2), disable=True), auto_tqdm)
    monkeypatch.setenv("REPROLAB_PROGRESS", "final")
    list(progress_bar(range(5), desc="quiet", disable=True))
    monkeypatch.setenv("REPROLAB_PROGRESS", "off")
    list(progress_bar(range(5), desc="off"))
    assert capsys.readouterr().err == ""


def test_an_unknown_mode_is_named_with_the_allowed_ones(monkeypatch):
    monkeypatch.setenv("REPROLAB_PROGRESS", "loud")
    with pytest.raises(ValueError, match="REPROLAB_PROGRESS='loud' is not a progress mode; allowed: auto, final, off"):
        progress_bar(range(2))
