"""The checks on what heads a summary besides its headings: a TL;DR sentence (:func:`tldr_problem`), a
tag (:func:`tag_problem`), and a title made of the leading key phrases (:func:`subject_title`). Each
says why a text cannot stand, or None; the summarizer keeps only what passes. (Headings and model titles
are checked by :func:`.headings.heading_problem`, rewrites by :mod:`.rewrite`.)"""

from __future__ import annotations

import re
from typing import Sequence

from .headings import VAGUE, heading_problem
from .parts_of_speech import parts_of_speech
from .sentence_kinds import has_verb, leans_back, looks_complete
from ..text import NOT_CONTENT, capitalize, first_person, words

# What a TL;DR never is: a greeting, a self-introduction, the host announcing the episode, a thank-you.
_NOT_A_CLAIM = re.compile(
    r"\b(?:welcome|hello|hi,|hey|thanks?|thank you|my name is|my guest|joined by|the following is|"
    r"this is (?:the|a|my) (?:\w+ ){0,3}(?:podcast|show|episode|channel|conversation)|in this (?:episode|video|talk)|"
    r"today (?:we|i|my)|(?:honou?red|excited|delighted|thrilled) to|let's (?:get|dive|jump|start))\b", re.I)


def tldr_problem(text: str) -> str | None:
    """Why a sentence cannot stand in a TL;DR, or None: it must be a complete third-person claim that
    stands on its own, not a greeting or introduction, not addressed to the listener, not a list of names."""
    tokens = re.findall(r"[A-Za-z][A-Za-z'’-]*", text)
    if len(words(text)) < 6 or text.rstrip().endswith("?"):
        return "too short or a question"
    if _NOT_A_CLAIM.search(text):
        return "a greeting or an introduction"
    if leans_back(text):
        return "leans on what came before"
    if first_person(text):
        return "first person"
    if re.search(r"\b(?:you|your)\b", text, re.I):
        return "addressed to the listener"
    capitalized = sum(1 for token in tokens[1:] if token[0].isupper())
    if capitalized >= 3 and capitalized > 0.35 * len(tokens):
        return "a list of names"
    if not looks_complete(text) or not has_verb(text):
        return "a fragment"
    return None


def tag_problem(tag: str) -> str | None:
    """Why a key phrase is no tag, or None: 1 to 4 words, none vague, filler or a stop word."""
    tokens = words(tag)
    if not 1 <= len(tokens) <= 4:
        return "length"
    if any(token in VAGUE or token in NOT_CONTENT or len(token) < 3 for token in tokens):
        return "vague or a stop word"
    if not {"NOUN", "PROPN"} & parts_of_speech(tokens[-1]):
        return "not a noun phrase"
    return None


def subject_title(subject: Sequence[str], transcript_words: set[str]) -> str | None:
    """A title from the leading key phrases: the first, joined by the next one not related to it
    ("Superintelligence and analogy"), 2 to 6 words, that passes :func:`heading_problem`."""
    if not subject:
        return None
    first = subject[0]
    candidates = [f"{first} and {other}" for other in subject[1:3]] + [first]
    for candidate in candidates:
        title = capitalize(candidate)
        if heading_problem(title, transcript_words, max_words=6) is None:
            return title
    return None
