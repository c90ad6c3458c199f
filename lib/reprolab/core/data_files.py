"""Files the project ships in `data/`, each pinned by sha256 in `data/manifest.json` and checked on load."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .paths import project_root


def data_dir() -> Path:
    return project_root() / "data"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_file(name: str, check: bool = True) -> Path:
    """Path of `data/<name>`, after checking it exists and matches its manifest sha256."""
    path = data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"shipped data file data/{name} is missing")
    if check:
        manifest = json.loads((data_dir() / "manifest.json").read_text())
        entry = manifest.get(name)
        if entry is None:
            raise KeyError(f"data/{name} has no entry in data/manifest.json; add its source and sha256")
        if sha256(path) != entry["sha256"]:
            raise ValueError(f"data/{name} does not match its sha256 in data/manifest.json (edited or corrupted)")
    return path
