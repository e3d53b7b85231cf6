"""The records the stages hand on, in one place, each stage taking the one before it:

    source --acquire--> Media --transcribe--> Transcript --summarize--> Summary, all in a Result

Nothing is flattened to a dict and rebuilt between stages. Dicts appear only at the edges: the
JSON files on disk (the media cache's ``media.json``, ytlocal's ``.json`` transcripts and summaries,
the library's stored summaries), whose formats these records read and write unchanged.

Records know nobody above them. :meth:`Result.render` and :meth:`Result.write` are kept for the
users of the API, but the formats live in :mod:`ytlocal.render`, which sits above this module: the
package (``ytlocal/__init__.py``) hands the renderer in through :func:`use_output_writer`, so this
module imports nothing of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

from .naming import output_stem

TRANSCRIPT_FORMAT_VERSION = 1


class OutputWriter(Protocol):
    """What :meth:`Result.render` and :meth:`Result.write` delegate to (:mod:`ytlocal.render`)."""

    def render(self, result: "Result", fmt: str) -> str: ...

    def write(self, result: "Result", out_dir: Path, formats: Sequence[str], with_transcript: bool) -> list[Path]: ...


_output_writer: OutputWriter | None = None


def use_output_writer(writer: OutputWriter) -> None:
    """Set the renderer behind :meth:`Result.render` and :meth:`Result.write` (the package does it)."""
    global _output_writer
    _output_writer = writer


def _writer() -> OutputWriter:
    if _output_writer is None:
        raise RuntimeError("no output writer: import ytlocal (the package wires ytlocal.render in)")
    return _output_writer


@dataclass
class Chapter:
    """A creator's chapter: its title and its time span in seconds."""

    title: str
    start: float
    end: float


@dataclass
class Media:
    """One piece of audio ready for transcription, with what users need to know about it later.

    A transcript read from a file also has a Media: ``extractor`` is ``"transcript"`` and there is no
    ``audio_path``."""

    key: str
    source: str
    audio_path: Path | None
    title: str
    extractor: str
    video_id: str
    duration: float | None = None
    channel: str | None = None
    upload_date: str | None = None
    webpage_url: str | None = None
    description: str | None = None
    chapters: list[Chapter] = field(default_factory=list)
    language: str | None = None
    captions_path: Path | None = None
    captions_kind: str | None = None  # "manual" or "auto"
    captions_checked: bool = False
    audio_sha256: str | None = None  # hashed once when acquired; names the audio in transcript cache keys

    @property
    def is_web(self) -> bool:
        return self.extractor not in ("file", "transcript")

    @property
    def is_transcript_file(self) -> bool:
        return self.extractor == "transcript"

    @property
    def url(self) -> str | None:
        """The page to link to, when it is a web address."""
        url = self.webpage_url
        return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None

    def to_dict(self) -> dict[str, Any]:
        """Everything, for the media cache on this machine (``media.json``)."""
        data = asdict(self)
        data["audio_path"] = str(self.audio_path) if self.audio_path else None
        data["captions_path"] = str(self.captions_path) if self.captions_path else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Media":
        data = dict(data)
        data["audio_path"] = Path(data["audio_path"]) if data.get("audio_path") else None
        data["captions_path"] = Path(data["captions_path"]) if data.get("captions_path") else None
        data["chapters"] = [Chapter(**chapter) for chapter in data.get("chapters") or []]
        return cls(**data)

    def describe(self) -> dict[str, Any]:
        """What travels with a transcript and a summary: no local paths."""
        return {
            "key": self.key, "title": self.title, "source": self.source, "webpage_url": self.webpage_url,
            "extractor": self.extractor, "video_id": self.video_id, "channel": self.channel,
            "upload_date": self.upload_date, "duration": self.duration,
            "chapters": [asdict(chapter) for chapter in self.chapters],
        }

    @classmethod
    def from_description(cls, data: dict[str, Any]) -> "Media":
        """The Media a transcript file describes (any of :meth:`describe`'s keys may be missing)."""
        return cls(
            key=str(data.get("key") or ""), source=str(data.get("source") or ""), audio_path=None,
            title=str(data.get("title") or ""), extractor=str(data.get("extractor") or ""),
            video_id=str(data.get("video_id") or ""), duration=data.get("duration"),
            channel=data.get("channel"), upload_date=data.get("upload_date"), webpage_url=data.get("webpage_url"),
            chapters=[Chapter(str(c["title"]), float(c["start"]), float(c["end"])) for c in data.get("chapters") or []],
        )

    @classmethod
    def for_transcript_file(cls, path: Path) -> "Media":
        return cls(key="", source=str(path), audio_path=None, title=path.stem, extractor="transcript",
                   video_id="transcript")


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] | None = None


@dataclass
class Transcript:
    """What was said, when, in which language, how it was obtained, and of which media."""

    segments: list[Segment]
    language: str | None = None
    language_probability: float | None = None
    duration: float | None = None
    model: str = ""
    model_sha256: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    media: Media | None = None
    format_version: int = TRANSCRIPT_FORMAT_VERSION

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments).strip()

    @property
    def is_empty(self) -> bool:
        return not any(segment.text.strip() for segment in self.segments)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["media"] = self.media.describe() if self.media else {}
        data["ytlocal_transcript"] = TRANSCRIPT_FORMAT_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Transcript":
        segments = []
        for raw in data.get("segments", []):
            words = raw.get("words")
            segments.append(Segment(
                start=float(raw["start"]), end=float(raw["end"]), text=str(raw["text"]),
                words=[Word(**word) for word in words] if words is not None else None,
            ))
        media = data.get("media")
        if media is not None and not isinstance(media, dict):
            raise TypeError(f"media is a {type(media).__name__}, not an object")
        return cls(
            segments=segments,
            language=data.get("language"),
            language_probability=data.get("language_probability"),
            duration=data.get("duration"),
            model=data.get("model", ""),
            model_sha256=data.get("model_sha256"),
            options=dict(data.get("options") or {}),
            media=Media.from_description(media) if media else None,
            format_version=int(data.get("format_version", TRANSCRIPT_FORMAT_VERSION)),
        )


