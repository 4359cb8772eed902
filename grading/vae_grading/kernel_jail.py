"""Confinement of the student's kernel on otter's path (`otter run`, Gradescope).

otter starts the kernel with jupyter_client; the plugin gives it a kernel manager whose launch
command goes through `KernelJail.wrap`. Three modes, the strongest this machine allows:

- `bwrap`: bubblewrap (the local sandbox's isolation, `vae_grading.sandbox.isolation_args`) with
  the network shared for the kernel's ZeroMQ sockets: its own PID namespace (no grader process or
  command line visible), an unprivileged user, a read-only system and environment with the grading
  package masked, only a size-capped /work, /tmp and $HOME that start empty; the autograder folder,
  the zip, the results and the hidden tests are not mounted at all.
- `setpriv`: the grader runs as root but cannot create namespaces (a container's seccomp
  profile): the kernel runs as uid/gid 65534 with no groups, capabilities or new privileges, in a
  fresh private $HOME/TMPDIR/work folder; the plugin makes the autograder folder (source,
  submission, results) and the grading package unreadable to that uid, and kills every process of
  that uid at the end.
- `none`: not root and no bubblewrap: the kernel runs as the grader's user, but still with a
  fresh $HOME, TMPDIR and work folder and a cleared environment (documented limits).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vae_grading.sandbox import bubblewrap, isolation_args

KERNEL_UID = 65534
MODE_ENV = "VAE_KERNEL_JAIL"
WORK = "/grade"  # the kernel's working folder in the bwrap jail (a fresh tmpfs): it must not
# cover a folder the kernel needs, e.g. a checkout under /work whose .venv holds its Python
HOME = "/tmp/home"
#: Variables of the grader passed on to the kernel; everything else is cleared.
PASSED_ENV = (
    "LANG",
    "LC_ALL",
    "TZ",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VAE_DATA_DIR",
    "VAE_DEVICE",
    "VAE_STATIC_WIDGETS",
    "MPLBACKEND",
    "PYDEVD_DISABLE_FILE_VALIDATION",
)


class KernelJail:
    """Where and as whom the kernel runs: a fresh private work area, wrapped launch commands."""

    def __init__(
        self,
        public_tests: Path | None,
        disk_bytes: int,
        file_bytes: int,
        in_container: bool = False,
    ) -> None:
        self.disk_bytes = disk_bytes
        self.file_bytes = file_bytes
        self.public_tests = public_tests
        self.mode = _choose_mode()
        if self.mode == "setpriv" and not _python_reachable(open_folders=in_container):
            print(
                "vae_grading: the kernel's uid cannot run this Python (a folder above it is "
                "private); the kernel runs unconfined",
                file=sys.stderr,
            )
            self.mode = "none"
        self.area = Path(tempfile.mkdtemp(prefix="vae-kernel-"))
        self.free_at_start = _free_bytes()
        if self.mode == "setpriv":
            self._prepare_setpriv_area()
        else:
            for name in ("home", "tmp", "work", "conn"):
                (self.area / name).mkdir()
            if public_tests is not None and public_tests.is_dir():
                shutil.copytree(public_tests, self.area / "work" / "tests")

    @property
    def connection_dir(self) -> Path:
        """Where the kernel's connection file (and its IPC sockets, if any) go: a folder of the
        jail that the kernel may write to and nothing else of the grader's lies in."""
        return self.area / ("fs" if self.mode == "setpriv" else "") / "conn"

    def _prepare_setpriv_area(self) -> None:
        """A tmpfs (when mountable) holding home, tmp and work owned by the kernel's uid."""
        self.area.chmod(0o711)
        inner = self.area / "fs"
        inner.mkdir()
        subprocess.run(
            [
                "mount",
                "-t",
                "tmpfs",
                "-o",
                f"size={self.disk_bytes},mode=0711",
                "tmpfs",
                str(inner),
            ],
            capture_output=True,
            check=False,
        )
        for name in ("home", "tmp", "work"):
            folder = inner / name
            folder.mkdir()
            os.chown(folder, KERNEL_UID, KERNEL_UID)
            folder.chmod(0o700)
        if self.public_tests is not None and self.public_tests.is_dir():
            shutil.copytree(self.public_tests, inner / "work" / "tests")
            for path in (inner / "work" / "tests").rglob("*"):
                path.chmod(0o644 if path.is_file() else 0o755)
        (inner / "conn").mkdir(mode=0o700)
        os.chown(inner / "conn", KERNEL_UID, KERNEL_UID)

    def _env(self, home: str, tmp: str) -> dict[str, str]:
        env = {key: os.environ[key] for key in PASSED_ENV if key in os.environ}
        env.update(
            PATH=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            HOME=home,
            TMPDIR=tmp,
            IPYTHONDIR=f"{home}/.ipython",
            JUPYTER_CONFIG_DIR=f"{home}/.jupyter",
            MPLCONFIGDIR=f"{tmp}/matplotlib",
            PYTHONNOUSERSITE="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.setdefault("MPLBACKEND", "Agg")
        return env

    def wrap(self, command: list[str]) -> list[str]:
        """The launch command of a kernel: `command` (with its `-f CONNECTION` file) jailed."""
        connection = _connection_file(command)
        limits = ["prlimit", f"--fsize={self.file_bytes}", "--core=0", "--nofile=4096", "--"]
        if self.mode == "bwrap":
            args = [bubblewrap(), *isolation_args(self.disk_bytes, share_net=True)]
            args += ["--size", str(self.disk_bytes), "--tmpfs", WORK]
            if (self.area / "work" / "tests").is_dir():
                args += ["--ro-bind", str(self.area / "work" / "tests"), f"{WORK}/tests"]
            if connection is not None and Path(connection).parent == self.connection_dir:
                args += ["--bind", str(self.connection_dir), str(self.connection_dir)]
            elif connection is not None:
                args += ["--ro-bind", connection, connection]
            args += ["--dir", HOME, "--chdir", WORK, "--clearenv"]
            for key, value in self._env(HOME, "/tmp").items():
                args += ["--setenv", key, value]
            # bwrap's own processes would die of the SIGINT that interrupts a cell: ignore it
            # there; ipykernel installs its own handler while it runs a cell.
            quiet = 'trap "" INT; exec "$@" </dev/null >/dev/null 2>&1'
            return ["/bin/sh", "-c", quiet, "sh", *limits, *args, *command]
        if self.mode == "setpriv":
            inner = self.area / "fs"
            if connection is not None:
                copy = self.connection_dir / Path(connection).name
                if Path(connection) != copy:
                    shutil.copy(connection, copy)
                    command = [copy.as_posix() if part == connection else part for part in command]
                os.chown(copy, KERNEL_UID, KERNEL_UID)
                copy.chmod(0o400)
            env = self._env(str(inner / "home"), str(inner / "tmp"))
            drop = [
                "setpriv", f"--reuid={KERNEL_UID}", f"--regid={KERNEL_UID}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
            ]  # fmt: skip
            nproc = ["prlimit", "--nproc=512", "--"]
            env_args = [
                "env",
                "-i",
                f"--chdir={inner / 'work'}",
                *(f"{k}={v}" for k, v in env.items()),
            ]
            return [*quiet_shell(), *limits, *nproc, *drop, *env_args, *command]
        env = self._env(str(self.area / "home"), str(self.area / "tmp"))
        env_args = [
            "env",
            "-i",
            f"--chdir={self.area / 'work'}",
            *(f"{k}={v}" for k, v in env.items()),
        ]
        return [*quiet_shell(), *limits, *env_args, *command]

    def kill_all(self) -> None:
        """Kill every process of the kernel's uid (setpriv mode); bwrap's die with their parent."""
        if self.mode != "setpriv":
            return
        try:
            import psutil
        except ImportError:  # pragma: no cover
            return
        for _ in range(50):
            victims = []
            for process in psutil.process_iter(["uids"]):
                uids = process.info.get("uids")
                if uids is not None and KERNEL_UID in (uids.real, uids.effective):
                    victims.append(process)
            if not victims:
                return
            for victim in victims:
                with contextlib.suppress(psutil.Error):
                    victim.send_signal(signal.SIGKILL)
            psutil.wait_procs(victims, timeout=1)

    def disk_used(self) -> int:
        """Bytes the shared writable folders lost since the jail was made (0 under bwrap, whose
        folders are size-capped tmpfs mounts of its own)."""
        if self.mode == "bwrap":
            return 0
        now = _free_bytes()
        return max((self.free_at_start[k] - now.get(k, 0) for k in self.free_at_start), default=0)

    def cleanup(self) -> None:
        """Kill what is left, unmount and delete the work area, and files the uid left in /tmp."""
        self.kill_all()
        if self.mode == "setpriv":
            subprocess.run(
                ["umount", "-l", str(self.area / "fs")], capture_output=True, check=False
            )
            for shared in ("/tmp", "/var/tmp", "/dev/shm"):
                _remove_owned_by(Path(shared), KERNEL_UID)
        shutil.rmtree(self.area, ignore_errors=True)


def quiet_shell() -> list[str]:
    """A prefix that runs a command with no input and its output discarded (the kernel's own
    output would reach the grader's log, which Gradescope may show to students)."""
    return ["/bin/sh", "-c", 'exec "$@" </dev/null >/dev/null 2>&1', "sh"]


def _free_bytes() -> dict[int, int]:
    """Free bytes of each file system a kernel of another uid can write to, by device."""
    free: dict[int, int] = {}
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        with contextlib.suppress(OSError):
            free[os.stat(folder).st_dev] = shutil.disk_usage(folder).free
    return free


def _connection_file(command: list[str]) -> str | None:
    for index, part in enumerate(command[:-1]):
        if part == "-f":
            return command[index + 1]
    return None


def _remove_owned_by(folder: Path, uid: int) -> None:
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            with contextlib.suppress(OSError):
                if entry.lstat().st_uid != uid:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()


def _choose_mode() -> str:
    """`bwrap` where it runs, else `setpriv` as root, else `none` ($VAE_KERNEL_JAIL forces one)."""
    forced = os.environ.get(MODE_ENV, "").strip()
    if forced in ("bwrap", "setpriv", "none"):
        return forced
    if not sys.platform.startswith("linux"):
        return "none"
    if _bwrap_works():
        return "bwrap"
    if os.geteuid() == 0 and shutil.which("setpriv") and shutil.which("prlimit"):
        return "setpriv"
    return "none"


def _python_reachable(open_folders: bool) -> bool:
    """Whether uid 65534 can run this Python; in a grading container, open the traversal bit
    (o+x, not read) of the folders above the environment until it can."""
    drop = ["setpriv", f"--reuid={KERNEL_UID}", f"--regid={KERNEL_UID}", "--clear-groups"]
    probe = [*drop, sys.executable, "-c", "import ipykernel"]
    if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return True
    if not open_folders:
        return False
    for root in {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent)}:
        for folder in [Path(root), *Path(root).parents]:
            with contextlib.suppress(OSError):
                mode = folder.stat().st_mode
                if not mode & 0o001:
                    folder.chmod(mode | 0o001)
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def _bwrap_works() -> bool:
    try:
        command = [bubblewrap(), *isolation_args(2**20, share_net=True), "/bin/true"]
    except Exception:  # noqa: BLE001 - any failure means bubblewrap is not usable here
        return False
    try:
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and time.monotonic() - started < 20
