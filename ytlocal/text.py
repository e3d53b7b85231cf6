"""Plain-text tools shared by the summarizer, ``ask``, the library and the renderers: words, stems,
stop words, content words, names and numbers, sentences (and their first capital), first person,
negations, n-gram repetition and grounding (support) scores. No model involved; all fast and
deterministic. Nothing here knows about the stages that use it."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Iterable

# English function words and spoken filler: never what a text is about, never worth searching for.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
during each even ever every few for from further get gets getting got had hadn't has hasn't have haven't
having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd i'll i'm
i've if in into is isn't it it's its itself just let's lot lots me more most much must mustn't my myself
no nor not now of off on once one only or other ought our ours ourselves out over own really right same
say says said see seem seems shall shan't she she'd she'll she's should shouldn't so some something such
than that that's the their theirs them themselves then there there's these they they'd they'll they're
they've thing things think this those though through to too under until up upon us very via was wasn't
way we we'd we'll we're we've well were weren't what what's when when's where where's which while who
who's whom why why's will with won't would wouldn't yeah yes yet you you'd you'll you're you've your
yours yourself yourselves going gonna wanna kind sort actually basically literally okay ok oh um uh
""".split())
# Words about the recording rather than its subject ("the speaker explains ..."): not content words of a
# summary, but a search for "talk" or "video" means them (so the library keeps them searchable).
META_WORDS = frozenset("""
speaker speakers talk talks transcript video part mentions mentioned discusses discussed explains
explained notes note
""".split())
NOT_CONTENT = STOPWORDS | META_WORDS

# A word never ends in a hyphen or an apostrophe: "because-" (a word cut off in speech) is "because".
_WORD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9'’-]*[A-Za-z0-9])?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(]?[A-Z0-9])")
# A full stop that ends an abbreviation, not a sentence ("Mount St. Helens", "Dr. Smith", "vs. Tesla").
_ABBREVIATION = re.compile(r"(?:^|\s)(?:Mr|Mrs|Ms|Dr|Prof|St|Mt|Sr|Jr|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|"
                           r"vs|etc|approx|Inc|Ltd|Co|Corp|Gen|Col|Lt|Sgt|Rev|Gov|Sen|Rep|e\.g|i\.e|U\.S|[A-Z])\.$")
# "No." abbreviates "number" only before one ("No. 5"); before a word it is the answer "No." ending a sentence.
_NUMBER_SIGN = re.compile(r"(?:^|\s)No\.$")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A deliberately light stemmer: enough to match 'bees'/'bee', 'farmers'/'farmer', 'sprayed'/'spray'."""
    for suffix, minimum in (("ies", 5), ("ing", 6), ("ed", 5), ("es", 5), ("s", 4)):
        if word.endswith(suffix) and len(word) >= minimum:
            base = word[: -len(suffix)]
            return base + "y" if suffix == "ies" else base
    return word


def content_words(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stopwords, no one- or two-letter words, numbers kept)."""
    return [stem(w) for w in words(text) if (len(w) > 2 or w.isdigit()) and w not in NOT_CONTENT]


def names_and_numbers(text: str) -> set[str]:
    """Capitalized words not at a sentence start, and numbers: the facts a model most often invents."""
    found = set()
    for sentence in split_sentences(text) or [text]:
        tokens = _WORD.findall(sentence)
        for index, token in enumerate(tokens):
            bare = token.replace(",", "")
            if any(ch.isdigit() for ch in bare):
                found.add(bare.lower())
            elif index > 0 and token[0].isupper() and token.lower() not in STOPWORDS and token != "I":
                found.add(stem(token.lower()))
    return found


FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine|we|we're|we've|we'd|we'll|our|ours|us)\b", re.I)
NEGATION = re.compile(r"\b(?:not|no|never|nobody|nothing|none|neither|nor|cannot|without|\w+n't)\b", re.I)


def first_person(text: str) -> bool:
    """Whether the speaker talks of themselves ("I think", "our lab"): a quote more than a statement."""
    return bool(FIRST_PERSON.search(text))


def negation_scopes(text: str) -> list[tuple[str, str]]:
    """Each negation with what it negates (the first content word within four words after it), sorted:
    "not RLHF, but a way" and "not a way" negate different things."""
    tokens = words(text)
    found = []
    for position, token in enumerate(tokens):
        if NEGATION.fullmatch(token):
            kind = "not" if token.endswith("n't") or token == "cannot" else token
            scope = next((content_words(t)[0] for t in tokens[position + 1: position + 5] if content_words(t)), "")
            found.append((kind, scope))
    return sorted(found)


def capitalize(text: str) -> str:
    """The first letter in upper case, where it has one letter as upper case ("ß" stays)."""
    if not text:
        return text
    upper = text[0].upper()
    return (upper if len(upper) == 1 else text[0]) + text[1:]


def split_sentences(text: str) -> list[str]:
    parts = _SENTENCE_END.split(text.strip())
    joined: list[str] = []
    for part in parts:
        if joined and (_ABBREVIATION.search(joined[-1]) or (_NUMBER_SIGN.search(joined[-1]) and part[:1].isdigit())):
            joined[-1] = f"{joined[-1]} {part}"
        else:
            joined.append(part)
    return [part.strip() for part in joined if part.strip()]


def support(claim: str, source_words: set[str], source_text_lower: str) -> float:
    """How well ``claim`` is grounded in a source: the share of its content words found there, and 0
    when it names a person, place or number the source never mentions."""
    claim_words = content_words(claim)
    if not claim_words:
        return 0.0
    for fact in names_and_numbers(claim):
        if fact not in source_words and fact not in source_text_lower:
            return 0.0
    found = sum(1 for word in claim_words if word in source_words)
    return found / len(claim_words)


def ngrams(tokens: list[str], n: int) -> Iterable[tuple[str, ...]]:
    return (tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def max_ngram_repeats(text: str, n: int) -> int:
    """How often the most frequent n-word sequence occurs (1 = no repetition)."""
    tokens = words(text)
    counts = Counter(ngrams(tokens, n))
    return max(counts.values(), default=0)


def is_looping(text: str) -> bool:
    """The repetition check run on every generation: a repeated 8-word run, a 3-word run four times,
    or the same line twice."""
    lines = [line.strip().lower() for line in text.splitlines() if line.strip()]
    if len(lines) != len(set(lines)):
        return True
    return max_ngram_repeats(text, 8) > 1 or max_ngram_repeats(text, 3) >= 4
