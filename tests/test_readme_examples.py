"""Every `<!-- example: NAME -->` code block of the README runs as written (in a temporary working folder)."""

from __future__ import annotations

import re

import pytest

from reprolab.core.paths import project_root

EXAMPLE = re.compile(r"<!-- example: (\w+) -->\n```python\n(.*?)```", re.S)
EXAMPLES = dict(EXAMPLE.findall((project_root() / "README.md").read_text()))


def test_the_readme_has_its_examples():
    assert {"lift", "seft", "alphadecay", "neurotrails", "coe"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_readme_example_runs(name: str, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_DISABLED", "true")
    namespace: dict = {"__name__": f"readme_example_{name}"}
    exec(compile(EXAMPLES[name], f"README.md example {name}", "exec"), namespace)
    if "optimizer" not in namespace and "trainer" not in namespace:
        return  # an example without training (it ran: that is the test)
    optimizer = namespace["optimizer"] if "optimizer" in namespace else namespace["trainer"].optimizer
    steps = {int(state["step"]) for state in optimizer.state.values() if "step" in state}
    assert steps == {namespace["args"].max_steps}, f"example {name}: the optimizer took {steps} steps"
