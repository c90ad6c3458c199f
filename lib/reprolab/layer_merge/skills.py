"""Generated skills with one-character answers, scored as multiple choice by one forward pass per prompt.

Each skill mirrors one capability of the paper's model family (its finetunes are a chat, a math and a code model;
its calibration tasks MMLU and WSC):

- `arith` (math): single-digit addition and subtraction with a one-digit result, `3+4=` -> `7` (a table of 90);
- `vartrack` (code): variable tracking through copies, `a=3;b=7;c=a;c?` -> `3`;
- `coref` (WSC): which of two names a predicate refers to (`a`: the first, `b`: the second), from a hidden
  lexicon of predicates, `kol hit dan,weak:` -> `b`;
- `facts` (MMLU-like knowledge): one attribute letter per pseudo-word, learnt from the pre-training text only,
  `zor>` -> `q`.

A prompt's answer is the next character; `choices` lists the characters it is chosen among (chance = 1 / len).
Local multiple-choice data (e.g. MMLU or WSC exported as JSON lines) loads into the same `Item`s with
`load_items`, with continuations of any length.
Splits draw from independent streams. `arith` and `facts` are finite tables: training sees all of them, calibration
and test alternate halves, so an evaluation split never shares a prompt with the other; `vartrack` and `coref`
test items skip the calibration prompts (`exclude`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SKILLS = ("arith", "vartrack", "coref", "facts")
SPLITS = ("train", "calibration", "test")
DIGITS = tuple("0123456789")
FACT_VALUES = tuple("pqrstuvw")
NAMES = ("kol", "dan", "mira", "tes", "bor", "lin", "vak", "ruo", "sel", "pim")
VARIABLES = "abcdefgh"
N_PREDICATES = 64  # the hidden coref lexicon: pseudo-word predicates, each about the first or the second name
VERBS = ("hit", "met", "saw", "helped", "pushed", "called")


@dataclass(frozen=True)
class Item:
    """One multiple-choice prompt: the answer is the continuation of `prompt`, chosen among `choices`."""

    prompt: str
    answer: str
    choices: tuple[str, ...]
    skill: str

    @property
    def text(self) -> str:
        """What a model is trained on: prompt and answer."""
        return self.prompt + self.answer


def knowledge_base(n_entities: int = 48, seed: int = 0) -> dict[str, str]:
    """Pseudo-word -> attribute letter: the facts the base model learns in pre-training."""
    rng = np.random.default_rng(seed)
    consonants, vowels = "bcdfghjklmnprstvz", "aeiou"
    kb: dict[str, str] = {}
    while len(kb) < n_entities:
        word = rng.choice(list(consonants)) + rng.choice(list(vowels)) + rng.choice(list(consonants))
        kb.setdefault(str(word), str(rng.choice(FACT_VALUES)))
    return kb


ARITH_TABLE: tuple[tuple[str, str], ...] = tuple(sorted(
    [(f"{a}+{b}=", str(a + b)) for a in range(10) for b in range(1, 10 - a)]
    + [(f"{a}-{b}=", str(a - b)) for a in range(1, 10) for b in range(1, a + 1)]))  # 90 prompts, answers 0-9


def _table_part(entries: list, split: str) -> list:
    """A finite table's entries for `split`: all for training, every other one for calibration and the rest for
    test, so that the two evaluation splits never share a prompt."""
    return entries if split == "train" else entries[SPLITS.index(split) - 1::2]


def _arith(rng: np.random.Generator, split: str) -> Item:
    part = _table_part(list(ARITH_TABLE), split)
    prompt, answer = part[int(rng.integers(0, len(part)))]
    return Item(prompt, answer, DIGITS, "arith")


def _vartrack(rng: np.random.Generator, n_vars: int = 3) -> Item:
    names = list(rng.permutation(list(VARIABLES))[:n_vars])
    values: dict[str, int] = {}
    statements = []
    for i, v in enumerate(names):
        if i >= 2 and rng.random() < 0.7:
            source = names[int(rng.integers(0, i))]
            values[v] = values[source]
            statements.append(f"{v}={source}")
        else:
            values[v] = int(rng.integers(0, 10))
            statements.append(f"{v}={values[v]}")
    copied = [v for v, s in zip(names, statements) if not s[-1].isdigit()]
    query = copied[-1] if copied and rng.random() < 0.8 else names[int(rng.integers(0, len(names)))]
    return Item(";".join(statements) + f";{query}?", str(values[query]), DIGITS, "vartrack")


def predicate_lexicon(n: int = N_PREDICATES, seed: int = 1) -> dict[str, int]:
    """Pseudo-word predicate -> 0 (it describes the first name) or 1 (the second): what `coref` tests."""
    rng = np.random.default_rng(seed)
    lexicon: dict[str, int] = {}
    while len(lexicon) < n:
        word = "".join(rng.choice(list("bdfgklmnprstvz")) + rng.choice(list("aeiou")) for _ in range(2))
        lexicon.setdefault(str(word), int(rng.integers(0, 2)))
    return lexicon


PREDICATES = predicate_lexicon()


def _coref(rng: np.random.Generator) -> Item:
    first, second = (str(n) for n in rng.choice(NAMES, size=2, replace=False))
    predicate = str(rng.choice(list(PREDICATES)))
    verb = str(rng.choice(VERBS))
    prompt = f"{first} {verb} {second},{predicate}:"
    return Item(prompt, "ab"[PREDICATES[predicate]], ("a", "b"), "coref")


def _facts(rng: np.random.Generator, kb: dict[str, str], split: str) -> Item:
    part = _table_part(list(kb), split)
    word = part[int(rng.integers(0, len(part)))]
    return Item(f"{word}>", kb[word], FACT_VALUES, "facts")


def generate(skill: str, n: int, split: str, seed: int = 0, kb: dict[str, str] | None = None,
             exclude: set[str] | None = None) -> list[Item]:
    """`n` items of `skill` from the stream of (`split`, `seed`); prompts in `exclude` are skipped (the table
    skills need no exclusion: their calibration and test halves are disjoint)."""
    if skill not in SKILLS:
        raise ValueError(f"unknown skill {skill!r}; allowed: {', '.join(SKILLS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    rng = np.random.default_rng([seed, SPLITS.index(split), SKILLS.index(skill)])
    kb = kb if kb is not None else knowledge_base()
    items: list[Item] = []
    for _ in range(50 * n + 100):
        if len(items) == n:
            break
        item = (_facts(rng, kb, split) if skill == "facts" else _arith(rng, split) if skill == "arith" else
                {"vartrack": _vartrack, "coref": _coref}[skill](rng))
        if not exclude or item.prompt not in exclude:
            items.append(item)
    if len(items) < n:
        raise ValueError(f"could only draw {len(items)} distinct {skill} items of {n} outside the excluded prompts")
    return items


def fact_sentences(kb: dict[str, str], repeats: int = 1) -> list[str]:
    """The knowledge base as training lines `word>letter`, each repeated `repeats` times."""
    return [f"{w}>{v}" for w, v in kb.items()] * repeats


def load_items(path: str, skill: str, limit: int | None = None) -> list[Item]:
    """Multiple-choice items from a local JSON-lines file with fields `prompt`, `choices` (list of continuations)
    and `answer` (index into choices), e.g. MMLU validation or WSC train exported for the paper profile."""
    import json
    from pathlib import Path

    items = []
    for n, line in enumerate(Path(path).read_text().splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = {"prompt", "choices", "answer"} - set(row)
        if missing:
            raise ValueError(f"{path}: line {n + 1} lacks {sorted(missing)} (need prompt, choices, answer index)")
        choices = tuple(str(c) for c in row["choices"])
        if not isinstance(row["answer"], int) or not 0 <= row["answer"] < len(choices):
            raise ValueError(f"{path}: line {n + 1}: answer must be an index into its {len(choices)} choices")
        items.append(Item(str(row["prompt"]), choices[row["answer"]], choices, skill))
        if limit is not None and len(items) == limit:
            break
    if not items:
        raise ValueError(f"no items in {path}")
    return items
