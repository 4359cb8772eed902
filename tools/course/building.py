"""One `otter assign` run per source, normalised outputs, and comparing them with disk.

The command is `tools/build.py`; this module is what it (and verify, bench, tests) build with.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import nbformat

from tools.course.config import (
    PACKAGES_DIR,
    ZIPPED_PACKAGES,
    CourseConfig,
)
from tools.course.layout import ASSIGNMENT_NAME, CourseLayout
from tools.course.notebooks import (
    normalise_generated,
    normalise_source,
    notebook_text,
    read_notebook,
)
from tools.course.otter_format import (
    GradingCellsError,
    check_assignment_config,
    read_assignment_config,
    with_trusted_grading,
)
from tools.course.setup_cells import grading_requirements_text, with_course_cells
from tools.course.workload import items
from tools.course.zipfiles import read_zip_members, write_deterministic_zip
from vae_grading.contract import HIDDEN_TESTS_MEMBER
from vae_grading.scoring import HiddenTestsError, load_questions


class BuildError(RuntimeError):
    """`otter assign` failed or produced something unexpected for one assignment."""


@dataclass
class BuiltAssignment:
    """What one assignment's build produced: files (path relative to the root → bytes), the key."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    key_notebook: Path | None = None
    seconds: float = 0.0


def clean_source(path: Path, course: CourseConfig) -> str:
    """The canonical text of a source: outputs stripped, python3 kernel, current course cells."""
    nb = normalise_source(read_notebook(path))
    return notebook_text(with_course_cells(nb, course, path.stem))


