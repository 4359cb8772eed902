"""The Colab path end to end: the set-up cell fetches the published notebook and public checks.

A student edition (`tools.release`) is served over a local HTTP server; the set-up cell, made
from course settings whose download base points at that server, runs first in a fresh kernel in
an empty folder with a stand-in `google.colab` module; then `grader.check` works on a question.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tools.course.config import load_course_config
from tools.course.edition import write_edition
from tools.course.layout import CourseLayout
from tools.course.setup_cells import setup_cell_source

ASSIGNMENT = "02_vae_theory"
REPO = CourseLayout()


@pytest.fixture
def served_edition(tmp_path: Path) -> Iterator[str]:
    """A student edition served on 127.0.0.1 as the release's raw files; yields its base URL."""
    edition = tmp_path / "edition"
    write_edition(REPO, load_course_config(), edition, allow_placeholder=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(edition))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_setup_cell_fetches_public_checks_in_colab(served_edition: str, tmp_path: Path) -> None:
    course = dataclasses.replace(load_course_config(), download_base_override=served_edition)
    work = tmp_path / "colab"
    work.mkdir()
    cells = [
        "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')",
        setup_cell_source(course, ASSIGNMENT),
        f'import otter\ngrader = otter.Notebook("{ASSIGNMENT}.ipynb")',
        "import torch\n"
        "def gaussian_kl(mu, logvar):\n"
        "    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)\n"
        'result = grader.check("q2")\n'
        "print('PASSED' if result.passed_all_public else 'FAILED', result)",
        'wrong = grader.check("q1", {"q1_answer": "e"})\n'
        "print('WRONG-REJECTED' if not wrong.passed_all_public else 'WRONG-ACCEPTED')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    ).execute()
    output = "".join(
        o.get("text", "")
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if o.get("name") == "stdout"
    )
    assert "Set-up done" in output
    assert (work / f"{ASSIGNMENT}.ipynb").is_file() and (work / "tests" / "q2.py").is_file()
    assert "PASSED" in output and "WRONG-REJECTED" in output, output
