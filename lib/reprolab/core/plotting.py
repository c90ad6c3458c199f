"""One figure style for every notebook, and `save_figure` to `figures/<nb>/<name>.png`."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

from .paths import figures_dir, project_root

SLUG = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


class FigurePath(type(Path())):
    """Where a figure was saved; as a notebook cell's last value it shows nothing (the figure is the output)."""

    def _ipython_display_(self) -> None:
        pass

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
}


def use_style() -> None:
    """Apply the project's matplotlib style (normal dpi, light grid, no top/right spines)."""
    matplotlib.rcParams.update(STYLE)


def save_figure(paper: str, name: str, fig=None) -> FigurePath:
    """Save `fig` (default: the current figure) as `<figures_dir(paper)>/<name>.png`; returns that path
    relative to the project root (so notebook outputs name no machine's folders) where it lies inside it.

    `name` is a stable slug for what the figure shows (`loss_curves`, `omega_m_per_bin`),
    lower-case words joined by underscores. PNG metadata is stripped so reruns give stable files.
    """
    import matplotlib.pyplot as plt

    if not isinstance(name, str) or not SLUG.match(name):
        raise ValueError(f"figure name must be a slug of lower-case words joined by '_', got {name!r}")
    fig = fig if fig is not None else plt.gcf()
    path = figures_dir(paper) / f"{name}.png"
    fig.savefig(path, metadata={"Software": None})
    return FigurePath(path.relative_to(project_root()) if path.is_relative_to(project_root()) else path)
