"""Progress bars for the long loops (training, search, sampling, synthesis, evaluation, conversion).

`progress_bar` takes tqdm's arguments and returns, by `REPROLAB_PROGRESS`:
- "auto" (the default): `tqdm.auto`, a widget in JupyterLab and a text bar in a terminal;
- "final": no bar while the loop runs, one line when it closes ("train: 250/250 in 00:41"), what the executed
  notebooks keep and CI logs show (`reprolab build`, `make nbval` and `make evidence` set it);
- "off": nothing at all.
"""

from __future__ import annotations

import io
import os
import sys

from tqdm import tqdm as _text_tqdm
from tqdm.auto import tqdm as _auto_tqdm

MODES = ("auto", "final", "off")
ENV = "REPROLAB_PROGRESS"


class _FinalLine(_text_tqdm):
    """tqdm that counts and times as usual but draws nothing, then prints one summary line to stderr on close."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["file"] = io.StringIO()
        super().__init__(*args, **kwargs)
        self._summarised = False

    def close(self) -> None:
        if not self.disable and not self._summarised:
            self._summarised = True
            total = f"/{self.total}" if self.total else ""
            elapsed = self.format_interval(self.format_dict["elapsed"])
            print(f"{self.desc or 'progress'}: {self.n}{total} in {elapsed}", file=sys.stderr)
        super().close()


def progress_mode() -> str:
    """The mode `REPROLAB_PROGRESS` asks for ("auto" when unset); an unknown value is named with the allowed ones."""
    mode = os.environ.get(ENV, "auto")
    if mode not in MODES:
        raise ValueError(f"{ENV}={mode!r} is not a progress mode; allowed: {', '.join(MODES)}")
    return mode


def progress_bar(*args, **kwargs) -> _text_tqdm:
    """A tqdm bar (tqdm's arguments: iterable, desc, total, disable, mininterval, ...) drawn as `REPROLAB_PROGRESS`
    says."""
    mode = progress_mode()
    if mode == "off":
        kwargs["disable"] = True
    return _FinalLine(*args, **kwargs) if mode == "final" else _auto_tqdm(*args, **kwargs)
