"""Opening a local file only where it was allowed, judged on the file actually opened.

A path checked when it is queued can be changed before it is read: ``talk.opus`` in an allowed folder
replaced by a link to ``~/.ssh/id_rsa``, or the folder itself by a link elsewhere. So the web app's
queue and its media route open such files here: the file is opened without following a link in its
last part (``O_NOFOLLOW``), and the path the kernel reports for the open descriptor must be the path
that was checked (a link in any part of it changes that), inside the allowed folders. What was
opened is then read through that descriptor (``/proc/self/fd/N`` for code that wants a path), so
changing the name afterwards changes nothing.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError

_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_PROC_FD = Path("/proc/self/fd")


def within(path: Path, folders: tuple[Path, ...]) -> bool:
    """Whether ``path`` is one of ``folders`` or lies under one (paths already resolved)."""
    return any(path == folder or folder in path.parents for folder in folders)


@dataclass
class OpenedFile:
    """A regular file opened after the checks; close it (or use it as a context manager) when done."""

    path: Path  # the path that was checked, with no link in it
    fd: int
    info: os.stat_result

    @property
    def identity(self) -> tuple[int, int]:
        """(device, inode): the same file, whatever its name leads to later."""
        return self.info.st_dev, self.info.st_ino

    @property
    def reader_path(self) -> Path:
        """A path that opens this very file (the descriptor's), for code that takes a path; where the
        system has no ``/proc/self/fd``, the checked path."""
        proc = _PROC_FD / str(self.fd)
        return proc if _PROC_FD.is_dir() else self.path

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> "OpenedFile":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:  # a response dropped before it was sent still gives its descriptor back
        self.close()


def _opened_path(fd: int, path: Path) -> str:
    """The path the kernel has for ``fd`` (Linux); elsewhere the resolved ``path``, accepted only when
    it is the same file as the descriptor."""
    try:
        return os.readlink(_PROC_FD / str(fd))
    except OSError:
        resolved = os.path.realpath(path)
        info, there = os.fstat(fd), os.stat(resolved)
        return resolved if (info.st_dev, info.st_ino) == (there.st_dev, there.st_ino) else ""


def open_unlinked(path: Path | str, folders: tuple[Path, ...] | None = None) -> OpenedFile:
    """Open the regular file at ``path`` (absolute, resolved when it was recorded or queued) for reading,
    refusing a link in any part of the path and, when ``folders`` are given, a file outside them."""
    path = Path(path)
    try:
        fd = os.open(path, _FLAGS)
    except OSError as error:
        if path.is_symlink():
            raise SourceError(f"{path} is now a link; a queued or recorded file is read only as the file "
                              f"that was checked, never through a link") from None
        raise SourceError(f"cannot read {path}: {error.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{path} is not a regular file")
        opened = _opened_path(fd, path)
        if opened != str(path):
            raise SourceError(f"{path} now leads elsewhere (a folder on its way was replaced by a link); it is "
                              f"read only as the file that was checked")
        if folders is not None and not within(Path(opened), tuple(Path(folder).resolve() for folder in folders)):
            raise SourceError(f"{path} lies outside the folders this server may read")
        return OpenedFile(path, fd, info)
    except BaseException:
        os.close(fd)
        raise
