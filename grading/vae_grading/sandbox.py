"""Run one submission's notebook in a bubblewrap sandbox with limits (Linux).

The sandbox sees the system's programs and the course environment read-only, one private work
folder, a private size-capped /tmp and /dev/shm, no network, its own PID namespace (a kill of the
sandbox reaches every process in it, detached ones too) and an unprivileged user. It never sees the
repository, the grading package (`vae_grading`: masked even where it is installed in the
environment), the submissions folder, the hidden tests or the grades; the notebook driver
(`vae_grading/execute.py`) is mounted alone, read-only. When this process runs as root and cgroups
are writable, a cgroup caps its processes and memory; rlimits cap file sizes in any case; the work
folder is a size-capped tmpfs when this process may mount one, and is watched otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WORK_MOUNT = "/grade"
DRIVER_MOUNT = "/opt/vae-driver/execute.py"
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
    disk_bytes: int = 1 * 2**30


@dataclass(frozen=True)
class SandboxResult:
    """How the sandboxed command ended."""

    returncode: int | None
    timed_out: bool
    log_tail: str
    disk_full: bool = False


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
    """Folders student code needs read-only: Python, the environment, vae_helpers, data."""
    dirs = {sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"]}
    with contextlib.suppress(ImportError, AttributeError, TypeError):
        import vae_helpers

        dirs.add(str(Path(str(vae_helpers.__file__)).resolve().parents[1]))
    data = os.environ.get("VAE_DATA_DIR")
    if data and Path(data).is_dir():
        dirs.add(str(Path(data).resolve()))
    real_python = Path(sys.executable).resolve().parents[1]
    dirs.add(str(real_python))
    return sorted(d for d in dirs if Path(d).exists())


def grading_package_dirs() -> list[str]:
    """The folder of the trusted grading package, to hide from student code."""
    package = Path(__file__).resolve().parent
    return [str(package)]


def isolation_args(disk_bytes: int, share_net: bool = False) -> list[str]:
    """bwrap arguments shared by both graders: namespaces, read-only system and environment,
    private size-capped /tmp and /dev/shm, and the grading package masked by an empty folder."""
    command = [
        "--unshare-all",
        *(["--share-net"] if share_net else []),
        "--unshare-user",
        "--uid", "65534",
        "--gid", "65534",
        "--die-with-parent",
        "--hostname", "grader",
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(disk_bytes), "--tmpfs", "/tmp",
        "--size", str(min(disk_bytes, 256 * 2**20)), "--tmpfs", "/dev/shm",
    ]  # fmt: skip
    for folder in SYSTEM_DIRS:
        if Path(folder).exists():
            command += ["--ro-bind", folder, folder]
    mounted = _environment_dirs()
    for folder in mounted:
        command += ["--ro-bind", folder, folder]
    for hidden in grading_package_dirs():
        if any(Path(hidden).is_relative_to(folder) for folder in mounted):
            command += ["--tmpfs", hidden, "--remount-ro", hidden]
    return command


def sandbox_command(
    work: Path, inner: list[str], env: dict[str, str], disk_bytes: int
) -> list[str]:
    """The bwrap command line that runs `inner` in `work` (mounted at /grade) in the sandbox."""
    command = [bubblewrap(), *isolation_args(disk_bytes), "--new-session"]
    driver = Path(__file__).resolve().parent / "execute.py"
    command += ["--ro-bind", str(driver), DRIVER_MOUNT]
    command += ["--bind", str(work), WORK_MOUNT, "--chdir", WORK_MOUNT, "--clearenv"]
    for key, value in env.items():
        command += ["--setenv", key, value]
    return [*command, *inner]


def driver_path(sandbox: bool) -> str:
    """Where the notebook driver (`vae_grading/execute.py`) is seen by the sandboxed command."""
    return DRIVER_MOUNT if sandbox else str(Path(__file__).resolve().parent / "execute.py")


@contextlib.contextmanager
def capped_folder(folder: Path, max_bytes: int) -> Iterator[bool]:
    """Mount a tmpfs of `max_bytes` on `folder` while inside (root only); yield whether it did."""
    mounted = False
    if sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("mount"):
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={max_bytes},mode=0755", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        )
        mounted = done.returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def folder_bytes(folder: Path, cap: int) -> int:
    """Bytes in the files under `folder` (symlinks not followed), counting up to `cap`."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            if total > cap:
                return total
    return total


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
        sandboxed = sandbox_command(work, inner, env, limits.disk_bytes)
        command = [*cgroup.enter_prefix(), *rlimits, "--", *sandboxed]
        process_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        cwd = work
    else:
        command = [*rlimits, "--", *inner]
        process_env = {**os.environ, **env, "HOME": str(work)}
        cwd = work
    timed_out = disk_full = False
    watch_disk = not _is_mount_point(work)
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
        deadline = time.monotonic() + limits.seconds
        try:
            while process.poll() is None:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                if watch_disk and folder_bytes(work, limits.disk_bytes) > limits.disk_bytes:
                    disk_full = True
                    break
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.5)
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if cgroup is not None:
                cgroup.kill_and_remove()
    if not watch_disk:
        usage = shutil.disk_usage(work)
        disk_full = usage.free < max(usage.total // 50, 2**20)
    return SandboxResult(process.returncode, timed_out, _tail(log_path), disk_full)


def _is_mount_point(folder: Path) -> bool:
    return os.path.ismount(folder)


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - 4000))
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    meaningful = [line.strip() for line in lines if line.strip()]
    return meaningful[-1][:200] if meaningful else ""
