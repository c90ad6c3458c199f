"""AgentAlign synthesis throughput: validated examples per second through the whole pipeline (instantiate, execute
in the sandbox, judge, respond), and the cost of schema validation: `jsonschema` validators compiled once per tool
against `jsonschema.validate`, which re-checks the schema on every call (the sandbox compiles them once).
Run: .venv/bin/python benchmarks/bench_agentalign.py   (a few seconds on 2 cores)
"""

from __future__ import annotations

import os
import platform
import time

import jsonschema

from reprolab import agentalign as aa
from reprolab.core import time_call


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    chains = list(aa.BUILTIN_CHAINS)
    start = time.perf_counter()
    out = aa.synthesize(chains, aa.TemplateBackend(), n_per_chain=20, seed=0)
    seconds = time.perf_counter() - start
    print(f"synthesis: {out.counts['generated']} generated, {len(out.items)} kept in {seconds:.2f} s: "
          f"{out.counts['generated'] / seconds:,.0f} generated and {len(out.items) / seconds:,.0f} validated examples/s")

    calls = [(t, a) for i, _ in out.items for t, a in i.plan]
    compiled = {name: jsonschema.Draft202012Validator(tool.parameters) for name, tool in aa.TOOLS.items()}
    t_compiled, _ = time_call(lambda: [compiled[t].is_valid(a) for t, a in calls], 3, warmup=True)
    t_validate, _ = time_call(lambda: [jsonschema.validate(a, aa.TOOLS[t].parameters) for t, a in calls], 3, warmup=True)
    print(f"schema checks of {len(calls)} calls: compiled validators {t_compiled * 1e3:.1f} ms vs jsonschema.validate "
          f"{t_validate * 1e3:.1f} ms ({t_validate / t_compiled:.1f}x)")


if __name__ == "__main__":
    main()