@dataclass
class Point:
    """A statement of the summary and the time in the video it comes from.

    ``origin`` says who wrote it: ``llm`` (the model's rewrite, verified against the transcript) or
    ``extractive`` (the transcript's sentence, cleaned of speech disfluencies). ``source`` is the
    sentence as it was spoken."""

    text: str
    start: float
    origin: str = "extractive"
    source: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Point":
        return cls(str(data.get("text") or ""), float(data.get("start") or 0.0), str(data.get("origin") or "extractive"),
                   str(data.get("source") or ""))


@dataclass
class Section:
    heading: str
    start: float
    end: float
    bullets: list[Point]
    from_chapter: bool = False
    heading_origin: str = "keyphrase"  # chapter, llm, keyphrase, position


@dataclass
class Skipped:
    """A stretch of the transcript left out of the summary on purpose (an ad read), with its start and
    end in seconds (0 for a transcript without timings), why, and where known the transcript lines it
    covers (1-based, inclusive: what places it in a transcript without timings) and its first words."""

    start: float
    end: float
    reason: str
    lines: tuple[int, int] | None = None
    excerpt: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Skipped":
        lines = data.get("lines")
        return cls(float(data.get("start") or 0.0), float(data.get("end") or 0.0), str(data.get("reason") or ""),
                   (int(lines[0]), int(lines[1])) if isinstance(lines, (list, tuple)) and len(lines) == 2 else None,
                   str(data.get("excerpt") or ""))


@dataclass
class Summary:
    title: str
    tldr: str
    key_points: list[Point]
    sections: list[Section]
    has_timings: bool
    llm: dict[str, Any]
    options: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    tldr_points: list[Point] = field(default_factory=list)  # when the TL;DR is made of statements
    tags: list[str] = field(default_factory=list)  # the piece's key phrases, best first
    skipped: list[Skipped] = field(default_factory=list)  # ad reads and calls to action left out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Summary":
        """The Summary :meth:`to_dict` gave (what the library stores for each video)."""
        sections = [Section(str(s.get("heading") or ""), float(s.get("start") or 0.0), float(s.get("end") or 0.0),
                            [Point.from_dict(p) for p in s.get("bullets") or []], bool(s.get("from_chapter")),
                            str(s.get("heading_origin") or "keyphrase")) for s in data.get("sections") or []]
        return cls(title=str(data.get("title") or ""), tldr=str(data.get("tldr") or ""),
                   key_points=[Point.from_dict(p) for p in data.get("key_points") or []], sections=sections,
                   has_timings=bool(data.get("has_timings", True)), llm=dict(data.get("llm") or {}),
                   options=dict(data.get("options") or {}), stats=dict(data.get("stats") or {}),
                   warnings=list(data.get("warnings") or []),
                   tldr_points=[Point.from_dict(p) for p in data.get("tldr_points") or []],
                   tags=[str(tag) for tag in data.get("tags") or []],
                   skipped=[Skipped.from_dict(item) for item in data.get("skipped") or []])

    @property
    def points(self) -> list[Point]:
        """Every statement of the summary: the TL;DR's (when it is made of them), the key points, then
        the section bullets."""
        return self.tldr_points + self.key_points + [bullet for section in self.sections for bullet in section.bullets]


@dataclass
class Result:
    """One video's way through ytlocal: its media, its transcript and, once summarized, its summary.

    ``source`` is what was asked for (a URL, a path); ``media`` is known once acquired; a transcript
    read from a file carries its own Media (see :attr:`about`). ``error`` is set when it failed."""

    source: str
    media: Media | None = None
    transcript: Transcript | None = None
    summary: Summary | None = None
    error: Exception | None = None  # a YtlocalError when this source failed (then nothing else is set)

    @property
    def about(self) -> Media | None:
        """The media this result is about: acquired, else the one its transcript names."""
        if self.media is not None:
            return self.media
        return self.transcript.media if self.transcript is not None else None

    @property
    def title(self) -> str:
        media = self.about
        if media is not None and media.title:
            return media.title
        return Path(self.source).stem

    @property
    def video_id(self) -> str:
        media = self.about
        return media.video_id if media is not None and media.video_id else "transcript"

    @property
    def stem(self) -> str:
        """The file name, without extension, of this result's outputs."""
        return output_stem(self.title, self.video_id)

    def render(self, fmt: str = "md") -> str:
        """The summary as ``md``, ``hashnode``, ``json`` or ``txt`` (see :mod:`ytlocal.render`)."""
        return _writer().render(self, fmt)

    def write(self, out_dir: Path | str, formats: Sequence[str] = ("md",), with_transcript: bool = False) -> list[Path]:
        """Write the summary in each of ``formats`` (and the transcript as txt, srt and json when
        ``with_transcript``) into ``out_dir``, atomically. Returns the paths, the summaries first."""
        return _writer().write(self, Path(out_dir), formats, with_transcript)
