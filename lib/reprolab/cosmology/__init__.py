"""Notebook 10: DESI DR1 vs DR2 BAO (arXiv:2504.04417): per-bin Omega_m, w0waCDM with relaxed priors, q0."""

from .background import DistanceGrid, bao_distances, comoving_distance, e_of_z, q0
from . import plots
from .analysis import best_fit, chain_table, mc_error, per_bin_omega_m, probability_error, sample, sample_all
from .config import PROFILES, DesiConfig
from .data import BAOData, CompressedCMB, DataFileError, load_bao, load_cmb_compressed
from .early import r_drag, theta_star
from .likelihood import LABELS, MODELS, Posterior, Prior, desi_prior, relaxed_prior
from .perbin import GridPosterior, lcdm_grid_posterior, pull
from .sampling import Chain, run_emcee, to_mcsamples

__all__ = [
    "plots",
    "best_fit", "chain_table", "mc_error", "per_bin_omega_m", "probability_error", "sample", "sample_all",
    "DistanceGrid", "bao_distances", "comoving_distance", "e_of_z", "q0", "PROFILES", "DesiConfig",
    "BAOData", "CompressedCMB", "DataFileError", "load_bao", "load_cmb_compressed", "r_drag", "theta_star",
    "LABELS", "MODELS", "Posterior", "Prior", "desi_prior", "relaxed_prior",
    "GridPosterior", "lcdm_grid_posterior", "pull", "Chain", "run_emcee", "to_mcsamples",
]
