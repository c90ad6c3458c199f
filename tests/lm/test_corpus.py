import pytest

from reprolab.lm import corpus


def test_bible_split_is_deterministic_and_disjoint():
    a, b = corpus.english_corpus(), corpus.english_corpus()
    assert a.source == "bible_kjv" and a.train == b.train and a.validation == b.validation
    assert len(a.validation) == len(a.train + a.validation) // 20
    assert not set(a.train) & set(a.validation)
    assert a.train[0].startswith("In the beginning God created")


def test_max_chars_limits_both_splits():
    c = corpus.english_corpus(max_chars=100_000)
    assert 50_000 < c.chars("train") <= 95_000 and 0 < c.chars("validation") <= 5_000


def test_docstring_fallback():
    c = corpus.english_corpus("docstrings", every=5)
    assert c.source == "python_docstrings" and c.train and c.validation
    assert c.chars() > 10_000


def test_bad_arguments():
    with pytest.raises(ValueError, match="allowed: auto, bible, docstrings"):
        corpus.english_corpus("wiki")
    with pytest.raises(ValueError, match="every must be at least 2"):
        corpus.english_corpus(every=1)
    with pytest.raises(ValueError, match="allowed: train, validation"):
        corpus.english_corpus(max_chars=1000).chars("test")
