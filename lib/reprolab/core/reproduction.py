"""Compare a fresh execution's `metrics.json` with the committed one, number by number.

The default profiles pin the CPU dispatch (`reprolab.dispatch`), so a fresh machine must reproduce
every committed number; only what measures the machine itself (wall times, throughput) and the
`environment` block are left out. Numbers agree when equal within `rel_tol` (1e-9 relative).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Iterator

# Quantities that measure the machine, not the method: a key (one path component) matching this.
MACHINE_DEPENDENT = re.compile(r"(^|_)(seconds|secs|wall|wall_s|time_s|elapsed|per_s|per_second|throughput|"
                               r"tokens_per_s|examples_per_s|speed|timing|ms)($|_)", re.IGNORECASE)
SKIPPED_BLOCKS = ("environment",)


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) pairs of a JSON value; paths like `metrics.runs[3].loss`. Machine-dependent keys are skipped."""
    if isinstance(value, dict):
        for key, item in value.items():
            if (not prefix and key in SKIPPED_BLOCKS) or MACHINE_DEPENDENT.search(str(key)):
                continue
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, value


def _same(a: Any, b: Any, rel_tol: float) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool) or not (isinstance(a, numbers) and isinstance(b, numbers)):
        return type(a) is type(b) and a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=rel_tol * 1e-3)


def differences(committed: dict[str, Any], fresh: dict[str, Any], rel_tol: float = 1e-9) -> list[str]:
    """Every quantity that differs, in the committed file's order: `path: committed -> fresh`
    (`missing` where one side lacks it)."""
    old, new = dict(flatten(committed)), dict(flatten(fresh))
    out = [f"{path}: {value!r} -> {new[path]!r}" if path in new else f"{path}: {value!r} -> missing"
           for path, value in old.items() if path not in new or not _same(value, new[path], rel_tol)]
    out += [f"{path}: missing -> {new[path]!r}" for path in new if path not in old]
    return out


def _dispatch_line(payload: dict[str, Any]) -> str:
    d = payload.get("environment", {}).get("dispatch", {})
    if not d:
        return "not recorded"
    return (f"{'pinned' if d.get('pinned') else 'native'}, torch {d.get('torch_cpu_capability', '?')}, "
            f"BLAS {', '.join(d.get('blas', [])) or '?'}, variables {d.get('variables')}, CPU {d.get('cpu', '?')}")


def reproduction_report(name: str, committed_path: Path, fresh_path: Path, rel_tol: float = 1e-9,
                        show: int = 8) -> str | None:
    """None when the fresh metrics reproduce the committed ones; else a report naming the notebook, the first
    `show` differing quantities and both machines' CPU dispatch."""
    committed = json.loads(Path(committed_path).read_text())
    fresh = json.loads(Path(fresh_path).read_text())
    diff = differences(committed, fresh, rel_tol)
    if not diff:
        return None
    lines = [f"{name}: {len(diff)} quantities differ from the committed {Path(committed_path).name} "
             f"(relative tolerance {rel_tol:g}); first {min(show, len(diff))}:"]
    lines += [f"  {d}" for d in diff[:show]]
    lines += [f"  committed run's dispatch: {_dispatch_line(committed)}", f"  this run's dispatch:      {_dispatch_line(fresh)}"]
    return "\n".join(lines)
