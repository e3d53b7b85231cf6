"""Choosing what matters: the transcript sentences that carry the specific claims, spread over the piece.

Every sentence competes; none is read by a model first. A sentence is worth what it adds that the
summary does not say yet (a coverage objective, as in Gillick & Favre's and Lin & Bilmes's extractive
summarizers): its concepts are its content words, its recurring two-word terms ("parking lot",
"cellular automata") and its names and numbers, each weighed by how much it tells a reader
(:mod:`.salience`) and by how much it belongs to this section rather than the whole piece; a concept
already covered counts less each time. The gain is divided by the sentence's length (the budget is
words), and the greedy choice repeats until the word budget is spent, with three kinds of balance:

- sections get words in proportion to their length (a quiet section is not skipped);
- a stretch of talk between two questions (one answer, in an interview) gives one sentence before it
  gives a second;
- first-person sentences ("I was captivated by ...") are quotes more than statements: they lose a
  little, and past a fifth of the summary no more of them are taken (while others are left).

A statement too short to be a candidate on its own can still be a whole claim ("Derisking is
critical.", "Self-play is amazingly powerful."): it competes joined to the neighbour it closes or
opens (:func:`.sentence_kinds.short_claim`, :meth:`Selector._add_pairs`), as one candidate scored like any other.

Generic chatter loses because its words are common; a host's set-up before a question, the question
itself, ad reads (:mod:`.ads`, removed before this step) and sentence fragments are not candidates at all.

What makes one sentence worth more or less than its concepts say is a list of named *signals*
(:data:`.signals.SIGNALS`), each a function of the sentence and the :class:`.signals.Piece` it belongs to that returns
a factor (1.0: no opinion). With sentence meaning (:mod:`.meaning`) two more things count:

- **what it is about**: a sentence far from both the whole piece and its own section (banter, a
  remark about the coffee, a transition) loses (:func:`.signals.on_subject`);
- **coverage of meaning**: besides its words, a sentence is worth how much of the piece it stands
  for that the summary does not yet (a facility-location objective over sentence similarities, as in
  Lin & Bilmes's submodular summarizers), so two points never say the same thing and no stretch of
  the talk is left without one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import numpy as np

from .meaning import Meaning
from .salience import WordWeights
from .sentence_kinds import MAX_WORDS, is_candidate, is_question, leans_back, short_claim
from .sentences import Sentence
from .signals import SIGNALS, Piece, Signal, term_pairs
from ..text import content_words, first_person, max_ngram_repeats, names_and_numbers, words

LENGTH_OFFSET = 20  # a sentence costs its words plus this: very short ones carry too little context (with 12, short
# fragments that lean on their context, "It's 20,000 in some combinatorial array.", beat whole claims; 17 to 21
# measured alike on the development cases, key points +3 to +4 of 192)
COVERED_DECAY = 0.15  # a concept already in the summary is worth this share again
NAME_COVERED_DECAY = 0.07  # ... and a name already in it this share: a second sentence naming the same people
# ("if you look at Elon Musk or Stuart Russell or Bostrom, ...") after one that named them tells a reader little
# new, while a name weighs much as a word (rare, and concentrated in its section). On the development cases
# (LLM-free screen) 0.05 to 0.1 measured alike, key points 139 of 192 against 138 with 0.15 (lex061 .txt
# +1: the Turing-test bet took the place of a second sentence about the same critics), 0.0 to 0.02 138.
NAME_OR_NUMBER = 1.0
QUANTITY = 5.0  # a number or a spelled-out quantity ("400,000 cars", "six months", "97%"): the facts of a claim
CONCEPT_POWER = 1.5  # a concept's worth grows faster than its weight: one specific term outweighs much chatter
FIRST_PERSON_CAP = 0.2  # past this share of first-person sentences, more of them weigh FIRST_PERSON_OVER
FIRST_PERSON_OVER = 0.0  # (none: a summary is statements, not quotes)
SAME_ANSWER_FACTOR = 0.6  # each sentence already taken from the same answer multiplies by this
ANSWER_SPAN_WORDS = 350  # long stretches without a question count as several answers
MEANING_WEIGHT = 1.0  # coverage of meaning against coverage of words (1: a typical strong sentence's worth)

# A quantity said in words: a number word before a unit ("six months", "half a million", "three times").
_SPELLED_QUANTITY = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|half|a few|several|dozens?|hundreds|thousands|millions|billions)"
    r"(?: a)? (?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|times|percent|dollars|"
    r"hundred|thousand|million|billion|trillion|orders? of magnitude)\b", re.I)


@dataclass
class Choice:
    sentence: Sentence  # a joined choice: one Sentence holding both texts, with the first one's index and time
    section: int
    value: float  # what the sentence is worth alone (for ranking the key points)
    parts: tuple[Sentence, ...] = ()  # the transcript sentences a joined choice is made of (empty: just sentence)


# ------------------------------------------------------------------------------- concepts


def concepts(sentence: Sentence, piece: Piece) -> dict[str, float]:
    """What a sentence says, as weighted concepts: its content words (rarer in general language, and
    more so when they belong to its own section), its names and numbers, and the two-word terms the
    piece uses more than once. Each weight is raised to :data:`CONCEPT_POWER`: a sentence worth its one
    specific term (a named project, a defined term) beats one that sums many mildly rare words, which
    is what long, wordy chatter does."""
    section = piece.section_of[sentence.index]
    found = {}
    for word in set(content_words(sentence.text)):
        in_section = piece.section_counts[section][word]
        local = in_section / max(1, piece.everywhere[word])
        found[word] = piece.weights.weight(word) * (1 + local * math.log1p(in_section))
    for fact in names_and_numbers(sentence.text):
        found["#" + fact] = QUANTITY if any(ch.isdigit() for ch in fact) else NAME_OR_NUMBER
    for quantity in _SPELLED_QUANTITY.findall(sentence.text):
        found["#" + quantity.lower()] = QUANTITY
    for pair in set(term_pairs(sentence.text)):
        if piece.pair_counts[pair] >= 2:
            first_word, second_word = pair.split(" ")
            rarity = (piece.weights.rarity.get(first_word, 0.0) + piece.weights.rarity.get(second_word, 0.0)) / 2
            found[pair] = rarity * math.log(1 + piece.pair_counts[pair])
    return {concept: weight ** CONCEPT_POWER for concept, weight in found.items()}


# ------------------------------------------------------------------------------- selection


class Selector:
    """Greedy coverage selection over the candidate sentences of a transcript (see the module text)."""

    def __init__(self, sentences: Sequence[Sentence], section_starts: Sequence[int], weights: WordWeights,
                 focus: set[str] = frozenset(), meaning: Meaning | None = None, excluded: set[int] = frozenset(),
                 signals: Sequence[Signal] = SIGNALS, coverage: bool = True):
        """``focus``: stemmed words the user asked to focus on (``--instructions``); ``meaning``: the
        sentences' vectors, when an embedding model is installed; ``excluded``: sentences that are never
        candidates (ad reads); ``signals`` and ``coverage`` (of meaning) can be switched off to measure
        what each adds."""
        self.piece = piece = Piece(sentences, section_starts, weights, focus, meaning)
        self.sentences = piece.sentences
        self.spans = piece.spans
        self.section_of = piece.section_of
        self.answer_of = self._answers()
        self.candidates: dict[int, Sentence] = {}
        self.concepts: dict[int, dict[str, float]] = {}
        self.factor: dict[int, float] = {}
        self.length: dict[int, int] = {}
        self.members: dict[int, tuple[int, ...]] = {}  # the transcript sentences of each: itself, or a joined pair
        for sentence in self.sentences:
            if sentence.index in excluded or not is_candidate(sentence):
                continue
            self._add(sentence.index, sentence, (sentence.index,), math.prod(signal(sentence, piece) for signal in signals))
        self._add_pairs(excluded, signals)
        self.coverage = _MeaningCoverage(piece, list(self.candidates), excluded, self.members,
                                         [sum(self.concepts[c].values()) for c in self.candidates]) \
            if coverage and piece.meaning is not None and self.candidates else None

    def _add(self, key: int, sentence: Sentence, members: tuple[int, ...], factor: float) -> None:
        self.candidates[key] = sentence
        self.concepts[key] = concepts(sentence, self.piece)
        self.factor[key] = factor
        self.length[key] = len(words(sentence.text))
        self.members[key] = members

    def _add_pairs(self, excluded: set[int], signals: Sequence[Signal]) -> None:
        """Two adjacent sentences of one answer as one more candidate, where one is a :func:`short_claim`:
        a candidate followed by the short claim that closes it ("I always say with AI engineering, we
        don't know what's going to work in advance. Derisking is critical."), or a short claim followed
        by a candidate that leans on it ("Self-play is amazingly powerful. That goes way back to Arthur
        Samuel ..."). A short claim followed by a sentence that does not lean on it is left alone: the
        next sentence is as often a new subject ("The rate of improvement is exponential. One of the
        other design choices ...", which lost key points when joined).

        The pair is scored like any candidate (its concepts over its words plus LENGTH_OFFSET); its
        factor is the signals' of the joined text, each at the worse of the two sentences' positions
        (a set-up before a question stays one). Choosing it closes both sentences; choosing either
        alone closes the pair. Keyed after the sentence indices: ``len(sentences) + first``."""
        count = len(self.sentences)
        for first in range(count - 1):
            a, b = self.sentences[first], self.sentences[first + 1]
            if first in excluded or first + 1 in excluded:
                continue
            if self.section_of[first] != self.section_of[first + 1] or self.answer_of[first] != self.answer_of[first + 1]:
                continue
            closes = first in self.candidates and short_claim(b)
            opens = short_claim(a) and first + 1 in self.candidates and leans_back(b.text)
            if not (closes or opens):
                continue
            text = f"{a.text} {b.text}"
            if len(words(text)) > MAX_WORDS or max_ngram_repeats(text, 8) > 1:
                continue
            joined = Sentence(first, a.start, f"{a.raw} {b.raw}", text, a.stems + b.stems)
            factor = math.prod(min(signal(replace(joined, index=index), self.piece) for index in (first, first + 1))
                               for signal in signals)
            self._add(count + first, joined, (first, first + 1), factor)

    def _answers(self) -> dict[int, int]:
        """Each sentence's answer number: stretches between questions, long ones cut every ANSWER_SPAN_WORDS."""
        answer_of, answer, size = {}, 0, 0
        for sentence in self.sentences:
            if (is_question(sentence) and size) or size > ANSWER_SPAN_WORDS:
                answer, size = answer + 1, 0
            answer_of[sentence.index] = answer
            size += len(words(sentence.raw))
        return answer_of

    def value(self, index: int) -> float:
        """A candidate's worth on its own (nothing covered yet)."""
        gain = sum(self.concepts[index].values())
        if self.coverage is not None:
            gain += self.coverage.initial(index)
        return self.factor[index] * gain / (self.length[index] + LENGTH_OFFSET)

    def select(self, budget_words: int) -> list[Choice]:
        """Sentences adding up to about ``budget_words`` words, in transcript order.

        Every candidate's worth is recomputed at each choice as one vector operation; its word gain is
        kept up to date incrementally (choosing a sentence changes the gain only of the candidates that
        share one of its concepts, found through an inverted index), so a transcript of thousands of
        sentences costs milliseconds per choice."""
        import numpy as np

        order = list(self.candidates)
        if not order:
            return []
        factor = np.array([self.factor[i] for i in order])
        cost = np.array([self.length[i] + LENGTH_OFFSET for i in order], dtype=float)
        section_of = np.array([self.section_of[self.members[i][0]] for i in order])
        answer_of = np.array([self.answer_of[self.members[i][0]] for i in order])
        # The first-person share counts sentences, as a reader does: a pair is two, one of them or both first-person.
        speaks = np.array([sum(first_person(self.sentences[m].text) for m in self.members[i]) for i in order], dtype=float)
        units = np.array([len(self.members[i]) for i in order], dtype=float)
        positions_of: dict[int, list[int]] = {}  # a transcript sentence: the candidates (itself, pairs) holding it
        for number, index in enumerate(order):
            for member in self.members[index]:
                positions_of.setdefault(member, []).append(number)
        word_gain = np.array([sum(self.concepts[i].values()) for i in order])
        having_lists: dict[str, tuple[list[int], list[float]]] = {}
        for number, index in enumerate(order):
            for concept, weight in self.concepts[index].items():
                members, weights = having_lists.setdefault(concept, ([], []))
                members.append(number)
                weights.append(weight)
        having = {concept: (np.array(members), np.array(weights)) for concept, (members, weights) in having_lists.items()}
        # The names among the concepts: "#bostrom" and the same name as a word, "bostrom" (numbers and
        # spelled-out quantities, "#six months", are facts, not names).
        names = {concept for concept in having if concept.startswith("#") and " " not in concept
                 and not any(ch.isdigit() for ch in concept)}
        names |= {concept[1:] for concept in names}
        total_words = max(1, sum(self.piece.section_words))
        share = np.array([budget_words * words_in / total_words for words_in in self.piece.section_words])
        section_used = np.zeros(len(self.spans))
        answers_used: Counter = Counter()
        open_ = np.ones(len(order), dtype=bool)
        covered: Counter = Counter()
        chosen: list[Choice] = []
        used = first_person_count = sentences_chosen = 0
        while open_.any() and used < budget_words:
            gain = word_gain
            if self.coverage is not None:
                meaning_gain = self.coverage.gains()
                gain = word_gain + np.array([meaning_gain[i] for i in order])
            value = factor * gain / cost
            value = value / (1 + section_used[section_of] / (share[section_of] + 1))
            value = value * SAME_ANSWER_FACTOR ** np.array([answers_used[a] for a in answer_of], dtype=float)
            if chosen:
                over = (speaks > 0) & ((first_person_count + speaks) / (sentences_chosen + units) > FIRST_PERSON_CAP)
                value = np.where(over, value * FIRST_PERSON_OVER, value)
            value = np.where(open_, value, -np.inf)
            number = int(np.argmax(value))
            best = order[number]
            for member in self.members[best]:  # a sentence is chosen once: alone or in a pair
                open_[positions_of[member]] = False
            sentence = self.candidates[best]
            parts = tuple(self.sentences[m] for m in self.members[best]) if len(self.members[best]) > 1 else ()
            chosen.append(Choice(sentence, int(section_of[number]), self.value(best), parts))
            used += self.length[best]
            section_used[section_of[number]] += self.length[best]
            answers_used[int(answer_of[number])] += 1
            first_person_count += int(speaks[number])
            sentences_chosen += int(units[number])
            for concept in self.concepts[best]:
                covered[concept] += 1
                # This concept is worth COVERED_DECAY (a name: NAME_COVERED_DECAY) as much as before to every
                # candidate that has it.
                decay = NAME_COVERED_DECAY if concept in names else COVERED_DECAY
                members, weights = having[concept]
                word_gain[members] -= weights * (decay ** (covered[concept] - 1) * (1 - decay))
            if self.coverage is not None:
                self.coverage.take(best)
        return sorted(chosen, key=lambda choice: choice.sentence.index)

    def fallback(self, budget_words: int) -> list[Choice]:
        """For a transcript with no sentence that passes :func:`is_candidate` (a few short lines, text
        without sentence ends): its longest sentences that are not questions, in order."""
        usable = [s for s in self.sentences if s.text and not is_question(s) and len(words(s.text)) >= 3]
        chosen, used = [], 0
        for sentence in sorted(usable, key=lambda s: -len(set(s.stems))):
            if used >= budget_words:
                break
            chosen.append(Choice(sentence, self.section_of[sentence.index], float(len(set(sentence.stems)))))
            used += len(words(sentence.text))
        return sorted(chosen, key=lambda choice: choice.sentence.index)


class _MeaningCoverage:
    """How much of the piece's meaning each candidate would cover that the chosen ones do not yet:
    the facility-location gain sum_i w_i * max(0, sim(i, c) - covered_i) over every sentence i of the
    piece (ads excluded), scaled into the units of the word concepts so the two add up."""

    def __init__(self, piece: Piece, candidates: list[int], excluded: set[int], members: dict[int, tuple[int, ...]],
                 concept_totals: list[float]):
        """``members``: the transcript sentences of each candidate (a pair's vector is the normalized
        mean of its two); ``concept_totals``: each candidate's word-concept worth, for the scale."""
        import numpy as np

        vectors = piece.meaning.vectors
        self.rows = [i for i in range(len(piece.sentences)) if i not in excluded and piece.sentences[i].stems]
        self.weights = np.array([min(len(piece.sentences[i].stems), 20) for i in self.rows], dtype=np.float32)
        self.weights /= max(1.0, float(self.weights.sum()))
        self.candidates = candidates
        self.column = {index: position for position, index in enumerate(candidates)}
        columns = np.stack([vectors[list(members[c])].mean(axis=0) for c in candidates])
        columns /= np.maximum(np.linalg.norm(columns, axis=1, keepdims=True), 1e-9)
        similarity = vectors[self.rows] @ columns.T  # sentences x candidates
        self.similarity = np.clip(similarity, 0.0, None)
        self.covered = np.zeros(len(self.rows), dtype=np.float32)
        first = self._raw_gains()
        # One unit of meaning coverage is worth what the typical strong candidate's words are worth.
        concept_totals = sorted(concept_totals, reverse=True)
        typical_words = concept_totals[len(concept_totals) // 10] if concept_totals else 1.0
        typical_meaning = float(np.sort(first)[::-1][len(first) // 10]) if len(first) else 1.0
        self.scale = MEANING_WEIGHT * typical_words / max(typical_meaning, 1e-6)
        self._initial = {c: float(first[self.column[c]]) * self.scale for c in candidates}

    def _raw_gains(self) -> "np.ndarray":
        import numpy as np

        return (self.weights[:, None] * np.clip(self.similarity - self.covered[:, None], 0.0, None)).sum(axis=0)

    def initial(self, index: int) -> float:
        return self._initial[index]

    def gains(self) -> dict[int, float]:
        raw = self._raw_gains() * self.scale
        return {c: float(raw[self.column[c]]) for c in self.candidates}

    def take(self, index: int) -> None:
        import numpy as np

        self.covered = np.maximum(self.covered, self.similarity[:, self.column[index]])
