import datasets
import pytest

from reprolab import lm


def test_save_to_disk_round_trip(tmp_path):
    datasets.Dataset.from_dict({"text": ["a b", "c d"], "n": [1, 2]}).save_to_disk(str(tmp_path / "ds"))
    assert lm.load_texts(tmp_path / "ds") == ["a b", "c d"]
    assert lm.load_texts(tmp_path / "ds", limit=1) == ["a b"]


def test_dataset_dict_split(tmp_path):
    dd = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"q": ["x"]}),
                               "test": datasets.Dataset.from_dict({"q": ["y"]})})
    dd.save_to_disk(str(tmp_path / "dd"))
    assert lm.load_texts(tmp_path / "dd", "q", split="test") == ["y"]
    with pytest.raises(KeyError, match="available: train, test"):
        lm.load_records(tmp_path / "dd", split="validation")


@pytest.mark.parametrize("name,content,column", [
    ("rows.jsonl", '{"query": "1+1", "response": "2"}\n{"query": "2+2", "response": "4"}\n', "query"),
    ("rows.csv", "query,response\n1+1,2\n2+2,4\n", "query"),
])
def test_files(tmp_path, name, content, column):
    (tmp_path / name).write_text(content)
    assert lm.load_texts(tmp_path / name, column) == ["1+1", "2+2"]


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no download"):
        lm.load_records(tmp_path / "absent")
    (tmp_path / "x.xml").write_text("<a/>")
    with pytest.raises(ValueError, match="allowed endings: .jsonl"):
        lm.load_records(tmp_path / "x.xml")
    (tmp_path / "r.jsonl").write_text('{"q": "a"}\n')
    with pytest.raises(KeyError, match="columns: q"):
        lm.load_texts(tmp_path / "r.jsonl", "text")
