"""Procedurally generated tasks with exact-match scoring, and held-out templates for validation.

Every example is a prompt and a completion; the completion ends with the answer line
`#### <answer>` (the GSM8K convention), which `extract_answer` reads back from generated text.

Tasks (the `TASKS` registry):
- `arithmetic`: multi-step word problems with worked solutions (GSM8K-like);
- `add`: two-number addition, answer only;
- `sort`, `reverse`: a list of small numbers sorted or reversed;
- `facts`: attribute look-up in a generated world whose facts `world_text` states in prose.

Training and validation use disjoint phrasings (templates) and independent random draws, so
validation measures the skill, not memorised wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

ANSWER_PREFIX = "#### "
SPLITS = ("train", "validation")


@dataclass(frozen=True)
class Example:
    """One task instance: the model sees `prompt` and should write `completion`; `answer` is scored."""

    prompt: str
    completion: str
    answer: str
    task: str

    @property
    def text(self) -> str:
        """Prompt and completion together (what a model is trained on)."""
        return self.prompt + self.completion


def extract_answer(text: str) -> str | None:
    """The answer after the first `#### ` in `text`, up to the end of that line; None if absent."""
    match = re.search(r"####[ \t]*([^\n]*)", text)
    return match.group(1).strip() if match else None


def exact_match(predictions: list[str], examples: list[Example]) -> np.ndarray:
    """(N,) bool: does the answer extracted from each generated text equal the example's answer."""
    if len(predictions) != len(examples):
        raise ValueError(f"got {len(predictions)} predictions for {len(examples)} examples")
    return np.array([extract_answer(p) == ex.answer for p, ex in zip(predictions, examples)], dtype=bool)


# --- arithmetic word problems -------------------------------------------------------------

NAMES = {"train": ["Tom", "Ann", "Sam", "Lily", "Ben", "Mia"], "validation": ["Zoe", "Max", "Ivy"]}
ITEMS = {"train": ["apples", "coins", "books", "shells"], "validation": ["stamps", "marbles"]}
STEP_PHRASES = {  # (operation, phrase with {n})
    "train": [("+", "buys {n} more"), ("+", "finds {n} more"), ("-", "gives away {n}"), ("-", "loses {n}"),
              ("*", "ends up with {n} times as many")],
    "validation": [("+", "is given {n} more"), ("-", "sells {n}"), ("*", "multiplies them by {n}")],
}
QUESTION = {"train": "How many {item} does {name} have now?", "validation": "What is the number of {item} {name} has at the end?"}