def _run_otter_assign(source: Path, result: Path) -> None:
    """Run `otter assign` without its own test run (tools.verify grades the key instead)."""
    command = [
        sys.executable,
        "-m",
        "otter",
        "assign",
        "--no-run-tests",
        "--no-pdfs",
        str(source),
        str(result),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    completed = subprocess.run(
        command, cwd=source.parent, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr).strip().splitlines()
        tail = "\n    ".join(output[-25:])
        raise BuildError(f"otter assign failed for {source.name}:\n    {tail}")


def build_assignment(
    layout: CourseLayout, name: str, course: CourseConfig, work: Path
) -> BuiltAssignment:
    """Run otter assign on one source inside `work` and collect the normalised outputs."""
    started = time.perf_counter()
    source_path = layout.source(name)
    source_nb = read_notebook(source_path)
    check_assignment_config(read_assignment_config(source_nb, source_path), source_path, course)

    src_dir, out_dir = work / "src", work / "out"
    src_dir.mkdir(parents=True)
    hidden_path = layout.hidden_tests(name)
    try:
        hidden = [q.name for q in load_questions(hidden_path)]
        assign_ready = with_trusted_grading(
            nbformat.reads(clean_source(source_path, course), as_version=4), name, hidden
        )
    except (HiddenTestsError, GradingCellsError) as exc:
        raise BuildError(str(exc)) from exc
    (src_dir / source_path.name).write_text(notebook_text(assign_ready), encoding="utf-8")
    if not layout.grading_requirements.is_file():
        raise BuildError(f"{layout.grading_requirements} is missing (pip requirements for grading)")
    shutil.copy(layout.grading_requirements, src_dir / layout.grading_requirements.name)
    _run_otter_assign(src_dir / source_path.name, out_dir)

    built = BuiltAssignment(name)
    student_out, autograder_out = out_dir / "student", out_dir / "autograder"
    for path in sorted(p for p in student_out.rglob("*") if p.is_file()):
        rel = path.relative_to(student_out).as_posix()
        dest = f"notebooks/{name}/{rel}"
        if path.suffix == ".ipynb":
            text = notebook_text(normalise_generated(read_notebook(path), salt=name))
            built.files[dest] = text.encode()
        else:
            built.files[dest] = path.read_bytes()
    if f"notebooks/{name}/{name}.ipynb" not in built.files:
        raise BuildError(f"otter assign wrote no student notebook for {name}")

    zips = sorted(autograder_out.glob(f"{name}-autograder_*.zip"))
    if len(zips) != 1:
        raise BuildError(f"expected one autograder zip for {name}, found {len(zips)}")
    members = read_zip_members(zips[0])
    if not course.grade_extensions:
        members = without_extension_points(members, source_nb)
    members[HIDDEN_TESTS_MEMBER] = hidden_path.read_bytes()
    if "setup.sh" in members:
        members["setup.sh"] = with_bubblewrap(members["setup.sh"])
    members.update(package_members(layout))
    zip_dest = work / "zip" / f"{name}-autograder.zip"
    write_deterministic_zip(zip_dest, members)
    built.files[f"autograder/{name}/{name}-autograder.zip"] = zip_dest.read_bytes()
    for member, data in members.items():
        if member.startswith("tests/"):
            built.files[f"autograder/{name}/{member}"] = data
    if not any(m.startswith("tests/") for m in members):
        raise BuildError(f"the autograder for {name} holds no tests: add a # BEGIN TESTS block")

    built.key_notebook = autograder_out / f"{name}.ipynb"
    built.seconds = time.perf_counter() - started
    return built


def without_extension_points(
    members: dict[str, bytes], source_nb: nbformat.NotebookNode
) -> dict[str, bytes]:
    """The autograder's members with every extension question's test file worth 0 points.

    Extensions are the questions the notebook marks (tools.course.workload); their public and
    hidden checks still run and give feedback, but the total counts the core path only.
    """
    changed = dict(members)
    for item in items(source_nb):
        member = f"tests/{item.name.lower()}.py"
        if item.extension and member in changed:
            text = changed[member].decode()
            zeroed = re.sub(r"^points = [\d.]+$", "points = 0", text, count=1, flags=re.MULTILINE)
            if zeroed == text:
                raise BuildError(f"{member}: no `points = N` line to set to 0 for an extension")
            changed[member] = zeroed.encode()
    return changed


#: Added to otter's setup.sh: bubblewrap lets the grading plugin jail the kernel in namespaces
#: where the container allows them (it falls back to another uid where it does not).
BUBBLEWRAP_LINE = (
    b"apt-get install -y bubblewrap || echo 'no bubblewrap: the kernel jail will use setpriv'\n"
)


def with_bubblewrap(setup_sh: bytes) -> bytes:
    """otter's setup.sh with bubblewrap installed right after its own apt-get install line."""
    lines = setup_sh.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(b"apt-get install"):
            return b"".join([*lines[: index + 1], BUBBLEWRAP_LINE, *lines[index + 1 :]])
    return setup_sh + b"\n" + BUBBLEWRAP_LINE


def package_members(layout: CourseLayout) -> dict[str, bytes]:
    """The course's packages as zip members under packages/, so the zip installs on its own."""
    members = {}
    for name, folder in ZIPPED_PACKAGES.items():
        root = layout.root / folder
        if not (root / "pyproject.toml").is_file():
            raise BuildError(f"{root} holds no pyproject.toml: the autograder zip ships it")
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or any(
                part == "__pycache__" or part.endswith(".egg-info") for part in rel.parts
            ):
                continue
            if path.suffix in (".py", ".toml", ".md", ".txt", ".typed"):
                members[f"{PACKAGES_DIR}/{name}/{rel.as_posix()}"] = path.read_bytes()
    return members


def build_all(
    layout: CourseLayout,
    names: list[str],
    course: CourseConfig,
    work: Path,
    jobs: int,
    progress: bool = False,
) -> list[BuiltAssignment]:
    """Build `names` in parallel (one `otter assign` subprocess each), in the order given.

    With `progress`, one line is printed as each assignment finishes.
    """

    def one(name: str) -> BuiltAssignment:
        built = build_assignment(layout, name, course, work / name)
        if progress:
            print(f"  otter assign {name}: {built.seconds:.0f} s", flush=True)
        return built

    if progress:
        print(f"building {len(names)} assignment(s) with otter assign…", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, names))


