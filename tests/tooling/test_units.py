"""Fast checks of the tooling's building blocks: notebooks, zips, config, set-up cells, leaks."""

from __future__ import annotations

import importlib.util
import io
import json
import math
import shutil
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from tools.course.answer_keys import key_without_setup_cell
from tools.course.config import CourseConfigError, load_course_config
from tools.course.layout import CourseLayout, LayoutError
from tools.course.leaks import find_leaks, hidden_module_secrets, solution_secrets
from tools.course.notebooks import normalise_generated, notebook_text, strip_outputs
from tools.course.otter_format import in_test_regions, read_assignment_config, region_marker
from tools.course.setup_cells import (
    find_setup_cell,
    grading_requirements_text,
    setup_cell_source,
    with_setup_cell,
)
from tools.course.zipfiles import (
    FIXED_DATE_TIME,
    UnsafeZipError,
    notebook_from_submission_zip,
    write_deterministic_zip,
)
from vae_grading.contract import is_ignored

REPO = CourseLayout()


def _executed_notebook() -> nbformat.NotebookNode:
    cell = new_code_cell("print(1)", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    cell.metadata["execution"] = {"iopub.status.busy": "2024-01-01"}
    nb = new_notebook(cells=[new_markdown_cell("# Title"), cell])
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    nb.metadata["kernelspec"] = {"name": "my-env", "display_name": "mine", "language": "python"}
    return nb


def test_strip_outputs_removes_outputs_counts_and_run_metadata() -> None:
    cleaned = strip_outputs(_executed_notebook())
    code = cleaned.cells[1]
    assert code.outputs == [] and code.execution_count is None
    assert "execution" not in code.metadata
    assert "jupytext" not in cleaned.metadata


def test_generated_notebooks_are_reproducible_and_use_python3() -> None:
    first = notebook_text(normalise_generated(_executed_notebook(), salt="01_x"))
    second = notebook_text(normalise_generated(_executed_notebook(), salt="01_x"))
    assert first == second
    nb = nbformat.reads(first, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    assert len({c.id for c in nb.cells}) == len(nb.cells)


def test_deterministic_zip_is_sorted_dated_and_byte_identical(tmp_path: Path) -> None:
    members = {"tests/q2.py": b"b", "run_autograder": b"#!/bin/bash\n", "tests/q1.py": b"a"}
    write_deterministic_zip(tmp_path / "a.zip", members)
    write_deterministic_zip(tmp_path / "b.zip", dict(reversed(members.items())))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(members)
    assert all(i.date_time == FIXED_DATE_TIME for i in infos)
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes == {"run_autograder": 0o755, "tests/q1.py": 0o644, "tests/q2.py": 0o644}


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_submission_zip_yields_only_the_notebook(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    path.write_bytes(
        _zip_bytes({".OTTER_LOG": b"evil", "../../escape.ipynb": b"{}", "work/hw.ipynb": b"{1}"})
    )
    name, data = notebook_from_submission_zip(path, "01_x.ipynb")
    assert (name, data) == ("work/hw.ipynb", b"{1}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zip"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"notes.txt": b"x", ".OTTER_LOG": b"x"}, "no .ipynb"),
        ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "several notebooks"),
    ],
)
def test_submission_zip_without_one_notebook_is_refused(
    tmp_path: Path, members: dict[str, bytes], message: str
) -> None:
    path = tmp_path / "s.zip"
    path.write_bytes(_zip_bytes(members))
    with pytest.raises(UnsafeZipError, match=message):
        notebook_from_submission_zip(path, "01_x.ipynb")


def test_broken_zip_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnsafeZipError, match="cannot read zip"):
        notebook_from_submission_zip(path, "01_x.ipynb")


def test_course_config_rejects_a_non_github_url(tmp_path: Path) -> None:
    toml = tmp_path / "course.toml"
    toml.write_text(
        '[course]\nrepo_url = "https://example.org/x"\nrelease = "v1"\n'
        '[grading]\npython_version = "3.11"\notter_version = "7.0.0"\n'
    )
    with pytest.raises(CourseConfigError, match="github.com/OWNER/REPO"):
        load_course_config(toml)


def test_course_config_names_a_missing_setting(tmp_path: Path) -> None:
    toml = tmp_path / "course.toml"
    toml.write_text('[course]\nrepo_url = "https://github.com/a/b"\n')
    with pytest.raises(CourseConfigError, match="release"):
        load_course_config(toml)