def arithmetic_example(rng: np.random.Generator, split: str, n_steps: int = 2, max_value: int = 20) -> Example:
    """A word problem with `n_steps` operations on a starting count; values stay in [0, 10*max_value]."""
    name, item = rng.choice(NAMES[split]), rng.choice(ITEMS[split])
    value = int(rng.integers(1, max_value + 1))
    sentences = [f"{name} has {value} {item}."]
    working = []
    for _ in range(n_steps):
        op, phrase = STEP_PHRASES[split][rng.integers(len(STEP_PHRASES[split]))]
        if op == "*" and value * 2 > 10 * max_value:
            op, phrase = next((o, p) for o, p in STEP_PHRASES[split] if o == "-")
        if op == "+":
            n = int(rng.integers(1, max_value + 1))
            new = value + n
        elif op == "-":
            n = int(rng.integers(0, value + 1))
            new = value - n
        else:
            n = int(rng.integers(2, max(3, min(5, 10 * max_value // max(value, 1)) + 1)))
            new = value * n
        sentences.append(f"Then {name} {phrase.format(n=n)}.")
        working.append(f"{value} {op} {n} = {new}.")
        value = new
    question = QUESTION[split].format(item=item, name=name)
    prompt = "Question: " + " ".join(sentences) + " " + question + "\nAnswer: "
    return Example(prompt, " ".join(working) + f"\n{ANSWER_PREFIX}{value}\n", str(value), "arithmetic")


# --- short skills ------------------------------------------------------------------------

SKILL_PROMPTS = {
    "add": {"train": "Add: {a} + {b}\nAnswer: ", "validation": "What is {a} plus {b}?\nAnswer: "},
    "sort": {"train": "Sort ascending: {xs}\nAnswer: ", "validation": "Put in increasing order: {xs}\nAnswer: "},
    "reverse": {"train": "Reverse the list: {xs}\nAnswer: ", "validation": "Write backwards: {xs}\nAnswer: "},
}


def add_example(rng: np.random.Generator, split: str, max_value: int = 50) -> Example:
    """a + b with a, b uniform in [0, max_value]."""
    a, b = (int(v) for v in rng.integers(0, max_value + 1, size=2))
    prompt = SKILL_PROMPTS["add"][split].format(a=a, b=b)
    return Example(prompt, f"{ANSWER_PREFIX}{a + b}\n", str(a + b), "add")


def _list_example(task: str, rng: np.random.Generator, split: str, length: int = 5) -> Example:
    xs = [int(v) for v in rng.integers(0, 10, size=length)]
    target = sorted(xs) if task == "sort" else xs[::-1]
    answer = " ".join(map(str, target))
    prompt = SKILL_PROMPTS[task][split].format(xs=" ".join(map(str, xs)))
    return Example(prompt, f"{ANSWER_PREFIX}{answer}\n", answer, task)


def sort_example(rng: np.random.Generator, split: str, length: int = 5) -> Example:
    """Sort `length` digits ascending."""
    return _list_example("sort", rng, split, length)


def reverse_example(rng: np.random.Generator, split: str, length: int = 5) -> Example:
    """Reverse a list of `length` digits."""
    return _list_example("reverse", rng, split, length)


# --- facts in a generated world ------------------------------------------------------------

SYLLABLES = ["ka", "lo", "mi", "ren", "su", "ta", "vo", "zel", "dor", "pi", "quo", "ba"]
ATTRIBUTES = {"city": "lives in", "colour": "likes the colour", "pet": "keeps a pet"}
ATTRIBUTE_VALUES = {
    "city": ["Arden", "Brill", "Corvo", "Dunmere", "Eskar", "Fallow"],
    "colour": ["red", "blue", "green", "amber", "violet"],
    "pet": ["cat", "owl", "goat", "newt"],
}
FACT_QUESTIONS = {
    "train": {"city": "Where does {p} live?", "colour": "Which colour does {p} like?", "pet": "What pet does {p} keep?"},
    "validation": {"city": "In which town is {p}'s home?", "colour": "What is {p}'s favourite colour?",
                   "pet": "Which animal does {p} own?"},
}


def make_world(n_people: int = 40, seed: int = 0) -> dict[str, dict[str, str]]:
    """Person name -> attribute -> value; names are unique generated words, fixed by `seed`."""
    rng = np.random.default_rng(seed)
    people: dict[str, dict[str, str]] = {}
    while len(people) < n_people:
        name = "".join(rng.choice(SYLLABLES, size=2)).capitalize()
        people.setdefault(name, {a: str(rng.choice(v)) for a, v in ATTRIBUTE_VALUES.items()})
    return people


def world_text(world: dict[str, dict[str, str]]) -> list[str]:
    """One sentence per fact, e.g. 'Kalo lives in Arden.' (the prose a model reads the facts from)."""
    return [f"{p} {ATTRIBUTES[a]} {v}." for p, attrs in world.items() for a, v in attrs.items()]


def facts_example(rng: np.random.Generator, split: str, world: dict[str, dict[str, str]] | None = None) -> Example:
    """A question about one attribute of one person of `world` (default: `make_world()`)."""
    world = world if world is not None else make_world()
    person = list(world)[rng.integers(len(world))]
    attribute = list(ATTRIBUTES)[rng.integers(len(ATTRIBUTES))]
    prompt = "Question: " + FACT_QUESTIONS[split][attribute].format(p=person) + "\nAnswer: "
    value = world[person][attribute]
    return Example(prompt, f"{ANSWER_PREFIX}{value}\n", value, "facts")


TASKS: dict[str, Callable[..., Example]] = {
    "arithmetic": arithmetic_example,
    "add": add_example,
    "sort": sort_example,
    "reverse": reverse_example,
    "facts": facts_example,
}


def generate(task: str, n: int, seed: int, split: str = "train", **options) -> list[Example]:
    """`n` examples of `task` drawn with `seed` in the phrasing of `split`; options go to the task.

    Train and validation draws use different streams even for the same seed.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    rng = np.random.default_rng([seed, SPLITS.index(split), list(TASKS).index(task)])
    return [TASKS[task](rng, split, **options) for _ in range(n)]
