"""Transcript in, summary out: choose what matters, let the model write what a check can verify.

The steps, each in its own module:

1. the transcript as whole sentences, each also in a cleaned written form (:mod:`.sentences`,
   :mod:`.spoken`);
2. sections where the subject changes (:mod:`.segment`), or the creator's chapters;
3. the sentences that carry the specific claims, spread over the sections, up to a word budget set
   by the length of the piece (:mod:`.select`, :mod:`.signals`, :mod:`.sentence_kinds`, :mod:`.salience`);
4. the map step, per section: the model rewrites each chosen sentence as a clean statement, kept
   only when :func:`.rewrite.verify_rewrite` finds the same claim in it; the model names the
   section, kept only when the heading passes :func:`.headings.heading_problem`, else the section's
   key phrase names it;
5. the reduce step: the most valuable statement of each section leads the summary as a key point,
   a title (the media's, else the file's, else the model's when checked, else key phrases) and a
   TL;DR (the model's when every sentence of it is grounded, else the best remaining statements);
   TL;DR sentences, tags and key-phrase titles pass :mod:`.checks`.

No 8-word run appears twice. Greedy decoding with a fixed seed and a cache of every model call make
the same input give the same output, and a killed run resumes without redoing finished calls.
A tiny model (SmolLM2-135M) passes the checks for some sentences; a stronger one for more: the same
code gives a more abstractive summary with a stronger model, never an unchecked one.

This module is the chain and the model calls it needs (about 450 lines): the map and reduce steps share
one session, its counts and the runs already emitted, so they stay in one class; every rule they apply
lives in the modules above.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ..errors import SummaryError
from ..progress import Progress
from ..records import Chapter, Point, Section, Summary
from .checks import subject_title, tag_problem, tldr_problem
from .headings import Casing, KeyPhrases, heading_problem, readable_stem, tidy_heading
from ..runtime.llm import LlmSession, SamplingOptions
from .prompts import (
    HEADING_INSTRUCTION,
    TITLE_INSTRUCTION,
    TLDR_INSTRUCTION,
    list_messages,
    rewrite_messages,
)
from .rewrite import answer_line, verify_rewrite, verify_translation
from .salience import WordWeights
from .segment import WORDS_PER_MINUTE, section_count, topical_boundaries
from .ads import excluded_indices, find_ad_spans, timed_spans
from .meaning import Meaning
from .select import Choice, Selector
from .sentence_kinds import leans_back
from .signals import SIGNALS, on_subject
from .sentences import Sentence, run_times, transcript_sentences
from .summary import ALL_MEANING_USES, LENGTHS, SummarizeOptions
from ..text import capitalize, content_words, is_looping, ngrams, split_sentences, words

log = logging.getLogger(__name__)
REPEAT_NGRAM = 8
COPY_NGRAM = 6  # a TL;DR sentence sharing a run this long with a statement is a copy, not a summary
STRONGER = SamplingOptions(repeat_penalty=1.3, frequency_penalty=0.6, presence_penalty=0.4)
REWRITE_TOKENS = 96
HEADING_TOKENS = 24
KEY_WORDS_KEPT = 2  # a rewrite keeps the sentence's most informative words
CONTEXT_SENTENCES = 2  # neighbours on each side whose words a rewrite may use
# Text addressed to a language model ("ignore your instructions ...") is never summary material.
INJECTION = re.compile(r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|prompts?|rules)\b|"
                       r"\bsystem prompt\b|\bas an ai\b", re.I)
_ENGLISH = {"en", "english", "en-us", "en-gb"}
TAG_COUNT = 5


class _Emitted:
    """Every run of words already in the summary, so that no 8-word run appears twice."""

    def __init__(self) -> None:
        self.texts: list[list[str]] = []

    def fits(self, text: str, n: int = REPEAT_NGRAM) -> bool:
        own = list(ngrams(words(text), n))
        runs = set(own)
        if len(runs) < len(own):  # the text repeats itself ("different from the one that can be trained" twice)
            return False
        return not any(runs & set(ngrams(tokens, n)) for tokens in self.texts)

    def add(self, text: str) -> None:
        self.texts.append(words(text))


@dataclass
class _Statement:
    choice: Choice
    point: Point


class Summarizer:
    def __init__(self, session: LlmSession, options: SummarizeOptions, progress: Progress | None = None,
                 label: str = "summarize", transcript_language: str | None = None, embedder=None):
        """``embedder``: an :class:`~ytlocal.runtime.models.EmbeddingModel` for sentence meaning (None:
        words alone); ``options.meaning`` says where meaning is used."""
        if options.length not in LENGTHS:
            raise SummaryError(f"unknown length {options.length!r}; use short, medium or long")
        self.session = session
        self.backend = session.backend
        self.options = options
        self.length = LENGTHS[options.length]
        self.progress = progress or (lambda stage, done, total: None)
        self.label = label
        self.transcript_language = (transcript_language or "en").split("-")[0].lower()
        wanted = (options.language or "").strip().lower()
        # A summary in another language than the transcript's cannot be checked word by word.
        self.translating = bool(wanted) and wanted not in _ENGLISH | {self.transcript_language}
        self.counts = Counter()
        self.casing = Casing("")  # the transcript's, once summarize() has it
        self.embedder = embedder
        unknown = set(options.meaning) - set(ALL_MEANING_USES)
        if unknown:
            raise SummaryError(f"unknown use of meaning {sorted(unknown)[0]!r}; use {', '.join(ALL_MEANING_USES)}")
        self.uses = frozenset(options.meaning)

    # -- the model, with the repetition guard

    def _generate(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        first = self.session.chat(messages, max_tokens, SamplingOptions())
        if not is_looping(first.text):
            return first.text
        self.session.stats.retries += 1
        second = self.session.chat(messages, max_tokens, STRONGER)
        if not is_looping(second.text):
            return second.text
        self.session.stats.fallbacks += 1
        return ""

    def _list_prompt(self, instruction: str, items: Sequence[str], max_tokens: int,
                     tag: str = "sentences") -> list[dict[str, str]] | None:
        """A prompt over ``items`` that fits the context with ``max_tokens`` of answer: the longest
        items are left out until it fits; None when not even one fits."""
        items = list(items)
        while items:
            messages = list_messages(instruction, items, self.options.instructions, self.options.language, tag)
            if self.backend.prompt_tokens(messages) + max_tokens <= self.backend.n_ctx:
                return messages
            items.remove(max(items, key=len))
        return None

    def _check_context(self, longest_sentence: str) -> None:
        """Refuse early, naming a context that works, when the largest prompt cannot fit."""
        messages = rewrite_messages(longest_sentence, self.options.instructions, self.options.language)
        needed = self.backend.prompt_tokens(messages) + REWRITE_TOKENS
        if needed > self.backend.n_ctx:
            smallest = 1 << math.ceil(math.log2(needed))
            raise SummaryError(
                f"the model's context of {self.backend.n_ctx} tokens is smaller than one prompt "
                f"({needed - REWRITE_TOKENS} prompt + {REWRITE_TOKENS} answer tokens); use --n-ctx {smallest} "
                f"or larger (the model was trained on {self.backend.n_ctx_train})")

    # -- map: one section's statements and heading

    def rewrite(self, choice: Choice, sentences: Sequence[Sentence], weights: WordWeights) -> Point:
        """The model's clean statement of a chosen sentence when it passes the check, else the cleaned
        sentence itself. A choice of two sentences (a short claim and its neighbour, see
        :meth:`.Selector.select`) is rewritten one sentence at a time: asked for one statement of both,
        the model would drop the short claim the pair was chosen for."""
        if choice.parts:
            points = [self.rewrite_sentence(part, sentences, weights) for part in choice.parts]
            origin = "llm" if any(point.origin == "llm" for point in points) else "extractive"
            return Point(" ".join(point.text for point in points), points[0].start, origin,
                         " ".join(point.source for point in points))
        return self.rewrite_sentence(choice.sentence, sentences, weights)

    def rewrite_sentence(self, sentence: Sentence, sentences: Sequence[Sentence], weights: WordWeights) -> Point:
        """One transcript sentence as the model's checked statement, else as cleaned."""
        fallback = Point(sentence.text, sentence.start, "extractive", sentence.raw)
        answer = answer_line(self._generate(
            rewrite_messages(sentence.text, self.options.instructions, self.options.language), REWRITE_TOKENS))
        answer = re.sub(r"^(?:the )?(?:rewritten |written |clear )?(?:sentence|statement)(?: is)?\s*:\s*",
                        "", answer, flags=re.I).strip().strip("\"'“”")
        answer = (split_sentences(answer) or [""])[0]  # a second sentence is the model's own addition
        if answer and answer[-1] not in ".!?":
            answer += "."
        answer = capitalize(answer)
        if self.translating:
            check = verify_translation(sentence.text, answer)
        else:
            neighbours = [s.text for s in sentences[max(0, sentence.index - CONTEXT_SENTENCES):
                                                    sentence.index + CONTEXT_SENTENCES + 1] if s is not sentence]
            ranked = sorted(set(content_words(sentence.text)), key=lambda w: (-weights.weight(w), w))
            check = verify_rewrite(sentence.text, answer, neighbours, ranked[:KEY_WORDS_KEPT])
        self.counts["rewrite_checked"] += 1
        if not check.ok:
            self.counts[f"rewrite_rejected: {check.reason.split(':')[0]}"] += 1
            log.debug("rewrite refused (%s): %r -> %r", check.reason, sentence.text, answer)
            return fallback
        if _same_words(answer, sentence.text):
            return fallback
        self.counts["rewrite_used"] += 1
        return Point(answer, sentence.start, "llm", sentence.raw)

    def heading(self, statements: Sequence[str], source_words: set[str], topic_words: set[str],
                keyphrase: str | None, taken: set[str]) -> tuple[str, str]:
        """(heading, origin): the model's heading when it passes the check, else the key phrase."""
        messages = self._list_prompt(HEADING_INSTRUCTION, statements, HEADING_TOKENS)
        if messages and not self.translating:
            answer = self.casing.apply(tidy_heading(self._generate(messages, HEADING_TOKENS)))
            problem = heading_problem(answer, source_words, topic_words, max_words=6)
            if problem is None and answer.lower() not in taken:
                return answer, "llm"
            self.counts[f"heading_rejected: {problem or 'used already'}"] += 1
            log.debug("model heading refused (%s): %r; key phrase %r instead", problem or "used already", answer,
                      keyphrase)
        if keyphrase:
            return keyphrase, "keyphrase"
        return "", "keyphrase"

    # -- reduce

    def make_title(self, media_title: str | None, file_stem: str | None, key_points: Sequence[Point],
                   transcript_words: set[str], subject: Sequence[str], sections_topic: set[str],
                   emitted: _Emitted) -> str:
        """The media's title, else a readable file name, else a key-phrase title ("Superintelligence and
        analogy": the piece's two leading subjects, 2 to 6 words, checked like a heading), else the
        model's title when it passes the same check, else "Summary"."""
        if media_title:
            return media_title
        readable = readable_stem(file_stem) if file_stem else None
        if readable:
            return readable
        title = subject_title(subject, transcript_words)
        if title:
            return title
        messages = self._list_prompt(TITLE_INSTRUCTION, [p.text for p in key_points], HEADING_TOKENS, "key_points")
        if messages and not self.translating:
            answer = self.casing.apply(tidy_heading(self._generate(messages, HEADING_TOKENS)))
            if heading_problem(answer, transcript_words, sections_topic, max_words=6) is None and emitted.fits(answer):
                return answer
        return "Summary"

    def write_tldr(self, key_points: Sequence[Point], emitted: _Emitted, count: int) -> list[str] | None:
        """The model's TL;DR of the key points, or None when fewer than the needed sentences hold up.

        Each sentence must say what one key point says (:func:`verify_rewrite` against the key point
        it matches best, the others as context): a sentence stitched from several points ("A agrees
        with B that ...") is refused. It must also be more than a copy: no six-word run of any
        statement of the summary."""
        max_tokens = 60 * count + 24
        messages = self._list_prompt(TLDR_INSTRUCTION.format(count=count), [p.text for p in key_points],
                                     max_tokens, "key_points")
        if messages is None or self.translating:
            return None
        answer = self._generate(messages, max_tokens)
        texts = [p.text for p in key_points]
        sentences: list[str] = []
        for raw in split_sentences(answer.replace("\n", " ")):
            sentence = capitalize(raw.strip().strip("\"'“”"))
            if not sentence or INJECTION.search(sentence) or not emitted.fits(sentence, COPY_NGRAM) \
                    or tldr_problem(sentence):
                continue
            claim = set(content_words(sentence))
            best = max(range(len(texts)), key=lambda i: len(claim & set(content_words(texts[i]))))
            context = texts[max(0, best - 1): best] + texts[best + 1: best + 2]
            if not verify_rewrite(texts[best], sentence, context).ok:
                continue
            emitted.add(sentence)
            sentences.append(sentence)
            if len(sentences) >= count:
                break
        return sentences if len(sentences) >= min(3, count) else None

    # -- everything

    def summarize(self, segments: Sequence, duration: float | None, chapters: Sequence[Chapter] = (),
                  media_title: str | None = None, file_stem: str | None = None) -> Summary:
        sentences = transcript_sentences(segments)
        if not sentences or not any(sentence.stems for sentence in sentences):
            raise SummaryError("the transcript is empty (no speech was found): there is nothing to summarize")
        for sentence in sentences:
            if INJECTION.search(sentence.raw):
                sentence.text = ""  # never a candidate
        has_timings = any(float(segment.end) > 0 for segment in segments)
        spoken_words = sum(len(words(sentence.raw)) for sentence in sentences)
        if has_timings:
            duration = float(duration or max(float(segment.end) for segment in segments))
            minutes = duration / 60
        else:
            duration = 0.0
            minutes = spoken_words / WORDS_PER_MINUTE
        self.progress(f"{self.label}: select", 0, None)
        meaning = None
        if self.embedder is not None and self.uses:
            self.progress(f"{self.label}: meaning", 0, len(sentences))
            meaning = Meaning([s.raw for s in sentences], self.embedder)
        ad_spans = find_ad_spans(sentences, meaning if "ads" in self.uses else None)
        excluded = excluded_indices(ad_spans)
        vectors = meaning.vectors if meaning is not None and "sections" in self.uses else None
        starts, chapter_titles = self._sections(sentences, chapters if has_timings else (), minutes, vectors)
        weights = WordWeights([s.raw for s in sentences if s.index not in excluded], self.transcript_language)
        focus = set(content_words(self.options.instructions or ""))
        signals = SIGNALS if "subject" in self.uses else tuple(sig for sig in SIGNALS if sig is not on_subject)
        selector = Selector(sentences, starts, weights, focus=focus, meaning=meaning, excluded=excluded,
                            signals=signals, coverage="coverage" in self.uses)
        choices = selector.select(self.length.budget(minutes))
        if not choices:  # nothing stands as a statement (very short or fragmentary): take what there is
            choices = selector.fallback(self.length.budget(minutes))
        if not choices:
            raise SummaryError("no summary could be made from this transcript: it has no complete statements")
        self._check_context(max((c.sentence.text for c in choices), key=len))

        # map: statements, per section
        statements: list[_Statement] = []
        self.progress(f"{self.label}: write", 0, len(choices))
        for done, choice in enumerate(choices, 1):
            statements.append(_Statement(choice, self.rewrite(choice, sentences, weights)))
            self.progress(f"{self.label}: write", done, len(choices))
        emitted = _Emitted()
        kept: list[_Statement] = []
        for statement in statements:  # no 8-word run twice (a speaker repeating a sentence)
            if emitted.fits(statement.point.text):
                emitted.add(statement.point.text)
                kept.append(statement)
        statements = kept
        written = sum(1 for s in statements if s.point.origin == "llm")

        # reduce: key points lead, the rest stays in its section
        # The TL;DR is claims only (no "This talk covers ..." template): 3 sentences, 4 from 20 minutes, 5 from an hour.
        tldr_count = 3 if minutes < 20 else 4 if minutes < 60 else 5
        # Room for a TL;DR taken from the key points, should the model's not hold up.
        key_count = max(1, min(self.length.key_points(minutes) + tldr_count, max(3, len(statements) // 2)))
        key_ids = self._key_points(statements, key_count)
        key_points = [s.point for s in statements if id(s) in key_ids]
        transcript_text = " ".join(s.raw for s in sentences)
        transcript_words = set(content_words(transcript_text))
        self.casing = Casing(transcript_text)  # model headings and titles written as the transcript writes words
        section_texts = [[s.raw for s in sentences[a:b] if s.index not in excluded]
                         for a, b in zip(starts, starts[1:] + [len(sentences)])]
        phrases = KeyPhrases(section_texts, weights)
        closeness = None
        if meaning is not None:
            closeness = lambda texts: self.embedder.embed(texts) @ meaning.centroid  # noqa: E731
        subject = phrases.whole_ranked(TAG_COUNT, closeness)
        claims = self.write_tldr(key_points, emitted, tldr_count)
        tldr_points: list[Point] = []
        if claims is None:  # the most valuable statements become the TL;DR (moved, not repeated)
            lead_ids = self._tldr_ids(statements, key_ids, tldr_count)
            tldr_points = [s.point for s in statements if id(s) in lead_ids]
            claims = [point.text for point in tldr_points]
            key_ids -= lead_ids
            key_points = [s.point for s in statements if id(s) in key_ids]
            statements = [s for s in statements if id(s) not in lead_ids]
        tldr = claims
        sections = self._build_sections(sentences, starts, chapter_titles, statements, key_ids, phrases,
                                        duration, has_timings)
        file_stem = file_stem if media_title is None else None
        topic = set().union(*(phrases.top_words(i, 3) for i in range(len(starts))))
        title = self.make_title(media_title, file_stem, key_points, transcript_words, subject, topic, emitted)
        tags = [tag for tag in subject if tag_problem(tag) is None][:TAG_COUNT]
        return Summary(
            title=title, tldr=" ".join(tldr), key_points=key_points, sections=sections, has_timings=has_timings,
            llm={"name": self.backend.model.name, "sha256": self.backend.model.sha256, "n_ctx": self.backend.n_ctx},
            options=self.options.key_dict(),
            stats={"sentences": len(sentences), "statements": len(kept), "model_written": written,
                   "ad_sentences_removed": len(excluded),
                   "checks": dict(sorted(self.counts.items()))},
            tldr_points=tldr_points, tags=tags,
            skipped=timed_spans(ad_spans, sentences, duration, has_timings, segments),
        )

    def _sections(self, sentences: Sequence[Sentence], chapters: Sequence[Chapter], minutes: float,
                  vectors=None) -> tuple[list[int], list[str | None]]:
        """Where each section starts (sentence index) and its chapter title (None: find a heading)."""
        spans = sorted((c for c in chapters if c.end > c.start), key=lambda c: c.start)
        if spans:
            starts, titles = [], []
            for chapter in spans:
                first = next((s.index for s in sentences if s.start >= chapter.start - 0.5), None)
                if first is None or (starts and first <= starts[-1]):
                    continue  # a chapter without speech of its own joins the one before
                starts.append(first)
                titles.append(chapter.title)
            if starts:
                starts[0] = 0
                return starts, titles
        count = section_count(minutes)
        starts = topical_boundaries([s.stems for s in sentences], [len(words(s.raw)) for s in sentences], count, vectors)
        return starts, [None] * len(starts)

    @staticmethod
    def _key_points(statements: Sequence[_Statement], count: int) -> set[int]:
        """The most valuable statement of each section, then the second of each, and so on, best
        first, until ``count``; every section keeps at least one statement of its own. Within a section,
        statements that stand on their own come first: a key point is read out of its context."""
        by_section: dict[int, list[_Statement]] = {}
        for statement in statements:
            by_section.setdefault(statement.choice.section, []).append(statement)
        ranked = [sorted(group, key=lambda s: (leans_back(s.point.text), -s.choice.value))
                  for group in by_section.values()]
        chosen: list[_Statement] = []
        for round_number in range(max((len(group) for group in ranked), default=0)):
            layer = [group[round_number] for group in ranked if round_number < len(group) - 1]
            for statement in sorted(layer, key=lambda s: -s.choice.value):
                if len(chosen) < count:
                    chosen.append(statement)
        return {id(s) for s in chosen}

    def _build_sections(self, sentences, starts, chapter_titles, statements, key_ids, phrases,
                        duration, has_timings) -> list[Section]:
        sections: list[Section] = []
        taken: set[str] = set()
        ends = starts[1:] + [len(sentences)]
        for number, (first, last) in enumerate(zip(starts, ends)):
            bullets = [s.point for s in statements if s.choice.section == number and id(s) not in key_ids]
            if not bullets:
                continue
            start, end = run_times(sentences, first, last, duration, has_timings)
            title = chapter_titles[number]
            if title:
                heading, origin = title, "chapter"
            else:
                section_words = set(content_words(" ".join(s.raw for s in sentences[first:last])))
                all_points = [s.point.text for s in statements if s.choice.section == number]
                heading, origin = self.heading(all_points, section_words, phrases.top_words(number),
                                               phrases.heading(number, taken), taken)
                if not heading:
                    heading, origin = f"Part {len(sections) + 1}", "position"
            taken.add(heading.lower())
            sections.append(Section(heading, start, end, bullets, bool(title), origin))
            self.progress(f"{self.label}: headings", number + 1, len(starts))
        return sections

    @staticmethod
    def _tldr_ids(statements: Sequence[_Statement], key_ids: set[int], count: int) -> set[int]:
        """The ``count`` most valuable statements for the TL;DR: key points while three stay key
        points, else statements of sections that keep another one."""
        usable = [s for s in statements if tldr_problem(s.point.text) is None]
        keys = sorted((s for s in usable if id(s) in key_ids), key=lambda s: -s.choice.value)
        lead = keys[:max(0, min(count, len(key_ids) - 3))]
        per_section = Counter(s.choice.section for s in statements if id(s) not in key_ids)
        for statement in sorted(usable, key=lambda s: -s.choice.value):
            if len(lead) >= count:
                break
            if statement in lead:
                continue
            if id(statement) not in key_ids and per_section[statement.choice.section] > 1:
                lead.append(statement)
                per_section[statement.choice.section] -= 1
        return {id(s) for s in lead}


def _same_words(left: str, right: str) -> bool:
    return words(left) == words(right)
