"""Real benchmark data shipped in `data/` (BIG-bench task files, GSM8K test) in the task/scorer interface of the
generated tasks: `Example`s scored by exact match of the `#### answer` line, and multiple-choice `ChoiceItem`s
scored by log-likelihood.

Splits are deterministic: an item is in `test` when the first 8 hex digits of sha256 of its input, read as an
integer, are divisible by 5 (about 20 %), else in `train`; a task with its own split (GSM8K test) has only `test`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import torch

from ..core.data_files import data_file
from .tasks import ANSWER_PREFIX, Example

Split = Literal["train", "test"]
ARITHMETIC = {"2_digit_addition": "bigbench/arithmetic_2_digit_addition.json",
              "2_digit_subtraction": "bigbench/arithmetic_2_digit_subtraction.json"}
CHOICE_TASKS = {"general_knowledge": "bigbench/general_knowledge.json",
                "subject_verb_agreement": "bigbench/subject_verb_agreement_linzen2016_english.json"}
QA_PROMPT = "Question: {question}\nAnswer: "


@dataclass(frozen=True)
class ChoiceItem:
    """One multiple-choice item: the model scores `prompt + option` for every option; `correct` indexes the answer."""

    prompt: str
    options: tuple[str, ...]
    correct: int
    task: str


def split_of(text: str) -> Split:
    """'test' for about one item in five, chosen by a hash of the text (stable across machines), else 'train'."""
    return "test" if int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 5 == 0 else "train"


def _check(name: str, allowed: dict) -> str:
    if name not in allowed:
        raise ValueError(f"unknown task {name!r}; allowed: {', '.join(allowed)}")
    return allowed[name]


def _check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}; allowed: train, test")


def bigbench_task(file: str) -> dict:
    """A shipped BIG-bench task file (checked against its sha256)."""
    return json.loads(data_file(file).read_text())


def arithmetic_examples(tasks: Sequence[str] = tuple(ARITHMETIC), split: Split = "train") -> list[Example]:
    """BIG-bench arithmetic items ("What is 80 plus 29?") as question/answer `Example`s with the answer line."""
    _check_split(split)
    out = []
    for task in tasks:
        for item in bigbench_task(_check(task, ARITHMETIC))["examples"]:
            if split_of(item["input"]) == split:
                answer = str(item["target"]).strip()
                out.append(Example(QA_PROMPT.format(question=item["input"]), f"{ANSWER_PREFIX}{answer}\n", answer, task))
    return out


def choice_items(tasks: Sequence[str] = tuple(CHOICE_TASKS), split: Split | None = None) -> list[ChoiceItem]:
    """BIG-bench multiple-choice items (None: both splits, for tasks used only to measure what a model knows):
    general knowledge as "Question: ...\\nAnswer:" with the options as answers; subject-verb agreement as a
    sentence start with its two continuations (the grammatical one is correct)."""
    if split is not None:
        _check_split(split)
    out = []
    for task in tasks:
        for item in bigbench_task(_check(task, CHOICE_TASKS))["examples"]:
            if split is not None and split_of(item["input"]) != split:
                continue
            options, correct = _scored_options(item)
            if task == "general_knowledge":
                out.append(ChoiceItem(QA_PROMPT.format(question=item["input"]).rstrip(" "), tuple(" " + o for o in options),
                                      correct, task))
            else:
                out.append(ChoiceItem(item["input"].rstrip(" "), tuple(" " + o for o in options), correct, task))
    return out


def _scored_options(item: dict) -> tuple[tuple[str, ...], int]:
    """A BIG-bench item's choices (its `target_scores` keys, in file order) and the index of the best-scored one."""
    options = tuple(item["target_scores"])
    return options, int(np.argmax([item["target_scores"][o] for o in options]))


