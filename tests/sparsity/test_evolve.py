import math

import pytest
import torch

from reprolab.sparsity import drop_and_grow, drop_fraction


def test_drop_and_grow_keeps_the_count_and_never_regrows_a_just_dropped_entry():
    gen = torch.Generator().manual_seed(0)
    support = torch.zeros(10, 10, dtype=torch.bool)
    support.view(-1)[torch.randperm(100, generator=gen)[:30]] = True
    drop_score, grow_score = torch.rand(10, 10, generator=gen), torch.rand(10, 10, generator=gen)
    grow_score[support] = 10.0  # the best growth scores sit inside the support: they must not be grown back
    new, dropped, grown = drop_and_grow(support, drop_score, grow_score, 6)
    assert int(new.sum()) == 30 and int(dropped.sum()) == 6 == int(grown.sum())
    assert not (grown & support).any() and (dropped <= support).all()
    assert drop_score[dropped].max() <= drop_score[support & ~dropped].min()
    assert grow_score[grown].min() >= grow_score[~support & ~grown].max()


def test_growth_stays_where_allowed_and_n_is_cut_to_the_candidates():
    support = torch.tensor([True, True, False, False, False])
    allowed = torch.tensor([True, True, True, False, False])
    new, dropped, grown = drop_and_grow(support, torch.arange(5.0), torch.arange(5.0), 2, allowed)
    assert grown.tolist() == [False, False, True, False, False] and int(dropped.sum()) == 1 and int(new.sum()) == 2
    with pytest.raises(ValueError, match="one shape"):
        drop_and_grow(support, torch.zeros(4), torch.zeros(5), 1)


def test_drop_fraction_schedules():
    assert drop_fraction(0, 100, 0.2) == pytest.approx(0.2)
    assert drop_fraction(50, 100, 0.2) == pytest.approx(0.1)
    assert drop_fraction(100, 100, 0.2) == pytest.approx(0.0, abs=1e-12)
    assert drop_fraction(25, 100, 0.2, "linear") == pytest.approx(0.15)
    assert drop_fraction(80, 100, 0.2, "constant") == 0.2
    assert math.isclose(drop_fraction(0, 100, 0.3, "cosine"), 0.3)
    with pytest.raises(ValueError, match="allowed: cosine, linear, constant"):
        drop_fraction(0, 10, 0.2, "step")
