"""The records the summarize stage hands on: options in, a :class:`Summary` out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .prompts import PROMPT_VERSION


@dataclass(frozen=True)
class Length:
    """What a length preset means: words per minute of speech (with a floor and a cap) and how many
    key points lead the summary."""

    base_words: int
    words_per_minute: float
    max_words: int
    key_points_base: int
    minutes_per_key_point: float
    max_key_points: int

    def budget(self, minutes: float) -> int:
        return int(min(self.max_words, self.base_words + self.words_per_minute * minutes))

    def key_points(self, minutes: float) -> int:
        return int(min(self.max_key_points, self.key_points_base + minutes / self.minutes_per_key_point))


# medium: about 800 words for half an hour, 950 for an hour or more (the reference summaries' size),
# headings included
LENGTHS = {
    "short": Length(100, 9, 450, 3, 15, 6),
    "medium": Length(200, 18, 850, 4, 12, 12),
    "long": Length(300, 28, 1500, 5, 8, 18),
}


@dataclass
class SummarizeOptions:
    length: str = "medium"
    instructions: str | None = None
    language: str | None = None

    def key_dict(self) -> dict[str, Any]:
        return {**asdict(self), "prompt_version": PROMPT_VERSION}


@dataclass
class ChapterSpan:
    """A creator's chapter: its title and time span in seconds."""

    title: str
    start: float
    end: float


@dataclass
class Point:
    """A statement of the summary and the time in the video it comes from.

    ``origin`` says who wrote it: ``llm`` (the model's rewrite, verified against the transcript),
    ``extractive`` (the transcript's sentence, cleaned of speech disfluencies). ``source`` is the
    sentence as it was spoken."""

    text: str
    start: float
    origin: str = "extractive"
    source: str = ""


@dataclass
class Section:
    heading: str
    start: float
    end: float
    bullets: list[Point]
    from_chapter: bool = False
    heading_origin: str = "keyphrase"  # chapter, llm, keyphrase


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def points(self) -> list[Point]:
        """Every statement of the summary: the TL;DR's (when it is made of them), the key points, then
        the section bullets."""
        return self.tldr_points + self.key_points + [bullet for section in self.sections for bullet in section.bullets]
