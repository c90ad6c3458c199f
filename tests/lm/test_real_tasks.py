"""Shipped real benchmark data: counts, deterministic splits, answers, and log-likelihood choice scoring."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reprolab import lm
from reprolab.lm import real_tasks


def test_arithmetic_splits_are_disjoint_stable_and_cover_every_item():
    train, test = real_tasks.arithmetic_examples(split="train"), real_tasks.arithmetic_examples(split="test")
    assert len(train) + len(test) == 2000 and 0.15 < len(test) / 2000 < 0.25
    assert not {e.prompt for e in train} & {e.prompt for e in test}
    assert [e.prompt for e in test] == [e.prompt for e in real_tasks.arithmetic_examples(split="test")]
    for e in test[:50]:
        a, op, b = e.prompt.split("What is ")[1].rstrip("?\nAnswer: ").split(" ")
        assert int(e.answer) == (int(a) + int(b) if op == "plus" else int(a) - int(b))
        assert lm.extract_answer(e.completion) == e.answer


def test_arithmetic_as_multiple_choice_has_the_answer_among_its_choices():
    test = real_tasks.arithmetic_choice_items(split="test")
    exact = real_tasks.arithmetic_examples(split="test")
    assert [i.prompt + " " for i in test] == [e.prompt for e in exact]  # the same items and split
    assert all(5 <= len(i.options) <= 7 and i.options[i.correct] == " " + e.answer for i, e in zip(test, exact))
    assert sum(len(i.options) == 7 for i in test) > 0.9 * len(test)  # a few files' items repeat a distractor


def test_choice_items_and_gsm8k_load_with_their_answers():
    items = real_tasks.choice_items()
    assert len(items) == 570 and {i.task for i in items} == {"general_knowledge", "subject_verb_agreement"}
    assert all(0 <= i.correct < len(i.options) for i in items)
    horses = next(i for i in items if "legs do horses" in i.prompt)
    assert horses.options[horses.correct] == " four"
    assert 0.4 < real_tasks.chance_accuracy(items) < 0.5
    gsm = real_tasks.gsm8k_examples()
    assert len(gsm) == 1319 and gsm[0].answer == "18" and lm.extract_answer(gsm[0].completion) == "18"
    with pytest.raises(ValueError, match="allowed: 2_digit_addition"):
        real_tasks.arithmetic_examples(["3_digit_addition"])
    with pytest.raises(ValueError, match="allowed: train, test"):
        real_tasks.choice_items(split="validation")


def test_option_log_likelihoods_equal_one_sequence_at_a_time():
    tok = lm.char_tokenizer(["abcdef xyz?"])
    model = lm.tiny_lm(lm.TinyLMConfig(d_model=16, n_layers=1, n_heads=2, d_ff=32), tok, seed=0)
    items = [real_tasks.ChoiceItem("abc", (" x", " yz", "zzzz"), 1, "t"), real_tasks.ChoiceItem("f?", (" a", " b"), 0, "t")]
    batched = real_tasks.option_log_likelihoods(model, tok, items, batch_size=2)
    for item, scores in zip(items, batched):
        p = tok(item.prompt, add_special_tokens=False)["input_ids"]
        for option, score in zip(item.options, scores):
            ids = torch.tensor([p + tok(option, add_special_tokens=False)["input_ids"]])
            with torch.no_grad():
                lp = model(ids).logits[0, :-1].log_softmax(-1)
            expected = float(lp[torch.arange(len(p) - 1, ids.shape[1] - 1), ids[0, len(p):]].sum())
            assert score == pytest.approx(expected, abs=1e-4)
    accuracy = real_tasks.choice_accuracy(model, tok, items)
    assert accuracy.tolist() == [float(np.argmax(s) == it.correct) for s, it in zip(batched, items)]
