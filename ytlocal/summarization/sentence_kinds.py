"""What kind of sentence this is: a question, a fragment, a statement leaning on the one before, a
short whole claim, a candidate summary point. Plain tests on one sentence's words, read by the selection
(:mod:`.select`, :mod:`.signals`), the rewrite check (:mod:`.rewrite`) and the TL;DR check (:mod:`.checks`)."""

from __future__ import annotations

import re

from .parts_of_speech import parts_of_speech
from .sentences import Sentence
from ..text import content_words, first_person, max_ngram_repeats, words

MIN_WORDS, MAX_WORDS = 7, 45  # a candidate's length, in words

YOU = re.compile(r"\b(?:you|your|you're|you've)\b", re.I)
VAGUE_WORD = re.compile(r"\b(?:something|stuff|things?|whatever|somebody|anything)\b", re.I)
_FILLER = re.compile(r"\b(?:you know|i mean|kind of|sort of|yeah|like,|um|uh)\b", re.I)
# Questions said without a question mark (ASR often drops it).
_QUESTION_START = re.compile(
    r"^(?:what about|how about|what do you|what did you|what's your|what is your|what are your|do you|did you|"
    r"are you|were you|can you|could you|would you|will you|have you|is it|is there|are there|does it|"
    r"why do|why does|why is|why are|why did|how do|how does|how is|how did|what if)\b", re.I)
# A question put as a statement, anywhere in it: the host asks the guest ("... but I wonder if you have a
# vision for ...", "Walk us through ...").
_ASKS = re.compile(r"\bI (?:wonder|was wondering|'m curious|am curious) (?:if|whether|how|what|why|about)\b|"
                   r"\b(?:tell|walk) (?:me|us) (?:about|through)\b|"
                   r"\b(?:what|how|why|where|when) (?:have|do|did|would|will|could|can|are|were) you\b", re.I)
# Pleasantries of a conversation: true, and never a point of it.
_PLEASANTRY = re.compile(
    r"\b(?:welcome (?:to|back to) (?:the|this|my|our)\b|thanks? (?:you )?(?:so much |very much |a lot |again )?for (?:having|joining|coming|being|"
    r"listening|watching|talking|doing this)|(?:great|good|nice|a pleasure|an honou?r) to (?:have|be|see|talk)|"
    r"glad to be here|happy to be here|"
    # the speaker introducing himself or his co-host: who talks, not what is said
    r"my name is|i'?m your host|(?:joined|here) (?:again |today |as always )?(?:by|with) my co-?hosts?|"
    # the host presenting the episode itself: what is shown, not what is said
    r"without further ado|here(?:'s| is) (?:my|our) (?:conversation|interview|discussion|chat))",
    re.I)


def is_question(sentence: Sentence) -> bool:
    text = sentence.text or sentence.raw
    return sentence.is_question or bool(_QUESTION_START.search(text) or _ASKS.search(text))


# Last words that leave a sentence unfinished: an article, a conjunction, a possessive ("... the data of the.").
_DANGLING_ALWAYS = frozenset("the a an and or but because of my your their our its than if very whose".split())
# A copula or a preposition can end a finished sentence ("what time it is.", "engineers I've spoken with.",
# "you can go on and on."), when a wh-word or relative clause came before it, or (a preposition) after a verb.
_DANGLING_COPULA = frozenset("is are was were be".split())
_DANGLING_PREPOSITION = frozenset("to with for in on at by from as like so about into".split())
_RELATIVE = frozenset("that which who".split())
_WH = frozenset("what which who whom where when how why whatever wherever".split())
_CLAUSE_BEFORE = re.compile(rf"\b(?:{'|'.join(sorted(_WH | {'that', 'than', 'as'}))})\b", re.I)


def dangles(text: str) -> bool:
    """Whether a sentence stops on a word that leaves it unfinished ("... because the hardware is.")."""
    tokens = words(text)
    if not tokens:
        return True
    last, before = tokens[-1], " ".join(tokens[:-1])
    if last in _DANGLING_ALWAYS:
        return True
    if last in _DANGLING_COPULA:
        # "... what it is." ends; "... the problem that is." stops where its relative clause begins
        if len(tokens) > 2 and tokens[-2] in _RELATIVE and tokens[-3] not in _WH:
            return True
        return not _CLAUSE_BEFORE.search(before)
    if last in _DANGLING_PREPOSITION:
        previous = tokens[-2] if len(tokens) > 1 else ""
        return not (_CLAUSE_BEFORE.search(before) or previous == "and" or "VERB" in parts_of_speech(previous))
    return False


