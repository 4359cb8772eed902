"""Run one submission's notebook in a bubblewrap sandbox with limits (Linux).

The sandbox sees the system's programs and the course environment read-only, one private work
folder, a private /tmp, no network, its own PID namespace (a kill of the sandbox reaches every
process in it, detached ones too) and an unprivileged user. It never sees the repository, the
submissions folder, the hidden tests or the grades. When this process runs as root and cgroups
are writable, a cgroup caps its processes and memory; rlimits cap file sizes in any case.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import uuid
from dataclasses import dataclass
from pathlib import Path

WORK_MOUNT = "/grade"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
CGROUP_V1 = Path("/sys/fs/cgroup")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this machine."""


@dataclass(frozen=True)
class SandboxLimits:
    """Limits on one submission: wall-clock seconds, memory, processes and file size."""

    seconds: int = 600
    memory_bytes: int = 6 * 2**30
    processes: int = 256
    file_bytes: int = 256 * 2**20


@dataclass(frozen=True)
class SandboxResult:
    """How the sandboxed command ended."""

    returncode: int | None
    timed_out: bool
    log_tail: str


def bubblewrap() -> str:
    """The bwrap executable, or SandboxUnavailable with what to do about it."""
    path = shutil.which("bwrap")
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            "sandboxed grading needs Linux (bubblewrap); on macOS grade on a Linux machine or "
            "with Docker (`otter grade`), or pass --no-sandbox to run student code unconfined"
        )
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap is not installed: `sudo apt-get install bubblewrap` (Debian/Ubuntu), "
            "`sudo dnf install bubblewrap` (Fedora); `make setup` installs it when run as root"
        )
    return path


def _environment_dirs() -> list[str]:
    """Folders the kernel needs read-only: Python, the environment, editable packages, data."""
    dirs = {sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"]}
    for module in ("vae_helpers", "vae_grading"):
        with contextlib.suppress(ImportError, AttributeError, TypeError):
            package = __import__(module)
            dirs.add(str(Path(str(package.__file__)).resolve().parents[1]))
    data = os.environ.get("VAE_DATA_DIR")
    if data and Path(data).is_dir():
        dirs.add(str(Path(data).resolve()))
    real_python = Path(sys.executable).resolve().parents[1]
    dirs.add(str(real_python))
    return sorted(d for d in dirs if Path(d).exists())


def sandbox_command(work: Path, inner: list[str], env: dict[str, str]) -> list[str]:
    """The bwrap command line that runs `inner` in `work` (mounted at /grade) in the sandbox."""
    command = [
        bubblewrap(),
        "--unshare-all",
        "--unshare-user",
        "--uid", "65534",
        "--gid", "65534",
        "--die-with-parent",
        "--new-session",
        "--hostname", "grader",
        "--proc", "/proc",
        "--dev", "/dev",
        "--tmpfs", "/tmp",
    ]  # fmt: skip
    for folder in SYSTEM_DIRS:
        if Path(folder).exists():
            command += ["--ro-bind", folder, folder]
    for folder in _environment_dirs():
        command += ["--ro-bind", folder, folder]
    command += ["--bind", str(work), WORK_MOUNT, "--chdir", WORK_MOUNT, "--clearenv"]
    for key, value in env.items():
        command += ["--setenv", key, value]
    return [*command, *inner]


class _Cgroup:
    """A cgroup (v1 pids and memory) for one sandbox, when this process may create one."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.dirs: list[Path] = []
        if os.geteuid() != 0:
            return
        name = f"vae-grade-{uuid.uuid4().hex[:12]}"
        for controller, setting, value in (
            ("pids", "pids.max", limits.processes),
            ("memory", "memory.limit_in_bytes", limits.memory_bytes),
        ):
            folder = CGROUP_V1 / controller / name
            try:
                folder.mkdir()
                (folder / setting).write_text(str(value))
                self.dirs.append(folder)
            except OSError:
                with contextlib.suppress(OSError):
                    folder.rmdir()

    def enter_prefix(self) -> list[str]:
        """A shell prefix that moves the command into the cgroups before it starts."""
        if not self.dirs:
            return []
        moves = "; ".join(f"echo $$ > {d}/cgroup.procs" for d in self.dirs)
        return ["/bin/sh", "-c", f'{moves}; exec "$@"', "sh"]

    def kill_and_remove(self) -> None:
        """Kill every process left in the cgroups, then remove them."""
        for folder in self.dirs:
            for _ in range(20):
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                subprocess.run(["sleep", "0.05"], check=False)
            with contextlib.suppress(OSError):
                folder.rmdir()


def run_sandboxed(
    work: Path,
    inner: list[str],
    env: dict[str, str],
    limits: SandboxLimits,
    log_path: Path,
    sandbox: bool = True,
) -> SandboxResult:
    """Run `inner` in the sandbox (or unconfined when `sandbox` is False); kill all at the end."""
    cgroup = _Cgroup(limits) if sandbox else None
    rlimits = [
        "prlimit",
        f"--fsize={limits.file_bytes}",
        "--core=0",
        "--nofile=4096",
    ]
    if cgroup is not None and not cgroup.dirs:
        rlimits.append(f"--as={limits.memory_bytes * 2}")
    if cgroup is not None:
        command = [*cgroup.enter_prefix(), *rlimits, "--", *sandbox_command(work, inner, env)]
        process_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        cwd = work
    else:
        command = [*rlimits, "--", *inner]
        process_env = {**os.environ, **env, "HOME": str(work)}
        cwd = work
    timed_out = False
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=process_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            process.wait(timeout=limits.seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if cgroup is not None:
                cgroup.kill_and_remove()
    return SandboxResult(process.returncode, timed_out, _tail(log_path))


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - 4000))
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    meaningful = [line.strip() for line in lines if line.strip()]
    return meaningful[-1][:200] if meaningful else ""
