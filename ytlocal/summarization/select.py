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
  little, and past a fifth of the summary they lose a lot.

Generic chatter loses because its words are common; a host's set-up before a question, the question
itself, sponsor reads and sentence fragments are not candidates at all.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .headings import parts_of_speech
from .salience import WordWeights
from .sentences import Sentence
from ..text import NEGATION, NOT_CONTENT, content_words, first_person, names_and_numbers, stem, words

MIN_WORDS, MAX_WORDS = 7, 45
LENGTH_OFFSET = 12  # a sentence costs its words plus this: very short ones carry too little context
COVERED_DECAY = 0.15  # a concept already in the summary is worth this share again
NAME_OR_NUMBER = 1.0
FIRST_PERSON_FACTOR = 0.75
FIRST_PERSON_CAP = 0.22  # past this share of first-person sentences, more of them weigh FIRST_PERSON_OVER
FIRST_PERSON_OVER = 0.3
YOU_FACTOR = 0.85
VAGUE_FACTOR = 0.85
SETUP_FACTOR = 0.6  # the two sentences before a question: a host's set-up, mostly
SAME_ANSWER_FACTOR = 0.6  # each sentence already taken from the same answer multiplies by this
ANSWER_SPAN_WORDS = 350  # long stretches without a question count as several answers
FOCUS_BONUS = 2.0  # per word of the user's --instructions the sentence has
UNSURE_NAME_FACTOR = 0.5
CLAIM_BONUS = 0.1  # per kind of claim cue (prediction, comparison, definition ...), at most two

_YOU = re.compile(r"\b(?:you|your|you're|you've)\b", re.I)
_VAGUE = re.compile(r"\b(?:something|stuff|things?|whatever|somebody|anything)\b", re.I)
_FILLER = re.compile(r"\b(?:you know|i mean|kind of|sort of|yeah|like,|um|uh)\b", re.I)
# Questions said without a question mark (ASR often drops it).
_QUESTION_START = re.compile(
    r"^(?:what about|how about|what do you|what did you|what's your|what is your|what are your|do you|did you|"
    r"are you|were you|can you|could you|would you|will you|have you|is it|is there|are there|does it|"
    r"why do|why does|why is|why are|why did|how do|how does|how is|how did|what if)\b", re.I)
_PROMOTION = re.compile(
    r"\b(?:sponsor(?:ed|s|ing)?|brought to you by|presented by|promo code|use (?:the )?code|coupon|discount|"
    r"percent off|% off|free trial|sign up|download|app store|google play|subscribe|patreon|five stars|"
    r"rate (?:it|us|the show)|leave a review|support (?:this|the) (?:podcast|show|channel)|donat(?:e|ing|ion)|"
    r"link in the description|dot (?:com|org|net)|\w+\.(?:com|org|net|io)|advertis\w*|our listeners|special offer)\b",
    re.I)
PROMOTION_BRIDGE = 8
# Pleasantries of a conversation: true, and never a point of it.
_PLEASANTRY = re.compile(
    r"\b(?:welcome (?:to|back to) (?:the|this|my|our)\b|thanks? (?:you )?(?:so much )?for (?:having|joining|coming|being|"
    r"listening|watching|talking|doing this)|(?:great|good|nice|a pleasure|an honou?r) to (?:have|be|see|talk)|"
    r"glad to be here|happy to be here)", re.I)  # sentences between two promotional ones are part of the same read

_CLAIM_CUES = [re.compile(pattern, re.I) for pattern in (
    r"\b(?:will|won't|would|going to)\b",  # prediction
    r"\b(?:more|most|less|least|better|best|worse|worst|safer|ahead|bigger|biggest|greater|larger|faster|"
    r"harder|hardest|easier|than)\b",  # comparison
    r"\b(?:important|crucial|key|fundamental|profound|essential|critical|central|main|major|huge|obvious|"
    r"surprising|remarkable|dramatically|vastly|entirely|completely|impossible|necessary)\b",  # evaluation
    r"\b(?:is called|are called|means|defined|definition|the idea|the point|the reason|the problem|"
    r"the question|the answer|the goal|the difference)\b",  # definition, argument
    r"\b(?:because|therefore|which means|so that|in order to|as a result|leads? to|causes?|caused)\b",  # cause
    r"\b(?:found|showed|shown|discovered|discovery|demonstrated|proved|predicted?|measured|estimated?)\b",  # finding
    NEGATION.pattern,  # a position taken
)]


