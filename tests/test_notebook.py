"""The notebook is reviewed as text: paired with jupytext, committed without outputs, tagged for the official cut."""

import json

import jupytext
import nbformat

from tests.conftest import REPO

IPYNB = REPO / "notebooks" / "monthly_bulletin.ipynb"
PY = REPO / "notebooks" / "monthly_bulletin.py"


def test_committed_without_outputs():
    nb = json.loads(IPYNB.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_pair_in_sync():
    from_py = jupytext.read(PY)
    from_ipynb = nbformat.read(IPYNB, as_version=4)
    src = [(c.cell_type, c.source.strip()) for c in from_py.cells]
    dst = [(c.cell_type, c.source.strip()) for c in from_ipynb.cells]
    assert src == dst, "run: jupytext --sync notebooks/monthly_bulletin.py"
    assert [c.metadata.get("tags", []) for c in from_py.cells] == [
        c.metadata.get("tags", []) for c in from_ipynb.cells
    ]


def test_tags():
    nb = nbformat.read(IPYNB, as_version=4)
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
    assert "parameters" in tags[0]
    assert any("analyst" in t for t in tags)
    # every markdown cell is analyst-only: the official bulletin's text comes from kwstats
    for cell, t in zip(nb.cells, tags, strict=True):
        if cell.cell_type == "markdown":
            assert "analyst" in t
    # the notebook stays thin: no arithmetic on cases in cells
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "groupby" not in code and ".sum(" not in code
