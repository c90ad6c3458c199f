"""Sphinx configuration of the reprolab documentation site (`make docs`; see reprolab.docs)."""

import re
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent.parent / "lib" / "reprolab"

project = "reprolab"
author = "reprolab developers"
copyright = "2026, reprolab developers"

extensions = ["myst_nb", "autoapi.extension"]
root_doc = "generated/index"  # written by reprolab.docs.prepare with the claims dashboard
exclude_patterns = ["_build", "generated/**/.ipynb_checkpoints"]
# names such as RunResult exist in several paper modules; cyclic imports between the packages are fine
suppress_warnings = ["ref.python", "autoapi.python_import_resolution"]

# the committed notebooks are already executed: render their outputs, never run them
nb_execution_mode = "off"
nb_output_stderr = "remove"  # kernel warnings and progress-bar residue are not documentation
nb_ipywidgets_js = {}  # no widget state is saved (progress bars show their text): no require.js from a CDN
myst_enable_extensions = ["attrs_inline", "colon_fence", "dollarmath"]
myst_heading_anchors = 3
smartquotes = False  # claims, code names and numbers appear as written (no curly quotes, no en dashes for --)

# API reference from the library's docstrings (parsed from the source, nothing imported). Our docstrings are plain
# text with `name` markup, not reStructuredText: they are shown verbatim, so RST never misreads them.
autoapi_dirs = ["../lib/reprolab"]
autoapi_root = "api"
autoapi_add_toctree_entry = False
autoapi_keep_files = False
autoapi_options = ["members", "show-inheritance", "show-module-summary"]
autoapi_ignore = ["*/tour/*", "*__main__*"]


def _rst_safe(text: str) -> str:
    """One line of plain docstring text as reStructuredText: `name` spans become inline literals, the rest has
    RST's markup characters escaped."""
    parts = re.split(r"(``[^`]+``|`[^`]+`)", text)
    out = []
    for k, part in enumerate(parts):
        if k % 2:  # RST inline markup must not touch a letter or digit: an escaped space separates them
            before = "\\ " if out and out[-1][-1:].isalnum() else ""
            after = "\\ " if k + 1 < len(parts) and parts[k + 1][:1].isalnum() else ""
            out.append(before + "``" + part.strip("`").strip() + "``" + after)
        else:
            out.append(re.sub(r"([\\*_|`<>\[\]])", r"\\\1", part))
    return "".join(out)


def _verbatim_docstring(app, what, name, obj, options, lines):
    """The first paragraph as prose (the summary tables use it), everything after it verbatim."""
    if not lines:
        return
    cut = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    summary = _rst_safe(" ".join(line.strip() for line in lines[:cut]))
    rest = [line for line in lines[cut:]]
    while rest and not rest[0].strip():
        rest.pop(0)
    lines[:] = [summary, ""] + (["::", ""] + ["    " + line for line in rest] + [""] if rest else [])


def _shadowed_by_a_module(app, what, name, obj, skip, options):
    """Skip a package attribute named like one of its submodules (`reprolab.lift.finetune`, the function, beside
    the module `reprolab.lift.finetune`): the module's page documents it."""
    if what != "module" and what != "package":
        path = LIBRARY.joinpath(*name.split(".")[1:])
        if path.with_suffix(".py").is_file() or path.is_dir():
            return True
    return skip


def setup(app):
    app.connect("autodoc-process-docstring", _verbatim_docstring)
    app.connect("autoapi-skip-member", _shadowed_by_a_module)
    app.add_css_file("reprolab.css")


html_theme = "pydata_sphinx_theme"
html_title = "reprolab"
html_favicon = "_static/favicon.svg"  # without one the browser asks the server for /favicon.ico (a 404)
html_static_path = ["_static", "generated/static"]  # generated/static: MathJax, copied by reprolab.docs.prepare
mathjax_path = "mathjax/tex-mml-chtml.js"  # served from the site (no CDN): the site works offline
html_context = {"default_mode": "light"}  # the theme logs a console error when no mode is stored yet
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2, "navbar_align": "left", "header_links_before_dropdown": 1,
                      "footer_start": ["copyright"], "footer_end": []}
html_sidebars = {"generated/index": []}