def looks_complete(text: str) -> bool:
    """Not a fragment: no dangling last word ("... because the hardware is."), no bare infinitive or
    command at the start ("To help people build ...", "Learn on the examples ...")."""
    if dangles(text):
        return False
    tokens = words(text)
    if not tokens:
        return False
    if tokens[0] == "to" and len(tokens) > 1 and "VERB" in parts_of_speech(tokens[1]):
        return False
    if tokens[0] in {"which", "whereas", "whom", "whose", "and", "but", "or", "because"}:
        return False
    return parts_of_speech(tokens[0]) != frozenset({"VERB"})


_AUXILIARIES = frozenset("""is are was were be been being am has have had do does did can could will would shall
should may might must isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't can't couldn't won't
wouldn't shouldn't it's that's there's he's she's they're we're""".split())
_DETERMINERS = frozenset("the a an this that these those its their his her our your my some any every each".split())


def has_verb(text: str) -> bool:
    """Whether a sentence has a verb that makes it a statement: an auxiliary or copula, a word that can
    only be a verb, or an -ed/-s form that does not follow a determiner ("the release" is a noun)."""
    tokens = words(text)
    for position, token in enumerate(tokens):
        if token in _AUXILIARIES:
            return True
        kinds = parts_of_speech(token)
        if kinds == frozenset({"VERB"}) and not token.endswith("ing"):  # "tuning" alone says nothing happened
            return True
        if "VERB" in kinds and token.endswith(("ed", "es", "s")) and \
                (position == 0 or tokens[position - 1] not in _DETERMINERS):
            return True
    return False


def is_candidate(sentence: Sentence) -> bool:
    """Whether a cleaned sentence could stand as a summary point on its own."""
    text = sentence.text
    count = len(words(text))
    if not text or is_question(sentence) or not MIN_WORDS <= count <= MAX_WORDS or _FILLER.search(text):
        return False
    if _PLEASANTRY.search(text) or max_ngram_repeats(text, 8) > 1:  # a summary never repeats an 8-word run
        return False
    if not re.match(r"^[\"'“(]?[A-Z0-9]", text):  # starts mid-sentence
        return False
    return len(set(content_words(text))) >= 4 and looks_complete(text)


# A sentence that leans on the one before it: a connective, or a pronoun or "this"/"that" whose referent
# the TL;DR does not carry ("On the other hand, ...", "This one, ...", "It's 20,000 in ...").
_LEANS_BACK = re.compile(
    r"^(?:on the other hand|in fact|however|but|and|or|so|also|then|still|plus|besides|otherwise|instead|"
    r"anyway|which|because|that's why|this is why|that is why|yet|though|thus|hence|therefore|meanwhile|likewise|"
    r"similarly|nor|whereas|too|"
    r"(?:this|that|these|those|it|they|he|she|him|her|them)(?:'s|'re|'ll|'d)?)\b", re.I)


def leans_back(text: str) -> bool:
    """Whether a sentence leans on the one before it (see ``_LEANS_BACK``): it cannot stand alone in a
    TL;DR, and leads the key points only after every statement of its section that can."""
    return bool(_LEANS_BACK.match(text.lstrip("\"'“ ")))


_COPULA = re.compile(r"\b(?:is|are|was|were)\b", re.I)


def short_claim(sentence: Sentence) -> bool:
    """A statement too short to be a candidate (3 to MIN_WORDS - 1 words) that is still a whole claim
    of its own: "X is Y" ("Intelligence is a continuum.", "Derisking is critical."), two content words
    or more, complete, standing on its own (nothing leaning back, no first person, no "you", nothing
    vague). Alone it is too short to tell a reader much; joined to its neighbour (:meth:`.Selector._add_pairs`)
    it is often what that neighbour was leading to. Without the copula, short sentences are mostly
    answers without their question ("More than a hundred years.") or fragments, and joining them lost
    key points on the development cases (-2 of 192; with it +2)."""
    text = sentence.text
    if not text or not 3 <= len(words(text)) < MIN_WORDS or is_question(sentence):
        return False
    if _FILLER.search(text) or _PLEASANTRY.search(text) or not re.match(r"^[\"'“(]?[A-Z0-9]", text):
        return False
    if not _COPULA.search(text) or leans_back(text) or first_person(text) or YOU.search(text) or VAGUE_WORD.search(text):
        return False
    return len(set(content_words(text))) >= 2 and looks_complete(text)
