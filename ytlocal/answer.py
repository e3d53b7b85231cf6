"""``ytlocal ask``: a question answered by the local LLM from the library's passages, checked like a
summary bullet, or honestly not answered.

The best passages for the question (bm25 fused with the passages nearest in meaning when the library
has vectors, over the library or the named videos; never a passage inside an ad read or call to
action that the summary left out) are numbered and shown to the model with the question; it answers in a few sentences citing passages as [n]. Each
sentence is kept only if it is supported by the passages it cites (or, when it cites none, by one of
the passages): most of its content words are there, every name and number is there, it brings at
least one content word the question did not, and it adds no negation the passages lack. When no
sentence survives, there is no answer, and the best passages are shown instead: never an answer the
passages do not support.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .library import Hit, Library
from .text import NEGATION, content_words, names_and_numbers, split_sentences, words

if TYPE_CHECKING:
    from .pipeline import Pipeline

ASK_PROMPT_VERSION = 1
PASSAGES_SHOWN = 5
ANSWER_TOKENS = 160
MIN_SUPPORT = 0.8
# Words about the exchange, not the subject: "... is a very interesting question" says nothing.
_META = frozenset(content_words("answer answers question questions passage passages interesting important "
                                "good great topic mention mentioned discuss discussed talk talks say says"))
NOT_FOUND = "NOT FOUND"
_CITATION = re.compile(r"\[(\d{1,2})\]")
_ECHO = re.compile(r"^\s*(?:(?:the|my|short)\s+)?answer(?:\s+is)?\s*:\s*|^\s*the answer to (?:this|the|your) "
                   r"question is(?: that)?\s*|^\s*according to (?:the )?passages?"
                   r"(?:\s*\[\d{1,2}\])?,?\s*", re.I)

SYSTEM = ("You answer questions about videos using only the numbered passages from their transcripts. "
          "Write one to three short sentences in plain English. End each sentence with the number of the "
          f"passage it comes from, like [2]. If the passages do not answer the question, write only: {NOT_FOUND}")


@dataclass
class Answer:
    """The verified answer (possibly none), the passages it rests on, and what the check refused."""

    question: str
    passages: list[Hit]
    sentences: list[tuple[str, list[int]]] = field(default_factory=list)  # (sentence, cited passage numbers)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (model sentence, why it was dropped)
    model_text: str = ""

    @property
    def grounded(self) -> bool:
        return bool(self.sentences)

    def text(self) -> str:
        return " ".join(f"{sentence} " + " ".join(self.passages[n - 1].link for n in cited)
                        for sentence, cited in self.sentences)

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "grounded": self.grounded, "answer": self.text() or None,
                "sentences": [{"text": s, "passages": cited} for s, cited in self.sentences],
                "refused": [{"text": s, "reason": why} for s, why in self.refused],
                "passages": [dict(hit.to_dict(), number=i) for i, hit in enumerate(self.passages, 1)]}


def _plain(text: str) -> str:
    """A passage as the model reads it and the check compares it: without ``**`` (a hit's matches are
    spans, not markup, but a transcript may hold asterisks of its own)."""
    return text.replace("**", "")


def prompt(question: str, hits: list[Hit]) -> list[dict[str, str]]:
    numbered = "\n\n".join(f"[{i}] {_plain(hit.text)}" for i, hit in enumerate(hits, 1))
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"}]


def check_sentence(sentence: str, cited: list[int], hits: list[Hit], question: str) -> tuple[list[int], str]:
    """The passages that support ``sentence`` (empty when none does) and why not."""
    claim = _CITATION.sub("", sentence).strip()
    claim_words = content_words(claim)
    if len(claim_words) < 2:
        return [], "too short to say anything"
    asked = set(content_words(question))
    new_words = [w for w in claim_words if w not in asked and w not in _META]
    if len(set(new_words)) < 2:
        return [], "only repeats the question"
    candidates = [n for n in cited if 1 <= n <= len(hits)] or list(range(1, len(hits) + 1))
    best: tuple[float, int] = (0.0, 0)
    for number in candidates:
        source = _plain(hits[number - 1].text)
        source_words = set(content_words(source))
        lower = source.lower()
        if any(fact not in source_words and fact not in lower for fact in names_and_numbers(claim)):
            continue
        if NEGATION.search(claim) and not NEGATION.search(source):
            continue
        if sum(1 for w in set(new_words) if w in source_words) < 2:
            continue
        share = sum(1 for w in claim_words if w in source_words or w in asked) / len(claim_words)
        best = max(best, (share, number))
    if best[0] >= MIN_SUPPORT:
        return [best[1]], ""
    return [], "not supported by the passages" + (" it cites" if cited else "")


def answer_question(question: str, hits: list[Hit], session, max_tokens: int = ANSWER_TOKENS) -> Answer:
    """Ask ``session`` (a :class:`~ytlocal.runtime.llm.LlmSession`) to answer from ``hits``."""
    from .runtime.llm import SamplingOptions

    hits = [hit for hit in hits if not hit.skipped][:PASSAGES_SHOWN]  # an ad read is never evidence
    result = Answer(question, hits)
    if not hits or not words(question):
        return result
    generation = session.chat(prompt(question, hits), max_tokens, SamplingOptions())
    text = generation.text.strip()
    result.model_text = text
    if not text or NOT_FOUND.lower() in text.lower():
        return result
    seen: set[str] = set()
    # "... apples. [1] Then ..." -> "... apples [1]. Then ...": each citation stays with its sentence
    text = re.sub(r"([.!?])\s*((?:\[\d{1,2}\][\s,]*)+)", lambda m: f" {m.group(2).strip()}{m.group(1)} ", text)
    for sentence in split_sentences(text.replace("\n", " ")):
        cited = [int(n) for n in _CITATION.findall(sentence)]
        clean = re.sub(r"\s+([.,;:!?])", r"\1", _CITATION.sub("", _ECHO.sub("", sentence))).strip()
        if not clean or clean.lower() in seen:
            continue
        seen.add(clean.lower())
        supported, why = check_sentence(clean, cited, hits, question)
        if supported:
            result.sentences.append((clean, supported))
        else:
            result.refused.append((clean, why))
    return result


def ask_library(library: Library, question: str, pipeline: Pipeline, videos: list[str] | None = None) -> Answer:
    """Answer ``question`` from ``library`` (a :class:`~ytlocal.library.Library`): the best passages of
    the given videos (ids, URLs, paths or titles) or of the whole library, then the model of
    ``pipeline`` (loaded only when there are passages to show it)."""
    from .runtime.llm import CallCache, LlmSession

    hits: list[Hit] = []
    for video in videos or [None]:
        hits += library.search(question, video=video, limit=PASSAGES_SHOWN, include_skipped=False)
    hits = sorted(hits, key=lambda hit: -hit.score)[:PASSAGES_SHOWN]
    if not hits:
        return Answer(question, [])
    return answer_question(question, hits, LlmSession(pipeline.chat_model(), CallCache(pipeline.cache_dir),
                                                      ASK_PROMPT_VERSION))
