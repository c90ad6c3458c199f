"""The Einstein-Maxwell-dilaton (EMD) models of Chen & Huang fitted to lattice QCD, one per flavour content.

Warp factor A(z) = d ln(1 + a z^2) + d ln(1 + b z^4), gauge kinetic function h(z) = exp(c z^2 - A(z) + k).
Units: GeV with the AdS radius L = 1; z in GeV^-1, so a and c are in GeV^2, b in GeV^4; d, k and G5 are
dimensionless. The numbers are those of arXiv:2401.06417 / 2405.06179 as recalled in the paper note; notebook 09
validates them by reproducing the published T_c and critical endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

HBARC = 0.1973269804  # GeV fm: multiply a length in GeV^-1 by this to get fm; divide GeV^2 by it to get GeV/fm


@dataclass(frozen=True)
class EMDModel:
    """One EMD background family; `mu_max` [GeV] is the largest baryon chemical potential we allow.

    The fits use lattice data at mu = 0 only; mu_max is our choice, a little beyond each model's critical
    endpoint (0.46 and 0.74 GeV), so the phase diagram can be drawn while extrapolation stays modest.
    """

    name: str
    a: float  # GeV^2
    b: float  # GeV^4
    c: float  # GeV^2
    d: float
    k: float
    G5: float
    mu_max: float  # GeV; 0 for pure glue, which has no baryon number

    def __post_init__(self) -> None:
        if self.d > 0:
            raise ValueError(f"model {self.name!r}: d must be <= 0 (null energy condition), got {self.d}")
        if self.a < 0 or self.b < 0:
            raise ValueError(f"model {self.name!r}: a and b must be >= 0, got a={self.a}, b={self.b}")
        if self.G5 <= 0 or self.mu_max < 0:
            raise ValueError(f"model {self.name!r}: need G5 > 0 and mu_max >= 0, got G5={self.G5}, mu_max={self.mu_max}")

    def check_mu(self, mu: float) -> float:
        """Return mu as a float, or raise naming the model's allowed range."""
        mu = float(mu)
        if not 0.0 <= mu <= self.mu_max:
            allowed = "only mu = 0 (no baryon number)" if self.mu_max == 0 else f"0 <= mu <= {self.mu_max} GeV"
            raise ValueError(f"model {self.name!r}: chemical potential mu = {mu} GeV is outside its range; allowed: {allowed}")
        return mu


MODELS: dict[str, EMDModel] = {
    "0": EMDModel("0", a=0.0, b=0.072, c=0.0, d=-0.584, k=0.0, G5=1.326, mu_max=0.0),
    "2": EMDModel("2", a=0.067, b=0.023, c=-0.377, d=-0.382, k=0.0, G5=0.885, mu_max=1.0),
    "2+1": EMDModel("2+1", a=0.204, b=0.013, c=-0.264, d=-0.173, k=-0.824, G5=0.400, mu_max=1.2),
    "ads": EMDModel("ads", a=0.0, b=0.0, c=0.0, d=0.0, k=0.0, G5=1.0, mu_max=0.0),  # AdS5-Schwarzschild
}


def emd_model(name: str, **overrides: float) -> EMDModel:
    """A preset by flavour content ('0', '2', '2+1', or 'ads'), with optional parameter overrides."""
    key = str(name).strip()
    if key not in MODELS:
        raise KeyError(f"unknown EMD model {name!r}; available: {', '.join(MODELS)}")
    return replace(MODELS[key], **overrides) if overrides else MODELS[key]