def test_setup_cell_is_generated_from_course_toml() -> None:
    course = load_course_config()
    source = setup_cell_source(course, "03_vae_implementation")
    owner, repo = course.github_owner_and_repo
    assert course.helpers_requirement in source
    assert f"otter-grader=={course.otter_version}" in source
    assert f"raw.githubusercontent.com/{owner}/{repo}/{course.release}" in source
    assert '_set_up_course("03_vae_implementation")' in source
    assert max(len(line) for line in source.splitlines()) <= 100
    compile(source, "<set-up cell>", "exec")


def test_setup_cell_replaces_the_tagged_first_code_cell_or_is_inserted() -> None:
    course = load_course_config()
    tagged = new_code_cell("old", metadata={"tags": ["otter_ignore"]})
    nb = new_notebook(cells=[new_markdown_cell("# T"), tagged, new_code_cell("import otter")])
    updated = with_setup_cell(nb, course, "01_x")
    assert len(updated.cells) == 3 and updated.cells[1].source == setup_cell_source(course, "01_x")

    plain = new_notebook(cells=[new_markdown_cell("# T"), new_code_cell("import otter")])
    inserted = with_setup_cell(plain, course, "01_x")
    assert len(inserted.cells) == 3 and find_setup_cell(inserted) == 1
    assert inserted.cells[2].source == "import otter"


def test_setup_cell_fetches_public_tests_in_colab(tmp_path: Path, monkeypatch) -> None:
    """Run the generated cell as Colab would (network and pip replaced by fakes)."""
    import subprocess
    import sys
    import types
    import urllib.request

    published = {"metadata": {"otter": {"tests": {"q1": "# public q1\n"}}}, "cells": []}
    calls = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(
        urllib.request, "urlopen", lambda url: io.BytesIO(json.dumps(published).encode())
    )
    exec(setup_cell_source(load_course_config(), "01_x"), {})
    assert (tmp_path / "tests" / "q1.py").read_text() == "# public q1\n"
    assert json.loads((tmp_path / "01_x.ipynb").read_text()) == published
    assert calls == []  # otter and vae_helpers are installed here: nothing to pip install


def test_grading_requirements_get_pinned_otter_and_the_zipped_packages() -> None:
    course = load_course_config()
    text = grading_requirements_text(
        "# comment\ntorch==2.0+cpu\nvae-helpers @ git+https://old@v0#subdirectory=helpers\n",
        course,
    )
    lines = text.splitlines()
    assert "./packages/vae-helpers" in lines and "./packages/vae-grading" in lines
    assert course.otter_grading_requirement in lines
    assert "vae-helpers @ git+https://old@v0#subdirectory=helpers" not in lines
    assert grading_requirements_text(text, course) == text


def test_committed_grading_requirements_match_course_toml() -> None:
    current = REPO.grading_requirements.read_text()
    assert grading_requirements_text(current, load_course_config()) == current, (
        "run `python -m tools.setup_cell`"
    )


def test_unknown_assignment_gets_one_clear_message() -> None:
    with pytest.raises(LayoutError, match="unknown assignment"):
        REPO.select(["99_nope"])


def test_sources_share_one_assignment_config_except_name() -> None:
    names = REPO.assignments()
    assert names, "no sources in solutions/"
    configs = {}
    for name in names:
        path = REPO.source(name)
        config = read_assignment_config(nbformat.read(path, as_version=4), path)
        assert config.pop("name") == name, f"{path}: ASSIGNMENT CONFIG name must be {name}"
        configs[name] = config
    first = names[0]
    for name in names[1:]:
        assert configs[name] == configs[first], f"{name} config differs from {first}"
    assert str(configs[first]["python_version"]) == load_course_config().python_version


def test_sources_have_current_setup_cells() -> None:
    from tools.setup_cell import main as setup_cell_main

    assert REPO.assignments(), "no sources in solutions/"
    assert setup_cell_main(["--check"]) == 0, "run `python -m tools.setup_cell`"


