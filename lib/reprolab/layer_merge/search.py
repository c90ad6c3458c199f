"""Zero-order search over merge plans at a fixed number of removed layers.

The space (per the official code): r removal indices; for each layer one on/off bit per candidate (no bit: the
base's layer; one: that candidate's; several: a merge) and a merge weight lambda in [0, 1]. Removal index i picks
among the layers still present (range 0..L-1-i), so every draw is a valid set of r distinct layers; the official
encoding draws r integers in 0..L-1 and forbids duplicates, which rejects most draws at L = 40, r = 10.

Objectives: one accuracy per calibration task (the paper: MMLU validation and WSC train), each cost 1 - accuracy.
Optimizers:
- `search_smac`, the paper's: SMAC's random-forest Bayesian optimisation with Hyperband over the number of
  calibration examples per task (budgets min..max, eta = 3) and ParEGO scalarisation of the objectives;
- `search_optuna`, a standard alternative: Optuna's multi-objective TPE at the full budget.
The pick (the paper gives no rule): among plans evaluated at the largest budget, the highest mean calibration
accuracy. Every evaluation is appended to a JSON-lines log; a rerun with the same log and seed replays the
logged evaluations from it instead of recomputing them (resume).
"""

from __future__ import annotations

import itertools
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .plan import LayerOp, MergePlan


@dataclass(frozen=True)
class SearchSpace:
    """Plans over L layers and K candidates removing exactly r layers. select=False: base layers only (the
    paper's LR-only ablation); merge=False: at most one source per layer (LS+LR)."""

    n_layers: int
    n_candidates: int
    n_remove: int
    weight_range: tuple[float, float] = (0.0, 1.0)
    select: bool = True
    merge: bool = True
    method: str = "task_arithmetic"

    def __post_init__(self) -> None:
        if not 0 <= self.n_remove < self.n_layers:
            raise ValueError(f"n_remove must be in [0, {self.n_layers - 1}] for {self.n_layers} layers, got {self.n_remove}")
        if self.n_candidates < 1 or not 0 <= self.weight_range[0] < self.weight_range[1]:
            raise ValueError(f"need n_candidates >= 1 and 0 <= low < high weights, got {self.n_candidates}, "
                             f"{self.weight_range}")

    def names(self) -> list[tuple[str, str, tuple]]:
        """(name, kind, range) of every hyperparameter: int (inclusive bounds), bit, float, or source (-1: base)."""
        out = [(f"remove_{i}", "int", (0, self.n_layers - 1 - i)) for i in range(self.n_remove)]
        if not self.select:
            return out
        for j in range(self.n_layers):
            if self.merge:
                out += [(f"layer_{j}_c{k}", "bit", (0, 1)) for k in range(self.n_candidates)]
                out.append((f"layer_{j}_weight", "float", self.weight_range))
            else:
                out.append((f"layer_{j}_source", "source", tuple(range(-1, self.n_candidates))))
        return out

    def decode(self, params: dict) -> MergePlan:
        """The plan of one point of the space."""
        remaining = list(range(self.n_layers))
        removed = {remaining.pop(int(params[f"remove_{i}"])) for i in range(self.n_remove)}
        layers = []
        for j in range(self.n_layers):
            if j in removed:
                layers.append(LayerOp("remove"))
                continue
            if not self.select:
                sources: tuple[int, ...] = ()
            elif self.merge:
                sources = tuple(k for k in range(self.n_candidates) if int(params[f"layer_{j}_c{k}"]))
            else:
                s = int(params[f"layer_{j}_source"])
                sources = () if s < 0 else (s,)
            op = "base" if not sources else "take" if len(sources) == 1 else "merge"
            weight = float(params[f"layer_{j}_weight"]) if op == "merge" else 1.0
            layers.append(LayerOp(op, sources, weight))
        return MergePlan(tuple(layers), self.method)

    def encode(self, removed: Sequence[int], sources: Sequence[int] = (), weight: float = 0.5) -> dict:
        """The point that removes `removed` and gives every kept layer the same `sources` and `weight`."""
        if len(set(removed)) != self.n_remove:
            raise ValueError(f"need {self.n_remove} distinct layers to remove, got {list(removed)}")
        remaining, params = list(range(self.n_layers)), {}
        for i, j in enumerate(removed):
            params[f"remove_{i}"] = remaining.index(j)
            remaining.remove(j)
        for j in range(self.n_layers if self.select else 0):
            if self.merge:
                params |= {f"layer_{j}_c{k}": int(k in sources) for k in range(self.n_candidates)}
                params[f"layer_{j}_weight"] = float(weight)
            else:
                params[f"layer_{j}_source"] = sources[0] if sources else -1
        return params


