"""Token-aware chunking of a transcript, measured with the loaded model's own tokenizer.

Chunks end on segment boundaries (and, where the budget allows, on sentence ends), carry their start and
end times, and follow the video's chapters: a long chapter is split, a tiny one is merged into its
neighbour. Nothing is dropped: every segment lands in exactly one chunk, and a segment longer than the
whole budget is cut into pieces that each fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .text import remove_filler, split_sentences

TokenCounter = Callable[[str], int]
TINY_CHAPTER_SHARE = 0.2  # chapters under 20% of a chunk's budget join a neighbour


@dataclass
class Piece:
    """A unit the chunker packs: a transcript segment (or a part of an over-long one), filler removed."""

    start: float
    end: float
    text: str
    tokens: int
    segment: int  # index of the transcript segment it comes from


@dataclass
class Chunk:
    index: int
    start: float
    end: float
    pieces: list[Piece]
    tokens: int
    chapters: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(piece.text for piece in self.pieces)

    @property
    def segments(self) -> list[int]:
        return sorted({piece.segment for piece in self.pieces})


@dataclass
class ChapterSpan:
    title: str
    start: float
    end: float


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[.!?…]['\")\]]*$", text.strip()))


def _split_long(text: str, limit: int, count: TokenCounter) -> list[str]:
    """Cut text that alone exceeds ``limit`` tokens: at sentences, then at words. Never drops words."""
    parts: list[str] = []
    current = ""
    units = split_sentences(text)
    if len(units) <= 1:
        units = text.split()
    for unit in units:
        candidate = f"{current} {unit}".strip()
        if current and count(candidate) > limit:
            parts.append(current)
            current = unit
        else:
            current = candidate
        while count(current) > limit:  # a single word-less run (e.g. a URL): hard cut by characters
            cut = max(1, len(current) * limit // max(count(current), 1))
            parts.append(current[:cut])
            current = current[cut:]
    if current:
        parts.append(current)
    return parts


SEPARATOR_TOKENS = 1  # pieces are joined with a newline in the prompt


def make_pieces(segments: Sequence, budget: int, count: TokenCounter) -> list[Piece]:
    pieces = []
    for index, segment in enumerate(segments):
        text = remove_filler(segment.text.strip())
        if not text:
            continue
        tokens = count(text) + SEPARATOR_TOKENS
        if tokens <= budget:
            pieces.append(Piece(segment.start, segment.end, text, tokens, index))
            continue
        for part in _split_long(text, budget - SEPARATOR_TOKENS, count):
            pieces.append(Piece(segment.start, segment.end, part, count(part) + SEPARATOR_TOKENS, index))
    return pieces


def _greedy(pieces: list[Piece], budget: int) -> list[list[Piece]]:
    groups: list[list[Piece]] = [[]]
    size = 0
    for piece in pieces:
        if groups[-1] and size + piece.tokens > budget:
            groups.append([])
            size = 0
        groups[-1].append(piece)
        size += piece.tokens
    return groups


def _pack(pieces: list[Piece], budget: int) -> list[list[Piece]]:
    """Pack pieces in order into as few groups of at most ``budget`` tokens as greedy packing needs,
    balanced in size (a small tail chunk gives the model little context), each ending on a sentence
    end where one is near."""
    total = sum(piece.tokens for piece in pieces)
    if total <= budget:
        return [pieces] if pieces else []
    greedy = _greedy(pieces, budget)
    count = len(greedy)
    target = total / count
    groups: list[list[Piece]] = []
    current: list[Piece] = []
    size = 0
    done = 0  # tokens in closed groups: group i closes near (i + 1) * target, so errors do not pile up
    for piece in pieces:
        boundary = (len(groups) + 1) * target
        closing = current and (size + piece.tokens > budget
                               or (done + size + piece.tokens / 2 > boundary and len(groups) < count - 1))
        if closing:
            # Move a short unfinished sentence at the end over to the next group.
            cut = len(current)
            while cut > 0 and not _ends_sentence(current[cut - 1].text):
                cut -= 1
            tail = current[cut:]
            if cut and tail and sum(p.tokens for p in tail) <= 0.25 * target:
                current = current[:cut]
            else:
                tail = []
            groups.append(current)
            done += sum(p.tokens for p in current)
            current = tail
            size = sum(p.tokens for p in current)
        current.append(piece)
        size += piece.tokens
    if current:
        groups.append(current)
    if len(groups) > count or any(sum(p.tokens for p in group) > budget for group in groups):
        return greedy
    return groups


def chunk_transcript(segments: Sequence, tokens_per_chunk: int, count: TokenCounter,
                     chapters: Sequence[ChapterSpan] = ()) -> list[Chunk]:
    """Split ``segments`` (objects with start, end, text) into chunks of at most ``tokens_per_chunk``."""
    if tokens_per_chunk < 16:
        raise ValueError("tokens_per_chunk must be at least 16")
    pieces = make_pieces(segments, tokens_per_chunk, count)
    if not pieces:
        return []
    # One group per chapter (pieces before the first chapter join it); a chapter under 20% of the
    # budget joins its neighbour's group; long groups are packed into several chunks.
    spans = sorted((c for c in chapters if c.end > c.start), key=lambda c: c.start)
    titles_of: dict[int, str] = {}
    if spans:
        bounds = [span.start for span in spans[1:]]
        buckets: list[list[Piece]] = [[] for _ in spans]
        for piece in pieces:
            position = sum(1 for bound in bounds if piece.start >= bound)
            buckets[position].append(piece)
            titles_of[id(piece)] = spans[position].title
        groups = _merge_tiny([bucket for bucket in buckets if bucket], tokens_per_chunk)
    else:
        groups = [pieces]
    chunks: list[Chunk] = []
    for group in groups:
        for packed in _pack(group, tokens_per_chunk):
            titles = list(dict.fromkeys(titles_of[id(p)] for p in packed if id(p) in titles_of))
            chunks.append(Chunk(len(chunks), packed[0].start, max(p.end for p in packed), packed,
                                sum(p.tokens for p in packed), titles))
    return chunks


def _merge_tiny(groups: list[list[Piece]], budget: int) -> list[list[Piece]]:
    """A chapter smaller than a fifth of the budget is packed together with its neighbour (the
    previous one; the next one for the first chapter)."""
    merged: list[list[Piece]] = []
    for group in groups:
        if merged and (sum(p.tokens for p in group) < TINY_CHAPTER_SHARE * budget
                       or sum(p.tokens for p in merged[-1]) < TINY_CHAPTER_SHARE * budget):
            merged[-1] = merged[-1] + group
        else:
            merged.append(group)
    return merged
