"""JupyterLab out of the box: Lab on 127.0.0.1 with a token, notebook 09 (the shortest) opened in headless Chromium,
every cell run through Lab's own "run all" command, the claim tables shown as HTML tables without an error output,
then saved: its paired `.py` comes back byte for byte and the `.ipynb` differs from the committed one in outputs
only. Lab serves a throw-away copy of the project (`$REPROLAB_ROOT`), so figures and runs land there."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from reprolab.catalog import NOTEBOOKS
from reprolab.core.paths import project_root

pytestmark = pytest.mark.browser
NB = NOTEBOOKS["09"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path, browser):
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy2(project_root() / "pyproject.toml", root)
    for path in (NB.path(), NB.source()):
        shutil.copy2(path, root / "notebooks" / path.name)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True"],
        env={**os.environ, "REPROLAB_ROOT": str(root)}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield url, token, root
    server.terminate()
    server.wait(timeout=30)
    log.close()


NOTEBOOK_STATE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.model.cells;
    let code = 0, done = 0, errors = [];
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        code += 1;
        if (cell.executionCount !== null) done += 1;
        for (const out of cell.outputs.toJSON())
            if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
    }
    return {code, done, errors, busy: panel.sessionContext.session.kernel.status};
}"""


def test_notebook_09_runs_in_lab_and_saves_back_unchanged(lab, browser, tmp_path):
    url, token, root = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/lab/tree/notebooks/{NB.path().name}?token={token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=120_000)
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayName") == "reprolab"
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + 240
    while True:
        state = page.evaluate(NOTEBOOK_STATE)
        if state["errors"] or (state["done"] == state["code"] and state["busy"] == "idle"):
            break
        assert time.monotonic() < deadline, f"notebook 09 did not finish in Lab within 240 s: {state}"
        time.sleep(1)
    assert not state["errors"], f"error outputs in Lab: {state['errors']}"
    tables = page.locator("table.reprolab-claims")
    tables.first.scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / "lab_09_claims.png")
    assert tables.count() == 2 and "Paper claims of 09" in page.locator(".jp-Notebook").inner_text()
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    page.close()
    assert (root / "notebooks" / NB.source().name).read_text() == NB.source().read_text()
    saved, committed = (json.loads(p.read_text()) for p in (root / "notebooks" / NB.path().name, NB.path()))
    assert saved["metadata"] == committed["metadata"]
    assert [(c["cell_type"], c["source"], c["metadata"]) for c in saved["cells"]] == [
        (c["cell_type"], c["source"], c["metadata"]) for c in committed["cells"]]
