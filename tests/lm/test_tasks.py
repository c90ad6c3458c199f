import re

import pytest

from reprolab.lm import tasks


@pytest.mark.parametrize("name", list(tasks.TASKS))
def test_every_task_ends_with_its_answer_and_is_deterministic(name):
    a = tasks.generate(name, 20, seed=1)
    assert a == tasks.generate(name, 20, seed=1)
    for ex in a:
        assert tasks.extract_answer(ex.completion) == ex.answer
        assert ex.text == ex.prompt + ex.completion and ex.task == name


@pytest.mark.parametrize("name", list(tasks.TASKS))
def test_validation_uses_held_out_phrasing(name):
    train = {re.sub(r"[0-9]+", "N", e.prompt) for e in tasks.generate(name, 200, 0, "train")}
    val = {re.sub(r"[0-9]+", "N", e.prompt) for e in tasks.generate(name, 200, 0, "validation")}
    assert not train & val


def test_arithmetic_working_is_correct():
    for ex in tasks.generate("arithmetic", 200, 3, n_steps=3):
        steps = re.findall(r"(\d+) ([+\-*]) (\d+) = (\d+)\.", ex.completion)
        assert len(steps) == 3
        for a, op, b, c in steps:
            assert eval(f"{a}{op}{b}") == int(c) >= 0
        assert steps[-1][3] == ex.answer


def test_sort_and_reverse_answers():
    for ex in tasks.generate("sort", 20, 0):
        xs = [int(v) for v in ex.prompt.split(":")[1].split("\n")[0].split()]
        assert ex.answer == " ".join(map(str, sorted(xs)))
    for ex in tasks.generate("reverse", 20, 0):
        xs = ex.prompt.split(":")[1].split("\n")[0].split()
        assert ex.answer == " ".join(xs[::-1])


def test_facts_are_stated_in_world_text():
    world = tasks.make_world(10, seed=2)
    text = set(tasks.world_text(world))
    for ex in tasks.generate("facts", 20, 0, world=world):
        person = next(p for p in world if p in ex.prompt)
        assert any(s.startswith(person) and s.endswith(f" {ex.answer}.") for s in text)


def test_extract_and_exact_match():
    assert tasks.extract_answer("2 + 2 = 4.\n#### 4\nmore") == "4"
    assert tasks.extract_answer("no answer line") is None
    exs = tasks.generate("add", 2, 0)
    hits = tasks.exact_match([exs[0].completion, "#### nonsense"], exs)
    assert hits.tolist() == [True, False]
    with pytest.raises(ValueError, match="2 examples"):
        tasks.exact_match(["x"], exs)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown task 'mul'; allowed: arithmetic, add"):
        tasks.generate("mul", 1, 0)
    with pytest.raises(ValueError, match="allowed: train, validation"):
        tasks.generate("add", 1, 0, split="test")