def _question_source(solution: str) -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_raw_cell("# BEGIN QUESTION\nname: q1"),
            new_raw_cell("# BEGIN SOLUTION"),
            new_code_cell(f"def f(x):\n    # BEGIN SOLUTION\n    {solution}\n    # END SOLUTION"),
            new_raw_cell("# END SOLUTION"),
            new_raw_cell("# BEGIN TESTS"),
            new_code_cell("def test_public(f):\n    assert callable(f), 'define f'"),
            new_raw_cell("# END TESTS"),
            new_raw_cell("# END QUESTION"),
        ]
    )


def test_leak_scan_finds_solution_and_hidden_test_text(tmp_path: Path) -> None:
    solution = "return torch.logsumexp(x, dim=0) - math.log(len(x))"
    hidden = "assert f(torch.ones(97)).item() == pytest.approx(1.0), 'wrong mean'"
    module = tmp_path / "01_x.py"
    module.write_text(f"def verdict(f):\n    {hidden}\n")
    secrets = solution_secrets(_question_source(solution), "01_x")
    secrets += hidden_module_secrets(module, "01_x")
    assert len(secrets) == 2

    clean = tmp_path / "clean.ipynb"
    clean.write_text(json.dumps({"cells": [{"source": ["def f(x):\n", "    ...\n"]}]}))
    leaky = tmp_path / "leaky.ipynb"
    leaky.write_text(json.dumps({"cells": [{"source": [f"y = 1\n{solution}\n"]}]}))
    quoted = tmp_path / "notes.md"
    quoted.write_text(f"Hint: {hidden.replace(chr(39), chr(34))}\n")

    leaks = find_leaks(secrets, [clean, leaky, quoted])
    assert {(leak.path.name, leak.secret.origin.split()[1]) for leak in leaks} == {
        ("leaky.ipynb", "solution"),
        ("notes.md", "hidden"),
    }


def test_sources_seed_torch_through_otters_seed_variable() -> None:
    """A graded cell sets `seed = N` and seeds torch with it; no otter `seed:` rewrite is used."""
    import re

    names = REPO.assignments()
    assert names, "no sources in solutions/"
    for name in names:
        nb = nbformat.read(REPO.source(name), as_version=4)
        graded = [c.source for c in nb.cells if c.cell_type == "code" and not is_ignored(c)]
        assert any(
            re.search(r"^seed = \d+\s*$", s, re.MULTILINE)
            and re.search(r"(seed_everything|torch\.manual_seed)\(seed\)", s)
            for s in graded
        ), f"{name}: add `seed = 42` and `seed_everything(seed)` to the imports cell"
        config = read_assignment_config(nb, REPO.source(name))
        assert "seed" not in config, f"{name}: otter's seed rewrite breaks `seed=seed,` lines"


def test_assignment_config_refuses_otters_seed_rewrite(tmp_path: Path) -> None:
    from tools.course.otter_format import AssignmentConfigError, check_assignment_config

    course = load_course_config()
    config = {"name": "01_x", "python_version": course.python_version, "seed": {"variable": "s"}}
    with pytest.raises(AssignmentConfigError, match=r"remove `seed:`.*`seed=seed,`"):
        check_assignment_config(config, tmp_path / "01_x.ipynb", course)


def test_colab_badge_links_the_release_and_is_placed_after_the_config() -> None:
    from tools.course.setup_cells import (
        colab_badge_source,
        course_cells_problems,
        with_course_cells,
    )

    course = load_course_config()
    owner, repo = course.github_owner_and_repo
    badge = colab_badge_source(course, "01_x")
    assert badge.startswith("[![Open In Colab](https://colab.research.google.com/assets/")
    assert badge.endswith(
        f"(https://colab.research.google.com/github/{owner}/{repo}/blob/{course.release}"
        "/notebooks/01_x/01_x.ipynb)"
    )
    config = new_raw_cell("# ASSIGNMENT CONFIG\nname: 01_x")
    nb = new_notebook(cells=[config, new_markdown_cell("# T"), new_code_cell("import otter")])
    assert course_cells_problems(nb, course, "01_x") == [
        "the first code cell is not the set-up cell (tag otter_ignore)",
        "there is no Open in Colab badge",
    ]
    current = with_course_cells(nb, course, "01_x")
    assert [c.cell_type for c in current.cells] == ["raw", "markdown", "markdown", "code", "code"]
    assert current.cells[1].source == badge
    assert course_cells_problems(current, course, "01_x") == []
    assert with_course_cells(current, course, "01_x").cells == current.cells  # idempotent
    current.cells[1].source = badge.replace(course.release, "v0.9")
    assert course_cells_problems(current, course, "01_x") == [
        "the Open in Colab badge does not link to course.toml's repository/release"
    ]


