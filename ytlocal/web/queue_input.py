"""What a browser may put in the queue: web addresses, and local files only under the folders the
user allowed (``--allow-dir``, default the folder ``ytlocal serve`` started in).

A page can be driven by someone other than the user (a script that got hold of the cookie, a
mistake), so a path typed in the browser must not make ytlocal read ``~/.ssh`` or a source list that
names files elsewhere. Every path is resolved (links followed) before the check, folders and source
lists are expanded here, and each file they name is checked the same way; what goes into the job list
is the resolved file, never the typed path.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from ..inputs import Failure, expand_sources, is_url

MAX_SOURCES = 1000


def within(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def _web_address(text: str) -> str | None:
    """Why ``text`` is not a web address the queue takes, or None when it is."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// addresses are taken"
    if not parts.hostname:
        return "the address has no host"
    return None


def check_sources(lines: list[str], allow_dirs: tuple[Path, ...]) -> tuple[list[str], list[str]]:
    """The sources to queue for the lines typed (URLs, and resolved local files) and the problems, one
    per refused line; the caller queues nothing when there is any problem."""
    allowed = tuple(Path(folder).resolve() for folder in allow_dirs)
    sources: list[str] = []
    problems: list[str] = []
    for line in (line.strip() for line in lines):
        if not line or line.startswith("#"):
            continue
        if any(ord(character) < 32 or ord(character) == 127 for character in line):
            problems.append(f"{repr(line)[1:-1][:200]}: holds a control character (a NUL byte?): not a file "
                            f"name or an address")
            continue
        if is_url(line):
            why = _web_address(line)
            (problems.append(f"{line[:200]}: {why}") if why else sources.append(line))
            continue
        typed = Path(line).expanduser()
        if not typed.is_absolute():
            typed = (allowed[0] if allowed else Path.cwd()) / typed
        try:
            resolved = typed.resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            problems.append(f"{line[:200]}: no such file or folder")
            continue
        if not within(resolved, allowed):
            problems.append(f"{line[:200]}: outside the folders this server may read "
                            f"({', '.join(str(folder) for folder in allowed) or 'none'}); start it with "
                            f"--allow-dir to add one")
            continue
        for item in expand_sources([str(resolved)]):
            if isinstance(item, Failure):
                problems.append(f"{line[:200]}: {item.error}")
            elif item.kind == "url":
                why = _web_address(item.value)
                (problems.append(f"{line[:200]}: {item.value[:200]}: {why}") if why else sources.append(item.value))
            else:
                file = Path(item.value).resolve()
                if within(file, allowed):
                    sources.append(str(file))
                else:
                    problems.append(f"{line[:200]}: {item.origin[:200]} leads outside the allowed folders")
    if len(sources) > MAX_SOURCES:
        problems.append(f"{len(sources)} sources at once; at most {MAX_SOURCES} (use `ytlocal batch` for more)")
    return list(dict.fromkeys(sources)), problems
