"""Training text in the paper's MetaMathQA layout, "query : {question} response : {solution}"."""

from __future__ import annotations

import numpy as np

from ..lm.tasks import ANSWER_PREFIX, Example


def query_response(example: Example) -> str:
    """Re-lay a `reprolab.lm.tasks` word problem as the official code's training text; the
    worked solution ends like MetaMathQA's responses, "The answer is: N"."""
    question = example.prompt.removeprefix("Question: ").removesuffix("\nAnswer: ").strip()
    working, _, answer = example.completion.rpartition(ANSWER_PREFIX)
    response = " ".join(working.split()) + f" The answer is: {answer.strip()}"
    return f"query : {question} response : {response.strip()}"


def metamathqa_texts(path: str, limit: int | None = None) -> list[str]:
    """The real data (paper profile): MetaMathQA's `query`/`response` columns from a local file."""
    from ..lm.datasets_local import load_records

    records = load_records(path)
    missing = {"query", "response"} - set(records.column_names)
    if missing:
        raise KeyError(f"{path} lacks column(s) {sorted(missing)}; MetaMathQA has query and response")
    if limit is not None:
        records = records.select(range(min(limit, len(records))))
    return [f"query : {q} response : {r}" for q, r in zip(records["query"], records["response"])]


def split_held_out(texts: list[str], n_val: int = 1000, seed: int = 42) -> tuple[list[str], list[str]]:
    """The official split: `n_val` random rows (numpy seed 42) held out, the rest for training.
    Returns (train, validation), each in the original order."""
    if not 0 < n_val < len(texts):
        raise ValueError(f"n_val must be between 1 and {len(texts) - 1} for {len(texts)} rows, got {n_val}")
    held = set(np.random.default_rng(seed).choice(len(texts), n_val, replace=False).tolist())
    return [t for i, t in enumerate(texts) if i not in held], [t for i, t in enumerate(texts) if i in held]
