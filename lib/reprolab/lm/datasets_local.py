"""Real datasets from local copies (no hub access): a `save_to_disk` folder or a data file.

The `paper` profiles point these at downloaded copies (C4 shards, MetaMathQA, ...); the default
profiles never call them. Formats: a folder written by `datasets.Dataset.save_to_disk`, or one
file ending in .jsonl, .json, .csv, .parquet or .txt (one row per line).
"""

from __future__ import annotations

import re
from pathlib import Path

from .tasks import ANSWER_PREFIX, Example

ALPACA = ("Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
          "### Instruction:\n{instruction}\n\n### Response:\n")
FILE_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".txt": "text"}


def load_records(path: str | Path, split: str = "train"):
    """A `datasets.Dataset` from a local folder or file; a missing path or unknown format is an error.

    For a `DatasetDict` folder, `split` picks the split.
    """
    import datasets

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"dataset path {str(path)!r} does not exist (no download is attempted)")
    if path.is_dir():
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise KeyError(f"split {split!r} not in {str(path)!r}; available: {', '.join(loaded)}")
            return loaded[split]
        return loaded
    builder = FILE_BUILDERS.get(path.suffix)
    if builder is None:
        raise ValueError(f"unsupported data file {path.name!r}; allowed endings: {', '.join(FILE_BUILDERS)}")
    return datasets.load_dataset(builder, data_files=str(path), split="train")


def load_texts(path: str | Path, column: str = "text", limit: int | None = None, split: str = "train") -> list[str]:
    """The strings of one column of a local dataset (the first `limit` rows; None: all)."""
    records = load_records(path, split)
    if column not in records.column_names:
        raise KeyError(f"column {column!r} not in {str(path)!r}; columns: {', '.join(records.column_names)}")
    if limit is not None:
        records = records.select(range(min(limit, len(records))))
    return [str(t) for t in records[column]]


def instruction_examples(path: str, limit: int | None = None) -> list[Example]:
    """LLM-Adapters style records (instruction, input, output[, answer]) as Alpaca-prompted examples.

    The scored answer is the `answer` field, else the last number of the output (the paper's extraction).
    """
    records = load_records(path)
    out = []
    for r in records.select(range(min(limit or len(records), len(records)))):
        instruction = r["instruction"] + (f"\n{r['input']}" if r.get("input") else "")
        numbers = re.findall(r"-?\d+(?:\.\d+)?", str(r["output"]).replace(",", ""))
        answer = str(r.get("answer") or (numbers[-1] if numbers else "")).strip()
        out.append(Example(ALPACA.format(instruction=instruction), f"{r['output']}\n{ANSWER_PREFIX}{answer}\n", answer, "instruction"))
    return out
