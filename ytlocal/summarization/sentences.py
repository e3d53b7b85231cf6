"""The transcript as whole sentences, each with its time, its cleaned written form and its words.

Captions and wrapped transcripts cut sentences into fragments ("they help you to take raw" / "data
and ..."); a fragment is no summary point and no unit for finding topics. Sentences are rebuilt across
segments first; each keeps the start time of the segment it begins in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .spoken import clean_spoken
from ..text import content_words, split_sentences, words

_ENDS_SENTENCE = re.compile(r"[.!?…][\"')\]]*$")
RUN_ON_WORDS = 80  # text without any sentence end (some captions): cut into runs of this many words


@dataclass
class Sentence:
    index: int
    start: float
    raw: str  # as spoken (filler and all)
    text: str  # cleaned, written form ('' when nothing was left)
    stems: list[str] = field(default_factory=list)  # content words of the raw sentence, stemmed

    @property
    def word_count(self) -> int:
        return len(words(self.text))

    @property
    def is_question(self) -> bool:
        return self.text.endswith("?")


def _runs(text: str) -> list[str]:
    tokens = text.split()
    return [" ".join(tokens[i:i + RUN_ON_WORDS]) for i in range(0, len(tokens), RUN_ON_WORDS)]


def transcript_sentences(segments: Sequence) -> list[Sentence]:
    """Every sentence of the transcript, in order, rebuilt across segment boundaries."""
    pieces: list[tuple[str, float]] = []
    buffer, buffer_start = "", None
    for segment in segments:
        text = " ".join(str(segment.text).split())
        if not text:
            continue
        if buffer_start is None:
            buffer_start = float(segment.start)
        buffer = f"{buffer} {text}".strip()
        parts = split_sentences(buffer)
        complete = parts if _ENDS_SENTENCE.search(buffer) else parts[:-1]
        pieces.extend((part, buffer_start) for part in complete)
        if len(complete) == len(parts):
            buffer, buffer_start = "", None
        else:
            buffer = parts[-1]
            if complete:
                buffer_start = float(segment.start)
            if len(buffer.split()) > RUN_ON_WORDS:
                runs = _runs(buffer)
                pieces.extend((run, buffer_start) for run in runs[:-1])
                buffer = runs[-1]
    if buffer:
        pieces.extend((run, buffer_start or 0.0) for run in _runs(buffer))
    result = []
    for raw, start in pieces:
        result.append(Sentence(len(result), start, raw, clean_spoken(raw), content_words(raw)))
    return result