def test_versions_come_from_course_toml() -> None:
    """Python and otter versions are written once, in course.toml, and agree everywhere."""
    course = load_course_config()
    requirements = (REPO.root / "requirements.txt").read_text()
    assert f"otter-grader=={course.otter_version}" in requirements
    for name in ("environment.yml", "environment-cpu.yml"):
        environment = (REPO.root / name).read_text()
        assert f"python={course.python_version}" in environment, name
    grading = REPO.grading_requirements.read_text()
    assert f"otter-grader[grading,plugins]=={course.otter_version}" in grading
    for name in REPO.assignments():
        path = REPO.source(name)
        config = read_assignment_config(nbformat.read(path, as_version=4), path)
        assert str(config["python_version"]) == course.python_version, name


def test_the_cpu_route_installs_the_same_packages_with_cpu_torch() -> None:
    """requirements-cpu.txt is requirements.txt plus the PyTorch CPU index, nothing else."""
    import yaml

    lines = [
        line.strip()
        for line in (REPO.root / "requirements-cpu.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines == [
        "--index-url https://download.pytorch.org/whl/cpu",
        "--extra-index-url https://pypi.org/simple",
        "-r requirements.txt",
    ]
    for name, requirements in (
        ("environment.yml", "requirements.txt"),
        ("environment-cpu.yml", "requirements-cpu.txt"),
    ):
        deps = yaml.safe_load((REPO.root / name).read_text())["dependencies"]
        pip = next(d["pip"] for d in deps if isinstance(d, dict))
        assert pip == [f"-r {requirements}"], name


def test_commands_read_the_course_toml_of_their_root(tmp_path: Path) -> None:
    """A checkout elsewhere is configured by its own course.toml, not this repository's."""
    from tools.setup_cell import main as setup_cell_main

    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    (root / "course.toml").write_text("[course]\n")
    assert setup_cell_main(["--check", "--root", str(root)]) == 2


def test_strip_outputs_cleans_the_checkout_named_by_root(tmp_path: Path) -> None:
    """`--root` picks the checkout (its course.toml, solutions/ and notebooks/), not this one."""
    from tools.strip_outputs import main as strip_main

    root = tmp_path / "course"
    shutil.copytree(REPO.solutions, root / "solutions")
    shutil.copy(REPO.course_toml, root / "course.toml")
    notebook = root / "notebooks" / "01_x" / "01_x.ipynb"
    notebook.parent.mkdir(parents=True)
    nbformat.write(_executed_notebook(), notebook)
    source = root / "solutions" / f"{REPO.assignments()[0]}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[find_setup_cell(nb) or 0].source = "# stale set-up cell"
    nbformat.write(nb, source)

    assert strip_main(["--check", "--root", str(root)]) == 1
    assert strip_main(["--root", str(root)]) == 0
    assert strip_main(["--check", "--root", str(root)]) == 0
    assert nbformat.read(notebook, as_version=4).cells[1].outputs == []
    cleaned = nbformat.read(source, as_version=4)
    assert cleaned.cells[find_setup_cell(cleaned) or 0].source != "# stale set-up cell"


@pytest.mark.parametrize("name", REPO.assignments())
def test_export_cell_saves_first_and_starts_no_test_kernel(name: str) -> None:
    """The submission includes unsaved edits (force_save), and exporting starts no unencrypted
    test kernel (run_tests off), whose warning alarmed students."""
    nb = nbformat.read(REPO.student_notebook(name), as_version=4)
    exports = [c.source for c in nb.cells if c.cell_type == "code" and "grader.export(" in c.source]
    assert len(exports) == 1, f"{name}: expected one export cell"
    assert "force_save=True" in exports[0] and "run_tests=True" not in exports[0], exports[0]


def test_gpu_keys_runs_the_cells_the_tools_run() -> None:
    """bench/gpu_keys.py picks cells without nbformat (GPU machines lack it): the same cells."""
    spec = importlib.util.spec_from_file_location(
        "gpu_keys", CourseLayout().root / "bench" / "gpu_keys.py"
    )
    assert spec is not None and spec.loader is not None
    gpu_keys = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_keys)
    for assignment in CourseLayout().assignments():
        nb = key_without_setup_cell(assignment)
        expected = [
            cell.source
            for cell, in_tests in zip(nb.cells, in_test_regions(nb), strict=True)
            if cell.cell_type == "code" and not in_tests and region_marker(cell) is None
        ]
        assert gpu_keys.code_cells(assignment) == expected, assignment


