"""Headings that name a section's topic, titles, and the check that a model's heading must pass.

A heading is a short noun phrase ("Cellular automata", "Driver monitoring and safety"), never a
comma list of frequent words and never a vague or filler word ("like", "people", "thing"). Key
phrases are runs of adjectives and nouns that end in a noun (:mod:`.parts_of_speech`), ranked by how
much they belong to the section: used in it repeatedly, rarely elsewhere, and rare in general language.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Callable, Iterable, Sequence

from .parts_of_speech import parts_of_speech
from .salience import WordWeights
from ..text import NOT_CONTENT, capitalize, content_words, is_looping, stem, words

# Words a heading never contains: filler and vague words, and words that name the medium, not a topic.
VAGUE = frozenset("""
like people know think thing things stuff really just yeah okay right mean want going lot lots way
something anything everything nothing actually good look said say says sort kind bit guy guys kinda
gonna wanna got get gets great nice cool sure little big whole different same other another new old
maybe probably pretty interesting fascinating question questions answer idea ideas point case time
times year years today podcast episode show video talk conversation transcript summary section
introduction intro conclusion overview part example examples yes need needs much many able
""".split())

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_BREAK = re.compile(r"[.,;:!?()\[\]\"“”—–]|\s-\s")
MAX_PHRASE_WORDS = 3


def _modifier(word: str) -> bool:
    return bool(parts_of_speech(word) & {"ADJ", "NOUN", "PROPN"})


def _head(word: str) -> bool:
    return "NOUN" in parts_of_speech(word) or "PROPN" in parts_of_speech(word)


def _usable(token: str) -> bool:
    lower = token.lower().replace("’", "'")
    return (len(lower) > 2 and lower not in NOT_CONTENT and lower not in VAGUE and "'" not in lower
            and not lower.isdigit())


def phrases(text: str) -> list[tuple[tuple[str, ...], bool]]:
    """Candidate noun phrases of 1-3 words in ``text``, as surface tokens, each with whether it opens
    a sentence (where a capital letter says nothing about a name)."""
    found: list[tuple[tuple[str, ...], bool]] = []
    sentence_start = True
    for piece in _BREAK.split(text):
        run: list[str] = []
        run_start = 0
        for position, token in enumerate(_WORD.findall(piece) + [""]):
            if token and _usable(token) and _modifier(token.lower()):
                if not run:
                    run_start = position
                run.append(token)
                continue
            # the run ends: every contiguous sub-run ending in a noun is a candidate
            for end in range(len(run), 0, -1):
                if not _head(run[end - 1].lower()):
                    continue
                for start in range(max(0, end - MAX_PHRASE_WORDS), end):
                    found.append((tuple(run[start:end]), sentence_start and run_start + start == 0))
            run = []
        sentence_start = bool(re.search(r"[.!?]\s*$", piece)) or not piece.strip()
    return found


def _key(tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(stem(token.lower()) for token in tokens)


class KeyPhrases:
    """Noun phrases of a whole transcript, ranked within any stretch of it."""

    def __init__(self, section_texts: Sequence[Sequence[str]], weights: WordWeights):
        self.weights = weights
        self.section_counts: list[Counter] = []
        self.surface: dict[tuple[str, ...], Counter] = {}
        for texts in section_texts:
            counts: Counter = Counter()
            for text in texts:
                for tokens, opens_sentence in phrases(text):
                    key = _key(tokens)
                    counts[key] += 1
                    forms = self.surface.setdefault(key, Counter())
                    if opens_sentence:  # its capital letter is the sentence's: counts only if nothing else
                        forms[" ".join(tokens)] += 0.001
                    else:
                        forms[" ".join(tokens)] += 1
            self.section_counts.append(counts)
        self.total: Counter = Counter()
        for counts in self.section_counts:
            self.total.update(counts)

    def score(self, key: tuple[str, ...], section: int) -> float:
        inside = self.section_counts[section][key]
        if not inside:
            return 0.0
        rarity = sum(self.weights.rarity.get(word, 0.0) for word in key) / len(key)
        if rarity <= 0.3:
            return 0.0
        belonging = inside / self.total[key]
        once = 0.3 if inside < 2 else 1.0  # said once: a passing mention, not a topic
        return once * (1 + math.log(inside)) * belonging * rarity * (1.0 + 0.5 * (len(key) - 1))

    def ranked(self, section: int) -> list[tuple[tuple[str, ...], float]]:
        scored = [(key, self.score(key, section)) for key in self.section_counts[section]]
        return sorted((item for item in scored if item[1] > 0), key=lambda item: (-item[1], item[0]))

    def text_of(self, key: tuple[str, ...]) -> str:
        """The way the transcript writes a phrase most often inside sentences (so a capital means a name)."""
        return self.surface[key].most_common(1)[0][0]

    def heading(self, section: int, used: Iterable[str] = ()) -> str | None:
        """The section's best key phrase, with a second one ("A and B") when it is nearly as good;
        phrases already heading another section are skipped."""
        taken = {item.lower() for item in used}
        picked: list[tuple[tuple[str, ...], float]] = []
        for key, value in self.ranked(section):
            text = self.text_of(key)
            if text.lower() in taken or any(_related(key, other) for other, _ in picked):
                continue
            # A second phrase only beside a one-word first one, and only when nearly as strong.
            if picked and (len(picked[0][0]) > 1 or value < 0.6 * picked[0][1] or len(key) > 2):
                break
            picked.append((key, value))
            if len(picked) == 2:
                break
        if not picked:
            return None
        return capitalize(" and ".join(self.text_of(key) for key, _ in picked))

    def whole_ranked(self, limit: int = 6, closeness: "Callable[[list[str]], Sequence[float]] | None" = None) -> list[str]:
        """The key phrases of the whole transcript, best first, as the transcript writes them: said at
        least twice, rare in general language, longer phrases preferred over a word they contain
        ("circadian rhythm" over "circadian") when said about as often, and no two related ("vigilance",
        "vigilance decrement"). ``closeness`` (sentence meaning): a phrase's cosine with what the whole
        piece is about, which weighs each phrase (0.5 + closeness), so that the subject outranks a
        passing example."""
        scored: dict[tuple[str, ...], float] = {}
        for key, total in self.total.items():
            rarity = sum(self.weights.rarity.get(word, 0.0) for word in key) / len(key)
            if total >= 2 and rarity > 0.3 and not any(word in VAGUE for word in key):
                scored[key] = math.log(1 + total) * rarity * (1.0 + 0.5 * (len(key) - 1))
        for key in list(scored):  # a phrase said about as often as a word it contains speaks for it
            for other in scored:
                if len(other) > len(key) and _contains(other, key) and self.total[other] >= 0.5 * self.total[key]:
                    scored[key] = min(scored[key], 0.9 * scored[other])
        ranked = sorted(scored, key=lambda key: (-scored[key], key))[:max(limit * 4, 12)]
        if closeness is not None and ranked:
            weights = closeness([self.text_of(key) for key in ranked])
            adjusted = {key: scored[key] * (0.5 + max(0.0, float(weight))) for key, weight in zip(ranked, weights)}
            ranked = sorted(ranked, key=lambda key: (-adjusted[key], key))
        chosen: list[tuple[str, ...]] = []
        for key in ranked:
            if any(_related(key, other) for other in chosen):
                continue
            chosen.append(key)
            if len(chosen) == limit:
                break
        return [self.text_of(key) for key in chosen]

    def whole_heading(self) -> str | None:
        """The best key phrase of the whole transcript (a title when nothing better is known)."""
        ranked = self.whole_ranked(1)
        return capitalize(ranked[0]) if ranked else None

    def top_words(self, section: int, count: int = 8) -> set[str]:
        """Stemmed words of the section's best phrases (a model's heading must name one of them)."""
        found: set[str] = set()
        for key, _value in self.ranked(section)[:count]:
            found.update(key)
        return found


def _contains(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    return any(tuple(longer[i:i + len(shorter)]) == tuple(shorter) for i in range(len(longer) - len(shorter) + 1))


def _related(left: Sequence[str], right: Sequence[str]) -> bool:
    """Two phrases share a word or a word's first six letters ("superintelligence", "superintelligent")."""
    return any(a == b or (len(a) > 5 and len(b) > 5 and a[:6] == b[:6]) for a in left for b in right)


