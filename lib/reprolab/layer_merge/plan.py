"""A layer-wise compression plan over a base model and K finetunes of it, serialisable as JSON.

For every layer j of the base (in order) one operation:

- `remove`: the layer is dropped;
- `base`: the base model's layer j;
- `take`: candidate i's layer j (`sources = (i,)`);
- `merge`: candidate layers j of `sources` (two or more) merged onto the base's layer j with `method`
  (task arithmetic: theta_B + weight * sum_k (theta_k - theta_B), the paper's operator; `linear`:
  theta_B + weight * mean_k (theta_k - theta_B), the plain mean of the candidates at weight 1; `ties` /
  `dare_ties`: peft's trimmed, sign-elected merges of the task vectors).

Embeddings follow the first kept layer's operation and the final norm and output head the last kept layer's
(the official code's rule; an output head tied to the embeddings follows the embeddings), so a plan that takes
every layer from candidate i rebuilds candidate i exactly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

OPS = ("remove", "base", "take", "merge")
METHODS = ("task_arithmetic", "linear", "ties", "dare_ties")


@dataclass(frozen=True)
class LayerOp:
    """What happens to one layer of the base: op, candidate indices, and the merge weight lambda."""

    op: str = "base"
    sources: tuple[int, ...] = ()
    weight: float = 1.0

    def key(self) -> tuple:
        """A hashable identity (used to cache merged layers)."""
        return self.op, self.sources, round(self.weight, 6)


@dataclass(frozen=True)
class MergePlan:
    """One `LayerOp` per base layer, the merge method, and `density` (the share kept by ties / dare_ties)."""

    layers: tuple[LayerOp, ...]
    method: str = "task_arithmetic"
    density: float = 0.5
    notes: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def removed(self) -> tuple[int, ...]:
        return tuple(j for j, op in enumerate(self.layers) if op.op == "remove")

    @property
    def kept(self) -> tuple[int, ...]:
        return tuple(j for j, op in enumerate(self.layers) if op.op != "remove")

    def validate(self, n_layers: int, n_candidates: int, n_remove: int | None = None) -> "MergePlan":
        """Raise ValueError naming the first problem: wrong layer count, unknown op or method, a source index
        outside [0, n_candidates), a take/merge with the wrong number of sources, no kept layer, or (with
        `n_remove`) a removal count other than the budget's. Returns the plan."""
        if len(self.layers) != n_layers:
            raise ValueError(f"the plan has {len(self.layers)} layer operations; the base model has {n_layers} layers")
        if self.method not in METHODS:
            raise ValueError(f"unknown merge method {self.method!r}; allowed: {', '.join(METHODS)}")
        if not 0 < self.density <= 1:
            raise ValueError(f"density must be in (0, 1], got {self.density}")
        for j, op in enumerate(self.layers):
            if op.op not in OPS:
                raise ValueError(f"layer {j}: unknown op {op.op!r}; allowed: {', '.join(OPS)}")
            bad = [i for i in op.sources if not 0 <= i < n_candidates]
            if bad:
                raise ValueError(f"layer {j}: source index {bad[0]} out of range; {n_candidates} candidates "
                                 f"(indices 0..{n_candidates - 1})")
            if len(set(op.sources)) != len(op.sources):
                raise ValueError(f"layer {j}: repeated sources {op.sources}")
            need = {"remove": (0, 0), "base": (0, 0), "take": (1, 1), "merge": (2, n_candidates)}[op.op]
            if not need[0] <= len(op.sources) <= need[1]:
                raise ValueError(f"layer {j}: op {op.op!r} needs {need[0]}-{need[1]} sources, got {op.sources}")
        if not self.kept:
            raise ValueError("the plan removes every layer")
        if n_remove is not None and len(self.removed) != n_remove:
            raise ValueError(f"the plan removes {len(self.removed)} layers; the budget needs exactly {n_remove}")
        return self

    def to_json(self) -> str:
        return json.dumps({"layers": [asdict(op) for op in self.layers], "method": self.method,
                           "density": self.density, "notes": self.notes})

    @classmethod
    def from_json(cls, text: str) -> "MergePlan":
        raw = json.loads(text)
        unknown = set(raw) - {"layers", "method", "density", "notes"}
        if unknown or "layers" not in raw:
            raise ValueError(f"not a MergePlan: keys {sorted(raw)} (expected layers, method, density, notes)")
        layers = tuple(LayerOp(op["op"], tuple(op.get("sources", ())), float(op.get("weight", 1.0)))
                       for op in raw["layers"])
        return cls(layers, raw.get("method", "task_arithmetic"), float(raw.get("density", 0.5)), raw.get("notes", {}))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "MergePlan":
        return cls.from_json(Path(path).read_text())

    @classmethod
    def identity(cls, n_layers: int) -> "MergePlan":
        """Every layer from the base."""
        return cls(tuple(LayerOp() for _ in range(n_layers)))

    @classmethod
    def removal(cls, n_layers: int, removed: tuple[int, ...] | list[int], name: str = "") -> "MergePlan":
        """The base with `removed` layers dropped."""
        gone = set(removed)
        return cls(tuple(LayerOp("remove") if j in gone else LayerOp() for j in range(n_layers)),
                   notes={"name": name} if name else {})

    def describe(self) -> list[str]:
        """One short label per layer: `-` removed, `B` base, `c1` candidate 1, `c0+c2 0.55` a merge."""
        out = []
        for op in self.layers:
            if op.op == "remove":
                out.append("-")
            elif op.op == "base":
                out.append("B")
            elif op.op == "take":
                out.append(f"c{op.sources[0]}")
            else:
                out.append("+".join(f"c{i}" for i in op.sources) + f" {op.weight:.2f}")
        return out
