"""How a transcript becomes the library's passages: consecutive segments of about
:data:`PASSAGE_WORDS` words, and which of them an ad read (a summary's skipped span) covers."""

from __future__ import annotations

import re

from ..records import Segment, Skipped

PASSAGE_WORDS = 60  # a passage: consecutive segments up to about this many words
AD_SHARE = 0.5  # a passage at least this much inside skipped spans is marked as an ad


def passages(segments: list[Segment], words: int = PASSAGE_WORDS) -> list[tuple[float | None, float | None, str]]:
    """Consecutive segments joined into passages of about ``words`` words, with their times (None
    for a transcript without timings)."""
    out: list[tuple[float | None, float | None, str]] = []
    current: list[Segment] = []
    count = 0

    def flush() -> None:
        nonlocal current, count
        if current:
            timed = any(s.end > 0 for s in current)
            text = " ".join(s.text.strip() for s in current if s.text.strip())
            if text:
                out.append((current[0].start if timed else None, current[-1].end if timed else None, text))
        current, count = [], 0

    for segment in segments:
        current.append(segment)
        count += len(segment.text.split())
        if count >= words and re.search(r"[.!?…。？！]\W*$", segment.text.strip()):
            flush()
        elif count >= 2 * words:
            flush()
    flush()
    return out


def ad_flags(rows: list[tuple[float | None, float | None, str]], spans: list[Skipped]) -> list[bool]:
    """For each passage, whether at least :data:`AD_SHARE` of its time lies inside the skipped spans
    (an untimed passage or span never counts)."""
    timed = [(s.start, s.end) for s in spans if s.end > s.start]
    flags = []
    for start, end, _text in rows:
        if not timed or start is None or end is None or end <= start:
            flags.append(False)
            continue
        inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in timed)
        flags.append(inside >= AD_SHARE * (end - start))
    return flags
