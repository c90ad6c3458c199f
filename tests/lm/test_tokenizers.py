import pytest

from reprolab import lm


def test_char_tokenizer_round_trip_and_unknowns(tokenizer):
    text = "Question: Tom has 3 apples."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == len(text) and tokenizer.decode(ids) == text
    assert tokenizer("~", add_special_tokens=False)["input_ids"] == [tokenizer.unk_token_id]


def test_char_tokenizer_pads_batches(tokenizer):
    enc = tokenizer(["ab", "abcd"], padding=True, return_tensors="pt", add_special_tokens=False)
    assert enc["input_ids"].shape == (2, 4) and enc["attention_mask"][0].tolist() == [1, 1, 0, 0]


def test_char_tokenizer_needs_text():
    with pytest.raises(ValueError, match="non-empty"):
        lm.char_tokenizer([""])


def test_bpe_round_trips_and_compresses():
    texts = ["the cat sat on the mat. " * 20, "the dog sat on the log. " * 20]
    tok = lm.train_bpe(texts, vocab_size=300)
    text = "the cat sat on the log. ünïcödé"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text and len(ids) < len(text.encode())
    with pytest.raises(ValueError, match="at least 260"):
        lm.train_bpe(texts, vocab_size=100)


def test_save_and_load_pretrained(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path / "tok")
    loaded = lm.load_tokenizer(tmp_path / "tok")
    assert loaded("Tom has 3", add_special_tokens=False)["input_ids"] == tokenizer("Tom has 3", add_special_tokens=False)["input_ids"]
    assert loaded.pad_token == "<pad>"
    with pytest.raises(FileNotFoundError, match="no download"):
        lm.load_tokenizer(tmp_path / "missing")
