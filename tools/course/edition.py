"""The student edition: the allow-list, its README, and the leak scan over it.

The command is `tools/release.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from tools.course.building import (
    BuildError,
    build_all,
    check_otter_version,
    stale_files,
    temporary_folder,
)
from tools.course.changelog import check_changelog
from tools.course.config import CourseConfig
from tools.course.layout import CourseLayout
from tools.course.leaks import (
    Leak,
    find_leaks,
    helper_line_leaks,
    hidden_module_secrets,
    solution_secrets,
)
from tools.course.notebooks import read_notebook
from tools.course.setup_cells import course_cells_problems
from tools.course.versions import check_versions

#: What the student edition holds, relative to the course root (folders copied whole).
ALLOW_LIST = (
    "notebooks",
    "helpers",
    "requirements.txt",
    "requirements-cpu.txt",
    "environment.yml",
    "environment-cpu.yml",
    "LICENSE",
)
#: Never copied even inside an allowed folder: build and editor leftovers.
SKIPPED_PARTS = ("__pycache__", ".ipynb_checkpoints", ".pytest_cache")
SKIPPED_SUFFIXES = (".egg-info", ".pyc")
PLACEHOLDER_OWNER = "your-org"
REBUILD_HINT = "run `make build`, commit the result, and run `make release` again"


class ReleaseError(RuntimeError):
    """The edition cannot be written (placeholder settings, stale build, a leak)."""


def _skipped(path: Path) -> bool:
    return any(p in SKIPPED_PARTS or p.endswith(SKIPPED_SUFFIXES) for p in path.parts)


def copy_allowed(layout: CourseLayout, output: Path) -> list[Path]:
    """Copy the allow-listed files into `output`; return the files written."""
    written = []
    for name in ALLOW_LIST:
        source = layout.root / name
        if not source.exists():
            raise ReleaseError(f"{name} is missing from the course: it belongs in the edition")
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*"))
        for path in files:
            rel = path.relative_to(layout.root)
            if not path.is_file() or _skipped(rel):
                continue
            target = output / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            written.append(target)
    return written


def student_readme(course: CourseConfig, assignments: list[str]) -> str:
    """The README of the student edition: what to install, what to open, how to submit."""
    rows = "\n".join(f"| {name[:2]} | `notebooks/{name}/{name}.ipynb` |" for name in assignments)
    return f"""# Variational autoencoders, by doing

Five Jupyter notebooks that take you from a plain autoencoder to a trained variational
autoencoder and a look inside its latent space. Work through them in order:

| # | notebook |
|---|---|
{rows}

## On your own machine (JupyterLab)

```bash
git clone {course.repo_url} vae-course && cd vae-course
python3 -m venv .venv && source .venv/bin/activate   # or: conda env create -f environment.yml
pip install -r requirements.txt      # Linux without an NVIDIA GPU: requirements-cpu.txt instead
jupyter lab notebooks/
```

On Linux without an NVIDIA GPU, `pip install -r requirements-cpu.txt` (or
`conda env create -f environment-cpu.yml`) installs the CPU-only build of torch: about 200 MB
instead of several GB. On macOS and Windows, and with an NVIDIA GPU, use `requirements.txt`.

## In Colab

Open a notebook from this repository (File → Open notebook → GitHub) and run its first code
cell: it installs what is missing. A GPU runtime makes training faster but is not needed.

## Checking and submitting

- Run each `grader.check("q…")` cell after an exercise. These public checks catch wrong shapes,
  types and ranges; they are worth 0 points. Your points come from hidden tests that run your
  code on fresh inputs when your notebook is graded.
- Answer free-response questions in the Markdown cell under them; a person reads them.
- Save the notebook, then run its last cell: it writes a zip next to the notebook. Upload that
  zip (in Colab, download the `.ipynb` and upload it instead).
