"""Ad reads and calls to action, found as spans of sentences and removed before anything is chosen.

Nearly every podcast and video has them: a pre-roll after the greeting, mid-rolls ("we'll continue in a
moment after a word from our sponsors"), and a closing round of thanks, plugs and "subscribe, rate,
review". A read is a run of sentences that sells (a product, a brand, an offer) to the listener, with
a call to action somewhere in it, and off the subject of the talk around it. Its cue words cluster
(often at its end: "go to example dot com slash show"), while most of its sentences carry no cue at
all ("It comes standard with bot protection, MFA, roles and permissions"), so a sentence-by-sentence
filter keeps most of every read. Here each read is found whole:

1. **Anchors**: sentences with a call to action addressed to the listener or a sponsorship announcement
   of this show (a web address with a path, a promo code, "brought to you by", "sign up", "free trial",
   "subscribe ... five stars" ...). Reading like ad copy is evidence, never an anchor on its own: an
   aside about advertising is not an ad.
2. **Evidence per sentence**: how much it reads like ad copy, and, with meaning, how far it lies from
   what the whole talk is about (both as robust z-scores within this transcript, so a talk that is
   commercial throughout is judged against itself), plus the cue words it has.
3. **Spans**: around each anchor, the run of sentences with the largest total evidence (the
   maximum-sum segment containing the anchor, at most :data:`MAX_SPAN_WORDS` long); spans that touch
   merge. A read whose anchors sit at its end still loses its first sentences, and a read between a
   "word from our sponsors" and a web address goes whole.
4. **A talk about advertising keeps its content**: a span is removed only when it addresses the
   listener with an offer (second person, imperatives, addresses) and, with meaning, when it lies off
   the talk's subject, or when its anchors are strong on their own. Describing ads in the third person
   ("advertisers track listeners with discount codes") anchors nothing.

Nothing here knows any advertiser, product or show: the cues are the language of selling, the rest is
the transcript measured against itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from ..text import words

if TYPE_CHECKING:
    import numpy as np

    from ..records import Skipped
    from .meaning import Meaning
    from .sentences import Sentence

# Sponsorship announcements, said of this show ("this episode is brought to you by"), and calls to
# action that address the listener ("use code ...", "go to example dot com slash show"): each is enough
# to look for a read around it. A web address with a path ("example.com slash show") is a call to action
# on its own: nobody reads one aloud except to send the listener there.
_ADDRESS = r"(?:\b\w[\w-]*\s*(?:\.|\bdot\s+)(?:com|org|net|io|co|ai|app|fm|tv|me|ly|gg)\b)"
_ADDRESS_WITH_PATH = _ADDRESS + r"\s*(?:/|\bslash\b)\s*\w+"
ANNOUNCEMENTS = re.compile(
    r"\b(?:(?:this|today's|the) (?:episode|show|podcast|video|program|hour|week)\b[^.!?]{0,40}\b"
    r"(?:is |was )?(?:brought to you by|sponsored by|supported by|presented by|made possible by)|"
    r"(?:our|this (?:episode's|week's|show's)|today's|presenting) sponsors?\b|"
    r"a word from (?:our|the|this week's) sponsors?|support (?:for )?(?:this|the) (?:show|podcast|channel) comes from)",
    re.I)
CALLS_TO_ACTION = re.compile(
    r"\b(?:promo code|coupon code|discount code|use (?:the )?code|(?:with|enter) (?:the )?code|"
    r"free trial|try (?:it )?(?:for )?free|sign up (?:at|today|now|for free)|start (?:your )?free|"
    r"first (?:month|order|box) (?:free|for)|\d+ ?(?:%|percent) off|\$\d+ off|"
    r"link in the description|links? (?:is |are )?(?:in|below) the (?:show notes|description)|"
    r"(?:five|5) stars|rate (?:and review|us|the show|this podcast)|leave (?:us )?a review|"
    r"on patreon|hit (?:the )?(?:like button|subscribe)|smash (?:that|the) like|"
    r"(?:go|head|visit|check out|download it|download (?:the )?app)\b[^.!?]{0,40}" + _ADDRESS + r")|" + _ADDRESS_WITH_PATH,
    re.I)
# Weaker language of selling: counts as evidence inside a span, never starts one alone.
SELLING = re.compile(
    r"\b(?:sponsor\w*|advertis\w*|discount|offer|deal|promo|coupon|subscribe|subscription|sign up|"
    r"get started|download|app store|google play|patreon|free|pricing|price|plans?|customers?|"
    r"trusted by|powered by|rely on|recommend(?:ed)? (?:it|them)|today|right now)\b|" + _ADDRESS, re.I)
_IMPERATIVE = re.compile(r"^(?:so |and |now |just |simply )?(?:go|head|visit|check|try|get|use|sign|start|join|"
                         r"download|grab|integrate|upgrade|book|schedule|learn|listen|mention|subscribe|"
                         r"support|click|text|call)\b", re.I)
_LISTENER = re.compile(r"\b(?:you|your|you're|you'll|you've)\b", re.I)

# Ad copy in general, with no product, show or field in it: what "reads like an ad" means in meaning.
AD_PROTOTYPES = (
    "This episode is brought to you by our sponsor.",
    "Today's show is sponsored by a company I really love.",
    "Go to their website and use the promo code to get twenty percent off your first order.",
    "Sign up today and start your free trial.",
    "Visit the link in the description to claim this special offer.",
    "Download the app and get your first month free.",
    "Thousands of companies already trust this product to save time and money.",
    "It is the easiest way for your team to get started, with plans for every budget.",
    "We'll be right back after a word from our sponsors.",
    "If you enjoy the show, please subscribe, rate and review, and support us on Patreon.",
    "Get premium quality at a fraction of the cost, without the hassle.",
    "Head to our website and mention this show to skip the waitlist.",
)

ANCHOR_CUE = 3.0  # evidence of a call to action or announcement
SELLING_CUE = 0.5  # per selling word, up to two
LISTENER_OFFER = 0.5  # addresses the listener ("you", an imperative)
THRESHOLD = 2.0  # with meaning: a sentence's evidence must exceed this to add to a span
CUE_THRESHOLD = 0.75  # without meaning (words alone)
OFF_TOPIC_SPAN = 0.25  # with meaning, a span lies off the subject: its mean off-topic z at least this
MAX_SPAN_WORDS = 700  # about four minutes of speech each side of an anchor
MIN_SPAN_EVIDENCE = 3.0
TRIM_CONTEXT = 5  # sentences of the talk on each side that an edge sentence is compared with


@dataclass(frozen=True)
class AdSpan:
    """Sentences ``first`` to ``last`` (inclusive indices) form one ad read or call to action."""

    first: int
    last: int
    evidence: float

    def __contains__(self, index: int) -> bool:
        return self.first <= index <= self.last


def _robust_z(values: "np.ndarray") -> "np.ndarray":
    import numpy as np

    if len(values) == 0:
        return values
    median = float(np.median(values))
    spread = float(np.median(np.abs(values - median))) * 1.4826 or float(np.std(values)) or 1.0
    return (values - median) / spread


def cue_evidence(text: str) -> tuple[float, bool]:
    """(evidence from the words alone, whether the sentence is an anchor). A call to action anchors
    only when it speaks to the listener: "use code X" does, "listeners use codes" does not."""
    addressed = bool(_IMPERATIVE.search(text.strip("\"'“ ")) or _LISTENER.search(text))
    anchor = bool(ANNOUNCEMENTS.search(text)) or bool(CALLS_TO_ACTION.search(text)) and (
        addressed or bool(re.search(_ADDRESS_WITH_PATH, text, re.I)))
    evidence = ANCHOR_CUE if anchor else 0.0
    evidence += SELLING_CUE * min(2, len(SELLING.findall(text)))
    if addressed:
        evidence += LISTENER_OFFER
    return evidence, anchor


def find_ad_spans(sentences: Sequence["Sentence"], meaning: "Meaning | None" = None) -> list[AdSpan]:
    """The ad reads and calls to action among ``sentences`` (see the module text), in order."""
    import numpy as np

    count = len(sentences)
    if count == 0:
        return []
    evidence = np.zeros(count)
    anchors: list[int] = []
    for index, sentence in enumerate(sentences):
        value, anchor = cue_evidence(sentence.raw)
        evidence[index] = value
        if anchor:
            anchors.append(index)
    threshold = CUE_THRESHOLD
    off_topic = None
    if meaning is not None and meaning.available:
        prototype = _robust_z(meaning.similarity_to_texts(AD_PROTOTYPES).max(axis=1))
        off_topic = -_robust_z(meaning.similarity_to_piece())
        evidence += np.clip(prototype, -2.0, 4.0) + np.clip(off_topic, -2.0, 3.0)
        threshold = THRESHOLD
    gain = evidence - threshold
    lengths = [max(1, len(words(s.raw))) for s in sentences]
    spans: list[AdSpan] = []
    for anchor in anchors:
        if spans and anchor <= spans[-1].last:
            continue
        first, last = _best_segment(gain, lengths, anchor)
        if spans and first <= spans[-1].last + 1:
            first = spans.pop().first
        spans.append(AdSpan(first, last, round(float(gain[first:last + 1].sum()), 3)))
    if meaning is not None and meaning.available:
        spans = [_trimmed(span, meaning, set(anchors)) for span in spans]
    kept = []
    for span in spans:
        if span.evidence < MIN_SPAN_EVIDENCE - threshold:
            continue
        # A lone call to action said on the talk's own subject is part of it (a talk about marketing
        # quoting an ad); with two or more, it is a read whatever it sells.
        lone = sum(1 for index in anchors if index in span) < 2
        if lone and off_topic is not None and float(off_topic[span.first:span.last + 1].mean()) < OFF_TOPIC_SPAN:
            continue
        kept.append(span)
    return kept


def _best_segment(gain: "np.ndarray", lengths: Sequence[int], anchor: int) -> tuple[int, int]:
    """The run of sentences containing ``anchor`` with the largest total gain, at most
    MAX_SPAN_WORDS words on each side: the best extension to the left plus the best to the right."""
    best_left, total, best_total, words_seen = anchor, 0.0, 0.0, 0
    for index in range(anchor - 1, -1, -1):
        words_seen += lengths[index]
        if words_seen > MAX_SPAN_WORDS:
            break
        total += gain[index]
        if total > best_total:
            best_total, best_left = total, index
    best_right, total, best_total, words_seen = anchor, 0.0, 0.0, 0
    for index in range(anchor + 1, len(gain)):
        words_seen += lengths[index]
        if words_seen > MAX_SPAN_WORDS:
            break
        total += gain[index]
        if total > best_total:
            best_total, best_right = total, index
    return best_left, best_right


def _trimmed(span: AdSpan, meaning: "Meaning", anchors: set[int]) -> AdSpan:
    """The span without edge sentences that belong to the talk around it: a talk sentence next to a read
    can carry enough evidence to be pulled in (an aside far from the talk's centre), but it lies closer
    in meaning to its neighbours outside the span than to the read. Anchors always stay."""
    first, last = span.first, span.last
    count = meaning.vectors.shape[0]

    def belongs_outside(index: int, outside: range) -> bool:
        inside = [i for i in range(first, last + 1) if i != index]
        outside = [i for i in outside if 0 <= i < count]
        if not inside or not outside:
            return False
        vector = meaning.vectors[index]
        return float(vector @ meaning.centroid_of(outside)) > float(vector @ meaning.centroid_of(inside))

    while first < last and first not in anchors and belongs_outside(first, range(first - TRIM_CONTEXT, first)):
        first += 1
    while last > first and last not in anchors and belongs_outside(last, range(last + 1, last + 1 + TRIM_CONTEXT)):
        last -= 1
    return AdSpan(first, last, span.evidence)


def excluded_indices(spans: Sequence[AdSpan]) -> set[int]:
    return {index for span in spans for index in range(span.first, span.last + 1)}


def timed_spans(spans: Sequence[AdSpan], sentences: Sequence["Sentence"], duration: float,
                has_timings: bool) -> list["Skipped"]:
    """``spans`` as the times they cover (each to the start of the sentence after it, the last to the
    end); an untimed transcript's spans are 0-0 (its summary still left them out, but no passage of
    the library can be placed inside one)."""
    from ..records import Skipped
    from .sentences import run_times

    return [Skipped(*run_times(sentences, span.first, span.last + 1, duration, has_timings), "ad or call to action")
            for span in spans]


def ad_reads(segments: Sequence, embedder=None) -> list["Skipped"]:
    """The ad reads and calls to action of a transcript that has no summary to say them (what
    :class:`~ytlocal.library.Library` marks, so that ``ask`` leaves them out): found as a summary finds
    them, with sentence meaning when ``embedder`` (an embedding model) is given, else from the words."""
    from .meaning import Meaning
    from .sentences import transcript_sentences

    sentences = transcript_sentences(segments)
    if not any(cue_evidence(s.raw)[1] for s in sentences):
        return []  # every read grows from an anchor: without one there is nothing to find (and nothing to embed)
    meaning = Meaning([s.raw for s in sentences], embedder) if embedder is not None else None
    spans = find_ad_spans(sentences, meaning)
    if not spans:
        return []
    has_timings = any(float(segment.end) > 0 for segment in segments)
    duration = max((float(segment.end) for segment in segments), default=0.0)
    return timed_spans(spans, sentences, duration, has_timings)
