"""The parts of speech an English word can have (NOUN, ADJ, VERB, ADV ...): from ``lemminflect``'s
dictionary when it is installed, from a suffix rule otherwise. Read by the key phrases and headings
(:mod:`.headings`), the sentence tests (:mod:`.sentence_kinds`) and the tag check (:mod:`.checks`)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _lemminflect():
    try:
        import lemminflect
    except ImportError:
        log.info("lemminflect is not installed: headings use a suffix rule for parts of speech")
        return None
    return lemminflect


@lru_cache(maxsize=20000)
def parts_of_speech(word: str) -> frozenset[str]:
    """The parts of speech a lower-case English word can have (NOUN, ADJ, VERB, ADV ...)."""
    if word.endswith("ly") and len(word) > 4:
        return frozenset({"ADV"})
    library = _lemminflect()
    if library is not None:
        found = frozenset(library.getAllLemmas(word).keys())
        if found:
            return found
        if re.search(r"(?:ed|able|ible|ous|ive|ful|less)$", word):
            return frozenset({"ADJ"})
        return frozenset({"NOUN"})  # not in the dictionary: a name or a technical term
    if re.search(r"(?:ous|ful|ive|able|ible|ic|al|less|ish)$", word):
        return frozenset({"ADJ", "NOUN"})
    if re.search(r"(?:ed|ing)$", word):
        return frozenset({"VERB", "ADJ", "NOUN"})
    return frozenset({"NOUN", "VERB"})
