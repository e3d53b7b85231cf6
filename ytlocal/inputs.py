"""What the user typed, expanded: URLs, media files, folders, lists of sources (``#`` comments) and
``-`` for standard input become single :class:`SourceItem`s, in order; problems become
:class:`Failure`s, so one bad source never stops the others. Nothing here touches the network."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TextIO

from .errors import SourceError

MEDIA_EXTENSIONS = frozenset(
    ".mp3 .m4a .aac .wav .flac .ogg .oga .opus .webm .mp4 .mkv .mov .avi .wma .mka .m4v .3gp .amr "
    ".aiff .aif .mpga .mpeg .ts".split()
)
SOURCE_LIST_EXTENSIONS = frozenset({".txt", ".list", ".urls"})
_URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass
class SourceItem:
    """One thing to acquire: a URL (maybe a playlist) or a local media file."""

    kind: str  # "url" or "file"
    value: str
    origin: str  # what the user typed, for messages


@dataclass
class Failure:
    """A source that could not be acquired; the batch goes on without it."""

    source: str
    error: SourceError


def is_url(text: str) -> bool:
    return bool(_URL_PATTERN.match(text.strip()))


def _check_url(text: str) -> str:
    url = text.strip()
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme.lower() in ("http", "https") and not parsed.hostname:
        raise SourceError(f"malformed URL {url!r}: it has no host")
    if any(ch.isspace() for ch in url):
        raise SourceError(f"malformed URL {url!r}: it contains spaces")
    return url


def read_source_list(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SourceError(f"{path} is not a UTF-8 text file of sources") from None
    lines = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not is_url(raw.strip()) else raw.strip()
        if line:
            lines.append(line)
    return lines


def looks_like_source_list(path: Path) -> bool:
    """A ``.txt``/``.list``/``.urls`` file of sources rather than a transcript: at least half of its
    lines (comments aside) are URLs or existing paths; the others then fail one by one."""
    if path.suffix.lower() not in SOURCE_LIST_EXTENSIONS:
        return False
    try:
        lines = read_source_list(path)
    except (SourceError, OSError):
        return False
    if not lines or any(len(line) > 4096 for line in lines):
        return False
    base = path.parent
    found = sum(1 for line in lines if is_url(line) or _exists(base / line) or _exists(Path(line)))
    return found >= max(1, len(lines) / 2)


def user_path(text: str | Path) -> Path:
    """A path as typed, with ``~`` expanded where it can be (``~nosuchuser/x`` stays as it is)."""
    path = Path(text)
    try:
        return path.expanduser()
    except RuntimeError:  # no such user, or no home directory
        return path


def _exists(path: Path) -> bool:
    """Whether a path exists; a line that cannot be a path at all (longer than the file-name limit, a
    NUL byte: a transcript pasted as one paragraph) is simply not one."""
    try:
        return user_path(path).exists()
    except (OSError, ValueError):
        return False


def expand_sources(sources: Iterable[str], stdin: TextIO | None = None,
                   _open_lists: frozenset[Path] = frozenset()) -> list[SourceItem | Failure]:
    """Expand folders, lists and ``-`` into single items, in order. Problems become :class:`Failure`s
    (a list that names itself, directly or through another list, is one of them)."""
    result: list[SourceItem | Failure] = []
    for source in sources:
        try:
            if source == "-":
                if stdin is None:
                    raise SourceError("'-' reads sources from standard input, but there is none")
                lines = [line.split("#", 1)[0].strip() if not is_url(line.strip()) else line.strip()
                         for line in stdin.read().splitlines()]
                result.extend(expand_sources([line for line in lines if line], None, _open_lists))
                continue
            if is_url(source):
                result.append(SourceItem("url", _check_url(source), source))
                continue
            path = user_path(source)
            if not _exists(path):
                raise SourceError(f"no such file, folder or URL: {source[:200]}")
            if path.is_dir():
                media = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in MEDIA_EXTENSIONS)
                if not media:
                    raise SourceError(f"the folder {path} holds no media files "
                                      f"({', '.join(sorted(MEDIA_EXTENSIONS)[:6])}, ...)")
                result.extend(SourceItem("file", str(p.resolve()), str(p)) for p in media)
                continue
            if looks_like_source_list(path):
                resolved = path.resolve()
                if resolved in _open_lists:
                    raise SourceError(f"the source list {source} names itself (directly or through another list)")
                entries = []
                for line in read_source_list(path):
                    relative = path.parent / line
                    entries.append(line if is_url(line) or not _exists(relative) else str(relative))
                result.extend(expand_sources(entries, None, _open_lists | {resolved}))
                continue
            result.append(SourceItem("file", str(path.resolve()), source))
        except SourceError as error:
            result.append(Failure(source, error))
    return result
