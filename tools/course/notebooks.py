"""Reading, cleaning and writing notebooks so that generated files are byte-for-byte stable."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import nbformat

PYTHON3_KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}
# Cell metadata that records a run (timings, scroll state), never content.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")
# Notebook metadata that records a run or a tool, never content.
VOLATILE_NOTEBOOK_METADATA = ("jupytext", "widgets", "varInspector", "toc", "colab")


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat 4 (clear error when the file is not a notebook)."""
    try:
        return nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise ValueError(f"{path} is not a Jupyter notebook (invalid JSON): {exc}") from exc


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The canonical text of a notebook: nbformat's JSON with one trailing newline."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def cell_source(cell: Any) -> str:
    """A cell's source as one string (nbformat may hold a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def strip_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without outputs, execution counts, run metadata or jupytext metadata."""
    nb = copy.deepcopy(nb)
    for key in VOLATILE_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    language = nb.metadata.get("language_info", {}).get("name")
    if language:
        nb.metadata["language_info"] = {"name": language}
    for cell in nb.cells:
        cell.source = cell_source(cell)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "markdown":
            cell.pop("attachments", None)
    return nb


def with_stable_ids(nb: nbformat.NotebookNode, salt: str) -> nbformat.NotebookNode:
    """A copy whose cell ids come from the cell contents (same input, same ids)."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha256(
            f"{salt}\0{cell.cell_type}\0{cell_source(cell)}".encode()
        ).hexdigest()[:12]
        seen[digest] = seen.get(digest, 0) + 1
        cell["id"] = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
    return nb


def normalise_generated(nb: nbformat.NotebookNode, salt: str) -> nbformat.NotebookNode:
    """Clean a generated notebook: no outputs, python3 kernel, content-derived cell ids, and no
    trailing empty cell (otter assign appends one after the export cell)."""
    nb = strip_outputs(nb)
    while nb.cells and not cell_source(nb.cells[-1]).strip():
        nb.cells.pop()
    nb.metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return with_stable_ids(nb, salt)


def normalise_source(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Clean a source notebook in place of an author: no outputs, python3 kernel, ids kept."""
    nb = strip_outputs(nb)
    nb.metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    for index, cell in enumerate(nb.cells):
        if "id" not in cell:
            cell["id"] = hashlib.sha256(f"{index}\0{cell_source(cell)}".encode()).hexdigest()[:12]
    return nb
