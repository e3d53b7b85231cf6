"""Spoken sentences made into written statements: disfluencies out, meaning kept.

A transcript sentence such as "And so, like, I think the the car is, you know, basically a robot."
becomes "The car is a robot." Only what never carries a claim is removed: filler sounds, discourse
markers at the start ("So", "And so", "Well", "Look", "I mean"), hedges around a claim ("I think",
"kind of", "you know"), doubled words and false starts ("it's, it's", "we were, we had"), tag
questions at the end (", right?"). Negations and every content word stay: "I don't think X" keeps
its "don't think", since dropping it would flip the claim.
"""

from __future__ import annotations

import re

from ..text import capitalize

_SPACE = re.compile(r"\s+")

# Filler sounds and phrases that never carry meaning, wherever they stand. Word boundaries keep
# "umbrella" and "summer" whole.
_SOUNDS = re.compile(r"(?:,\s*)?(?<![\w'])(?:u+m+|u+h+|e+r+m+|u+h+m+|h+m+|m+h?m+|a+h+)(?![\w'])(?:\s*[,.])?\s*", re.I)

# Phrases that are filler only where commas or a sentence edge set them off ("I like bees" stays,
# "it's, like, huge" loses its "like").
_SET_OFF = r"(?:you know|i mean|i think|i guess|i believe|i'd say|i would say|like|you see|so yeah|kind of like|sort of like|let's say|say|basically|" \
           r"actually|literally|obviously|honestly|frankly|of course|in a sense|in some sense|" \
           r"in a way|if you will|so to speak|right|okay|yeah|man|again|anyway|whatever)"
_BETWEEN_COMMAS = re.compile(rf",\s*{_SET_OFF}\s*,", re.I)
_TRAILING = re.compile(rf",\s*(?:{_SET_OFF}|i think|i guess|i believe|i'd say|i would say|or something|"
                       r"or whatever|and stuff|and so on|and things like that|right|no|huh|isn't it|"
                       r"don't you think|you know what i mean)\s*[.!?]*$", re.I)

# Hedges inside a clause: "it's kind of hard" -> "it's hard", only before a word, never at the end; and "sort of,"
# before a restart ("a nice way to sort of, it's a nice unit").
_HEDGES = re.compile(r"\b(?:kind of|sort of|basically|literally|actually|pretty much|"
                     r"(?<!not )(?<!n't )really)\s+(?=\w)|\b(?:kind of|sort of)\s*,\s*", re.I)

# What may open a spoken sentence and carries no claim; removed repeatedly ("And so, well, I mean, ...").
# Markers that may be followed by a comma or a space ...
_OPEN_ANY = (r"and|but|so|or|well|look|listen|now|okay|ok|oh|yeah|yep|like|see|also|anyway|anyways|"
             r"basically|actually|honestly|obviously|essentially|again|then|and then|and so|but so|so then|"
             r"and also|but also|you know|i mean|you see|i guess|i feel like|i would say|i'd say|"
             r"i would argue|i'd argue|i suppose|it seems to me|my sense is|my guess is|my feeling is|"
             r"the thing is|the point is|the truth is|the fact is|what i mean is|what i'm saying is|"
             r"let's say|in other words|at the end of the day|first of all|by the way|you know what|"
             r"(?:and |so |but )?i (?:think|believe|would think|'d think|would imagine|imagine|suspect)"
             r"(?! about| of| through| back| so\b)")
# ... and those that open a sentence only when a comma sets them off ("No, ..." but "No one knows").
_OPEN_COMMA = (r"no|yes|right|sure|exactly|absolutely|totally|definitely|true|interesting|personally|"
               r"frankly|to me|for me|in a sense|in some sense|in a way|of course|good question|"
               r"great question|that's a (?:great|good|really good|fascinating) question|fair enough|"
               r"that's right|that's true|that's fair|that's interesting|wow|man|dude|so yeah|and yeah")
_OPENERS = re.compile(rf"^(?:(?:{_OPEN_ANY})(?:\s*,\s*|\s+(?=\w))|(?:{_OPEN_COMMA})\s*,\s*)", re.I)
# "that" after a dropped hedge ("I think that the car ...") goes too, unless it is the subject
# ("I think that is wrong").
_THAT_CONJUNCTION = re.compile(
    r"^that\s+(?!(?:is|was|'s|would|will|can|could|may|might|has|had|have|does|did|seems|makes|means|"
    r"sounds|should|must|goes|gets|comes|feels|looks|works|happens|isn't|wasn't|doesn't|didn't|won't|"
    r"wouldn't|can't|couldn't|'ll|'d)\b)", re.I)

