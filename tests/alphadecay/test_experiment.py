import json

import pytest

import reprolab.alphadecay as ad


def test_run_all_pairs_seeds_matches_the_mean_decay_and_writes_results(tmp_path, tokenizer):
    cfg = ad.AlphaDecayConfig(n_seeds=1, steps=20, refresh_every=1, hidden=64, n_layers=2, n_heads=2, intermediate=128, seq_len=32,
                              batch_size=4, device="cpu", sweep=(0.5,))
    texts = ["In the beginning God created the heaven and the earth."] * 40
    from reprolab import lm

    data = ad.LMData(tokenizer, lm.pack_text(tokenizer, texts, 32), lm.pack_text(tokenizer, texts[:8], 32), "test")
    results = ad.run_all(cfg, data, tmp_path)
    by = {r.label: r for r in results}
    assert list(by) == ["uniform", "alphadecay", "matched", "uniform 0.5"]
    assert by["matched"].tuned_decay == pytest.approx(by["alphadecay"].tuned_decay) != by["uniform"].tuned_decay
    assert by["uniform 0.5"].tuned_decay == 0.5
    assert [r["step"] for r in by["alphadecay"].log] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[1])["label"] == "alphadecay"
    assert (tmp_path / "alphadecay" / "seed0" / "history.jsonl").is_file()
    assert set(by["uniform"].alpha_by_type()) == {"Q", "K", "V", "O", "gate", "up", "down"}
    # paired: every method starts from the same weights and sees the same first batch
    assert by["uniform"].log[0]["alpha"] == by["alphadecay"].log[0]["alpha"] == by["matched"].log[0]["alpha"]
    assert by["uniform"].history[0]["loss"] == by["matched"].history[0]["loss"]
