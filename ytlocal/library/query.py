"""What a typed query means to the library: its words as an FTS5 query, the phrases it quotes, whether
it is a name, and where its words are in a passage's text (the spans a search result carries)."""

from __future__ import annotations

import re

from ..text import STOPWORDS, stem


def fts_query(text: str, every: bool = False) -> str | None:
    """The user's words as an FTS5 query: each word quoted (so ``"``, ``*``, ``-``, ``NEAR``, ``OR``
    are text, never syntax), English stopwords left out unless there is nothing else, any of them
    may match (``every``: all of them must), and bm25 ranks passages with more and rarer words first."""
    words = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", text, flags=re.UNICODE)))
    meaningful = [w for w in words if w not in STOPWORDS] or words  # "what did she say" alone: keep all
    return (" AND " if every else " OR ").join(f'"{word}"' for word in meaningful) or None


_QUOTED = re.compile(r"[\"\u201c\u201d\u201e]([^\"\u201c\u201d\u201e]+)[\"\u201c\u201d\u201e]")


def quoted_phrases(query: str) -> list[str]:
    """The phrases the user put in double quotes (straight or curly), each with at least one word."""
    return [phrase.strip() for phrase in _QUOTED.findall(query) if re.search(r"\w", phrase)]


def is_name(query: str, stopwords: frozenset[str]) -> bool:
    """A query that is a name or a title, not a question: at most five words, every one that is not a
    small word capitalized or holding a digit ("Melanie Mitchell", "Santa Fe Institute", "GPT-4")."""
    tokens = re.findall(r"\w[\w'-]*", query)
    meaningful = [t for t in tokens if t.lower() not in stopwords]
    if not meaningful or len(tokens) > 5 or "?" in query:
        return False
    return all(t[0].isupper() or any(c.isdigit() for c in t) for t in meaningful)

QUOTES = re.compile(r"[\"\u201c\u201d\u201e]")  # quotes are search syntax, not meaning


def match_spans(query: str):
    """A function that finds, in a passage's text, the words matching the query (the same start of their
    stem): their (start, end) character offsets, in order and never overlapping."""
    terms = [w.lower() for w in re.findall(r"\w+", query, flags=re.UNICODE)]
    stems = sorted({stem(w)[:max(4, len(stem(w)) - 1)] if len(w) > 4 else w
                    for w in terms if w not in STOPWORDS} or set(terms), key=len, reverse=True)
    if not stems:
        return lambda text: ()
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)
    return lambda text: tuple(found.span() for found in pattern.finditer(text))