class Casing:
    """How a transcript writes each word inside a sentence, so that a model's heading or title is written
    the same way: a name or acronym keeps its capitals ("AI", "Tesla"), every other word after the first
    is written as the transcript writes it ("Data and Self-Driving Cars" -> "Data and self-driving cars").
    A word the transcript never has keeps the model's spelling."""

    _TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z][A-Za-z'’]*)*")

    def __init__(self, text: str):
        seen: dict[str, Counter] = {}
        starts: set[str] = set()
        for sentence in re.split(r"(?<=[.!?…])\s+|\n+", text):
            tokens = self._TOKEN.findall(sentence)
            for number, token in enumerate(tokens):
                for form in {token, *token.split("-")}:
                    if number == 0:  # a sentence's first word says little of its case
                        starts.add(form.lower())
                    else:
                        seen.setdefault(form.lower(), Counter())[form] += 1
        self._forms = {low: forms.most_common(1)[0][0] for low, forms in seen.items()}
        # seen only opening sentences: a common word, unless written in capitals throughout ("NASA")
        self._starts = starts - self._forms.keys()

    def form(self, token: str) -> str:
        known = self._forms.get(token.lower())
        if known is not None:
            return known
        if token.lower() in self._starts and not token.isupper():
            return token.lower()
        if "-" in token:
            return "-".join(self.form(part) for part in token.split("-"))
        return token

    def apply(self, heading: str) -> str:
        """``heading`` with every word after the first as the transcript writes it."""
        tokens = list(self._TOKEN.finditer(heading))
        out, last = [], 0
        for number, match in enumerate(tokens):
            out.append(heading[last:match.start()])
            out.append(match.group() if number == 0 else self.form(match.group()))
            last = match.end()
        out.append(heading[last:])
        return capitalize("".join(out))


def heading_problem(heading: str, source_words: set[str], topic_words: set[str] = frozenset(),
                    max_words: int = 7) -> str | None:
    """Why a model's heading (or title) is not acceptable, or None when it is: 2 to ``max_words``
    words, all from the source, naming at least one of ``topic_words`` when given, no vague or
    filler word, no sentence, no list, no label ("Title:"), no first person."""
    tokens = words(heading)
    if not 2 <= len(tokens) <= max_words:
        return "length"
    if heading.count(",") >= 1 or ":" in heading or heading.endswith(("?", "!")) or is_looping(heading):
        return "not a phrase"
    lowered = set(tokens)
    if lowered & VAGUE or lowered & {"i", "me", "my", "we", "our", "us", "you", "your"}:
        return "vague or personal"
    if lowered & {"is", "are", "was", "were", "be", "been", "do", "does", "did", "has", "have", "had",
                  "will", "would", "can", "could", "should", "this", "these", "that", "those", "it", "they"}:
        return "a sentence, not a name"
    stems = content_words(heading)
    if not stems or any(word not in source_words for word in stems):
        return "words not in the source"
    if topic_words and not set(stems) & topic_words:
        return "does not name the section's topic"
    if len(set(tokens)) < len(tokens):
        return "repeats a word"
    return None


def tidy_heading(answer: str) -> str:
    """The first line of a model's answer, without labels, quotes, list marks or a final stop."""
    text = re.sub(r"</?\w+>", " ", answer)  # "<title>X</title>"
    line = next((line for line in text.splitlines() if line.strip()), "")
    line = re.sub(r"^\s*(?:[-*•#]+|\d+[.)])\s*", "", line.strip())
    line = re.sub(r"^(?:the )?(?:title|heading|topic|section|subject)(?: of [\w\s]{0,30}?)?(?:\s+is|\s*[:\-–])\s*",
                  "", line, flags=re.I)
    line = line.strip(" \"'“”*_.")
    if ":" in line and len(line.split(":", 1)[0].split()) >= 2:  # "Topic: a subtitle" -> "Topic"
        line = line.split(":", 1)[0]
    return capitalize(" ".join(line.split()).strip(" \"'“”*_."))


def readable_stem(stem_text: str) -> str | None:
    """A file name made into a title ("lex018-elon_musk.autopilot" -> "Lex018 elon musk autopilot"),
    or None when it names nothing (digits, an id, "transcript", "audio")."""
    text = re.sub(r"[_\-.]+", " ", stem_text).strip()
    text = re.sub(r"\s*\[[^\]]*\]\s*$", "", text)  # ytlocal's own "Title [id]" names
    tokens = text.split()
    meaningful = [t for t in tokens if re.search(r"[A-Za-z]{3,}", t)
                  and t.lower() not in {"transcript", "audio", "video", "recording", "untitled", "track", "file",
                                        "output", "input", "final", "copy", "new"}]
    if not meaningful:
        return None
    return capitalize(" ".join(tokens))