# A word or short phrase said twice: "the the", "it's, it's", "in the, in the".
_DOUBLED = re.compile(r"(?<![\w'-])((?:[\w']+\s+){0,2}[\w']+)(?:\s*,?\s+\1(?![\w'-]))+", re.I)

# A false start: a short fragment abandoned at a comma or dash and begun again with the same first
# word ("we were, we had a plan" -> "we had a plan"; "it's - it was" -> "it was").
_FALSE_START = re.compile(r"(?<![\w'-])([\w']+)((?:\s+[\w']+){0,2})(?:\s*,\s*|\s+-{1,2}\s*|\s*[—–]\s*)(\1(?![\w'-]))", re.I)

# A speaker's framing around a claim: "it became obvious to me that X", "today, I believe you are ...".
_FRAMING = re.compile(
    r"\b(?:it (?:became|becomes|is|was|seems|seemed) (?:obvious|clear|apparent|evident) to me that|"
    r"(?<=, )(?:i (?:think|believe|guess|suspect|would say|'d say|would argue|feel like))(?: that)?)\s+"
    r"(?=(?:the|a|an|it|it's|they|they're|we|you|he|she|there|this|these|those|most|many|some|all|every|"
    r"each|no|people|humans|one|if|when|in|our|their|his|her|its)\b)", re.I)
# Vague tails: "... for six months or something like that."
_VAGUE_TAIL = re.compile(r",?\s+(?:or something(?: like that)?|or whatever|and so on|and so forth|et cetera|etc\.?|"
                         r"and stuff(?: like that)?|and things like that|or anything)\s*(?=[.!?]*$)", re.I)

# A subject and verb abandoned at a comma before the sentence starts again: "It's, in my car I ...".
_START_FRAGMENT = re.compile(r"^(?:it's|it is|it was|there's|there are|that's|this is|i was|i'm|we were|we're|"
                             r"we have|they're|they were|he's|she's|you're|you have)\s*,\s*(?=\w+(?:\s+\w+){3})", re.I)


def _opens_list(word: str, text: str) -> bool:
    """Whether ``word`` opens a list said item by item ("to have intention, have a goal, have some
    self-awareness", "they have memory, they process information, they have goals"): three times or
    more, twice after a comma. That is no false start, and every item stays."""
    said = rf"{re.escape(word)}(?![\w'-])"
    return len(re.findall(rf"(?<![\w'-]){said}", text, re.I)) >= 3 and \
        len(re.findall(rf",\s*{said}", text, re.I)) >= 2


def strip_openers(text: str) -> str:
    """Remove discourse markers and hedges that open a sentence, as long as more than a clause is left."""
    previous = None
    while previous != text:
        previous = text
        match = _OPENERS.match(text)
        if match and len(text[match.end():].split()) >= 4:
            rest = text[match.end():].lstrip(" ,")
            if re.search(r"\b(?:think|believe|imagine|suspect|guess|say|argue|is)\s*,?\s*$", match.group(0), re.I):
                rest = _THAT_CONJUNCTION.sub("", rest)
            text = rest
    return text


def clean_spoken(sentence: str) -> str:
    """One spoken sentence as a written one (see the module text); '' when nothing is left.

    The result keeps the sentence's claim: its content words, names, numbers and negations."""
    text = _SPACE.sub(" ", sentence).strip().strip("\"'“”")
    if not text:
        return ""
    for _ in range(3):
        before = text
        text = _SOUNDS.sub(" ", text)
        text = _BETWEEN_COMMAS.sub(" ", text)
        text = _TRAILING.sub(".", text)
        text = _VAGUE_TAIL.sub("", text)
        text = _FRAMING.sub("", text)
        text = _HEDGES.sub("", text)
        text = _DOUBLED.sub(r"\1", text)
        text = _FALSE_START.sub(lambda m: m.group(0) if _opens_list(m.group(1), text) else m.group(3), text)
        text = re.sub(r"\s+([,.;:!?])", r"\1", text)
        text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
        text = _SPACE.sub(" ", text).strip(" ,;:-–—")
        text = strip_openers(text)
        text = _START_FRAGMENT.sub("", text)
        if text == before:
            break
    if not text:
        return ""
    text = re.sub(r"[,;:\s]+([.!?])$", r"\1", text)
    if text[-1] not in ".!?":
        text += "."
    return capitalize(text)

