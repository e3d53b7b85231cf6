"""On-disk primitives: atomic writes, content hashes, disk-full reporting.

Every file ytlocal writes goes through here, so a kill at any moment leaves either the old file or the
new one, never a torn one.
"""

from __future__ import annotations

import datetime as _dt

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import OutputError, YtlocalError

HASH_CHUNK_BYTES = 4 * 1024 * 1024

ProgressCallback = Callable[[int, int | None], None]
"""Called as ``progress(done, total)``; ``total`` may be None when unknown."""


class DiskFullError(YtlocalError):
    """Raised instead of a bare ENOSPC so the user learns which path ran out of space."""

    exit_code = 11

    def __init__(self, path: Path | str):
        free = _free_bytes(Path(path))
        free_text = f" ({free / 1e6:.0f} MB free)" if free is not None else ""
        super().__init__(
            f"no space left on the device holding {path}{free_text}; free some space or point "
            f"ytlocal at another disk, then run the command again (finished work is kept)"
        )
        self.path = Path(path)


def _free_bytes(path: Path) -> int | None:
    for candidate in [path, *path.parents]:
        with contextlib.suppress(OSError):
            return shutil.disk_usage(candidate).free
    return None


@contextlib.contextmanager
def disk_full_as_error(path: Path | str) -> Iterator[None]:
    """Turn ENOSPC/EDQUOT raised inside the block into a :class:`DiskFullError` naming ``path``, and a
    path that cannot hold a file (a file where a folder should be, no permission, a name too long)
    into an :class:`OutputError` that says which."""
    try:
        yield
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(path) from error
        reasons = {errno.EEXIST: "a file is in the way of a folder", errno.ENOTDIR: "a file is in the way of a folder",
                   errno.EISDIR: "a folder is in the way of the file", errno.EACCES: "no permission",
                   errno.EPERM: "no permission", errno.EROFS: "read-only file system",
                   errno.ENAMETOOLONG: "the name is too long"}
        if error.errno in reasons:
            blocking = first_blocking_file(Path(path))
            where = f" ({blocking} is a file)" if blocking and error.errno in (errno.EEXIST, errno.ENOTDIR) else ""
            raise OutputError(f"cannot write {path}: {reasons[error.errno]}{where}; choose another output "
                              f"folder with -o") from error
        raise


def first_blocking_file(path: Path) -> Path | None:
    """The first parent of ``path`` that exists as a plain file (where a folder is needed)."""
    for parent in reversed(path.parents):
        if parent.is_file():
            return parent
    return None


def sha256_file(path: Path, progress: ProgressCallback | None = None) -> str:
    """Hex sha256 of a file, read in chunks so multi-GB models never sit in memory."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def sha256_file_cached(path: Path, index_file: Path) -> str:
    """sha256 of ``path``, remembered in ``index_file`` by size + mtime + inode, so a multi-GB model
    given by path is hashed once, not on every run (a changed file is hashed again)."""
    path = Path(path).resolve()
    stat = path.stat()
    key = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    try:
        index = read_json(index_file)
    except (OSError, ValueError):
        index = {}
    entry = index.get(str(path))
    if isinstance(entry, dict) and entry.get("stat") == key and isinstance(entry.get("sha256"), str):
        return entry["sha256"]
    digest = sha256_file(path)
    index[str(path)] = {"stat": key, "sha256": digest}
    try:
        atomic_write_json(index_file, index)
    except OSError:
        pass  # a read-only cache only costs a re-hash next time
    return digest


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def default_mode(directory: bool = False) -> int:
    """The mode a plain open()/mkdir() would give, for files made by mkstemp/mkdtemp (0600/0700)."""
    return (0o777 if directory else 0o666) & ~_current_umask()


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path):
    """A binary file to write ``path`` through: a temp file in the same folder (mode as any file
    ytlocal writes), synced and renamed over ``path`` when the block ends, removed when it fails; the
    folder is synced after the rename. A reader sees the old file or the new one, never half of one."""
    path = Path(path)
    with disk_full_as_error(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, default_mode())
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename."""
    with atomic_writer(path) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def replace_directory(staged: Path, final: Path) -> None:
    """Move a fully written ``staged`` folder to ``final``, replacing any old one.

    The old folder is first renamed aside, so at every moment ``final`` is either the complete old
    folder, absent, or the complete new one: never a mix.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    aside = None
    if final.exists():
        aside = final.with_name(f".{final.name}.old-{os.getpid()}")
        if aside.exists():
            shutil.rmtree(aside)
        os.replace(final, aside)
    try:
        os.replace(staged, final)
    except BaseException:
        if aside is not None:
            os.replace(aside, final)
        raise
    _fsync_dir(final.parent)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def remove_directory(path: Path) -> None:
    """Remove a folder so that it disappears at once (rename), then delete its content."""
    aside = path.with_name(f".{path.name}.rm-{os.getpid()}")
    os.replace(path, aside)
    shutil.rmtree(aside, ignore_errors=True)


def utc_now() -> _dt.datetime:
    """Now in UTC, to the second: what every record ytlocal writes calls "when"."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def utc_timestamp() -> str:
    """:func:`utc_now` as ISO 8601 text ("2026-11-30T14:01:02+00:00")."""
    return utc_now().isoformat()
