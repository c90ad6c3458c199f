"""Opening and saving a committed notebook in JupyterLab changes nothing: Lab's jupytext extension (its contents
manager, the server side of Lab's save) rewrites the paired `.py` byte for byte and the `.ipynb` as committed, so
after a run in Lab `git status` shows the outputs only. The browser test (tests/browser) does it through the UI."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest

from reprolab.catalog import NOTEBOOKS


def _lab_save(folder, name: str) -> None:
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    manager = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=str(folder))

    async def open_and_save() -> None:
        await manager.save(await manager.get(name), name)

    asyncio.run(open_and_save())


@pytest.mark.parametrize("nb", [nb for nb in NOTEBOOKS.values() if nb.path().is_file()], ids=lambda nb: nb.id)
def test_saving_in_lab_rewrites_the_committed_files_unchanged(nb, tmp_path):
    for path in (nb.path(), nb.source()):
        shutil.copy2(path, tmp_path / path.name)
    _lab_save(tmp_path, nb.path().name)
    assert (tmp_path / nb.source().name).read_text() == nb.source().read_text(), (
        f"Lab would rewrite {nb.source().name}: its jupytext header or cell metadata differ from what jupytext writes")
    saved, committed = (json.loads(p.read_text()) for p in (tmp_path / nb.path().name, nb.path()))
    assert saved == committed, f"Lab would rewrite {nb.path().name} (rebuild it: reprolab build {nb.id})"
