import pytest
import torch
from PIL import Image

from reprolab.core.images import IMAGENET_MEAN, IMAGENET_STD, ImageFolder, random_resized_box


def write_folder(root, classes, per_class=2, size=(40, 30)):
    for c, color in classes.items():
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", size, color).save(root / c / f"{i}.png")


def test_items_are_normalised_crops_with_sorted_class_indices(tmp_path):
    write_folder(tmp_path / "train", {"red": (255, 0, 0), "blue": (0, 0, 255)})
    (tmp_path / "train" / "red" / "notes.txt").write_text("not an image")
    train = ImageFolder(tmp_path / "train", image_size=16, train=True)
    assert train.classes == ["blue", "red"] and len(train) == 4
    item = train[3]  # red
    assert item["x"].shape == (3, 16, 16) and int(item["labels"]) == 1
    expected = torch.tensor([(1 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], -IMAGENET_MEAN[1] / IMAGENET_STD[1],
                             -IMAGENET_MEAN[2] / IMAGENET_STD[2]])
    assert torch.allclose(item["x"].mean((1, 2)), expected, atol=1e-4)


def test_eval_items_are_deterministic_and_use_the_given_classes(tmp_path):
    write_folder(tmp_path / "val", {"red": (255, 0, 0)}, size=(50, 20))
    val = ImageFolder(tmp_path / "val", image_size=16, train=False, classes=["blue", "red"])
    assert int(val[0]["labels"]) == 1 and torch.equal(val[0]["x"], val[0]["x"]) and val[0]["x"].shape == (3, 16, 16)


def test_random_resized_box_stays_inside_the_image_with_the_allowed_area():
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        left, top, right, bottom = random_resized_box(60, 40, g)
        assert 0 <= left < right <= 60 and 0 <= top < bottom <= 40
        assert (right - left) * (bottom - top) >= 0.07 * 60 * 40


def test_bad_folders_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        ImageFolder(tmp_path / "empty")
    write_folder(tmp_path / "val", {"green": (0, 255, 0)})
    with pytest.raises(ValueError, match="class list lacks"):
        ImageFolder(tmp_path / "val", classes=["blue", "red"])
