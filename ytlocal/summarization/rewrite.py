"""The model rewrites a chosen sentence as a clean written statement; a check decides, every time.

A small model asked to rewrite a spoken sentence often gives a clean statement, but also drifts
("... which is not RLHF, but is a way to let users ..." became "... which is not a way to give
users ..."), echoes the prompt ("The sentence is: ...") or invents. :func:`verify_rewrite` accepts a
rewrite only when a reader would get the same claim from it:

- every content word comes from the sentence or its neighbours (the context the model was shown),
  and it names no person, place or number they do not;
- it keeps the sentence's most informative words (what made the sentence worth choosing);
- its negations are the original's ("not", "never", "n't" ...: none added, none dropped);
- it is one plain statement: no question, no prompt echo, no first person the original lacked,
  shorter than the original plus a little, not a fragment.

Otherwise the cleaned original stands. Stronger models pass the check more often, so the same code
gives more of the model's own writing with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from ..text import content_words, first_person, is_looping, names_and_numbers, negation_scopes, split_sentences, words
from .sentence_kinds import looks_complete

_ECHO = re.compile(r"\b(?:sentence|rewrite|rewritten|statement|transcript|speaker|here is|here's|"
                   r"the text|this text|original|paraphrase|summary|summari[sz]e|as an ai)\b|^[^:]{0,30}:", re.I)


@dataclass
class RewriteCheck:
    ok: bool
    reason: str = ""


def verify_rewrite(original: str, rewrite: str, context: Sequence[str] = (),
                   key_words: Sequence[str] = ()) -> RewriteCheck:
    """Whether ``rewrite`` says what ``original`` says (see the module text for the rules).

    ``context`` are the neighbouring sentences the model saw; ``key_words`` are stemmed content words
    the rewrite must keep (the original's most informative ones)."""
    text = rewrite.strip()
    if not text:
        return RewriteCheck(False, "empty")
    if len(split_sentences(text)) > 1:
        return RewriteCheck(False, "more than one sentence")
    if text.endswith("?"):
        return RewriteCheck(False, "a question")
    if _ECHO.search(text):
        return RewriteCheck(False, "echoes the prompt")
    if is_looping(text):
        return RewriteCheck(False, "repeats itself")
    if not looks_complete(text):
        # "... for solving that window dressing problem that creating videos have." came back as "...
        # the window dressing problem that is.": every word from the source, and no claim left
        return RewriteCheck(False, "a fragment")
    new_words, old_words = words(text), words(original)
    if len(new_words) < 5 or len(new_words) > len(old_words) + 4:
        return RewriteCheck(False, "too short or too long")
    if first_person(text) and not first_person(original):
        return RewriteCheck(False, "first person added")
    if negation_scopes(text) != negation_scopes(original):
        return RewriteCheck(False, "negation added or dropped")
    source = " ".join([original, *context])
    source_words = set(content_words(source))
    source_lower = source.lower()
    claim = content_words(text)
    if not claim:
        return RewriteCheck(False, "no content words")
    foreign = [word for word in claim if word not in source_words]
    if foreign:
        return RewriteCheck(False, f"words not in the source: {', '.join(sorted(set(foreign))[:5])}")
    for fact in names_and_numbers(text):
        if fact not in source_words and fact not in source_lower:
            return RewriteCheck(False, f"names or numbers not in the source: {fact}")
    kept = set(claim)
    missing = [word for word in key_words if word not in kept]
    if missing:
        return RewriteCheck(False, f"drops key words: {', '.join(missing)}")
    original_content = set(content_words(original))
    if original_content and len(kept & original_content) < 0.5 * min(len(original_content), len(kept) + 2):
        return RewriteCheck(False, "says something else")
    return RewriteCheck(True)


Generate = Callable[[list[dict[str, str]], int], str]


def answer_line(answer: str) -> str:
    """The model's answer as one line: the first non-empty line, without list marks or quotes."""
    for line in answer.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip().strip("\"'“”")
        if line:
            return line
    return ""


def verify_translation(original: str, translation: str) -> RewriteCheck:
    """The weaker check for a statement in another language than the transcript's, where words cannot
    be compared: one plain sentence of a sane length, every name and number from the original, no
    prompt echo, no loop."""
    text = translation.strip()
    if not text or text.endswith("?") or len(split_sentences(text)) > 1 or is_looping(text):
        return RewriteCheck(False, "not one plain sentence")
    if _ECHO.search(text):
        return RewriteCheck(False, "echoes the prompt")
    ratio = len(words(text)) / max(1, len(words(original)))
    if not 0.4 <= ratio <= 2.0:
        return RewriteCheck(False, "too short or too long")
    lower = text.lower()
    if any(fact not in lower for fact in names_and_numbers(original) if fact.isdigit()):
        return RewriteCheck(False, "a number was dropped")
    if any(fact not in original.lower() for fact in names_and_numbers(text) if fact.isdigit()):
        return RewriteCheck(False, "names or numbers not in the source")
    return RewriteCheck(True)