def heuristic_removals(n_layers: int, n_remove: int, seed: int = 42) -> list[tuple[int, ...]]:
    """The official initial design's three removal orders, first r of each: 'higher' (upper-middle layers first),
    'middle_outward' and 'alternating' (upper and lower halves interleaved); the first and last layer come last."""
    rng = np.random.default_rng(seed)
    mid = n_layers // 2
    inner = list(range(1, n_layers - 1))
    high, low = list(rng.permutation(range(mid, n_layers - 1))), list(rng.permutation(range(1, mid)))
    centre = list(rng.permutation([j for j in inner if abs(j - mid) <= 3]))
    rest = list(rng.permutation([j for j in inner if abs(j - mid) > 3]))
    alternating = [j for pair in itertools.zip_longest(high, low) for j in pair if j is not None]
    orders = [high + low, centre + rest, alternating]
    return [tuple(int(j) for j in (order + [n_layers - 1, 0])[:n_remove]) for order in orders]


def initial_design(space: SearchSpace, weights: Sequence[float] = (0.5,), n_heuristics: int = 3) -> list[dict]:
    """Per heuristic removal set: the base alone, then every non-empty candidate subset at each weight."""
    points = []
    subsets = [s for n in range(1, space.n_candidates + 1) for s in itertools.combinations(range(space.n_candidates), n)]
    for removed in heuristic_removals(space.n_layers, space.n_remove)[:n_heuristics]:
        points.append(space.encode(removed))
        if not space.select:
            continue
        for s in subsets:
            if len(s) > 1 and not space.merge:
                continue
            points += [space.encode(removed, s, w) for w in (weights if len(s) > 1 else weights[:1])]
    return points


class PlanEvaluator:
    """Calibration accuracies of plans: `score(plan, budget)` -> {task: accuracy}, from the log when known.

    score_fn(plan, budget) does the work (e.g. `skill_accuracy` of the assembled model on the first `budget`
    items per task). Every new evaluation is appended to `log_path` (JSON lines) as it finishes."""

    def __init__(self, score_fn: Callable[[MergePlan, int], dict[str, float]], log_path: str | Path | None = None) -> None:
        self.score_fn, self.log_path = score_fn, Path(log_path) if log_path else None
        self.cache: dict[tuple[str, int], dict[str, float]] = {}
        self.calls, self.computed = 0, 0
        if self.log_path and self.log_path.is_file():
            for line in self.log_path.read_text().splitlines():
                row = json.loads(line)
                self.cache[(row["plan"], row["budget"])] = row["scores"]

    def score(self, plan: MergePlan, budget: int) -> dict[str, float]:
        key = (MergePlan(plan.layers, plan.method, plan.density).to_json(), int(budget))
        self.calls += 1
        if key not in self.cache:
            t0 = time.perf_counter()
            self.cache[key] = self.score_fn(plan, int(budget))
            self.computed += 1
            if self.log_path:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.log_path, "a") as f:
                    f.write(json.dumps({"plan": key[0], "budget": key[1], "scores": self.cache[key],
                                        "seconds": time.perf_counter() - t0}) + "\n")
        return self.cache[key]


