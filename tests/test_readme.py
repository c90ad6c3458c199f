"""The README's notebook table is generated from the committed metrics and cannot drift from them."""

from __future__ import annotations

from reprolab.core import project_root
from reprolab.readme import BEGIN, END, notebook_table, update_readme


def test_readme_table_equals_the_committed_metrics():
    text = (project_root() / "README.md").read_text()
    assert BEGIN in text and END in text
    committed = BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END
    assert committed == notebook_table(), "README.md's notebook table is stale: run `reprolab readme`"


def test_update_rewrites_only_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{BEGIN}\nold\n{END}\n\nafter\n")
    assert update_readme(readme)
    text = readme.read_text()
    assert text.startswith("# title\n\n") and text.endswith("\n\nafter\n") and "old" not in text
    assert not update_readme(readme)
