"""What the library reads from files: the transcript files a ``library add`` names (folders searched,
the richest of each transcript's formats chosen), the summaries ytlocal wrote (a summary ``.md`` read
back as timed statements, or a ``.summary.json`` beside it)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Iterable

from ..clock import clock_seconds
from ..errors import SourceError
from ..records import Media, Point, Result, Segment, Summary, Transcript
from ..transcript import TRANSCRIPT_SUFFIXES

SUMMARY_SUFFIXES = (".summary.json", ".summary.txt", ".hashnode.md")  # summaries written beside transcripts, not transcripts
_SUMMARY_MD_TLDR = re.compile(r"^## TL;DR\s*\n+(.+?)\n+## ", re.S | re.M)


def summary_from_files(summary_path: str | None) -> Summary | None:
    """A summary read back from what ytlocal wrote: the ``.summary.json`` beside the ``.md`` when it is
    there (everything), else the ``.md``'s TL;DR and timed statements (as key points)."""
    if not summary_path:
        return None
    path = Path(summary_path)
    stem = path.name.removesuffix(".md").removesuffix(".summary.json")
    beside = path.with_name(stem + ".summary.json")
    try:
        if beside.is_file():
            document = json.loads(beside.read_text(encoding="utf-8"))
            return Summary.from_dict(dict(document["summary"], has_timings=document.get("has_timings", True),
                                          llm=(document.get("models") or {}).get("llm") or {}))
        if path.suffix == ".md" and path.is_file():
            text = path.read_text(encoding="utf-8")
            result = read_summary_markdown(path)
            found = _SUMMARY_MD_TLDR.search(text)
            points = [Point(segment.text, segment.start) for segment in result.transcript.segments]
            return Summary(title=result.title, tldr=found.group(1).strip() if found else "", key_points=points,
                           sections=[], has_timings=True, llm={}, options={})
    except Exception as error:  # moved, edited by hand, not ytlocal's: the page shows the transcript alone
        logging.getLogger(__name__).debug("summary %s unreadable: %s", summary_path, error)
    return None


_FRONT = re.compile(r'^(title|source|duration): "?(.*?)"?$', re.M)
_BULLET = re.compile(r"^\s*[-*] \[(\d{1,2}:\d{2}(?::\d{2})?)\](?:\(([^)\s]*)\))?\s+(.+)$", re.M)


def read_summary_markdown(path: Path) -> Result:
    """A summary ``.md`` written by ytlocal, as a Result whose transcript is its timed statements: what
    a batch folder holds when it was run without --with-transcript."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"{path}: cannot read it ({error})") from None
    if not text.startswith("---\n") or "generator: \"ytlocal" not in text.split("\n---", 1)[0]:
        raise SourceError(f"{path} is not a summary written by ytlocal")
    front = dict(_FRONT.findall(text.split("\n---", 1)[0]))
    segments = [Segment(clock_seconds(clock), clock_seconds(clock), statement.strip()) for clock, _url, statement in
                _BULLET.findall(text)]
    if not segments:
        raise SourceError(f"{path}: a summary without timed statements")
    source = front.get("source") or str(path)
    url = source if source.startswith(("http://", "https://")) else None
    media = Media(key="summary-" + hashlib.sha256(source.encode()).hexdigest()[:16], source=source, audio_path=None,
                  title=front.get("title") or path.stem, extractor="summary", video_id="summary",
                  duration=clock_seconds(front["duration"]) if re.fullmatch(r"[\d:]+", front.get("duration", "")) else None,
                  webpage_url=url)
    return Result(str(path) if url is None else url, media=media, transcript=Transcript(segments))


def transcript_files(paths: Iterable[str]) -> tuple[list[tuple[Path, bool]], list[str]]:
    """The transcript files named (files, or folders searched recursively), each with whether it was
    named itself (else found in a folder: one that is not a transcript is skipped, not an error), and
    the names that are neither."""
    INDEXED_SUFFIXES = (*TRANSCRIPT_SUFFIXES, ".md")  # a summary only where no transcript of it is there
    found: list[tuple[Path, bool]] = []
    problems: list[str] = []
    for name in paths:
        path = Path(name).expanduser()
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in INDEXED_SUFFIXES
                            and not p.name.endswith(SUMMARY_SUFFIXES) and p.name != "index.md"
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
            # ytlocal writes a transcript as .txt, .srt and .json side by side: index the richest one.
            by_stem: dict[Path, Path] = {}
            for candidate in inside:
                key = candidate.with_suffix("")
                order = INDEXED_SUFFIXES.index(candidate.suffix.lower())
                if key not in by_stem or order < INDEXED_SUFFIXES.index(by_stem[key].suffix.lower()):
                    by_stem[key] = candidate
            if not by_stem:
                problems.append(f"{name}: no transcript files (.json, .srt, .vtt, .txt) in it")
            found.extend((candidate, False) for candidate in sorted(by_stem.values()))
        elif path.is_file() and path.suffix.lower() in INDEXED_SUFFIXES:
            found.append((path, True))
        else:
            problems.append(f"{name}: not a transcript file or folder")
    return found, problems
