"""An image-classification folder (`root/<class>/<image>`, the ImageNet layout) as a torch Dataset, read with PIL.

torchvision's ImageFolder and transforms do the same; they are not used because torchvision must match the exact
torch build, which the CPU install here does not have. Training items get the standard ImageNet augmentation
(random resized crop, scale 0.08-1 and aspect 3/4-4/3, then a horizontal flip with probability 1/2); evaluation
items are resized so that the shorter side is 256/224 of the crop, then centre-cropped. Pixels are normalised
with the ImageNet channel means and standard deviations.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".ppm")


def random_resized_box(width: int, height: int, generator: torch.Generator | None = None,
                       scale: tuple[float, float] = (0.08, 1.0),
                       ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> tuple[int, int, int, int]:
    """A random crop box (left, top, right, bottom) covering `scale` of the area at aspect `ratio`; after 10
    failed draws, the largest centred box within the ratio range (the usual fallback)."""
    area = width * height
    for _ in range(10):
        u = torch.rand(3, generator=generator).tolist()
        target = area * (scale[0] + (scale[1] - scale[0]) * u[0])
        aspect = math.exp(math.log(ratio[0]) + (math.log(ratio[1]) - math.log(ratio[0])) * u[1])
        w, h = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            left = int(torch.randint(0, width - w + 1, (1,), generator=generator))
            top = int(torch.randint(0, height - h + 1, (1,), generator=generator))
            return left, top, left + w, top + h
    aspect = width / height
    if aspect < ratio[0]:
        w, h = width, round(width / ratio[0])
    elif aspect > ratio[1]:
        w, h = round(height * ratio[1]), height
    else:
        w, h = width, height
    left, top = (width - w) // 2, (height - h) // 2
    return left, top, left + w, top + h


def center_box(width: int, height: int, size: int) -> tuple[int, int, int, int]:
    """The centred size x size box of a width x height image."""
    left, top = (width - size) // 2, (height - size) // 2
    return left, top, left + size, top + size


class ImageFolder(Dataset):
    """Images under `root/<class>/`, classes in sorted order (or `classes`, e.g. the training split's, so that a
    validation split uses the same label indices). Items: {"x": (3, size, size) float32, "labels": int64 ()}."""

    def __init__(self, root: str | Path, image_size: int = 224, train: bool = True,
                 classes: list[str] | None = None) -> None:
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"image folder {str(root)!r} does not exist (expected root/<class>/<image> files)")
        found = sorted(d.name for d in root.iterdir() if d.is_dir())
        if not found:
            raise ValueError(f"{str(root)!r} has no class sub-folders (expected root/<class>/<image> files)")
        self.classes = list(classes) if classes is not None else found
        unknown = sorted(set(found) - set(self.classes))
        if unknown:
            raise ValueError(f"{str(root)!r} has classes that the given class list lacks: {unknown[:5]}")
        if image_size < 8:
            raise ValueError(f"image_size must be at least 8 pixels, got {image_size}")
        index = {c: i for i, c in enumerate(self.classes)}
        self.samples = [(path, index[c]) for c in found for path in sorted((root / c).iterdir())
                        if path.suffix.lower() in IMAGE_EXTENSIONS]
        if not self.samples:
            raise ValueError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) under {str(root)!r}")
        self.root, self.image_size, self.train = root, image_size, train
        self._mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
        self._std = torch.tensor(IMAGENET_STD).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        from PIL import Image

        path, label = self.samples[i]
        with Image.open(path) as image:
            image = image.convert("RGB")
        size = self.image_size
        if self.train:
            image = image.resize((size, size), Image.BILINEAR, box=random_resized_box(*image.size))
            if torch.rand(()) < 0.5:
                image = image.transpose(Image.FLIP_LEFT_RIGHT)
        else:
            short = round(size * 256 / 224)
            w, h = image.size
            scale = short / min(w, h)
            image = image.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BILINEAR)
            image = image.crop(center_box(*image.size, size))
        x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return {"x": (x - self._mean) / self._std, "labels": torch.tensor(label)}


IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FASHION_MNIST_FILES = {"x": "train-images-idx3-ubyte", "labels": "train-labels-idx1-ubyte",
                       "x_test": "t10k-images-idx3-ubyte", "labels_test": "t10k-labels-idx1-ubyte"}
FASHION_MNIST_PACKAGE = "dataset-fashion-mnist"  # Debian's package of the IDX files (Expat licence)


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (the MNIST format: 2 zero bytes, a type code, the number of dimensions, big-endian int32 sizes,
    then the data), plain or gzip-compressed, as an array of its shape."""
    import gzip

    path = Path(path)
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise ValueError(f"{path.name} is not an IDX file (expected 2 zero bytes and a type code in "
                         f"{sorted(hex(t) for t in IDX_TYPES)})")
    dtype, ndim = np.dtype(IDX_TYPES[raw[2]]), raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, ">i4", ndim, offset=4))
    data = np.frombuffer(raw, dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path.name}: header says shape {shape} ({int(np.prod(shape))} values), file holds {data.size}")
    return data.reshape(shape)


def fashion_mnist_folder(folder: str | Path | None = None) -> Path:
    """The folder with Fashion-MNIST's four IDX files: `folder`, else `$REPROLAB_FASHION_MNIST`, else where the
    Debian package put them (asked of dpkg). One error naming the install command when none is found."""
    import os
    import shutil
    import subprocess

    folder = folder or os.environ.get("REPROLAB_FASHION_MNIST")
    if not folder and shutil.which("dpkg"):
        listed = subprocess.run(["dpkg", "-L", FASHION_MNIST_PACKAGE], capture_output=True, text=True).stdout.split()
        found = [Path(p).parent for p in listed if Path(p).name.startswith(FASHION_MNIST_FILES["x"])]
        folder = found[0] if found else None
    if not folder:
        raise FileNotFoundError(f"Fashion-MNIST not found: install it with `make fashion-mnist` (apt-get install "
                                f"{FASHION_MNIST_PACKAGE}) or pass a folder holding its IDX files")
    folder = Path(folder)
    missing = [n for n in FASHION_MNIST_FILES.values() if not any((folder / (n + s)).is_file() for s in ("", ".gz"))]
    if missing:
        raise FileNotFoundError(f"{str(folder)!r} lacks the Fashion-MNIST IDX files {missing} (plain or .gz)")
    return folder


def fashion_mnist(folder: str | Path | None = None) -> dict[str, torch.Tensor]:
    """Fashion-MNIST (60,000 train / 10,000 test 28 x 28 grey images, 10 classes) from its IDX files (see
    `fashion_mnist_folder`). x, x_test: (N, 1, 28, 28) float32 in [0, 1]; labels, labels_test: (N,) int64."""
    folder = fashion_mnist_folder(folder)
    out = {}
    for key, name in FASHION_MNIST_FILES.items():
        path = folder / name if (folder / name).is_file() else folder / (name + ".gz")
        array = read_idx(path)
        out[key] = (torch.from_numpy(array.astype(np.float32) / 255.0)[:, None] if key.startswith("x")
                    else torch.from_numpy(array.astype(np.int64)))
    for split in ("", "_test"):
        if len(out["x" + split]) != len(out["labels" + split]):
            raise ValueError(f"Fashion-MNIST{split}: {len(out['x' + split])} images but {len(out['labels' + split])} labels")
    return out
