"""Sentence ends and capitals for transcripts that have none (lower-case, unpunctuated ASR and captions).

Some transcripts come without a single full stop ("so we drilled the first hole last june um before
that i was at the lab and ..."): one endless "sentence" is no key point, no time to link to and no
unit for finding topics. Whether a transcript lacks sentence ends is measured
(:func:`lacks_sentence_ends`: fewer than one per :data:`WORDS_PER_END` words, where punctuated speech
has one every 12-18); only then are they restored, so punctuated transcripts are untouched.

Where a sentence ends is decided per gap between two words by a logistic regression over the words
around the gap (hashed identities of one and two words each side and of the pair across it), whether a
caption line ends there (weighted by how long the transcript's lines are) and the pause, where the
transcript's timings have pauses. A sentence still longer than :data:`MAX_WORDS` is cut where an end
is likeliest. A second regression over a sentence's first and last words and their parts of speech
tells questions from statements. Both were fitted by ``scripts/train_sentence_ends.py`` on the
punctuated transcripts of ``../shared/data`` with punctuation and case stripped (the labels: where
their sentences ended, which were questions) and are judged there one show held out at a time; the
weights ship in ``data/``. Ends that a transcript does have (a rare "?") are kept; sentences begin
with a capital, "i" is written "I", and every other capital the transcript has is kept.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable, Sequence

import numpy as np

WORDS_PER_END = 50  # fewer sentence ends than one per this many words: the transcript lacks them
MAX_WORDS = 40  # a restored sentence longer than this is cut (3.5% of punctuated sentences are longer)
_END = re.compile(r"[.!?…][\"')\]”’]*$")
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_FIRST_PERSON = re.compile(r"^i(?=(?:['’](?:m|ve|ll|d))?(?:[\W_]|$))")

# Hashed features: a gap (or a sentence) has one feature per named column; a column's values are mixed
# with its slot and folded into the weight vector's size.
_SLOT_SALT = 0x9E3779B97F4A7C15
_MIX = np.uint64(0x100000001B3)
_WORDS_PER_LINE = (6, 10, 14, 20, 30)
_PAUSES = (0.05, 0.2, 0.5, 1.0, 2.0)
_LENGTHS = (3, 5, 8, 12, 20, 30)


def lacks_sentence_ends(texts: Sequence[str]) -> bool:
    """Whether these segment texts lack sentence ends: fewer than one per :data:`WORDS_PER_END` words
    (punctuated speech has one every 12-18 words; a few words without an end stay as they are)."""
    tokens = [token for text in texts for token in text.split()]
    ends = sum(1 for token in tokens if _END.search(token))
    return len(tokens) > WORDS_PER_END * (ends + 1)


@lru_cache(maxsize=100_000)
def normal_form(token: str) -> str:
    """The word a token is, as the models see it: lower case, no punctuation at its edges."""
    return _EDGE.sub("", token.lower().replace("’", "'"))


@lru_cache(maxsize=100_000)
def _word_hash(word: str) -> int:
    return zlib.crc32(word.encode("utf-8"))


@lru_cache(maxsize=100_000)
def _class_hash(word: str) -> int:
    """A word's parts of speech (lemminflect's), which carry over to words the regression saw too
    rarely to know by themselves."""
    if not word.isalpha():
        tags = ["NUM" if word[:1].isdigit() else "SYM"]
    else:
        try:
            from lemminflect import getAllLemmas
        except ImportError:  # pragma: no cover - a dependency; without it the classes say less
            return 0
        tags = sorted(getAllLemmas(word))
    return zlib.crc32(("|".join(tags) or "-").encode("utf-8"))


def _bucket(value: float, edges: Sequence[float]) -> int:
    return int(np.searchsorted(np.asarray(edges), value, side="right"))


def _hashed(made: dict[str, Callable[[], np.ndarray]], names: Sequence[str], bits: int) -> np.ndarray:
    rows = []
    for slot, name in enumerate(names):
        mixed = (made[name]().astype(np.uint64) + np.uint64((slot + 1) * _SLOT_SALT % (1 << 64))) * _MIX
        rows.append((mixed ^ (mixed >> np.uint64(29))) & np.uint64((1 << bits) - 1))
    return np.stack(rows, axis=1).astype(np.int64)


@dataclass
class Gaps:
    """The words of a transcript and, for the gap after each word, what the model knows of it."""
    tokens: list[str]  # as written
    forms: list[str]  # normal forms
    segment: np.ndarray  # the segment each word belongs to
    offset: np.ndarray  # its place in that segment's words
    line_end: np.ndarray  # bool per gap: a segment ends after this word
    pause: np.ndarray  # seconds of silence after this word (0 inside a segment or without timings)
    has_pauses: bool  # whether the transcript's timings show pauses between segments at all
    words_per_line: float


def transcript_gaps(texts: Sequence[str], starts: Sequence[float] = (), ends: Sequence[float] = ()) -> Gaps:
    """The words of these segment texts with their gaps; ``starts``/``ends`` are the segments' times
    (empty for an untimed transcript)."""
    tokens: list[str] = []
    segment: list[int] = []
    offset: list[int] = []
    line_end: list[bool] = []
    pause: list[float] = []
    timed = len(starts) == len(texts) and len(ends) == len(texts)
    silences = []
    for index, text in enumerate(texts):
        parts = text.split()
        if not parts:
            continue
        gap = 0.0
        if timed and index + 1 < len(texts):
            gap = max(0.0, float(starts[index + 1]) - float(ends[index]))
            silences.append(gap)
        tokens.extend(parts)
        segment.extend([index] * len(parts))
        offset.extend(range(len(parts)))
        line_end.extend([False] * (len(parts) - 1) + [True])
        pause.extend([0.0] * (len(parts) - 1) + [gap])
    has_pauses = bool(silences) and float(np.mean(np.asarray(silences) > 0.05)) > 0.2
    lines = max(1, len(set(segment)))
    return Gaps(tokens, [normal_form(t) for t in tokens], np.asarray(segment, int), np.asarray(offset, int),
                np.asarray(line_end, bool), np.asarray(pause, float), has_pauses, len(tokens) / lines)


def gap_features(gaps: Gaps, names: Sequence[str], bits: int) -> np.ndarray:
    """One row per gap (after each word), one hashed feature index per column of ``names``."""
    count = len(gaps.forms)
    position = np.arange(count)
    # Past the last word: two <end> words; before the first: <start> (index -1 and -2 wrap to them).
    hashes = np.asarray([_word_hash(f) for f in gaps.forms] + [_word_hash("<end>")] * 3 + [_word_hash("<start>")] * 2,
                        np.uint64)

    def word(shift: int) -> np.ndarray:
        return hashes[position + shift]

    def mix(*columns: np.ndarray) -> np.ndarray:
        mixed = columns[0]
        for column in columns[1:]:
            mixed = mixed * _MIX + column
        return mixed

    regime = _bucket(gaps.words_per_line, _WORDS_PER_LINE)
    made = {
        "bias": lambda: np.zeros(count, np.uint64),
        "w0": lambda: word(0), "w1": lambda: word(1), "w-1": lambda: word(-1), "w2": lambda: word(2),
        "w-1w0": lambda: mix(word(-1), word(0)), "w1w2": lambda: mix(word(1), word(2)),
        "w0w1": lambda: mix(word(0), word(1)),
        "line": lambda: np.where(gaps.line_end, np.uint64(1 + regime), np.uint64(0)),
        "pause": lambda: (np.searchsorted(np.asarray(_PAUSES), gaps.pause, side="right").astype(np.uint64)
                          if gaps.has_pauses else np.full(count, 99, np.uint64)),
    }
    return _hashed(made, names, bits)


def sentence_features(forms: Sequence[Sequence[str]], names: Sequence[str], bits: int) -> np.ndarray:
    """One row per sentence (its words' normal forms): what its first and last words say of a question."""
    ends = [(list(words[:3]) + ["", "", ""])[:3] + (["", ""] + list(words[-2:]))[-2:] for words in forms]
    hashes = np.asarray([[_word_hash(w) if w else 0 for w in row] for row in ends], np.uint64).reshape(-1, 5)
    classes = np.asarray([[_class_hash(w) if w else 0 for w in (row[0], row[1], row[4])] for row in ends],
                         np.uint64).reshape(-1, 3)
    first, second, third, before_last, last = hashes.T
    made = {
        "bias": lambda: np.zeros(len(forms), np.uint64),
        "f1": lambda: first, "f2": lambda: first * _MIX + second, "f3": lambda: (first * _MIX + second) * _MIX + third,
        "s2": lambda: second, "s23": lambda: second * _MIX + third,
        "l1": lambda: last, "l2": lambda: before_last * _MIX + last,
        "cf": lambda: classes[:, 0] * _MIX + classes[:, 1], "cl": lambda: classes[:, 2],
        "length": lambda: np.asarray([_bucket(len(words), _LENGTHS) for words in forms], np.uint64),
    }
    return _hashed(made, names, bits)


@dataclass(frozen=True)
class Model:
    """The two fitted regressions (``data/sentence_ends.json`` and ``.npy``)."""
    gap_features: tuple[str, ...]
    gap_bits: int
    gap_weights: np.ndarray
    threshold: float  # a gap whose probability of ending a sentence is above this ends one
    question_features: tuple[str, ...]
    question_bits: int
    question_weights: np.ndarray
    question_threshold: float

    def end_probabilities(self, gaps: Gaps) -> np.ndarray:
        scores = self.gap_weights[gap_features(gaps, self.gap_features, self.gap_bits)].sum(axis=1)
        return 1 / (1 + np.exp(-scores))

    def questions(self, forms: Sequence[Sequence[str]]) -> np.ndarray:
        if not forms:
            return np.zeros(0, bool)
        scores = self.question_weights[sentence_features(forms, self.question_features, self.question_bits)].sum(axis=1)
        return 1 / (1 + np.exp(-scores)) > self.question_threshold


@lru_cache(maxsize=1)
def model() -> Model:
    folder = resources.files(__package__).joinpath("data")
    meta = json.loads(folder.joinpath("sentence_ends.json").read_text(encoding="utf-8"))
    with folder.joinpath("sentence_ends.npy").open("rb") as handle:
        weights = np.load(handle).astype(np.float64)
    gap_size = 1 << meta["gap_bits"]
    return Model(tuple(meta["gap_features"]), meta["gap_bits"], weights[:gap_size], meta["threshold"],
                 tuple(meta["question_features"]), meta["question_bits"], weights[gap_size:],
                 meta["question_threshold"])


def choose_breaks(probabilities: np.ndarray, hard: np.ndarray, threshold: float,
                  max_words: int = MAX_WORDS) -> np.ndarray:
    """Which gaps end a sentence: those above ``threshold`` and those the transcript ends itself
    (``hard``); a sentence longer than ``max_words`` is then cut at its likeliest end, again and again."""
    breaks = (probabilities > threshold) | hard
    if len(breaks):
        breaks[-1] = True
    pending = []
    first = 0
    for last in np.flatnonzero(breaks):
        pending.append((first, int(last)))
        first = int(last) + 1
    while pending:
        first, last = pending.pop()
        if last - first + 1 > max_words:
            cut = first + int(np.argmax(probabilities[first:last]))  # after word ``cut``; never after ``last``
            breaks[cut] = True
            pending.extend([(first, cut), (cut + 1, last)])
    return breaks


def _written(token: str, first: bool) -> str:
    if token[0] == "i":
        token = _FIRST_PERSON.sub("I", token)
    if first:
        for index, character in enumerate(token):
            if character.isalpha():
                upper = character.upper()
                return token[:index] + (upper if len(upper) == 1 else character) + token[index + 1:]
            if character.isdigit():
                break
    return token


@dataclass
class Restored:
    text: str
    segment: int  # the index of the segment (of the texts given) it begins in
    offset: int  # the place of its first word among that segment's words


def restore(texts: Sequence[str], starts: Sequence[float] = (), ends: Sequence[float] = (),
            fitted: Model | None = None) -> list[Restored]:
    """The sentences of these segment texts (a transcript without sentence ends), each written with a
    capital and an end, with the segment it begins in."""
    gaps = transcript_gaps(texts, starts, ends)
    if not gaps.tokens:
        return []
    fitted = fitted or model()
    hard = np.asarray([bool(_END.search(token)) for token in gaps.tokens])
    breaks = choose_breaks(fitted.end_probabilities(gaps), hard, fitted.threshold)
    spans = []
    first = 0
    for last in np.flatnonzero(breaks):
        spans.append((first, int(last) + 1))
        first = int(last) + 1
    questions = fitted.questions([[f for f in gaps.forms[a:b] if f] or [""] for a, b in spans])
    result = []
    for (first, stop), question in zip(spans, questions):
        written = [_written(token, index == first) for index, token in enumerate(gaps.tokens[first:stop], first)]
        if not _END.search(written[-1]):
            while len(written) > 1 and not written[-1].rstrip(",;:-–—"):
                written.pop()  # a dash or comma left alone at the end
            written[-1] = written[-1].rstrip(",;:-–—") + ("?" if question else ".")
        result.append(Restored(" ".join(written), int(gaps.segment[first]), int(gaps.offset[first])))
    return result