def test_plugin_report_lists_each_question_score() -> None:
    from vae_grading.otter_plugin import TrustedVerdicts
    from vae_grading.scoring import QuestionScore

    plugin = TrustedVerdicts.__new__(TrustedVerdicts)
    assert "did not reach its verdicts" in plugin.generate_report()
    plugin.scores = {"q1": QuestionScore("q1", 1.0, 1.0), "q10": QuestionScore("q10", 0.5, 2.0)}
    assert plugin.generate_report().splitlines() == [
        "question  score",
        "q1        1 / 1",
        "q10       0.5 / 2",
    ]


def test_grading_kernels_use_ipc_not_tcp() -> None:
    from vae_grading.kernels import IPCKernelManager

    assert IPCKernelManager().transport == "ipc"


def test_gradescope_feedback_marks_passed_and_failed_checks() -> None:
    from vae_grading.evidence import CheckResult
    from vae_grading.otter_plugin import _as_test_file
    from vae_grading.scoring import QuestionScore

    score = QuestionScore(
        "q2", 0.5, 1.0, [CheckResult("values", True), CheckResult("gradients", False, "no grad")]
    )
    summary = _as_test_file(score).summary()
    assert "q2 values result:\n        ✓ passed" in summary
    assert "q2 gradients result:\n        ✗ no grad" in summary


def test_ipc_sockets_fall_back_to_tcp_where_their_path_would_be_too_long(tmp_path: Path) -> None:
    from vae_grading.kernels import IPCKernelManager, ipc_paths_fit

    short = "/tmp/vae-kernel-abc/conn/kernel-0123456789ab.json"
    deep = "/tmp/" + "d" * 80 + "/conn/kernel-0123456789ab.json"
    assert ipc_paths_fit(short) and not ipc_paths_fit(deep)
    assert IPCKernelManager(connection_file=short).transport == "ipc"
    assert IPCKernelManager(connection_file=deep).transport == "tcp"


def test_ipc_falls_back_when_the_connection_file_is_moved_deep_after_start() -> None:
    from vae_grading.kernels import IPCKernelManager

    manager = IPCKernelManager()
    manager.connection_file = "/tmp/" + "d" * 80 + "/conn/kernel-0123456789ab.json"
    assert manager.transport == "tcp"


def test_gradescope_score_is_the_verdicts_score_with_weights_and_the_goal_cap() -> None:
    from vae_grading.evidence import Checks, Question, goal, guard, part
    from vae_grading.otter_plugin import UNCOUNTED_TEXT, _as_test_file
    from vae_grading.probes import Report
    from vae_grading.scoring import judge

    def verdict(inputs: Any, out: Any, checks: Checks) -> None:
        for name, passed in out.items():
            checks.add(name, passed, f"{name} failed")

    specs = (goal("value", "the value"), part("grad", "the gradient", 2), guard("shape", "shape"))
    question = Question("q9", specs, lambda rng: {}, lambda ns, i: {}, verdict)
    cases = {
        (True, True, True): 6.0,
        (True, False, True): 4.0,  # the goal (weight 3, as much as the rest) and the shape (1)
        (False, True, True): 6.0 * 0.25,  # grad alone is 2/6 of the points, capped at 25 %
        (False, False, True): 0.0,  # a guard counts nothing while the goal fails
    }
    for (value, grad, shape), expected in cases.items():
        outputs = {"value": value, "grad": grad, "shape": shape}
        score = judge(question, {}, Report(outputs, None), 6.0)
        test_file = _as_test_file(score)
        assert math.isclose(score.score, expected)
        assert math.isclose(test_file.score, score.score)
        assert math.isclose(test_file.possible, 6.0)
        summary = test_file.summary()
        assert ("q9 shape result:\n        ✓ passed" + UNCOUNTED_TEXT in summary) == (not value)
        if not grad:
            assert "q9 grad result:\n        ✗ grad failed" in summary
        capped = not value and score.score > 0
        assert ("keeps at most 25%" in score.feedback()) == capped  # the local feedback agrees
