"""Deterministic zip files (sorted, fixed times and modes) and safe reading of untrusted zips."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
EXECUTABLE_NAMES = frozenset({"run_autograder", "setup.sh"})
MAX_ZIP_MEMBERS = 200
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


class UnsafeZipError(ValueError):
    """A submission zip is corrupt, too large, or holds no single notebook to grade."""


def write_deterministic_zip(path: Path, members: dict[str, bytes]) -> None:
    """Write `members` (archive name → bytes) sorted, dated 1980-01-01, modes 644 (755 scripts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            mode = 0o755 if PurePosixPath(name).name in EXECUTABLE_NAMES else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # Unix, so that the mode bits are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, members[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def read_zip_members(path: Path) -> dict[str, bytes]:
    """Every file of a trusted zip (one we generated), archive name → bytes."""
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def _is_safe_member(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return not path.is_absolute() and ".." not in path.parts and not name.startswith("/")


def notebook_from_submission_zip(path: Path, preferred_name: str) -> tuple[str, bytes]:
    """The one notebook inside an untrusted submission zip, read without extracting anything.

    Only `.ipynb` members count (never `.OTTER_LOG` or other files); `__MACOSX` and checkpoint
    copies are skipped; when several notebooks remain, the one called `preferred_name` wins.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise UnsafeZipError(f"zip holds {len(infos)} entries (limit {MAX_ZIP_MEMBERS})")
            candidates = [
                info
                for info in infos
                if not info.is_dir()
                and info.filename.lower().endswith(".ipynb")
                and _is_safe_member(info.filename)
                and "__MACOSX" not in info.filename
                and ".ipynb_checkpoints" not in info.filename
            ]
            if not candidates:
                raise UnsafeZipError("zip holds no .ipynb notebook")
            if len(candidates) > 1:
                named = [c for c in candidates if PurePosixPath(c.filename).name == preferred_name]
                if len(named) != 1:
                    names = ", ".join(sorted(c.filename for c in candidates))
                    raise UnsafeZipError(f"zip holds several notebooks ({names})")
                candidates = named
            chosen = candidates[0]
            if chosen.file_size > MAX_NOTEBOOK_BYTES:
                raise UnsafeZipError(
                    f"{chosen.filename} is {chosen.file_size} bytes (limit {MAX_NOTEBOOK_BYTES})"
                )
            with zf.open(chosen) as member:
                data = member.read(MAX_NOTEBOOK_BYTES + 1)
            if len(data) > MAX_NOTEBOOK_BYTES:
                raise UnsafeZipError(f"{chosen.filename} is larger than {MAX_NOTEBOOK_BYTES} bytes")
            return chosen.filename, data
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise UnsafeZipError(f"cannot read zip: {exc}") from exc
