"""The notebooks: id, file, paper, config class and profiles (wall times are read from the committed notebooks)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from .core.paths import project_root


@dataclass(frozen=True)
class Notebook:
    """One notebook of the project and where its parameters are declared."""

    id: str  # two digits, e.g. "03"
    slug: str  # file name after the id: notebooks/<id>_<slug>.py / .ipynb
    title: str
    arxiv: str | None  # arXiv id of the paper (None for the tour)
    config: str  # "module:ConfigClass" declaring the parameters
    profiles: str  # "module:PROFILES"

    @property
    def name(self) -> str:
        return f"{self.id}_{self.slug}"

    def source(self) -> Path:
        return project_root() / "notebooks" / f"{self.name}.py"

    def path(self) -> Path:
        return project_root() / "notebooks" / f"{self.name}.ipynb"

    def measured_seconds(self) -> float | None:
        """Wall time of the committed default-profile execution (papermill's record), None if not built."""
        import json

        if not self.path().is_file():
            return None
        return json.loads(self.path().read_text()).get("metadata", {}).get("papermill", {}).get("duration")

    def metrics_path(self) -> Path:
        """The committed metrics of the committed notebook's execution (the reproduction check compares with it)."""
        return project_root() / "notebooks" / f"{self.name}.metrics.json"

    def evidence_path(self, profile: str) -> Path:
        """The committed evidence execution of a non-default profile: `notebooks/evidence/<name>.<profile>.ipynb`
        (its metrics beside it as `.metrics.json`)."""
        return project_root() / "notebooks" / "evidence" / f"{self.name}.{profile}.ipynb"

    def load(self) -> tuple[type, dict]:
        """Import the config class and the profiles dict."""
        mod, cls = self.config.split(":")
        pmod, pname = self.profiles.split(":")
        return getattr(importlib.import_module(mod), cls), getattr(importlib.import_module(pmod), pname)


NOTEBOOKS: dict[str, Notebook] = {
    nb.id: nb
    for nb in [
        Notebook("00", "tour", "Tour: a tiny LM on offline English and arithmetic", None,
                 "reprolab.tour:TourConfig", "reprolab.tour:PROFILES"),
        Notebook("01", "layer_merge", "GPTailor: layer removal, selection and merging across finetunes", "2506.20480",
                 "reprolab.layer_merge:LayerMergeConfig", "reprolab.layer_merge:PROFILES"),
        Notebook("02", "chain_of_experts", "Chain-of-Experts: iterative routing inside an MoE layer", "2506.18945",
                 "reprolab.chain_of_experts:CoEConfig", "reprolab.chain_of_experts:PROFILES"),
        Notebook("03", "alphadecay", "AlphaDecay: module-wise weight decay from heavy-tailed spectra", "2506.14562",
                 "reprolab.alphadecay:AlphaDecayConfig", "reprolab.alphadecay:PROFILES"),
        Notebook("04", "calliper_mobility", "Into the Unknown: CaLLiPer location embeddings for next-location prediction",
                 "2506.14070", "reprolab.mobility:CaLLiPerConfig", "reprolab.mobility:PROFILES"),
        Notebook("05", "lift", "LIFT: sparse fine-tuning of principal weights", "2506.00772",
                 "reprolab.lift:LiftConfig", "reprolab.lift:PROFILES"),
        Notebook("06", "seft", "SEFT: repairing pruned LLMs with an evolving sparse topology", "2505.24037",
                 "reprolab.seft:SeftConfig", "reprolab.seft:PROFILES"),
        Notebook("07", "agentalign", "AgentAlign: safety-alignment data for agents from abstract behavior chains",
                 "2505.23020", "reprolab.agentalign:AgentAlignConfig", "reprolab.agentalign:PROFILES"),
        Notebook("08", "neurotrails", "NeuroTrails: sparse multi-head ensembles with evolving topology", "2505.17909",
                 "reprolab.neurotrails:NeuroTrailsConfig", "reprolab.neurotrails:PROFILES"),
        Notebook("09", "holographic_energy_loss", "Holographic shooting strings: light-quark energy loss in EMD plasmas",
                 "2504.04979", "reprolab.holography:HoloConfig", "reprolab.holography:PROFILES"),
        Notebook("10", "desi_bao", "DESI DR1 vs DR2 BAO: per-bin Omega_m, w0waCDM with relaxed priors, q0", "2504.04417",
                 "reprolab.cosmology:DesiConfig", "reprolab.cosmology:PROFILES"),
    ]
}


class UnknownNotebook(LookupError):
    """A notebook id or name that the catalog does not have (the message lists what exists)."""


def find(key: str) -> Notebook:
    """Look a notebook up by id ('0', '00') or file name ('00_tour'); the error lists what exists."""
    key = str(key).strip()
    nb_id = key.split("_")[0].zfill(2) if key.split("_")[0].isdigit() else key
    if nb_id in NOTEBOOKS and (key.isdigit() or key == NOTEBOOKS[nb_id].name):
        return NOTEBOOKS[nb_id]
    allowed = ", ".join(f"{nb.id} ({nb.name})" for nb in NOTEBOOKS.values())
    raise UnknownNotebook(f"unknown notebook {key!r}; available: {allowed}")
