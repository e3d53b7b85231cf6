"""Safe, unique output file names from untrusted titles."""

from __future__ import annotations

import re
import unicodedata

MAX_TITLE_CHARS = 80
MAX_STEM_BYTES = 200
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def sanitize_title(title: str, max_chars: int = MAX_TITLE_CHARS) -> str:
    """A title that is safe as one path component on Linux, macOS and Windows.

    Control and format characters (NUL, newlines, RTL marks) go; path separators and characters
    Windows forbids become ``_``; leading dots (hidden files, ``..``) and trailing dots/spaces go.
    """
    text = unicodedata.normalize("NFC", title or "")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text
                   if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn"))
    text = re.sub(r'[\\/:*?"<>|]', "_", text)
    text = " ".join(text.split())
    text = text.lstrip(". ")
    if len(text) > max_chars:
        text = text[:max_chars].rstrip()
    text = text.rstrip(". ")
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = f"_{text}"
    return text or "untitled"


def output_stem(title: str, item_id: str) -> str:
    """``<sanitized title> [<id>]``: the id keeps two videos with the same title apart."""
    safe_id = sanitize_title(item_id, 64).replace(" ", "_")
    stem = f"{sanitize_title(title)} [{safe_id}]"
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        title = title[:-1]
        stem = f"{sanitize_title(title)} [{safe_id}]"
    return stem
