"""Training text in the paper's MetaMathQA layout, "query : {question} response : {solution}"."""

from __future__ import annotations

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
