"""`reprolab list | run NB [--profile P] [-p key value ...] | run-all | build NB | readme`.

`run` executes a notebook headlessly with papermill into `runs/<nb>/<timestamp>/` (the executed
notebook and its metrics.json) after checking every parameter against the notebook's parameters
cell and its config dataclass, so a bad name or value fails before any work starts.
`build` re-creates the committed, executed `notebooks/<nb>.ipynb` from its jupytext source.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from . import dispatch
from .catalog import NOTEBOOKS, Notebook, UnknownNotebook, find
from .core import progress
from .core.paths import RESUME_ENV, latest_run_folder, new_run_folder
from .core.profiles import OVERRIDES_ENV, ProfileError, describe, fields_of, parse_cli_value, resolve

KERNEL = dispatch.KERNEL_PINNED
DISPATCH_CHOICES = ("pinned", "native")


class UsageError(Exception):
    """A command-line mistake, reported as one line without a traceback."""


@dataclass
class RunSummary:
    """One executed notebook: where it went, how long it took, its claim verdict counts."""

    notebook: str
    seconds: float
    claims: dict[str, int]
    run_dir: Path | None
    error: str | None = None
    state: str = "done"  # done, failed, skipped, interrupted, not run

    @property
    def status(self) -> str:
        return {"done": "ok", "failed": f"FAILED {self.error}"}.get(self.state, f"{self.state}" + (
            f" ({self.error})" if self.error else ""))


@contextmanager
def overrides_environment(sets: dict[str, Any] | None):
    """`$REPROLAB_OVERRIDES` holding `sets` (or unset when there are none) inside the block, restored after."""
    saved = os.environ.get(OVERRIDES_ENV)
    os.environ.pop(OVERRIDES_ENV, None)
    if sets:
        os.environ[OVERRIDES_ENV] = json.dumps(sets)
    try:
        yield
    finally:
        os.environ.pop(OVERRIDES_ENV, None)
        if saved is not None:
            os.environ[OVERRIDES_ENV] = saved


def check_parameters(nb: Notebook, profile: str, params: dict[str, Any], sets: dict[str, Any] | None = None) -> None:
    """Fail with UsageError unless every parameter is in the notebook's parameters cell, every `--set` name is a
    field of the notebook's config dataclass, and the profile plus both resolve on it."""
    import papermill

    if not nb.path().is_file():
        raise UsageError(f"notebook file {nb.path().name} is missing; build it with `make notebook NB={nb.id}`")
    cell = papermill.inspect_notebook(str(nb.path()))
    unknown = sorted(set(params) - set(cell) | ({"profile"} & set(params)))
    if unknown:
        allowed = ", ".join(k for k in cell if k != "profile")
        raise UsageError(f"unknown parameter {', '.join(map(repr, unknown))} for notebook {nb.name}; "
                         f"allowed: {allowed} (choose the profile with --profile)")
    config_cls, profiles = nb.load()
    unknown = sorted(set(sets or {}) - set(fields_of(config_cls)))
    if unknown:
        raise UsageError(f"--set {', '.join(map(repr, unknown))}: not a field of {config_cls.__name__} (notebook "
                         f"{nb.name}); fields: {', '.join(fields_of(config_cls))}")
    both = sorted(set(sets or {}) & set(params))
    if both:
        raise UsageError(f"{', '.join(map(repr, both))} given both with -p and --set; use one")
    try:
        with overrides_environment(sets):
            resolve(config_cls, profiles, profile, **params)
    except ProfileError as err:
        raise UsageError(f"notebook {nb.name}: {err}") from None


PATH_SUFFIXES = ("_path", "_paths", "_root", "_dir")


def absolute_paths(params: dict[str, Any], cwd: Path | None = None) -> dict[str, Any]:
    """Path parameters (names ending in _path, _paths, _root, _dir) as given relative to the caller's working
    directory, made absolute where they exist there: papermill runs the kernel in notebooks/, where a relative path
    would mean something else. Hub-style ids and absolute paths pass unchanged."""
    cwd = cwd or Path.cwd()

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).is_absolute() and (cwd / value).exists():
            return str((cwd / value).resolve())
        return value

    return {k: ([fix(v) for v in value] if isinstance(value, (list, tuple)) else fix(value))
            if k.endswith(PATH_SUFFIXES) else value for k, value in params.items()}


