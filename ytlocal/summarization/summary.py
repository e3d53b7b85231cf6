"""The summarize stage's options; the records it hands on (:class:`~ytlocal.records.Summary` and its
parts) live in :mod:`ytlocal.records`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .prompts import PROMPT_VERSION

__all__ = ["ALL_MEANING_USES", "MEANING_USES", "LENGTHS", "Length", "SummarizeOptions"]


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


# Where sentence meaning is used (when an embedding model is installed); each can be switched off to
# measure it (scripts/bench_quality.py): "ads" (ad reads found by meaning as well as words), "subject"
# (chatter far from the subject loses), "coverage" (choose statements that cover the piece's meaning),
# "sections" (section boundaries from meaning and words). The defaults are the uses that measured as a gain.
MEANING_USES = ("ads", "subject")
ALL_MEANING_USES = ("ads", "subject", "coverage", "sections")


@dataclass
class SummarizeOptions:
    length: str = "medium"
    instructions: str | None = None
    language: str | None = None
    meaning: tuple[str, ...] = MEANING_USES

    def key_dict(self) -> dict[str, Any]:
        return {**asdict(self), "meaning": list(self.meaning), "prompt_version": PROMPT_VERSION}