def is_question(sentence: Sentence) -> bool:
    return sentence.is_question or bool(_QUESTION_START.search(sentence.text or sentence.raw))


def promotional(sentences: Sequence[Sentence]) -> set[int]:
    """Indices of sentences in sponsor reads and calls to subscribe or donate: two promotional cues
    within a few sentences mark everything between them."""
    hits = [sentence.index for sentence in sentences if _PROMOTION.search(sentence.raw)]
    marked: set[int] = set()
    for first, second in zip(hits, hits[1:]):
        if second - first <= PROMOTION_BRIDGE:
            marked.update(range(first, second + 1))
    return marked


_DANGLING_END = re.compile(
    r"\b(?:the|a|an|and|or|but|because|of|to|is|are|was|were|that|which|with|for|in|on|at|by|from|as|so|if|"
    r"than|like|this|my|your|their|its|our|his|her|be|just|very)[.!?]$", re.I)


def looks_complete(text: str) -> bool:
    """Not a fragment: no dangling last word ("... because the hardware is."), no bare infinitive or
    command at the start ("To help people build ...", "Learn on the examples ...")."""
    if _DANGLING_END.search(text):
        return False
    tokens = words(text)
    if not tokens:
        return False
    if tokens[0] == "to" and len(tokens) > 1 and "VERB" in parts_of_speech(tokens[1]):
        return False
    if tokens[0] in {"which", "whereas", "whom", "whose", "and", "but", "or", "because"}:
        return False
    return parts_of_speech(tokens[0]) != frozenset({"VERB"})


def is_candidate(sentence: Sentence) -> bool:
    """Whether a cleaned sentence could stand as a summary point on its own."""
    text = sentence.text
    count = len(words(text))
    if not text or is_question(sentence) or not MIN_WORDS <= count <= MAX_WORDS or _FILLER.search(text):
        return False
    if _PLEASANTRY.search(text):
        return False
    if not re.match(r"^[\"'“(]?[A-Z0-9]", text):  # starts mid-sentence
        return False
    return len(set(content_words(text))) >= 4 and looks_complete(text)


def _unsure_names(text: str, bare_tokens: set[str]) -> bool:
    """A name the transcript never says on its own: only as a possessive ("Hoganesh's", often a
    misheard name) or glued by a hyphen ("Marie-Gail"). A reader cannot check it; prefer other sentences."""
    for token in re.findall(r"(?<=\s)[A-Z][A-Za-z]*(?:[-'’][A-Za-z]+)+", text):
        if re.search(r"[a-z]-[A-Z]", token):
            return True
        bare = re.sub(r"[’']s$", "", token).lower()
        if "-" not in bare and "'" not in bare and bare not in bare_tokens:
            return True
    return False


def term_pairs(text: str) -> list[str]:
    """Adjacent content words as two-word terms ("parking lot", "cellular automata"), stemmed."""
    tokens = words(text)
    return [f"{stem(a)} {stem(b)}" for a, b in zip(tokens, tokens[1:])
            if a not in NOT_CONTENT and b not in NOT_CONTENT and len(a) > 2 and len(b) > 2]


@dataclass
class Choice:
    sentence: Sentence
    section: int
    value: float  # what the sentence is worth alone (for ranking the key points)