def arithmetic_choice_items(tasks: Sequence[str] = tuple(ARITHMETIC), split: Split = "train") -> list[ChoiceItem]:
    """BIG-bench arithmetic as multiple choice over each item's own `target_scores` (the answer, wrong numbers and
    two words: seven choices for most items, five or six where the file repeats a distractor), prompted "Question: What is 80 plus 29?\nAnswer:" with the choices as answers."""
    _check_split(split)
    out = []
    for task in tasks:
        for item in bigbench_task(_check(task, ARITHMETIC))["examples"]:
            if split_of(item["input"]) == split:
                options, correct = _scored_options(item)
                out.append(ChoiceItem(QA_PROMPT.format(question=item["input"]).rstrip(" "),
                                      tuple(" " + o for o in options), correct, "arithmetic"))
    return out


def gsm8k_examples(limit: int | None = None) -> list[Example]:
    """The GSM8K test set (1,319 items) as `Example`s whose completion is the worked solution ending `#### answer`."""
    rows = [json.loads(line) for line in data_file("gsm8k/test.jsonl").read_text().splitlines() if line.strip()]
    out = []
    for r in rows[:limit]:
        answer = r["answer"].split("####")[-1].strip().replace(",", "")
        solution = r["answer"].rsplit("####", 1)[0].rstrip()
        out.append(Example(QA_PROMPT.format(question=r["question"]), f"{solution}\n{ANSWER_PREFIX}{answer}\n", answer, "gsm8k"))
    return out


@torch.no_grad()
def option_log_likelihoods(model: torch.nn.Module, tokenizer, items: Sequence[ChoiceItem],
                           batch_size: int = 32) -> list[np.ndarray]:
    """Per item, the summed log-probability (nats) of each option's tokens after its prompt: a list of (n_options,)
    float64 arrays. All (item, option) sequences are sorted by length (little padding), right-padded and scored in
    batches."""
    prompts = tokenizer([it.prompt for it in items], add_special_tokens=False)["input_ids"]
    pairs = [(i, len(prompts[i]), prompts[i] + tokenizer(o, add_special_tokens=False)["input_ids"])
             for i, it in enumerate(items) for o in it.options]
    order = sorted(range(len(pairs)), key=lambda j: len(pairs[j][2]))
    pairs = [pairs[j] for j in order]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    scores = []
    try:
        for b in range(0, len(pairs), batch_size):
            chunk = pairs[b:b + batch_size]
            length = max(len(s) for _, _, s in chunk)
            ids = torch.full((len(chunk), length), tokenizer.pad_token_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            scored = torch.zeros((len(chunk), length), dtype=torch.bool)  # positions whose token belongs to an option
            for row, (_, start, seq) in enumerate(chunk):
                ids[row, :len(seq)] = torch.tensor(seq)
                mask[row, :len(seq)] = 1
                scored[row, start:len(seq)] = True
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, :-1].float()  # (B, T-1, V)
            token_lp = logits.log_softmax(-1).gather(-1, ids[:, 1:, None].to(device))[..., 0]  # (B, T-1)
            scores.append((token_lp * scored[:, 1:].to(device)).sum(1).double().cpu())
    finally:
        model.train(was_training)
    flat = np.zeros(len(pairs))
    flat[order] = torch.cat(scores).numpy() if scores else np.zeros(0)
    out, k = [], 0
    for it in items:
        out.append(flat[k:k + len(it.options)])
        k += len(it.options)
    return out


def choice_accuracy(model: torch.nn.Module, tokenizer, items: Sequence[ChoiceItem], batch_size: int = 32) -> np.ndarray:
    """(N,) float 0/1: is the highest-likelihood option the correct one (BIG-bench's multiple_choice_grade)."""
    lls = option_log_likelihoods(model, tokenizer, items, batch_size)
    return np.array([float(int(np.argmax(s)) == it.correct) for s, it in zip(lls, items)])


def chance_accuracy(items: Sequence[ChoiceItem]) -> float:
    """Expected accuracy of a uniform random choice over each item's options."""
    return float(np.mean([1 / len(it.options) for it in items]))
