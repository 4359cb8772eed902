"""`make setup`: a half-made .venv is repaired, and TORCH=cpu switches an existing one.

The Makefile runs in a scratch copy of the course root with a scratch VENV, and only `make -n`
(print, do not run) reaches the install commands, so nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_INPUTS = (
    "requirements.txt",
    "requirements-dev.txt",
    "helpers/pyproject.toml",
    "grading/pyproject.toml",
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A scratch course root holding the Makefile and the files the install depends on."""
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    for name in INSTALL_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    return tmp_path


def make(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "TORCH")}
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=root, env=env, capture_output=True, text=True
    )


def installed_venv(root: Path, flavour: str) -> Path:
    """A .venv that a finished `make setup` with TORCH=flavour left behind."""
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    uv = venv / "bin" / "uv"
    uv.write_text("#!/bin/sh\nexit 0\n")
    uv.chmod(0o755)
    (venv / ".torch").write_text(f"{flavour}\n")
    stamp = venv / f".installed-{flavour}"
    stamp.touch()
    later = max((root / n).stat().st_mtime for n in INSTALL_INPUTS) + 10
    os.utime(stamp, (later, later))
    return venv


def test_a_half_made_venv_is_removed_and_made_again(root: Path) -> None:
    """python3 -m venv without python3-venv leaves a .venv with no pip: setup starts over."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    result = make(root, "setup", "PYTHON=false")  # `false -m venv` fails: no network needed
    assert ".venv is half-made (no working python or pip): removing it" in result.stdout
    assert "could not create .venv. Debian/Ubuntu: sudo apt install python3-venv" in result.stdout
    assert result.returncode != 0
    assert not (root / ".venv").exists()  # nothing half-made left for the next run to trip over


def test_torch_cpu_switches_an_existing_venv(root: Path) -> None:
    installed_venv(root, "default")
    assert "uv pip install" not in make(root, "-n", "setup").stdout  # up to date: nothing to do
    switch = make(root, "-n", "setup", "TORCH=cpu").stdout
    assert "--index-url https://download.pytorch.org/whl/cpu" in switch
    assert "--reinstall-package torch --reinstall-package torchvision" in switch
    assert "echo cpu > .venv/.torch" in switch


def test_later_commands_keep_the_chosen_torch(root: Path) -> None:
    installed_venv(root, "cpu")
    assert "uv pip install" not in make(root, "-n", "setup").stdout
    back = make(root, "-n", "setup", "TORCH=default").stdout
    assert "download.pytorch.org" not in back and "--reinstall-package torch" in back


def test_an_unknown_torch_flavour_is_refused(root: Path) -> None:
    result = make(root, "setup", "TORCH=cuda")
    assert result.returncode != 0
    assert "TORCH=cuda: use TORCH=cpu or leave it out" in result.stdout