class Selector:
    """Greedy coverage selection over the candidate sentences of a transcript (see the module text)."""

    def __init__(self, sentences: Sequence[Sentence], section_starts: Sequence[int], weights: WordWeights,
                 focus: set[str] = frozenset()):
        """``focus``: stemmed words the user asked to focus on (``--instructions``); a sentence with
        them is worth ``1 + FOCUS_BONUS`` times more for each."""
        self.sentences = list(sentences)
        self.weights = weights
        edges = list(section_starts) + [len(self.sentences)]
        self.spans = [(edges[i], edges[i + 1]) for i in range(len(section_starts))]
        self.section_of = {}
        for number, (first, last) in enumerate(self.spans):
            for index in range(first, last):
                self.section_of[index] = number
        self.section_words = [sum(len(words(s.raw)) for s in self.sentences[a:b]) for a, b in self.spans]
        self.total_words = max(1, sum(self.section_words))
        section_counts = [Counter(w for s in self.sentences[a:b] for w in s.stems) for a, b in self.spans]
        everywhere = Counter(w for s in self.sentences for w in s.stems)
        pair_counts = Counter(pair for s in self.sentences for pair in set(term_pairs(s.raw)))
        questions = [s.index for s in self.sentences if is_question(s)]
        setup = {index for q in questions for index in range(q - 2, q)}
        excluded = promotional(self.sentences)
        bare_tokens = {token.lower() for s in self.sentences for token in re.findall(r"[A-Za-z0-9'’]+", s.raw)}
        self.answer_of = self._answers()
        self.candidates: dict[int, Sentence] = {}
        self.concepts: dict[int, dict[str, float]] = {}
        self.factor: dict[int, float] = {}
        self.length: dict[int, int] = {}
        for sentence in self.sentences:
            if sentence.index in excluded or not is_candidate(sentence):
                continue
            section = self.section_of[sentence.index]
            concepts = {}
            for word in set(content_words(sentence.text)):
                in_section = section_counts[section][word]
                local = in_section / max(1, everywhere[word])
                concepts[word] = weights.weight(word) * (1 + local * math.log1p(in_section))
            for fact in names_and_numbers(sentence.text):
                concepts["#" + fact] = NAME_OR_NUMBER
            for pair in set(term_pairs(sentence.text)):
                if pair_counts[pair] >= 2:
                    first_word, second_word = pair.split(" ")
                    rarity = (weights.rarity.get(first_word, 0.0) + weights.rarity.get(second_word, 0.0)) / 2
                    concepts[pair] = rarity * math.log(1 + pair_counts[pair])
            factor = 1.0
            text = sentence.text
            if first_person(text):
                factor *= FIRST_PERSON_FACTOR
            if _YOU.search(text):
                factor *= YOU_FACTOR
            if _VAGUE.search(text):
                factor *= VAGUE_FACTOR
            if sentence.index in setup:
                factor *= SETUP_FACTOR
            factor *= 1 + FOCUS_BONUS * len(focus & concepts.keys())
            if _unsure_names(text, bare_tokens):
                factor *= UNSURE_NAME_FACTOR
            factor *= 1 + CLAIM_BONUS * min(2, sum(1 for cue in _CLAIM_CUES if cue.search(text)))
            self.candidates[sentence.index] = sentence
            self.concepts[sentence.index] = concepts
            self.factor[sentence.index] = factor
            self.length[sentence.index] = len(words(text))

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
        return self.factor[index] * sum(self.concepts[index].values()) / (self.length[index] + LENGTH_OFFSET)

    def select(self, budget_words: int) -> list[Choice]:
        """Sentences adding up to about ``budget_words`` words, in transcript order."""
        covered: Counter = Counter()
        section_used = [0] * len(self.spans)
        answers_used: Counter = Counter()
        left = dict(self.candidates)
        chosen: list[Choice] = []
        used = first_person_count = 0
        while left and used < budget_words:
            best, best_value = None, -1.0
            for index in left:
                section = self.section_of[index]
                gain = sum(weight * COVERED_DECAY ** covered[concept]
                           for concept, weight in self.concepts[index].items())
                share = budget_words * self.section_words[section] / self.total_words
                value = self.factor[index] * gain / (self.length[index] + LENGTH_OFFSET)
                value /= 1 + section_used[section] / (share + 1)
                value *= SAME_ANSWER_FACTOR ** answers_used[self.answer_of[index]]
                if chosen and first_person(left[index].text) and \
                        (first_person_count + 1) / (len(chosen) + 1) > FIRST_PERSON_CAP:
                    value *= FIRST_PERSON_OVER
                if value > best_value:
                    best, best_value = index, value
            sentence = left.pop(best)
            section = self.section_of[best]
            chosen.append(Choice(sentence, section, self.value(best)))
            used += self.length[best]
            section_used[section] += self.length[best]
            answers_used[self.answer_of[best]] += 1
            first_person_count += first_person(sentence.text)
            covered.update(self.concepts[best].keys())
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
