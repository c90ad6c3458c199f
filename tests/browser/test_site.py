"""The built documentation site (`make docs`) in headless Chromium: the landing page's claims dashboard and every
notebook page load without a console error or failed request, every figure image loads, the folium maps start
offline, and a screenshot of each page is saved into the test's temp folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reprolab.catalog import NOTEBOOKS
from reprolab.docs import docs_dir
from reprolab.readme import evidence_runs


pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(serve):
    html = docs_dir() / "_build" / "html"
    if not (html / "index.html").is_file():
        if os.environ.get("REPROLAB_REQUIRE_BROWSER") == "1":
            pytest.fail("the documentation site is not built (make docs)")
        pytest.skip("the documentation site is not built (make docs)")
    return serve(html)


def _figures(notebook: Path) -> int:
    """How many image outputs the executed notebook holds."""
    cells = json.loads(notebook.read_text())["cells"]
    return sum("image/png" in out.get("data", {}) for c in cells for out in c.get("outputs", []))


def _pages() -> dict[str, int]:
    """Site page -> the figures it must show (index.html: the entry point, which leads to the dashboard)."""
    pages = {"index.html": 0}
    for nb in NOTEBOOKS.values():
        if nb.path().is_file():
            pages[f"generated/notebooks/{nb.name}.html"] = _figures(nb.path())
            for m in evidence_runs(nb):
                executed = m.with_name(m.name.replace(".metrics.json", ".ipynb"))
                pages[f"generated/evidence/{executed.stem}.html"] = _figures(executed)
    return pages


def test_dashboard_lists_every_claim_of_every_metrics_file(open_page, site, tmp_path):
    page, problems = open_page(f"{site.url}/index.html")  # the entry point redirects to the dashboard
    page.wait_for_url("**/generated/index.html")
    page.wait_for_load_state("networkidle")
    text = " ".join(page.inner_text("main").split())
    missing = []
    for nb in NOTEBOOKS.values():
        if not nb.path().is_file():
            continue
        for metrics in [nb.metrics_path(), *evidence_runs(nb)]:
            for claim in json.loads(metrics.read_text())["claims"]:
                if " ".join(claim["claim"].split()) not in text:
                    missing.append(f"{metrics.name} {claim['id']}")
    verdict_cells = page.locator("span.verdict").count()
    page.screenshot(path=tmp_path / "index.png", full_page=True)
    page.close()
    assert not problems, problems
    assert not missing, f"claims not on the dashboard: {missing}"
    assert verdict_cells > 0


@pytest.mark.parametrize("path, figures", _pages().items())
def test_page_loads_with_its_figures_and_no_errors(open_page, site, tmp_path, path, figures):
    page, problems = open_page(f"{site.url}/{path}")
    broken = page.evaluate("""() => [...document.images]
        .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src.slice(0, 80))""")
    n_images = page.evaluate("() => document.images.length")
    maps = [frame for frame in page.frames if frame != page.main_frame]
    leaflet = [frame.locator(".leaflet-container").count() for frame in maps]
    page.screenshot(path=tmp_path / (path.replace("/", "_") + ".png"), full_page=True)
    page.close()
    assert not problems, problems
    assert not broken, f"images that did not load: {broken}"
    assert n_images >= figures, f"{n_images} images on the page, the notebook has {figures} figures"
    if "04_calliper" in path:
        assert leaflet and all(n == 1 for n in leaflet), f"folium maps without a Leaflet container: {leaflet}"
