"""The autograder zip is self-contained: unpacked alone, its environment installs and grades.

This is what Gradescope does with it, without Gradescope: a fresh environment made from the
zip's own requirements (the course packages come from inside the zip; torch from the package
registry instead of the PyTorch CPU index, which this machine cannot reach), then `otter run`
on the answer key (full marks) and the blank notebook (0), with no access to the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from tools.course.layout import CourseLayout

ASSIGNMENT = "02_vae_theory"


def _requirements(environment_yml: str) -> list[str]:
    """The zip's pip requirements, torch pinned to the installed build from the registry."""
    deps = yaml.safe_load(environment_yml)["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    lines = []
    for line in pip:
        if line.startswith("--") or re.match(r"(torch|torchvision)\b", line):
            continue
        lines.append(line)
    for name in ("torch", "torchvision"):
        lines.append(f"{name}=={version(name).split('+')[0]}")
    return lines


def _grade(python: Path, zip_path: Path, notebook: Path, out: Path, env: dict) -> float:
    out.mkdir()
    command = [
        str(python),
        "-m",
        "otter",
        "run",
        "-a",
        str(zip_path),
        "-o",
        str(out),
        str(notebook),
    ]
    done = subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=300, env=env, cwd=out
    )
    printed = done.stdout + done.stderr
    for noise in ("eavesdropping", "No log found", "NaN", "Traceback"):
        assert noise not in printed, f"otter run printed {noise!r}:\n{printed[-3000:]}"
    assert "TrustedVerdicts Report" in printed and "Total Score" in printed, printed[-3000:]
    results = json.loads((out / "results.json").read_text())
    names = [t["name"] for t in results["tests"]]
    assert all(re.fullmatch(r"q\d+\w*", name) for name in names), f"not only questions: {names}"
    return sum(t.get("score") or 0 for t in results["tests"] if t.get("max_score"))


@pytest.mark.slow
def test_zip_installs_and_grades_without_the_repository(
    built_course: CourseLayout, answer_key: Path, tmp_path: Path
) -> None:
    zip_path = built_course.autograder_zip(ASSIGNMENT)
    unpacked = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(unpacked)
    assert (unpacked / "packages" / "vae-helpers" / "pyproject.toml").is_file()
    assert (unpacked / "packages" / "vae-grading" / "pyproject.toml").is_file()
    assert (unpacked / "packages" / "vae-grading" / "vae_grading" / "kernel_jail.py").is_file()
    assert "apt-get install -y bubblewrap" in (unpacked / "setup.sh").read_text()
    requirements = tmp_path / "requirements.txt"
    environment_yml = (unpacked / "environment.yml").read_text()
    requirements.write_text("\n".join(_requirements(environment_yml)) + "\n")

    env_dir = tmp_path / "env"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [*uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements)],
        check=True,
        cwd=unpacked,  # ./packages/... resolve inside the unpacked zip, as on Gradescope
        timeout=900,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}:{env.get('PATH', '')}"
    located = subprocess.run(
        [str(python), "-c", "import vae_grading, vae_helpers; print(vae_helpers.__file__)"],
        check=True, capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert str(built_course.root) not in located.stdout and "/work/" not in located.stdout
    shutil.copy(zip_path, tmp_path / "autograder.zip")
    key = tmp_path / "key" / f"{ASSIGNMENT}.ipynb"
    key.parent.mkdir()
    shutil.copy(answer_key, key)
    blank = tmp_path / "blank" / f"{ASSIGNMENT}.ipynb"
    blank.parent.mkdir()
    shutil.copy(built_course.student_notebook(ASSIGNMENT), blank)
    assert _grade(python, tmp_path / "autograder.zip", key, tmp_path / "key_out", env) == 18
    assert _grade(python, tmp_path / "autograder.zip", blank, tmp_path / "blank_out", env) == 0
