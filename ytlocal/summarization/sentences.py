"""The transcript as whole sentences, each with its time, its cleaned written form and its words.

Captions and wrapped transcripts cut sentences into fragments ("they help you to take raw" / "data
and ..."); a fragment is no summary point and no unit for finding topics. Sentences are rebuilt across
segments first; each keeps the start time of the segment it begins in.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from .sentence_ends import lacks_sentence_ends, restore
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


def run_times(sentences: Sequence[Sentence], first: int, stop: int, duration: float,
              has_timings: bool) -> tuple[float, float]:
    """(start, end) of the sentences ``first`` to ``stop - 1``: from the first one's start to the start
    of the sentence after them, the last run to ``duration``; (0, 0) in an untimed transcript."""
    if not has_timings:
        return 0.0, 0.0
    return sentences[first].start, (sentences[stop].start if stop < len(sentences) else duration)


def _runs(text: str) -> list[str]:
    tokens = text.split()
    return [" ".join(tokens[i:i + RUN_ON_WORDS]) for i in range(0, len(tokens), RUN_ON_WORDS)]


# Who speaks, written before a turn in transcripts made by people or other tools: "Ada Quill: ...",
# "SPEAKER 2: ...", or initials ("LWK Yeah, we think ...").
_TURN = re.compile(r"(?:^|(?<=[.!?] ))(?P<label>(?:[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,2}|SPEAKER[ _]?\d+):|[A-Z]{2,4})"
                   r"\s+(?=[A-Z0-9\"'“(])", re.M)


def speaker_labels(texts: Sequence[str]) -> set[str]:
    """The speaker labels that open turns in these segment texts (at a segment's start or after a
    sentence's end): a name with a colon that opens two turns or more, or initials that open turns
    and never occur anywhere else in the transcript (an acronym such as "GPT" is said inside sentences)."""
    whole = "\n".join(texts)
    opening = Counter(match.group("label") for match in _TURN.finditer(whole))
    labels = set()
    for label, count in opening.items():
        if label.endswith(":"):
            if count >= 2:
                labels.add(label)
        elif len(re.findall(rf"(?<![\w-]){re.escape(label)}(?![\w-])", whole)) == count:
            labels.add(label)
    return labels


def _without_labels(text: str, labels: set[str]) -> str:
    return _TURN.sub(lambda m: "" if m.group("label") in labels else m.group(0), text) if labels else text


def _word_start(segment, offset: int) -> float:
    """When the ``offset``-th word of a segment is said: its own time where the segment has one per
    word of its text, else the segment's start."""
    timed = getattr(segment, "words", None) or []
    if offset and len(timed) == len(str(segment.text).split()):
        return float(timed[offset].start)
    return float(segment.start)


def _restored_pieces(segments: Sequence, texts: Sequence[str]) -> list[tuple[str, float]]:
    restored = restore(texts, [float(s.start) for s in segments], [float(s.end) for s in segments])
    return [(sentence.text, _word_start(segments[sentence.segment], sentence.offset)) for sentence in restored]


def transcript_sentences(segments: Sequence) -> list[Sentence]:
    """Every sentence of the transcript, in order, rebuilt across segment boundaries; speaker labels
    (:func:`speaker_labels`) are not part of what is said. A transcript without sentence ends has them
    restored first (:mod:`.sentence_ends`), each sentence starting at the segment it begins in."""
    pieces: list[tuple[str, float]] = []
    buffer, buffer_start = "", None
    texts = [" ".join(str(segment.text).split()) for segment in segments]
    labels = speaker_labels(texts)
    texts = [_without_labels(text, labels) for text in texts]
    if lacks_sentence_ends(texts):
        segments = list(segments)
        return [Sentence(index, start, raw, clean_spoken(raw), content_words(raw))
                for index, (raw, start) in enumerate(_restored_pieces(segments, texts))]
    for segment, text in zip(segments, texts):
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