def generated_files_on_disk(layout: CourseLayout, names: list[str], all_selected: bool) -> set[str]:
    """Relative paths of the generated files now in the checkout for `names`.

    With `all_selected`, folders of assignments that no longer have a source count as well.
    """
    folders = [layout.student_dir(n) for n in names] + [layout.autograder_dir(n) for n in names]
    if all_selected:
        for parent in (layout.notebooks, layout.autograder):
            if parent.is_dir():
                folders += [
                    p for p in parent.iterdir() if p.is_dir() and ASSIGNMENT_NAME.match(p.name)
                ]
    found = set()
    for folder in folders:
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    found.add(path.relative_to(layout.root).as_posix())
    return found


def compare_with_disk(
    layout: CourseLayout, built: list[BuiltAssignment], all_selected: bool
) -> list[str]:
    """One line per generated file that is stale, missing, or should not be there."""
    expected = {path: data for b in built for path, data in b.files.items()}
    on_disk = generated_files_on_disk(layout, [b.name for b in built], all_selected)
    problems = []
    for path in sorted(expected):
        target = layout.root / path
        if not target.is_file():
            problems.append(f"missing: {path}")
        elif target.read_bytes() != expected[path]:
            problems.append(f"stale:   {path}")
    problems += [f"extra:   {path}" for path in sorted(on_disk - set(expected))]
    return problems


def stale_files(
    layout: CourseLayout, built: list[BuiltAssignment], course: CourseConfig, all_selected: bool
) -> list[str]:
    """What `make build` would change, one line each: sources it would clean, generated files
    that are stale, missing, or should not be there (`--check` of tools.build, `make release`)."""
    unclean = clean_sources(layout, [b.name for b in built], course, write=False)
    return [f"unclean: {path}" for path in unclean] + compare_with_disk(layout, built, all_selected)


def write_built(layout: CourseLayout, built: BuiltAssignment) -> list[str]:
    """Make notebooks/NN and autograder/NN hold exactly the built files; return what changed."""
    changed = []
    for folder in (layout.student_dir(built.name), layout.autograder_dir(built.name)):
        if folder.is_dir():
            for path in sorted(folder.rglob("*"), reverse=True):
                rel = path.relative_to(layout.root).as_posix()
                if path.is_file() and rel not in built.files:
                    path.unlink()
                    changed.append(f"removed {rel}")
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
    for rel, data in sorted(built.files.items()):
        target = layout.root / rel
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        changed.append(f"wrote {rel}")
    return changed


def orphan_folders(layout: CourseLayout, names: list[str]) -> list[Path]:
    """Generated assignment folders whose source no longer exists in solutions/."""
    orphans = []
    for parent in (layout.notebooks, layout.autograder):
        if parent.is_dir():
            orphans += [
                p
                for p in sorted(parent.iterdir())
                if p.is_dir() and ASSIGNMENT_NAME.match(p.name) and p.name not in names
            ]
    return orphans


def clean_sources(
    layout: CourseLayout, names: list[str], course: CourseConfig, write: bool = True
) -> list[str]:
    """Give the sources of `names` their clean text (`clean_source`) and the grading requirements
    their pinned lines; return the files that differed. The one writer of solutions/."""
    expected = {layout.source(name): clean_source(layout.source(name), course) for name in names}
    requirements = layout.grading_requirements
    if requirements.is_file():
        current = requirements.read_text(encoding="utf-8")
        expected[requirements] = grading_requirements_text(current, course)
    changed = []
    for path, text in sorted(expected.items()):
        if path.read_text(encoding="utf-8") != text:
            if write:
                path.write_text(text, encoding="utf-8")
            changed.append(path.relative_to(layout.root).as_posix())
    return changed


def check_otter_version(course: CourseConfig) -> None:
    """Fail when the installed otter-grader is not the one course.toml pins."""
    installed = version("otter-grader")
    if installed != course.otter_version:
        raise BuildError(
            f"otter-grader {installed} is installed but course.toml pins {course.otter_version}: "
            "install the pinned version (make setup) or change course.toml"
        )


@contextlib.contextmanager
def temporary_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder that is always removed."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