def kernel_name(pinned: bool = True) -> str:
    """The project kernel (pinned CPU dispatch, or `reprolab-native`) where `make setup` registered it,
    else the default python3 (which then gets the dispatch through the environment)."""
    from jupyter_client.kernelspec import KernelSpecManager

    name = dispatch.KERNEL_PINNED if pinned else dispatch.KERNEL_NATIVE
    return name if name in KernelSpecManager().find_kernel_specs() else "python3"


def default_dispatch(profile: str) -> str:
    """`pinned` for the default profile (the numbers CI compares across machines), `native` (the machine's
    fastest kernels) for every other profile."""
    return "pinned" if profile == "default" else "native"


@contextmanager
def kernel_environment(pinned: bool, run_dir: Path, figures_in_run: bool = False, sets: dict[str, Any] | None = None,
                       resume: bool = False):
    """Set, for the kernels started inside, the run folder, the CPU dispatch, progress bars as one final line
    (unless the caller's environment chose a `REPROLAB_PROGRESS` mode), (for non-default profiles) a figures folder
    inside the run folder, the `--set` field overrides (none: unset, whatever the caller's
    environment holds) and whether the run resumes the one in that folder; restore afterwards."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(dispatch.pinned_environ(saved) if pinned else dispatch.native_environ(saved))
    os.environ.pop(OVERRIDES_ENV, None)
    if sets:
        os.environ[OVERRIDES_ENV] = json.dumps(sets)
    os.environ["REPROLAB_RUN_DIR"] = str(run_dir)
    os.environ[progress.ENV] = saved.get(progress.ENV, "final")  # one line per loop in the executed notebook
    os.environ.pop(RESUME_ENV, None)
    if resume:
        os.environ[RESUME_ENV] = "1"
    os.environ.pop("REPROLAB_FIGURES_DIR", None)
    if figures_in_run:
        os.environ["REPROLAB_FIGURES_DIR"] = str(run_dir / "figures")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def runs_of(nb: Notebook) -> Path:
    """`runs/<id>/` of the checkout that holds the notebook: where its run folders go."""
    return nb.path().parent.parent / "runs" / nb.id


def resume_folder(nb: Notebook, profile: str) -> Path:
    """The run folder `-p resume true` continues: the newest `runs/<id>/<timestamp>-<profile>/`."""
    found = latest_run_folder(runs_of(nb), profile)
    if found is None:
        raise UsageError(f"-p resume true: notebook {nb.name} has no earlier run with profile {profile!r} to continue "
                         f"(runs/{nb.id}/ holds none)")
    return found


def run_notebook(nb: Notebook, profile: str = "default", params: dict[str, Any] | None = None,
                 cpu_dispatch: str | None = None, sets: dict[str, Any] | None = None, resume: bool = False) -> RunSummary:
    """Execute `nb` with papermill into `runs/<id>/<timestamp>/`; never touches the committed notebook.

    cpu_dispatch: `pinned` or `native`; None takes `default_dispatch(profile)`. sets: config field values that the
    notebook's `resolve` applies last (`--set`; None values included). resume: run again in the newest run folder of
    this notebook and profile; the training loops there continue from their checkpoints and the finished runs that
    the experiment logged are not logged twice (what exactly continues depends on the notebook's checkpoints: set
    `--set checkpoint_every N` where the config has it)."""
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import DeadKernelError

    params = absolute_paths(dict(params or {}))
    check_parameters(nb, profile, params, sets)
    pinned = (cpu_dispatch or default_dispatch(profile)) == "pinned"
    out = resume_folder(nb, profile) if resume else new_run_folder(runs_of(nb), profile)
    start, error = time.perf_counter(), None
    # only the default profile on the pinned dispatch reproduces the committed figures; every other run keeps its own
    with kernel_environment(pinned, out, figures_in_run=profile != "default" or not pinned, sets=sets, resume=resume):
        try:
            papermill.execute_notebook(str(nb.path()), str(out / f"{nb.name}.ipynb"),
                                       parameters={"profile": profile, **params}, kernel_name=kernel_name(pinned),
                                       progress_bar=True, cwd=str(nb.path().parent))
        except papermill.PapermillExecutionError as err:
            error = f"{err.ename}: {err.evalue}"
        except NoSuchKernel as err:
            error = f"no Jupyter kernel named {err.args[0]!r} on this machine: `make setup` installs it"
        except DeadKernelError:
            error = (f"the kernel died (killed, or out of memory); what the run wrote as it went (results.jsonl, "
                     f"history.jsonl, checkpoints) is in {out}")
    seconds = time.perf_counter() - start
    metrics = out / "metrics.json"
    claims = json.loads(metrics.read_text()).get("claim_counts", {}) if metrics.is_file() else {}
    return RunSummary(nb.name, seconds, claims, out, error, "failed" if error else "done")


def _terminate(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_and_summarise(nbs: Sequence[Notebook], profile: str, params: dict[str, Any], cpu_dispatch: str | None,
                      skipped: Sequence[RunSummary] = (), sets: dict[str, Any] | None = None,
                      resume: bool = False) -> int:
    """Run `nbs` one after another and print the summary whatever happens: a notebook that fails does not stop the
    others, and on Ctrl-C or SIGTERM the summary still lists what finished, what was interrupted and what did not
    run. Exit status: 0 all done, 1 some failed, 130 interrupted."""
    rows: list[RunSummary] = []
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() else None
    try:
        for k, nb in enumerate(nbs):
            start = time.perf_counter()
            try:
                rows.append(run_notebook(nb, profile, params, cpu_dispatch, sets, resume))
            except KeyboardInterrupt:
                rows.append(RunSummary(nb.name, time.perf_counter() - start, {}, None, None, "interrupted"))
                rows += [RunSummary(n.name, 0.0, {}, None, None, "not run") for n in nbs[k + 1:]]
                print(format_summary([*rows, *skipped]))
                return 130
            print(f"{nb.name}: {rows[-1].seconds:.1f}s, {'failed' if rows[-1].error else 'done'}", file=sys.stderr)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print(format_summary([*rows, *skipped]))
    return 1 if any(r.state == "failed" for r in rows) else 0


def format_summary(rows: Sequence[RunSummary]) -> str:
    """The table printed after `run` and `run-all`."""
    heads = ("reproduced", "contradicted", "inconclusive", "not tested")
    lines = [f"{'notebook':<28}{'wall time':>11}" + "".join(f"{h:>14}" for h in heads) + f"{'checks':>12}  status"]
    for r in rows:
        claims, checks = r.claims.get("paper_claims", {}), r.claims.get("checks", {})
        counts = [claims.get(v, 0) for v in ("reproduced", "contradicted", "inconclusive", "not tested at this profile")]
        check_text = f"{checks.get('pass', 0)}/{checks.get('pass', 0) + checks.get('fail', 0)} pass" if checks else "-"
        lines.append(f"{r.notebook:<28}{r.seconds:>10.1f}s" + "".join(f"{n:>14}" for n in counts) +
                     f"{check_text:>12}  {r.status}")
    folders = sorted({str(r.run_dir.parent.parent) for r in rows if r.run_dir is not None})
    if folders:
        lines.append(f"outputs in {', '.join(folders)}")
    return "\n".join(lines)


def source_sha256(nb: Notebook) -> str:
    """sha256 of the notebook's cells as jupytext reads its `.py` source (type, text and tags of each): an executed
    notebook records it, so stale evidence shows. The jupytext header (its version, the kernel) and the text
    layout of the source (a blank line jupytext writes as `#`) change nothing a run computes."""
    import jupytext

    cells = jupytext.read(nb.source()).cells
    payload = [[c.cell_type, c.source, c.metadata.get("tags", [])] for c in cells]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def build_notebook(nb: Notebook, profile: str = "default") -> float:
    """Re-create the notebook from its .py source, execute it, and only when it succeeds replace the committed files.

    default profile: pinned CPU dispatch, into notebooks/<nb>.ipynb and `notebooks/<nb>.metrics.json` (the numbers
    CI compares with). Any other profile (an evidence run): the machine's native dispatch, into
    `notebooks/evidence/<nb>.<profile>.ipynb` with its metrics beside it and its figures in
    `notebooks/evidence/figures/<profile>/<id>/`. The executed notebook records the source's sha256, the profile and
    the wall time in its metadata (`reprolab`). Returns the wall time in seconds."""
    import jupytext
    import papermill

    source = nb.source()
    if not source.is_file():
        raise UsageError(f"notebook source {source.name} is missing")
    profiles = nb.load()[1]
    if profile not in profiles:
        raise UsageError(f"{nb.name} has no profile {profile!r}; its profiles: {', '.join(profiles)}")
    evidence = profile != "default"
    target = nb.evidence_path(profile) if evidence else nb.path()
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "reprolab", "language": "python"}
    if evidence:  # a record of one run, not paired: saving it in Lab must not create a .py beside it
        notebook.metadata.pop("jupytext", None)
    else:  # paired with its source, as JupyterLab's jupytext extension saves it
        notebook.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    with tempfile.TemporaryDirectory(prefix=f"reprolab-build-{nb.id}-") as tmp:
        staged, executed, run = Path(tmp) / "source.ipynb", Path(tmp) / f"{nb.name}.ipynb", Path(tmp) / "run"
        jupytext.write(notebook, staged)
        start = time.perf_counter()
        with kernel_environment(not evidence, run, figures_in_run=evidence):
            try:
                papermill.execute_notebook(str(staged), str(executed), kernel_name=kernel_name(not evidence),
                                           parameters={"profile": profile} if evidence else None, progress_bar=True,
                                           cwd=str(nb.path().parent))
            except papermill.PapermillExecutionError as err:
                raise UsageError(f"{nb.name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}; "
                                 f"the committed notebook is unchanged") from None
        seconds = time.perf_counter() - start
        if not (run / "metrics.json").is_file():
            raise UsageError(f"{nb.name} ran but wrote no metrics.json; the committed notebook is unchanged")
        strip_run_metadata(executed, {"source_sha256": source_sha256(nb), "profile": profile,
                                      "wall_seconds": round(seconds, 1)})
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(executed, target)
        shutil.copyfile(run / "metrics.json", target.with_suffix(".metrics.json"))
        if evidence and (run / "figures" / nb.id).is_dir():
            figures = target.parent / "figures" / profile / nb.id
            shutil.rmtree(figures, ignore_errors=True)
            shutil.copytree(run / "figures" / nb.id, figures)
    return seconds


def strip_run_metadata(path: Path, record: dict[str, Any] | None = None) -> None:
    """Drop what differs between machines and runs from an executed notebook's metadata (absolute paths,
    timestamps) and the cells' run metadata, which JupyterLab's paired save would drop (so opening and saving a
    notebook in Lab changes its outputs only); the code cells' durations in seconds go into
    metadata.reprolab.cell_seconds, beside `record`."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for key in ("input_path", "output_path", "start_time", "end_time"):
        notebook.metadata.get("papermill", {}).pop(key, None)
    seconds = []
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        timing = cell.metadata.pop("papermill", {})
        if cell.cell_type == "code":
            seconds.append(round(timing.get("duration") or 0.0, 2))
    notebook.metadata["reprolab"] = {**(record or {}), "cell_seconds": seconds}
    nbformat.write(notebook, path)


