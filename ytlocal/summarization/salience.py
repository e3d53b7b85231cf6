"""How much a word tells a reader: rare in general language, and a topic of this transcript.

A summary point should carry the specific claims (names, numbers, technical terms, definitions), not
the chatter that every conversation has. Frequencies within the transcript alone cannot tell them
apart (a podcast says "people" and "think" more than "vigilance"), so each word is also weighed
against general language with ``wordfreq`` (Zipf scale: 7 for "the", 3 for "vigilance", 0 for a word
it never saw). Without wordfreq, or for a language it lacks, the transcript's own block frequencies
stand in.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from functools import lru_cache
from typing import Iterable, Sequence

from ..text import NOT_CONTENT, stem, words

log = logging.getLogger(__name__)

COMMON_ZIPF = 6.0  # words at least this common ("people", "think", "good") tell nothing
UNKNOWN_ZIPF = 2.0  # a word wordfreq never saw: rare, but often an ASR slip, so not the rarest
MAX_RARITY = 4.0


@lru_cache(maxsize=8)
def _frequency_table(language: str):
    try:
        import wordfreq
    except ImportError:  # an optional dependency: the transcript-only weights stand in
        log.info("wordfreq is not installed: words are weighed against the transcript alone")
        return None
    try:
        if language not in wordfreq.available_languages():
            log.info("wordfreq has no word list for %r: words are weighed against the transcript alone", language)
            return None
        return wordfreq.get_frequency_dict(language)
    except Exception as error:  # a broken data file must not stop a summary
        log.warning("wordfreq failed for %r (%s): words are weighed against the transcript alone", language, error)
        return None


def zipf(word: str, table) -> float:
    frequency = table.get(word, 0.0)
    if not frequency and "'" in word:
        frequency = table.get(word.split("'")[0], 0.0)
    return math.log10(frequency * 1e9) if frequency > 0 else UNKNOWN_ZIPF


class WordWeights:
    """Weight of each stemmed content word: general-language rarity times a bonus for recurrence."""

    def __init__(self, texts: Iterable[str], language: str | None = "en"):
        table = _frequency_table((language or "en").split("-")[0].lower())
        surface: dict[str, Counter] = {}
        self.counts: Counter = Counter()
        for text in texts:
            for word in words(text):
                if (len(word) > 2 or word.isdigit()) and word not in NOT_CONTENT:
                    key = stem(word)
                    self.counts[key] += 1
                    surface.setdefault(key, Counter())[word] += 1
        self.rarity: dict[str, float] = {}
        total = sum(self.counts.values()) or 1
        for key, forms in surface.items():
            if key.isdigit() or any(ch.isdigit() for ch in key):
                self.rarity[key] = 2.5
                continue
            if table is not None:
                level = max(zipf(form, table) for form, _ in forms.most_common(3))
            else:
                # Transcript only: a word's share of the transcript, on a Zipf-like scale.
                level = math.log10(self.counts[key] / total * 1e9) - 1.5
            self.rarity[key] = max(0.0, min(MAX_RARITY, COMMON_ZIPF - level))
        self.uses_general_language = table is not None

    def weight(self, key: str) -> float:
        rarity = self.rarity.get(key, 0.0)
        return rarity * (1.0 + 0.35 * math.log(self.counts.get(key, 1)))

    def total(self, keys: Sequence[str]) -> float:
        return sum(self.weight(key) for key in set(keys))