@dataclass
class SearchResult:
    """The picked plan, its calibration scores at the largest budget, and every trial (plan, budget, scores)."""

    plan: MergePlan
    scores: dict[str, float]
    trials: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def calibration(self) -> float:
        return float(np.mean(list(self.scores.values())))


def _pick(trials: list[dict], budget: int) -> tuple[MergePlan, dict[str, float]]:
    full = [t for t in trials if t["budget"] >= budget] or trials
    best = max(full, key=lambda t: np.mean(list(t["scores"].values())))
    return best["plan"], best["scores"]


def best_initial_design(space: SearchSpace, evaluator: PlanEvaluator, initial: Sequence[dict],
                        budget: int) -> tuple[MergePlan, dict[str, float]]:
    """The initial design's best plan at the full `budget` (by mean calibration score): the baseline a search
    must beat to have searched at all. Scores come from the evaluator's cache where the search computed them."""
    trials = [{"plan": plan, "budget": budget, "scores": evaluator.score(plan, budget)}
              for plan in (space.decode(p) for p in initial)]
    return _pick(trials, budget)


def search_trace(result: SearchResult, space: SearchSpace, initial: Sequence[dict], budget: int) -> list[dict]:
    """One row per full-budget trial in the order the search ran them: whether the plan came from the initial
    design or from the optimizer, its mean calibration score and the best so far."""
    seed_plans = {space.decode(p).to_json() for p in initial}
    rows, best = [], -np.inf
    for k, t in enumerate(result.trials):
        if t["budget"] < budget:
            continue
        score = float(np.mean(list(t["scores"].values())))
        best = max(best, score)
        rows.append({"trial": k, "own": t["plan"].to_json() not in seed_plans, "calibration": score,
                     "best_so_far": best})
    return rows


def _progress(total: int, desc: str, show: bool):
    from ..core.progress import progress_bar

    return progress_bar(total=total, desc=desc, disable=not show, mininterval=10)


@contextmanager
def _stable_config_hash():
    """SMAC keeps configurations in sets and iterates them in hash order; ConfigSpace hashes a configuration by its
    text, which Python hashes differently in every process, so a seeded search differed between runs. Inside this
    context configurations hash by their numeric vector (floats hash the same everywhere)."""
    from ConfigSpace import Configuration

    original = Configuration.__hash__
    Configuration.__hash__ = lambda self: hash(tuple(np.nan_to_num(self.get_array(), nan=-1.0).tolist()))
    try:
        yield
    finally:
        Configuration.__hash__ = original


