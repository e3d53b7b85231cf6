"""Grounded map-reduce: transcript -> timestamped notes per chunk -> key points, TL;DR, sections.

The design assumes the model may be tiny (SmolLM2-135M) and so may loop or invent facts:

- every generation goes through a repetition check; a looping answer is retried once under stronger
  penalties, then its repeated lines are dropped;
- every sentence a model writes is checked against its source (the chunk for notes, the notes for
  merged notes, the transcript for the TL;DR): its content words must occur there and it may not name a
  person, place or number the source does not; unsupported sentences are dropped and replaced by the
  best-supported sentence of the source itself (an extractive fallback), so the summary is never empty;
- each note is tied to the transcript segment it matches best, which gives every point its timestamp;
- no 8-word run appears twice anywhere in the summary, and speech filler is removed everywhere.

Stronger models pass these checks more often, so the same code gives more abstractive summaries with them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from ..progress import Progress
from ..errors import SummaryError
from .chunking import ChapterSpan, Chunk, chunk_transcript
from .llm import LlmSession, SamplingOptions
from .prompts import (
    HEADING_INSTRUCTION,
    MERGE_INSTRUCTION,
    PROMPT_VERSION,
    TITLE_INSTRUCTION,
    TLDR_INSTRUCTION,
    map_messages,
    notes_messages,
)
from .text import (
    content_words,
    is_looping,
    ngrams,
    similar,
    split_sentences,
    support,
    tidy_sentence,
    words,
)


MIN_CHUNK_TOKENS = 128
MAX_MERGED = 8  # notes one merge call writes (bounds its output tokens)
SAFETY_TOKENS = 32  # tokenizing the joined chunk can differ slightly from the sum of its pieces
NOTE_SUPPORT = 0.75  # share of a note's content words that must occur in its source
TLDR_SUPPORT = 0.7
HEADING_SUPPORT = 0.6
DUPLICATE_SIMILARITY = 0.55
REPEAT_NGRAM = 8
# Text addressed to a language model ("ignore your instructions ...") is never summary material.
_INJECTION = re.compile(r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|prompts?|rules)\b|"
                        r"\bsystem prompt\b|\bas an ai\b", re.I)
_LABEL_META = re.compile(r"\b(note|notes|title|heading|section|summary|video|here is)\b|:$", re.I)
STRONGER = SamplingOptions(repeat_penalty=1.3, frequency_penalty=0.6, presence_penalty=0.4)
_META = re.compile(r"\b(transcript|this (?:video|part|section|talk)|the notes?|key points?|in summary|as an ai)\b", re.I)


@dataclass(frozen=True)
class Length:
    key_points: int
    tldr_sentences: int
    section_bullets: int
    notes_per_chunk: int
    seconds_per_section: int


LENGTHS = {
    "short": Length(key_points=5, tldr_sentences=2, section_bullets=2, notes_per_chunk=3, seconds_per_section=600),
    "medium": Length(key_points=8, tldr_sentences=3, section_bullets=3, notes_per_chunk=4, seconds_per_section=300),
    "long": Length(key_points=12, tldr_sentences=4, section_bullets=4, notes_per_chunk=5, seconds_per_section=180),
}


@dataclass
class SummarizeOptions:
    length: str = "medium"
    instructions: str | None = None
    language: str | None = None

    def key_dict(self) -> dict[str, Any]:
        return {**asdict(self), "prompt_version": PROMPT_VERSION}


@dataclass
class Point:
    """A sentence of the summary and the time in the video it comes from."""

    text: str
    start: float
    origin: str = "llm"  # llm, extractive, merged
    support: float = 1.0
    chunk: int = 0


@dataclass
class Section:
    heading: str
    start: float
    end: float
    bullets: list[Point]
    from_chapter: bool = False


@dataclass
class ChunkRecord:
    index: int
    start: float
    end: float
    tokens: int
    chapters: list[str]
    notes: list[Point]


@dataclass
class Summary:
    title: str
    tldr: str
    key_points: list[Point]
    sections: list[Section]
    chunks: list[ChunkRecord]
    has_timings: bool
    llm: dict[str, Any]
    options: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Emitted:
    """Remembers every 8-word run already in the summary so no run appears twice."""

    def __init__(self) -> None:
        self.runs: set[tuple[str, ...]] = set()
        self.texts: list[str] = []

    def fits(self, text: str) -> bool:
        tokens = words(text)
        runs = set(ngrams(tokens, REPEAT_NGRAM))
        if runs & self.runs:
            return False
        return not any(similar(text, other) > DUPLICATE_SIMILARITY for other in self.texts)

    def add(self, text: str) -> None:
        self.runs.update(ngrams(words(text), REPEAT_NGRAM))
        self.texts.append(text)


class _Source:
    """A body of text a claim can be checked against, with a way to find its best-matching piece."""

    def __init__(self, texts: Sequence[str], starts: Sequence[float]):
        self.texts = list(texts)
        self.starts = list(starts)
        self.piece_words = [set(content_words(text)) for text in self.texts]
        self.words = set().union(*self.piece_words) if self.piece_words else set()
        self.lower = " ".join(self.texts).lower().replace(",", "")

    def support(self, claim: str) -> float:
        return support(claim, self.words, self.lower)

    def local_support(self, claim: str, radius: int = 1) -> tuple[float, int]:
        """Support from the best-matching piece and its neighbours only, and that piece's index.

        A small model often stitches words from distant sentences into a claim the source never
        made; requiring the words to sit together catches most of those."""
        best = self.locate(claim)
        window = self.texts[max(0, best - radius): best + radius + 1]
        window_words = set().union(*(set(content_words(text)) for text in window))
        return support(claim, window_words, " ".join(window).lower().replace(",", "")), best

    def locate(self, claim: str) -> int:
        claim_words = set(content_words(claim))
        best, best_overlap = 0, -1
        for index, piece_words in enumerate(self.piece_words):
            overlap = len(claim_words & piece_words)
            if overlap > best_overlap:
                best, best_overlap = index, overlap
        return best


class _Salience:
    """Scores sentences by how central their words are to the whole transcript."""

    def __init__(self, texts: Sequence[str]):
        self.counts = Counter(word for text in texts for word in set(content_words(text)))

    def score(self, text: str) -> float:
        unique = set(content_words(text))
        if not unique:
            return 0.0
        total = sum(math.log1p(self.counts.get(word, 0)) for word in unique)
        return total / math.sqrt(len(unique) + 2)


def _note_lines(text: str) -> list[str]:
    lines = []
    for raw in re.split(r"\n+", text):
        raw = raw.strip()
        if not raw:
            continue
        for sentence in split_sentences(re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", raw)) or [raw]:
            lines.append(sentence)
    return lines


def _acceptable(sentence: str) -> bool:
    count = len(words(sentence))
    return (4 <= count <= 45 and len(content_words(sentence)) >= 3 and not _META.search(sentence)
            and not _INJECTION.search(sentence))


def _extractive_candidates(texts: Sequence[str], starts: Sequence[float]) -> list[tuple[str, float]]:
    """The source's own complete sentences that could stand as summary points (tidied, filler removed).

    Sentences are rebuilt across pieces first: captions and wrapped transcripts cut sentences into
    fragments, and a fragment ("they help you to take raw") is no summary point. Each sentence keeps
    the start time of the piece it begins in."""
    candidates = []
    buffer, buffer_start = "", None
    for text, start in zip(texts, starts):
        if buffer_start is None:
            buffer_start = start
        buffer = f"{buffer} {text}".strip()
        sentences = split_sentences(buffer)
        complete = sentences if re.search(r"[.!?][\"')\]]*$", buffer) else sentences[:-1]
        for sentence in complete:
            candidates.append((sentence, buffer_start))
        if len(complete) == len(sentences):
            buffer, buffer_start = "", None
        else:
            buffer = sentences[-1] if sentences else ""
            if len(complete):
                buffer_start = start
            if len(words(buffer)) > 80:  # no punctuation at all (some captions): use the run as it is
                candidates.append((buffer, buffer_start))
                buffer, buffer_start = "", None
    result = []
    for sentence, start in candidates:
        if not re.match(r"^[\"'“(]?[A-Z0-9]", sentence.strip()):
            continue  # starts mid-sentence
        tidy = tidy_sentence(sentence)
        if tidy and not tidy.endswith("?") and _acceptable(tidy) and len(words(tidy)) >= 6 \
                and len(content_words(tidy)) >= 4:
            result.append((tidy, start))
    return result


class MapReduceSummarizer:
    def __init__(self, session: LlmSession, options: SummarizeOptions, progress: Progress | None = None,
                 label: str = "summarize"):
        if options.length not in LENGTHS:
            raise SummaryError(f"unknown length {options.length!r}; use short, medium or long")
        self.session = session
        self.backend = session.backend
        self.options = options
        self.length = LENGTHS[options.length]
        self.progress = progress or (lambda stage, done, total: None)
        self.label = label

    # -- generation with the repetition guard

    def _generate(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        first = self.session.chat(messages, max_tokens, SamplingOptions())
        if not is_looping(first.text):
            return first.text
        self.session.stats.retries += 1
        second = self.session.chat(messages, max_tokens, STRONGER)
        if not is_looping(second.text):
            return second.text
        self.session.stats.fallbacks += 1
        # Keep each line once, and nothing after the loop starts.
        seen, kept = set(), []
        for line in second.text.splitlines():
            key = line.strip().lower()
            if key and key not in seen and not is_looping("\n".join(kept + [line])):
                seen.add(key)
                kept.append(line)
        return "\n".join(kept)

    # -- budget

    def map_budget(self, notes_per_chunk: int) -> tuple[int, int]:
        """(tokens of transcript per chunk, output tokens per map call), from the model's context."""
        max_tokens = 40 * notes_per_chunk + 24
        overhead = self.backend.prompt_tokens(map_messages("", notes_per_chunk,
                                                           self.options.instructions, self.options.language))
        budget = self.backend.n_ctx - overhead - max_tokens - SAFETY_TOKENS
        if budget < MIN_CHUNK_TOKENS:
            needed = overhead + max_tokens + SAFETY_TOKENS + MIN_CHUNK_TOKENS
            smallest = 1 << math.ceil(math.log2(needed))
            raise SummaryError(
                f"the model's context of {self.backend.n_ctx} tokens is smaller than one prompt "
                f"({overhead} prompt + {max_tokens} answer + {MIN_CHUNK_TOKENS} transcript tokens); "
                f"use --n-ctx {smallest} or larger (the model was trained on {self.backend.n_ctx_train})"
            )
        return budget, max_tokens

    # -- map

    def map_chunk(self, chunk: Chunk, salience: _Salience, max_tokens: int, wanted: int) -> list[Point]:
        texts = [piece.text for piece in chunk.pieces]
        starts = [piece.start for piece in chunk.pieces]
        source = _Source(texts, starts)
        answer = self._generate(map_messages(chunk.text, wanted, self.options.instructions, self.options.language),
                                max_tokens)
        notes: list[Point] = []
        for line in _note_lines(answer):
            note = tidy_sentence(line)
            if not note or not _acceptable(note) or is_looping(note):
                continue
            score, where = source.local_support(note)
            if score < NOTE_SUPPORT or any(similar(note, other.text) > DUPLICATE_SIMILARITY for other in notes):
                continue
            notes.append(Point(note, starts[where], "llm", round(score, 3), chunk.index))
            if len(notes) >= wanted:
                break
        if len(notes) < wanted:
            candidates = sorted(_extractive_candidates(texts, starts), key=lambda c: -salience.score(c[0]))
            for sentence, start in candidates:
                if len(notes) >= wanted:
                    break
                if any(similar(sentence, other.text) > DUPLICATE_SIMILARITY for other in notes):
                    continue
                notes.append(Point(sentence, start, "extractive", 1.0, chunk.index))
        return sorted(notes, key=lambda note: note.start)

    # -- reduce

    def _notes_tokens(self, notes: Sequence[Point]) -> int:
        return sum(self.backend.count_tokens(note.text) + 2 for note in notes)

    def reduce_notes(self, notes: list[Point], budget: int, salience: _Salience) -> list[Point]:
        """Merge notes hierarchically (groups that fit the context, in time order) until all fit ``budget``."""
        overhead = self.backend.prompt_tokens(notes_messages(MERGE_INSTRUCTION.format(count=MAX_MERGED),
                                                             [], self.options.instructions, self.options.language))
        group_budget = self.backend.n_ctx - overhead - (40 * MAX_MERGED + 24) - SAFETY_TOKENS
        rounds = 0
        while self._notes_tokens(notes) > budget and len(notes) > self.length.key_points:
            rounds += 1
            groups: list[list[Point]] = [[]]
            for note in notes:
                if groups[-1] and (self._notes_tokens(groups[-1] + [note]) > group_budget
                                   or len(groups[-1]) >= 2 * MAX_MERGED):
                    groups.append([])
                groups[-1].append(note)
            merged: list[Point] = []
            for group in groups:
                merged.extend(self._merge_group(group, salience))
            if len(merged) >= len(notes):  # no progress: keep the most salient half instead
                merged = sorted(sorted(notes, key=lambda n: -salience.score(n.text))[: max(1, len(notes) // 2)],
                                key=lambda n: n.start)
            notes = merged
            self.progress(f"{self.label}: reduce", rounds, None)
        return notes

    def _merge_group(self, group: list[Point], salience: _Salience) -> list[Point]:
        keep = max(1, min(MAX_MERGED, len(group) // 2))
        source = _Source([n.text for n in group], [n.start for n in group])
        answer = self._generate(
            notes_messages(MERGE_INSTRUCTION.format(count=keep), [n.text for n in group],
                           self.options.instructions, self.options.language),
            40 * keep + 24)
        merged: list[Point] = []
        for line in _note_lines(answer):
            note = tidy_sentence(line)
            if not note or not _acceptable(note):
                continue
            score, where = source.local_support(note)
            if score < NOTE_SUPPORT or any(similar(note, m.text) > DUPLICATE_SIMILARITY for m in merged):
                continue
            origin_note = group[where]
            merged.append(Point(note, origin_note.start, "merged", round(score, 3), origin_note.chunk))
            if len(merged) >= keep:
                break
        if len(merged) < keep:
            for note in sorted(group, key=lambda n: -salience.score(n.text)):
                if len(merged) >= keep:
                    break
                if not any(similar(note.text, m.text) > DUPLICATE_SIMILARITY for m in merged):
                    merged.append(note)
        return sorted(merged, key=lambda n: n.start)

    # -- final pieces

    def pick_key_points(self, notes: list[Point], count: int, salience: _Salience, emitted: _Emitted,
                        duration: float) -> list[Point]:
        """The most central notes, spread over the whole video (one per time slice first), in time order."""
        ranked = sorted(notes, key=lambda n: (-(salience.score(n.text) + (0.3 if n.origin != "extractive" else 0)), n.start))
        chosen: list[Point] = []
        span = max(duration, max((n.start for n in notes), default=0.0) + 1.0)
        slices = min(count, len(notes))
        for slice_index in range(slices):
            low, high = span * slice_index / slices, span * (slice_index + 1) / slices
            for note in ranked:
                if low <= note.start < high and note not in chosen and emitted.fits(note.text):
                    chosen.append(note)
                    emitted.add(note.text)
                    break
        for note in ranked:
            if len(chosen) >= count:
                break
            if note not in chosen and emitted.fits(note.text):
                chosen.append(note)
                emitted.add(note.text)
        return sorted(chosen, key=lambda n: n.start)

    def write_tldr(self, key_points: list[Point], transcript_source: _Source, count: int) -> list[str] | None:
        """The model's TL;DR of the key points, sentence by sentence grounded in the transcript and
        saying nothing the key points already say; None when fewer than the needed sentences hold up."""
        if not key_points:
            return None
        answer = self._generate(
            notes_messages(TLDR_INSTRUCTION.format(count=count), [p.text for p in key_points],
                           self.options.instructions, self.options.language, tag="key_points"),
            60 * count + 24)
        seen = _Emitted()
        for point in key_points:
            seen.add(point.text)
        points_source = _Source([p.text for p in key_points], [p.start for p in key_points])
        sentences: list[str] = []
        for raw in split_sentences(answer.replace("\n", " ")):
            sentence = tidy_sentence(raw)
            if not sentence or not _acceptable(sentence) or transcript_source.support(sentence) < TLDR_SUPPORT:
                continue
            if points_source.support(sentence) < TLDR_SUPPORT or not seen.fits(sentence):
                continue
            seen.add(sentence)
            sentences.append(sentence)
            if len(sentences) >= count:
                break
        return sentences if len(sentences) >= min(2, count) else None

    def _short_answer(self, instruction: str, notes: list[str], source: _Source, max_words: int) -> str | None:
        answer = self._generate(notes_messages(instruction, notes, self.options.instructions, self.options.language),
                                32)
        line = next((l for l in answer.splitlines() if l.strip()), "")
        line = re.sub(r"^(?:title|heading)\s*:\s*", "", line.strip(), flags=re.I).strip(" #*\"'“”.")
        count = len(words(line))
        if not (2 <= count <= max_words) or is_looping(line) or _META.search(line) or _LABEL_META.search(line):
            return None
        if len(content_words(line)) < 2 or source.support(line) < HEADING_SUPPORT:
            return None
        return line[0].upper() + line[1:]

    def keyword_heading(self, texts: Sequence[str], salience: _Salience) -> str:
        local = Counter(word for text in texts for word in content_words(text))
        surface: dict[str, str] = {}
        for text in texts:
            for token in re.findall(r"[A-Za-z][A-Za-z'-]+", text):
                surface.setdefault(content_words(token)[0] if content_words(token) else "", token.lower())
        scored = sorted(local, key=lambda w: -(local[w] / (1 + math.log1p(salience.counts.get(w, 0)))) * len(w) ** 0.5)
        top = [surface.get(word, word) for word in scored if not word.isdigit()][:3]
        return ", ".join(top).capitalize() if top else "Overview"

    def build_sections(self, chunks: list[Chunk], notes: list[Point], salience: _Salience,
                       emitted: _Emitted, duration: float, chapters: Sequence[ChapterSpan]) -> list[Section]:
        spans: list[tuple[str | None, float, float]] = []
        if chapters:
            spans = [(chapter.title, chapter.start, chapter.end) for chapter in chapters]
        else:
            count = max(1, min(8, round(duration / self.length.seconds_per_section)))
            if duration > 90 and count == 1:
                count = 2
            edges = [0.0]
            starts = sorted({chunk.start for chunk in chunks} | {p.start for c in chunks for p in c.pieces})
            for index in range(1, count):
                target = duration * index / count
                edges.append(min(starts, key=lambda s: abs(s - target)))
            edges = sorted(set(edges))
            spans = [(None, edges[i], edges[i + 1] if i + 1 < len(edges) else duration) for i in range(len(edges))]
        pieces = [(piece.text, piece.start) for chunk in chunks for piece in chunk.pieces]
        sections: list[Section] = []
        for title, start, end in spans:
            last = (title, start, end) == spans[-1]
            inside = [n for n in notes if start <= n.start < end + (1 if last else 0)]
            texts = [text for text, piece_start in pieces if start <= piece_start < end + (1 if last else 0)]
            if not texts:
                continue
            bullets: list[Point] = []
            for note in sorted(inside, key=lambda n: -salience.score(n.text)):
                if len(bullets) >= self.length.section_bullets:
                    break
                if emitted.fits(note.text):
                    emitted.add(note.text)
                    bullets.append(note)
            if not bullets:
                section_starts = [s for _, s in pieces if start <= s < end + (1 if last else 0)]
                for sentence, s in sorted(_extractive_candidates(texts, section_starts), key=lambda c: -salience.score(c[0])):
                    if len(bullets) >= max(1, self.length.section_bullets - 1):
                        break
                    if emitted.fits(sentence):
                        emitted.add(sentence)
                        bullets.append(Point(sentence, s, "extractive"))
            source = _Source(texts, [start] * len(texts))
            heading = title
            if not heading:
                basis = [b.text for b in bullets] or texts[:5]
                heading = self._short_answer(HEADING_INSTRUCTION, basis, source, 8) or self.keyword_heading(texts, salience)
            sections.append(Section(heading, start, end, sorted(bullets, key=lambda b: b.start), bool(title)))
        return sections

    def make_title(self, media_title: str | None, key_points: list[Point], source: _Source, salience: _Salience,
                   texts: Sequence[str]) -> str:
        if media_title and not re.fullmatch(r"[\w.-]*\d[\w.-]*", media_title):
            return media_title
        return (self._short_answer(TITLE_INSTRUCTION, [p.text for p in key_points], source, 12)
                or self.keyword_heading(texts, salience))

    # -- everything

    def summarize(self, segments: Sequence, duration: float | None, chapters: Sequence[ChapterSpan] = (),
                  media_title: str | None = None) -> Summary:
        texts = [segment.text for segment in segments if segment.text.strip()]
        if not texts or not any(content_words(t) for t in texts):
            raise SummaryError("the transcript is empty (no speech was found): there is nothing to summarize")
        # Short transcripts cannot fill a long summary: scale the counts to the sentences available.
        sentences = sum(len(split_sentences(text)) or 1 for text in texts)
        key_count = max(min(5, sentences), min(self.length.key_points, sentences // 2))
        tldr_count = max(1, min(self.length.tldr_sentences, sentences // 4))
        notes_per_chunk = self.length.notes_per_chunk
        budget, map_max_tokens = self.map_budget(notes_per_chunk)
        chunks = chunk_transcript(segments, budget, self.backend.count_tokens, chapters)
        wanted_notes = math.ceil(1.5 * (key_count + tldr_count + self.length.section_bullets))
        if len(chunks) * notes_per_chunk < wanted_notes:
            notes_per_chunk = min(8, math.ceil(wanted_notes / len(chunks)))
            budget, map_max_tokens = self.map_budget(notes_per_chunk)
            chunks = chunk_transcript(segments, budget, self.backend.count_tokens, chapters)
        has_timings = any(segment.end > 0 for segment in segments)
        duration = float(duration or max((segment.end for segment in segments), default=0.0))
        salience = _Salience([piece.text for chunk in chunks for piece in chunk.pieces])
        records: list[ChunkRecord] = []
        all_notes: list[Point] = []
        self.progress(f"{self.label}: map", 0, len(chunks))
        for index, chunk in enumerate(chunks):
            notes = self.map_chunk(chunk, salience, map_max_tokens, notes_per_chunk)
            records.append(ChunkRecord(chunk.index, chunk.start, chunk.end, chunk.tokens, chunk.chapters, notes))
            all_notes.extend(notes)
            self.progress(f"{self.label}: map", index + 1, len(chunks))
        final_budget = self.backend.n_ctx - self.backend.prompt_tokens(
            notes_messages(TLDR_INSTRUCTION, [], self.options.instructions, self.options.language)) - 300
        reduced = self.reduce_notes(all_notes, max(final_budget, MIN_CHUNK_TOKENS), salience)
        needed = key_count + tldr_count + self.length.section_bullets
        if len(reduced) < needed:
            # Few chunks give few notes: let the transcript's own best sentences compete too.
            pool = [(piece.text, piece.start, chunk.index) for chunk in chunks for piece in chunk.pieces]
            extra = _extractive_candidates([p[0] for p in pool], [p[1] for p in pool])
            for sentence, start in sorted(extra, key=lambda c: -salience.score(c[0])):
                if len(reduced) >= math.ceil(1.5 * needed):
                    break
                if not any(similar(sentence, note.text) > DUPLICATE_SIMILARITY for note in reduced):
                    reduced.append(Point(sentence, start, "extractive"))
            reduced.sort(key=lambda note: note.start)
        transcript_source = _Source(texts, [0.0] * len(texts))
        key_points = self.pick_key_points(reduced, key_count, salience, _Emitted(), duration)
        tldr_sentences = self.write_tldr(key_points, transcript_source, tldr_count)
        emitted = _Emitted()
        if tldr_sentences is None:
            # The model's TL;DR did not hold up: the most central notes become the TL;DR and the key
            # points are picked from the rest, so nothing is said twice.
            tldr_sentences = []
            for note in sorted(reduced, key=lambda n: -salience.score(n.text)):
                if len(tldr_sentences) >= tldr_count:
                    break
                if emitted.fits(note.text):
                    emitted.add(note.text)
                    tldr_sentences.append(note.text)
            rest = [note for note in reduced if note.text not in tldr_sentences]
            key_points = self.pick_key_points(rest, key_count, salience, emitted, duration)
        else:
            for point in key_points:
                emitted.add(point.text)
            for sentence in tldr_sentences:
                emitted.add(sentence)
        sections = self.build_sections(chunks, all_notes, salience, emitted, duration, chapters)
        title = self.make_title(media_title, key_points, transcript_source, salience, texts)
        tldr = " ".join(tldr_sentences)
        if not key_points and not tldr:
            raise SummaryError("no summary could be made from this transcript")
        return Summary(
            title=title, tldr=tldr, key_points=key_points, sections=sections, chunks=records,
            has_timings=has_timings,
            llm={"name": self.backend.model.name, "sha256": self.backend.model.sha256, "n_ctx": self.backend.n_ctx},
            options=self.options.key_dict(),
        )
