"""Moments as people and subtitle files write them, and back: :func:`clock` ("1:02:03", "02:03"),
:func:`cue_clock` (SRT and WebVTT, "00:02:03,500"), :func:`clock_seconds` (either form back to
seconds) and :func:`offset_seconds` (a moment asked for in a request, "?t=95", checked)."""

from __future__ import annotations

MAX_OFFSET_SECONDS = 10 ** 7  # a requested moment past this (about 116 days) is no moment of a recording


def clock(seconds: float) -> str:
    """Whole seconds as a reader's clock: "02:03", or "1:02:03" from an hour on (negative: "00:00")."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def cue_clock(seconds: float, separator: str) -> str:
    """A subtitle cue's time, to the millisecond: "00:02:03,500" (SRT, ``separator`` ",") or
    "00:02:03.500" (WebVTT, ".")."""
    milliseconds = max(0, int(round(seconds * 1000)))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def clock_seconds(text: str) -> float:
    """Seconds of a clock or cue time ("1:02:03", "02:03", "00:02:03,500", "00:02:03.500")."""
    value = 0.0
    for part in text.replace(",", ".").split(":"):
        value = value * 60 + float(part)
    return value


def offset_seconds(value) -> float | None:
    """A moment given as a number of seconds (a ``?t=`` parameter), or None when it is not a number or
    lies outside 0 to :data:`MAX_OFFSET_SECONDS`."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < MAX_OFFSET_SECONDS else None