"""


def course_cell_problems(layout: CourseLayout, course: CourseConfig) -> list[str]:
    """Sources and student notebooks whose badge or set-up cell disagrees with course.toml."""
    problems = []
    for name in layout.assignments():
        for path in (layout.source(name), layout.student_notebook(name)):
            rel = path.relative_to(layout.root).as_posix()
            if not path.is_file():
                problems.append(f"{rel}: missing")
                continue
            problems += [
                f"{rel}: {p}" for p in course_cells_problems(read_notebook(path), course, name)
            ]
    return problems


def stale_generated_files(layout: CourseLayout, course: CourseConfig, jobs: int = 2) -> list[str]:
    """What `make build` would change in the checkout (one line each): `tools.build --check`."""
    check_otter_version(course)
    with temporary_folder("vae-release-check-") as work:
        built = build_all(layout, layout.assignments(), course, work, jobs=jobs, progress=True)
        return stale_files(layout, built, course, all_selected=True)


def check_release_notes(layout: CourseLayout, course: CourseConfig) -> None:
    """Refuse (ReleaseError) a release whose versions or CHANGELOG.md do not name it."""
    problems = check_versions(course.release, layout.root)
    problems += check_changelog(course.release, layout.root / "CHANGELOG.md")
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise ReleaseError(
            f"release {course.release} is not described: make the package versions equal to it "
            f"and give it a section in CHANGELOG.md, commit, then run `make release` again.\n"
            f"{lines}"
        )


def check_build_is_current(layout: CourseLayout, course: CourseConfig) -> None:
    """Refuse (ReleaseError) a build that does not match course.toml and solutions/."""
    problems = course_cell_problems(layout, course)
    if not problems:
        try:
            problems = stale_generated_files(layout, course)
        except BuildError as exc:
            raise ReleaseError(f"the course does not build: {exc}") from exc
    if problems:
        lines = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ReleaseError(
            f"the built course does not match course.toml ({course.repo_url} at "
            f"{course.release}) and solutions/; nothing is published. {REBUILD_HINT}.\n"
            f"{lines}{more}"
        )


def edition_leaks(layout: CourseLayout, files: list[Path]) -> list[Leak]:
    """Solution code, hidden tests and answers found in any file of the edition."""
    secrets = []
    for name in layout.assignments():
        secrets += solution_secrets(read_notebook(layout.source(name)), name)
        if layout.hidden_tests(name).is_file():
            secrets += hidden_module_secrets(layout.hidden_tests(name), name)
    helper_files = [p for p in files if "helpers" in p.parts and p.suffix == ".py"]
    solutions = [s for s in secrets if "solution" in s.origin]
    return find_leaks(secrets, files) + helper_line_leaks(solutions, helper_files)


def check_repository(course: CourseConfig, allow_placeholder: bool = False) -> None:
    """Refuse (ReleaseError) while course.toml names the placeholder repository."""
    owner, _ = course.github_owner_and_repo
    if owner == PLACEHOLDER_OWNER and not allow_placeholder:
        raise ReleaseError(
            f"course.toml still names the placeholder repository {course.repo_url}: set repo_url "
            f"to your course's public repository, then {REBUILD_HINT}"
        )


def write_edition(
    layout: CourseLayout, course: CourseConfig, output: Path, allow_placeholder: bool = False
) -> list[Path]:
    """Check, copy, add the README, scan; return the edition's files (ReleaseError on trouble)."""
    check_repository(course, allow_placeholder)
    if output.exists():
        if any(output.iterdir()) and not (output / ".vae-course-edition").exists():
            raise ReleaseError(f"{output} exists and is not an earlier edition: choose --output")
        shutil.rmtree(output)
    output.mkdir(parents=True)
    files = copy_allowed(layout, output)
    readme = output / "README.md"
    readme.write_text(student_readme(course, layout.assignments()), encoding="utf-8")
    (output / ".vae-course-edition").write_text(f"{course.release}\n", encoding="utf-8")
    files.append(readme)
    for path in files:
        if path.suffix == ".ipynb":
            nbformat.read(path, as_version=4)  # every notebook in the edition must parse
    leaks = edition_leaks(layout, files)
    if leaks:
        lines = "\n".join(f"  {leak.describe(output)}" for leak in leaks[:20])
        raise ReleaseError(f"the edition would leak answers; nothing is published:\n{lines}")
    return files