@_stable_config_hash()
def search_smac(space: SearchSpace, evaluator: PlanEvaluator, n_trials: int, min_budget: int, max_budget: int,
                seed: int = 0, eta: int = 3, initial: Sequence[dict] = (), output_dir: str | Path | None = None,
                challengers: int = 10000, progress: bool = True) -> SearchResult:
    """The paper's optimizer: SMAC (random forest + log EI), Hyperband over calibration examples per task, ParEGO.
    challengers: random points scored by the acquisition function per suggestion (SMAC's default 10000; fewer
    makes each suggestion cheaper when evaluations are cheap)."""
    import logging
    import tempfile

    from ConfigSpace import Categorical, Configuration, ConfigurationSpace, Float, Integer
    from smac import HyperparameterOptimizationFacade, Scenario
    from smac.intensifier.hyperband import Hyperband
    from smac.multi_objective.parego import ParEGO

    logging.getLogger("smac").setLevel(logging.ERROR)
    cs = ConfigurationSpace(seed=seed)
    for name, kind, bounds in space.names():
        cs.add(Integer(name, bounds) if kind == "int" else Float(name, bounds) if kind == "float"
               else Categorical(name, list(bounds)))
    probe = evaluator.score(space.decode(dict(cs.get_default_configuration())), min_budget)
    objectives = list(probe)
    trials: list[dict] = []
    bar = _progress(n_trials, f"SMAC seed {seed}", progress)

    def target(config: Configuration, seed: int = 0, budget: float = max_budget) -> dict[str, float]:
        plan = space.decode(dict(config))
        scores = evaluator.score(plan, int(round(budget)))
        trials.append({"plan": plan, "budget": int(round(budget)), "scores": scores})
        bar.update()
        return {k: 1.0 - scores[k] for k in objectives}

    out = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="smac-"))
    scenario = Scenario(cs, deterministic=True, n_trials=n_trials, objectives=objectives, min_budget=min_budget,
                        max_budget=max_budget, seed=seed, output_directory=out / f"smac-seed{seed}")
    design = HyperparameterOptimizationFacade.get_initial_design(
        scenario, n_configs=0 if initial else None, additional_configs=[Configuration(cs, values=p) for p in initial])
    smac = HyperparameterOptimizationFacade(
        scenario, target, initial_design=design, intensifier=Hyperband(scenario, eta=eta, incumbent_selection="highest_budget"),
        acquisition_maximizer=HyperparameterOptimizationFacade.get_acquisition_maximizer(scenario, challengers=challengers),
        multi_objective_algorithm=ParEGO(scenario), overwrite=True, logging_level=40)
    t0 = time.perf_counter()
    smac.optimize()
    bar.close()
    plan, scores = _pick(trials, max_budget)
    return SearchResult(plan, scores, trials, time.perf_counter() - t0)


def search_optuna(space: SearchSpace, evaluator: PlanEvaluator, n_trials: int, budget: int, seed: int = 0,
                  initial: Sequence[dict] = (), progress: bool = True) -> SearchResult:
    """A standard alternative: Optuna's multi-objective TPE, every trial at the full `budget`."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objectives = list(evaluator.score(space.decode(space.encode(range(space.n_remove))), budget))
    study = optuna.create_study(directions=["maximize"] * len(objectives),
                                sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True))
    for point in initial:
        study.enqueue_trial(point)
    trials: list[dict] = []
    bar = _progress(n_trials, f"Optuna seed {seed}", progress)

    def objective(trial) -> tuple[float, ...]:
        params = {}
        for name, kind, bounds in space.names():
            params[name] = (trial.suggest_int(name, *bounds) if kind in ("int", "bit") else
                            trial.suggest_float(name, *bounds) if kind == "float" else
                            trial.suggest_categorical(name, list(bounds)))
        plan = space.decode(params)
        scores = evaluator.score(plan, budget)
        trials.append({"plan": plan, "budget": budget, "scores": scores})
        bar.update()
        return tuple(scores[k] for k in objectives)

    t0 = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    bar.close()
    plan, scores = _pick(trials, budget)
    return SearchResult(plan, scores, trials, time.perf_counter() - t0)


def enumerate_removals(space: SearchSpace, evaluator: PlanEvaluator, budget: int, final_budget: int,
                       top: int = 10) -> SearchResult:
    """Every removal set on the base alone (the LR-only space, exhaustively): all at `budget` examples per task,
    the best `top` again at `final_budget`; an oracle removal baseline for small L."""
    t0 = time.perf_counter()
    trials = []
    for removed in itertools.combinations(range(space.n_layers), space.n_remove):
        plan = MergePlan.removal(space.n_layers, removed)
        trials.append({"plan": plan, "budget": budget, "scores": evaluator.score(plan, budget)})
    ranked = sorted(trials, key=lambda t: -np.mean(list(t["scores"].values())))[:top]
    for t in ranked:
        trials.append({"plan": t["plan"], "budget": final_budget, "scores": evaluator.score(t["plan"], final_budget)})
    plan, scores = _pick(trials, final_budget)
    return SearchResult(plan, scores, trials, time.perf_counter() - t0)
