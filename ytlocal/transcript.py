"""Transcript files: writers for txt/srt/vtt/json, readers for txt/srt/vtt/json (ytlocal's json is
lossless and reads back as input). The records themselves live in :mod:`ytlocal.records`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .clock import clock_seconds, cue_clock
from .errors import SourceError
from .records import Media, Segment, Transcript
from .files import atomic_write_text

FORMATS = ("txt", "srt", "vtt", "json")
TRANSCRIPT_SUFFIXES = (".json", ".srt", ".vtt", ".txt")  # the files read as transcripts, richest first
__all__ = ["FORMATS", "TRANSCRIPT_SUFFIXES", "parse_cues", "read_transcript", "write_transcript"]


# ------------------------------------------------------------------------------------ writers


def _cue_text(text: str) -> str:
    # A blank line ends a cue and "-->" starts one: neither may appear inside cue text.
    return re.sub(r"\n\s*\n", "\n", text.strip()).replace("-->", "->")


def render_txt(transcript: Transcript) -> str:
    return "".join(f"{segment.text.strip()}\n" for segment in transcript.segments if segment.text.strip())


def render_srt(transcript: Transcript) -> str:
    blocks = []
    for index, segment in enumerate((s for s in transcript.segments if s.text.strip()), start=1):
        blocks.append(f"{index}\n{cue_clock(segment.start, ',')} --> {cue_clock(segment.end, ',')}\n{_cue_text(segment.text)}\n")
    return "\n".join(blocks)


def render_vtt(transcript: Transcript) -> str:
    blocks = ["WEBVTT\n"]
    for segment in transcript.segments:
        if segment.text.strip():
            blocks.append(f"{cue_clock(segment.start, '.')} --> {cue_clock(segment.end, '.')}\n{_cue_text(segment.text)}\n")
    return "\n".join(blocks)


def render_json(transcript: Transcript) -> str:
    return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"txt": render_txt, "srt": render_srt, "vtt": render_vtt, "json": render_json}


def write_transcript(transcript: Transcript, directory: Path, stem: str, formats: list[str]) -> list[Path]:
    """Write ``stem.<ext>`` for each format into ``directory`` atomically; returns the paths."""
    written = []
    for extension in formats:
        path = Path(directory) / f"{stem}.{extension}"
        atomic_write_text(path, RENDERERS[extension](transcript))
        written.append(path)
    return written


# ------------------------------------------------------------------------------------ readers

_CUE_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_TAGS = re.compile(r"<[^>]*>")


def parse_cues(text: str) -> list[Segment]:
    """Cues of an SRT or WebVTT file. Rolling auto-captions (each cue repeating the previous line)
    are de-duplicated so every spoken line appears once."""
    segments: list[Segment] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines):
        match = _CUE_TIMING.match(lines[index])
        if not match:
            index += 1
            continue
        index += 1
        cue_lines = []
        while index < len(lines) and lines[index].strip():
            cue_lines.append(_TAGS.sub("", lines[index]).strip())
            index += 1
        cue_lines = [line for line in cue_lines if line]
        if segments and cue_lines:
            previous_lines = segments[-1].text.split("\n")
            # Drop lines that repeat the end of the previous cue (YouTube's rolling captions, whose
            # cues hold two lines). Two one-line cues saying the same thing were both said: keep them.
            if len(cue_lines) > 1 or len(previous_lines) > 1:
                while cue_lines and cue_lines[0] in previous_lines:
                    cue_lines.pop(0)
        if not cue_lines:
            continue
        segments.append(Segment(clock_seconds(match.group("start")), clock_seconds(match.group("end")), "\n".join(cue_lines)))
    for segment in segments:
        segment.text = " ".join(segment.text.split("\n"))
    return segments


def decode_text(data: bytes) -> str:
    """Text files as editors save them: UTF-8 (with or without a byte-order mark) or UTF-16 with one."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def read_transcript(path: Path, read_from: Path | None = None) -> Transcript:
    """Read a transcript file: ytlocal ``.json``, ``.srt``, ``.vtt`` or plain ``.txt`` (``read_from``:
    where to read it, an open descriptor's path, see :mod:`ytlocal.confined`; ``path`` names it)."""
    path = Path(path)
    try:
        text = decode_text(Path(read_from or path).read_bytes())
    except UnicodeDecodeError:
        raise SourceError(f"{path} is not text in UTF-8 or UTF-16 (with a byte-order mark)") from None
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror}") from error
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SourceError(f"{path} is not valid JSON (line {error.lineno}: {error.msg})") from error
        if not isinstance(data, dict) or "ytlocal_transcript" not in data:
            raise SourceError(f"{path} is not a ytlocal transcript (.json written by `ytlocal transcribe`)")
        try:
            return Transcript.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise SourceError(f"{path} is a damaged ytlocal transcript ({type(error).__name__}: {error})") from error
    if suffix in (".srt", ".vtt"):
        segments = parse_cues(text)
        if not segments and text.strip() and not any(_CUE_TIMING.match(line) for line in text.splitlines()):
            raise SourceError(f"{path} has no subtitle cues (no 'start --> end' timing lines)")
        return Transcript(segments=segments, duration=segments[-1].end if segments else 0.0,
                          model=f"file:{suffix[1:]}", media=Media.for_transcript_file(path))
    if suffix == ".txt":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        # No timings in plain text: number the lines so order is kept; times are unknown (0).
        segments = [Segment(0.0, 0.0, line) for line in lines]
        return Transcript(segments=segments, duration=None, model="file:txt",
                          media=Media.for_transcript_file(path))
    raise SourceError(f"{path}: unknown transcript format {suffix or '(none)'}; use .json, .srt, .vtt or .txt")