def parse_params(pairs: list[list[str]] | None) -> dict[str, Any]:
    """[['steps', '100'], ...] -> {'steps': 100}; a repeated key or a non-finite number is an error."""
    params: dict[str, Any] = {}
    for key, value in pairs or []:
        if key in params:
            raise UsageError(f"parameter {key!r} given twice")
        try:
            params[key] = parse_cli_value(value)
        except ProfileError as err:
            raise UsageError(f"parameter {key!r}: {err}") from None
    return params


def command_list() -> str:
    lines = [f"{'nb':<4}{'arXiv':<12}{'default':>9}  {'profiles':<28}title"]
    for nb in NOTEBOOKS.values():
        _, profiles = nb.load()
        seconds = nb.measured_seconds()
        wall = f"{seconds:>8.0f}s" if seconds is not None else f"{'-':>9}"
        lines.append(f"{nb.id:<4}{nb.arxiv or '-':<12}{wall}  {', '.join(profiles):<28}{nb.title}")
    return "\n".join(lines)


def parameter_help(nb: Notebook) -> str:
    """`reprolab run NB --help`: the parameters `-p` accepts, then every config field with its type, default, allowed
    range and each profile's value (fields outside the parameters cell are set through a profile)."""
    import papermill

    config_cls, profiles = nb.load()
    settable = [k for k in papermill.inspect_notebook(str(nb.path())) if k != "profile"] if nb.path().is_file() else []
    ranges = getattr(config_cls, "RANGES", {})
    rows = [{**row, "range": ranges.get(row["name"], "")} for row in describe(config_cls, profiles)]
    columns = ["name", "type", "default", "range", *profiles]
    cells = [[str(c) for c in columns]] + [[_short(r[c]) for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    table = ["  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in cells]
    return "\n".join([f"usage: reprolab run {nb.id} [--profile {{{','.join(profiles)}}}] [-p NAME VALUE ...] [--set FIELD VALUE ...]",
                      f"{nb.name}: {nb.title}", f"parameters (-p): {', '.join(settable) or '(none)'}",
                      "any field below: --set FIELD VALUE (JSON; null sets None)",
                      "-p resume true: continue the newest run of this profile in its run folder (from its checkpoints)",
                      "",
                      f"{config_cls.__name__} fields (the profile columns show each profile's value):", *table])


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def add_agentalign_parser(sub) -> None:
    """The `agentalign` subcommands of `reprolab` (run by `reprolab.agentalign.commands`)."""
    parser = sub.add_parser("agentalign", help="AgentAlign data for your own models: synthesize, evaluate")
    commands = parser.add_subparsers(dest="agentalign_command", required=True)
    synth = commands.add_parser("synthesize", help="write the AgentAlign mix in the HF chat format")
    synth.add_argument("out", help="output folder (train.jsonl, test.jsonl, counts.json; or datasets folders)")
    synth.add_argument("--format", choices=("jsonl", "datasets"), default="jsonl")
    evaluate = commands.add_parser("evaluate", help="score a local chat model on the held-out tasks")
    evaluate.add_argument("model", help="a local HF model folder (or a reprolab.lm.pretrained name)")
    evaluate.add_argument("--no-chat-template", action="store_true", help="give the model raw prompts")
    evaluate.add_argument("--max-new-tokens", type=int, default=96)
    evaluate.add_argument("--batch-size", type=int, default=32)
    for p in (synth, evaluate):
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--n-per-chain", type=int, default=10, help="instructions per chain and label")
        p.add_argument("--chains", default="", help="the official chain JSON (default: the 24 built-in chains)")
        p.add_argument("--backend", choices=("template", "openai"), default="template")
        p.add_argument("--base-url", default="", help="openai backend: an OpenAI-compatible /v1 address")
        p.add_argument("--backend-model", default="", help="openai backend: the generator model's name")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reprolab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="notebooks, arXiv ids, profiles, measured default wall time")
    run = sub.add_parser("run", help="run one notebook headlessly into runs/")
    run.add_argument("notebook", help="notebook id, e.g. 02 or 02_chain_of_experts")
    run_all = sub.add_parser("run-all", help="run every notebook and print a summary")
    for p in (run, run_all):
        p.add_argument("--profile", default="default", help="named parameter set (default: default)")
        p.add_argument("--cpu-dispatch", choices=DISPATCH_CHOICES, default=None,
                       help="pinned: AVX2 kernels, the same numbers on any x86-64 machine; native: the CPU's fastest "
                            "kernels (default: pinned for the default profile, native otherwise)")
    run.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"),
                     help="override one parameter of the parameters cell; values are JSON (100, 0.5, true, null, "
                          "[1,2]) or strings; null sets the field to None")
    for p in (run, run_all):
        p.add_argument("--set", nargs=2, action="append", metavar=("FIELD", "VALUE"), dest="set",
                       help="set any field of the notebook's config (see `reprolab run NB --help`), None included")
    build = sub.add_parser("build", help="re-create and execute the committed notebooks/<nb>.ipynb (or, with --profile, "
                                         "its evidence run notebooks/evidence/<nb>.<profile>.ipynb)")
    build.add_argument("notebook")
    build.add_argument("--profile", default="default", help="default, or an evidence profile such as smollm2")
    sub.add_parser("readme", help="rewrite README.md's notebook table from the committed metrics")
    sub.add_parser("docs", help="build the documentation site from the committed executed notebooks (needs the docs "
                                "extra: pip install -e '.[docs]')")
    add_agentalign_parser(sub)
    tailor = sub.add_parser("tailor", help="GPTailor on your own model family: reprolab tailor CONFIG.yaml OUT/")
    tailor.add_argument("config", help="YAML: base, candidates, calibration, remove_fraction, optimizer, trials, ...")
    tailor.add_argument("out", help="output folder: model/, plan.json, trials.jsonl (resumable), summary.json")
    tailor.add_argument("--no-progress", action="store_true")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"] and {"-h", "--help"} & set(argv) and len([a for a in argv[1:] if not a.startswith("-")]) >= 1:
        try:
            print(parameter_help(find(next(a for a in argv[1:] if not a.startswith("-")))))
            return 0
        except UnknownNotebook as err:
            print(f"reprolab: error: {err.args[0] if err.args else err}", file=sys.stderr)
            return 2
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            print(command_list())
            return 0
        if args.command == "docs":
            from .docs import DocsBuildError, build, missing_packages

            missing = missing_packages()
            if missing:
                raise UsageError(f"the docs extra is not installed (missing: {', '.join(missing)}); run "
                                 "`pip install -e '.[docs]'` or `make docs`")
            try:
                index, seconds = build()
            except DocsBuildError as err:
                print(f"reprolab: error: {err}", file=sys.stderr)
                return 1
            print(f"documentation site built in {seconds:.0f}s: {index}")
            return 0
        if args.command == "readme":
            from .readme import update_readme

            print("README.md: notebook table " + ("rewritten" if update_readme() else "already up to date"))
            return 0
        if args.command == "tailor":
            from .layer_merge import tailor as tailoring  # imported only here: it loads transformers

            try:
                cfg = tailoring.load_config(args.config)  # every check before any model is loaded
                tailoring.check_output(cfg, args.out)
            except (ValueError, FileNotFoundError) as err:
                raise UsageError(str(err)) from None
            summary = tailoring.tailor(cfg, args.out, progress=not args.no_progress)
            print(f"{args.out}: removed layers {summary['removed_layers']} of {summary['n_layers']} "
                  f"({1 - summary['parameter_share']:.1%} of the parameters), calibration {summary['calibration']}; "
                  f"{summary['evaluations_computed']} evaluations computed, {summary['evaluations_replayed']} replayed")
            return 0
        if args.command == "agentalign":
            from .agentalign import commands as agentalign_commands  # imported only here: it loads transformers

            try:
                return agentalign_commands.run(args)
            except (ValueError, FileNotFoundError) as err:
                raise UsageError(str(err)) from None
        if args.command == "build":
            nb = find(args.notebook)
            print(f"{nb.name} ({args.profile}): built and executed in {build_notebook(nb, args.profile):.1f}s")
            return 0
        skipped, sets, resume = [], parse_params(args.set), False
        if args.command == "run":
            nbs, params = [find(args.notebook)], parse_params(args.param)
            resume = params.pop("resume", False)
            if not isinstance(resume, bool):
                raise UsageError(f"-p resume takes true or false, got {resume!r}")
            for name in [k for k, v in params.items() if v is None]:  # "-p x null" means None, not "keep"
                sets[name] = params.pop(name)
        else:
            nbs, params = [], {}
            for nb in NOTEBOOKS.values():
                if args.profile in nb.load()[1]:
                    nbs.append(nb)
                else:
                    print(f"{nb.name}: skipped, it has no profile {args.profile!r} (its profiles: "
                          f"{', '.join(nb.load()[1])})", file=sys.stderr)
                    skipped.append(RunSummary(nb.name, 0.0, {}, None, f"no profile {args.profile!r}", "skipped"))
            if not nbs:
                raise UsageError(f"no notebook has a profile {args.profile!r}")
        for nb in nbs:  # validate everything before running anything
            check_parameters(nb, args.profile, params, sets)
            if resume:
                resume_folder(nb, args.profile)
        return run_and_summarise(nbs, args.profile, params, args.cpu_dispatch, skipped, sets, resume)
    except (UsageError, UnknownNotebook) as err:
        print(f"reprolab: error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
