"""Keep `environment.yml` on the same exact versions as the pip lock (`make lock` calls this).

`requirements-lock.txt` (from `pip freeze`) holds one `name==version` a line; `make setup` installs
with it as pip constraints. The conda environment lists the same pins in its pip section.
"""

from __future__ import annotations

import sys
from pathlib import Path

HEADER = """\
# Conda environment for reprolab: the same exact package versions `make setup` installs into .venv
# (written by `make lock` from requirements-lock.txt; do not edit the pins by hand).
#   conda env create -f environment.yml && conda activate reprolab
#   python -m ipykernel install --user --name reprolab && python -m reprolab.dispatch kernelspec
# On a machine without a CUDA GPU, install the CPU build of torch first
# (pip install torch==2.13.0 from PyTorch's CPU wheel index) so pip does not pull a CUDA build.
name: reprolab
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
      - -e .[dev]
"""


def read_pins(lock: Path) -> list[str]:
    """The `name==version` lines of a pip lock, comments and blanks dropped."""
    pins = [line.strip() for line in Path(lock).read_text().splitlines()]
    pins = [p for p in pins if p and not p.startswith("#")]
    bad = [p for p in pins if "==" not in p]
    if bad:
        raise ValueError(f"{lock}: every line must pin name==version, got {bad[:3]}")
    return pins


def environment_yml(pins: list[str]) -> str:
    """environment.yml text listing `pins` in its pip section."""
    return HEADER + "".join(f"      - {p}\n" for p in pins)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m reprolab.lockfile requirements-lock.txt environment.yml")
    lock, env = map(Path, sys.argv[1:])
    env.write_text(environment_yml(read_pins(lock)))
    print(f"{env}: {len(read_pins(lock))} pins from {lock}")
