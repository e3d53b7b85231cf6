"""What makes one sentence worth more or less than its concepts say: named *signals*, each a function of
the sentence and the :class:`Piece` it belongs to that returns a factor on its worth (1.0: no opinion).
:data:`SIGNALS` lists them; :class:`.select.Selector` multiplies them (and can be given fewer, to measure
what each adds). :class:`Piece` is everything about the whole transcript a signal may read, computed once."""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Sequence

from .meaning import Meaning
from .salience import WordWeights
from .sentence_kinds import VAGUE_WORD, YOU, is_question
from .sentences import Sentence
from ..text import NEGATION, NOT_CONTENT, content_words, first_person, stem, words

FIRST_PERSON_FACTOR = 0.75
YOU_FACTOR = 0.85
VAGUE_FACTOR = 0.85
SETUP_FACTOR = 0.6  # the two sentences before a question: a host's set-up, mostly
FOCUS_BONUS = 2.0  # per word of the user's --instructions the sentence has
UNSURE_NAME_FACTOR = 0.5
CLAIM_BONUS = 0.1  # per kind of claim cue (prediction, comparison, definition ...), at most two
SUBJECT_FREE = -2.0  # with meaning: a sentence this close to the subject (robust z) or closer keeps its worth;
SUBJECT_SLOPE = 0.25  # further away it loses this much per unit of z ...
SUBJECT_MIN = 0.5  # ... down to this factor

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


# ------------------------------------------------------------------------------- the piece


class Piece:
    """Everything about the whole transcript that a signal may read, computed once."""

    def __init__(self, sentences: Sequence[Sentence], section_starts: Sequence[int], weights: WordWeights,
                 focus: set[str] = frozenset(), meaning: Meaning | None = None):
        self.sentences = list(sentences)
        self.weights = weights
        self.focus = set(focus)
        self.meaning = meaning if meaning is not None and meaning.available else None
        edges = list(section_starts) + [len(self.sentences)]
        self.spans = [(edges[i], edges[i + 1]) for i in range(len(section_starts))]
        self.section_of: dict[int, int] = {}
        for number, (first, last) in enumerate(self.spans):
            for index in range(first, last):
                self.section_of[index] = number
        self.section_words = [sum(len(words(s.raw)) for s in self.sentences[a:b]) for a, b in self.spans]
        self.section_counts = [Counter(w for s in self.sentences[a:b] for w in s.stems) for a, b in self.spans]
        self.everywhere = Counter(w for s in self.sentences for w in s.stems)
        self.pair_counts = Counter(pair for s in self.sentences for pair in set(term_pairs(s.raw)))
        questions = [s.index for s in self.sentences if is_question(s)]
        self.setup = {index for q in questions for index in range(q - 2, q)}
        self.bare_tokens = {token.lower() for s in self.sentences for token in re.findall(r"[A-Za-z0-9'’]+", s.raw)}
        self.subject: dict[int, float] = {}
        if self.meaning is not None:
            self.subject = _subject_scores(self.meaning, self.spans)


def _subject_scores(meaning: Meaning, spans: Sequence[tuple[int, int]]) -> dict[int, float]:
    """Each sentence's closeness to what the piece is about: its cosine with the whole piece or with
    its own section, whichever is higher, as a robust z-score within this transcript (so a talk that
    wanders everywhere is judged against itself)."""
    import numpy as np

    piece = meaning.similarity_to_piece()
    section = np.zeros_like(piece)
    for first, last in spans:
        centroid = meaning.centroid_of(range(first, last))
        section[first:last] = meaning.vectors[first:last] @ centroid
    closeness = np.maximum(piece, section)
    median = float(np.median(closeness))
    spread = float(np.median(np.abs(closeness - median))) * 1.4826 or 1.0
    return {index: float(value) for index, value in enumerate((closeness - median) / spread)}


# ------------------------------------------------------------------------------- signals
# Each takes the sentence and its piece and returns a factor on the sentence's worth (1.0: neutral).


def speaks_of_self(sentence: Sentence, piece: Piece) -> float:
    """First person ("I was captivated by ...") is a quote more than a statement."""
    return FIRST_PERSON_FACTOR if first_person(sentence.text) else 1.0


def addresses_listener(sentence: Sentence, piece: Piece) -> float:
    """"You ..." is advice or a hypothetical more often than a claim."""
    return YOU_FACTOR if YOU.search(sentence.text) else 1.0


def vague(sentence: Sentence, piece: Piece) -> float:
    """"Something", "stuff", "things": the claim is somewhere else."""
    return VAGUE_FACTOR if VAGUE_WORD.search(sentence.text) else 1.0


def sets_up_question(sentence: Sentence, piece: Piece) -> float:
    """The two sentences before a question: a host's set-up, mostly."""
    return SETUP_FACTOR if sentence.index in piece.setup else 1.0


def asked_for(sentence: Sentence, piece: Piece) -> float:
    """Words of the user's ``--instructions`` ("focus on the data") make a sentence worth more."""
    if not piece.focus:
        return 1.0
    return 1 + FOCUS_BONUS * len(piece.focus & set(content_words(sentence.text)))


def unsure_names(sentence: Sentence, piece: Piece) -> float:
    """A name the transcript never says on its own (often a misheard one): a reader cannot check it."""
    return UNSURE_NAME_FACTOR if _unsure_names(sentence.text, piece.bare_tokens) else 1.0


def makes_claim(sentence: Sentence, piece: Piece) -> float:
    """Predictions, comparisons, definitions, causes, findings, positions taken: the stuff of a point."""
    return 1 + CLAIM_BONUS * min(2, sum(1 for cue in _CLAIM_CUES if cue.search(sentence.text)))


def on_subject(sentence: Sentence, piece: Piece) -> float:
    """With sentence meaning: banter, transitions and asides (far from the piece and from their own
    section) lose; sentences at the heart of the subject gain a little."""
    if piece.meaning is None:
        return 1.0
    z = piece.subject.get(sentence.index, 0.0)
    if z >= SUBJECT_FREE:
        return 1.0
    return max(SUBJECT_MIN, 1 + SUBJECT_SLOPE * (z - SUBJECT_FREE))


Signal = Callable[[Sentence, Piece], float]
SIGNALS: tuple[Signal, ...] = (speaks_of_self, addresses_listener, vague, sets_up_question, asked_for, unsure_names,
                               makes_claim, on_subject)
