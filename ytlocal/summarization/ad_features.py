"""The features of every sentence that the ad-read models read (:mod:`.ads` explains the whole):
counts of the language of selling in the sentence and around it, whether it lies inside a break, how
bursty its words are, and with sentence meaning its vector, its neighbours' and z-scores of how it lies
to generic ad copy, to the whole talk and to the talk around it. Columns by name, in word units of
speech; nothing here is fitted."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Sequence

from ..text import words

if TYPE_CHECKING:
    import numpy as np

    from .meaning import Meaning
    from .sentences import Sentence

# Sponsorship announcements, said of this show ("this episode is brought to you by"), and calls to
# action that address the listener ("use code ...", "go to example dot com slash show"). A web address
# with a path ("example.com slash show") is read aloud only to send the listener there.
_TLD = r"(?:com|org|net|io|co|ai|app|fm|tv|me|ly|gg|dev|link|sh|so|xyz|us|ca|tech|cloud|show|page)"
_ADDRESS = r"(?:\b\w[\w-]*\s*(?:\.|\bdot\s+)" + _TLD + r"\b)"
_ADDRESS_WITH_PATH = _ADDRESS + r"\s*(?:/|\bslash\b)\s*\w+"
ANNOUNCEMENTS = re.compile(
    r"\b(?:(?:this|today's|the) (?:episode|show|podcast|video|program|hour|week)\b[^.!?]{0,40}\b"
    r"(?:is |was )?(?:brought to you by|sponsored by|supported by|presented by|made possible by|provided by)|"
    r"(?:our|this (?:episode's|week's|show's)|today's|presenting) sponsors?\b|"
    r"a word from (?:our|the|this week's) sponsors?|support (?:for )?(?:this|the) (?:show|podcast|channel) comes from|"
    r"(?:bandwidth|hosting) (?:for [^.!?]{0,30})?(?:is )?provided by)",
    re.I)
CALLS_TO_ACTION = re.compile(
    r"\b(?:promo code|coupon code|discount code|offer code|use (?:the )?code|(?:with|enter) (?:the )?code|"
    r"free trial|try (?:it )?(?:for )?free|sign up (?:at|today|now|for free)|start (?:your )?free|"
    r"first (?:month|order|box) (?:free|for)|\d+ ?(?:%|percent) off|\$\d+ off|"
    r"link in the description|links? (?:is |are )?(?:in|below) the (?:show notes|description)|"
    r"(?:five|5) stars|rate (?:and review|us|the show|this podcast)|leave (?:us )?a review|"
    r"on patreon|hit (?:the )?(?:like button|subscribe)|smash (?:that|the) like|"
    r"(?:go|head|visit|check out|download it|download (?:the )?app)\b[^.!?]{0,40}" + _ADDRESS + r")|" + _ADDRESS_WITH_PATH,
    re.I)
# Weaker language of selling: evidence, never enough alone.
SELLING = re.compile(
    r"\b(?:sponsor\w*|advertis\w*|discount|offer|deal|promo|coupon|subscribe|subscription|sign up|"
    r"get started|download|app store|google play|patreon|free|pricing|price|plans?|customers?|"
    r"trusted by|powered by|rely on|recommend(?:ed)? (?:it|them)|today|right now)\b|" + _ADDRESS, re.I)
_IMPERATIVE = re.compile(r"^(?:so |and |now |just |simply )?(?:go|head|visit|check|try|get|use|sign|start|join|"
                         r"download|grab|integrate|upgrade|book|schedule|learn|listen|mention|subscribe|"
                         r"support|click|text|call)\b", re.I)
_LISTENER = re.compile(r"\b(?:you|your|you're|you'll|you've|yourself)\b", re.I)
_SPONSOR = re.compile(r"\b(?:sponsor\w*|brought to you by|partners?|partnered|in partnership|supporters?)\b", re.I)
_FRIENDS = re.compile(r"\b(?:our|my) (?:good )?(?:friends|partners|sponsors?) (?:at|over at|from)\b|"
                      r"\b(?:thanks|thank you) to (?:our|the) (?:friends|sponsors?|partners?)\b", re.I)
# Into a break and out of it ("after a word from our sponsors" ... "and now back to the show").
_BREAK_IN = re.compile(r"\b(?:(?:be|come|coming) right back|take a (?:quick |short |little )?break|"
                       r"(?:time|ready) for (?:a|another|our) (?:quick |short )?break|"
                       r"after (?:this|the|a) (?:quick |short )?(?:break|word)|word from|quick break)\b", re.I)
_BREAK_OUT = re.compile(r"\b(?:(?:and )?now back to|back to the (?:show|episode|interview|conversation)|"
                        r"(?:and )?we(?:'re| are) back|welcome back)\b", re.I)
_OFFER = re.compile(r"\b(?:free|trial|discount|\d+ ?(?:%|percent)|off (?:your|the first)|credits?|codes?|"
                    r"special offer|limited time|exclusive|(?:for|to) (?:our )?listeners|get started|sign up)\b", re.I)
# The show's own housekeeping, which is not a read: asking for ratings, subscriptions, follows, a community.
_SHOW_PLUG = re.compile(r"\b(?:subscribe\w*|rate (?:us|the show|this)|reviews?|five stars|follow (?:us|me)|"
                        r"patreon|newsletter|show notes|community|slack|discord|twitter|tune in|live on|"
                        r"join us|share (?:it|the show|this episode)|next week|this week)\b", re.I)
# Greetings and sign-offs, which sit next to pre-rolls and end reads and are not reads.
_GREETING = re.compile(r"\b(?:welcome (?:to|back)|hello|hey (?:everybody|everyone|folks|there)|i'm your host|"
                       r"(?:my|our) guests?|joined by|(?:thanks|thank you) (?:so much )?for (?:listening|having|joining|coming|"
                       r"your time|being)|see you (?:next|soon)|that's it for|good to (?:see|have) you|pleasure)\b", re.I)

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

# Windows, in words of speech (a Whisper line holds 5-20 words, a paragraph hundreds): what "around a
# sentence" means for the context features.
NEAR_WORDS = 60  # the scale of a decaying weight: what "just before / after" a sentence means
BREAK_WORDS = 300  # how far a break ("a word from our sponsors" ... "back to the show") reaches
CLOSE_WORDS = 30  # the sentences right next to it
WIDE_WORDS = 400
FAR_WORDS = (450, 2400)  # the talk further away, for "closer to its neighbours than to the talk"
BURST_WORDS = 200
BURST_MIN_COUNT = 3

CUES = ("announcement", "call_to_action", "offer", "address", "address_path", "sponsor", "friends", "break_in",
        "break_out", "show_plug", "greeting", "selling", "listener", "imperative")
# Cues counted over the words before and after a sentence as well: a read's sentences have them on
# both sides, the talk next to a read on one.
WINDOWED_CUES = ("selling_anchor", "sponsor", "friends", "show_plug", "greeting")



def _robust_z(values: "np.ndarray") -> "np.ndarray":
    import numpy as np

    if len(values) == 0:
        return values
    median = float(np.median(values))
    spread = float(np.median(np.abs(values - median))) * 1.4826 or float(np.std(values)) or 1.0
    return (values - median) / spread


def cue_evidence(text: str) -> tuple[float, bool]:
    """(evidence from the words alone, whether the sentence is an anchor: a sponsorship announcement,
    or a call to action that speaks to the listener or reads out a web address with a path). "use code
    X" anchors, "listeners use codes" does not. A quick screen; the detector itself is the fitted model."""
    addressed = bool(_IMPERATIVE.search(text.strip("\"'“ ")) or _LISTENER.search(text))
    anchor = bool(ANNOUNCEMENTS.search(text)) or bool(CALLS_TO_ACTION.search(text)) and (
        addressed or bool(re.search(_ADDRESS_WITH_PATH, text, re.I)))
    evidence = 3.0 if anchor else 0.0
    evidence += 0.5 * min(2, len(SELLING.findall(text)))
    if addressed:
        evidence += 0.5
    return evidence, anchor


# ----------------------------------------------------------------------------------------- features


def _cue_counts(text: str) -> list[float]:
    count = max(1, len(words(text)))
    return [
        float(len(ANNOUNCEMENTS.findall(text))),
        float(len(CALLS_TO_ACTION.findall(text))),
        math.log1p(len(_OFFER.findall(text))),
        float(len(re.findall(_ADDRESS, text, re.I))),
        float(len(re.findall(_ADDRESS_WITH_PATH, text, re.I))),
        float(len(_SPONSOR.findall(text))),
        float(len(_FRIENDS.findall(text))),
        float(len(_BREAK_IN.findall(text))),
        float(len(_BREAK_OUT.findall(text))),
        math.log1p(len(_SHOW_PLUG.findall(text))),
        float(len(_GREETING.findall(text))),
        math.log1p(len(SELLING.findall(text))),
        min(1.0, 5.0 * len(_LISTENER.findall(text)) / count),  # share of "you", saturating at 1 in 5 words
        float(bool(_IMPERATIVE.search(text.strip("\"'“ ")))),
    ]


def _word_positions(sentences: Sequence["Sentence"]) -> tuple["np.ndarray", "np.ndarray", int]:
    """Each sentence's length in words and the position of its middle in the whole transcript."""
    import numpy as np

    lengths = np.array([max(1, len(sentence.raw.split())) for sentence in sentences], dtype=float)
    ends = np.cumsum(lengths)
    return lengths, ends - lengths / 2, int(ends[-1]) if len(ends) else 0


def _window_sum(values: "np.ndarray", centres: "np.ndarray", radius: float, self_too: bool = False) -> "np.ndarray":
    """For each sentence, the sum of ``values`` (rows) over the other sentences whose middle lies within
    ``radius`` words of its own."""
    import numpy as np

    prefix = np.concatenate([np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)])
    low = np.searchsorted(centres, centres - radius, side="left")
    high = np.searchsorted(centres, centres + radius, side="right")
    total = prefix[high] - prefix[low]
    return total if self_too else total - values


def _side_sums(values: "np.ndarray", centres: "np.ndarray", scale: float) -> tuple["np.ndarray", "np.ndarray"]:
    """For each sentence, the sums of ``values`` over the sentences before it and after it, each
    weighted by exp(-distance / ``scale``) (distance in words between their middles); sentences
    farther than four scales away are left out."""
    import numpy as np

    count = len(centres)
    before = np.zeros((count,) + values.shape[1:])
    after = np.zeros((count,) + values.shape[1:])
    low = np.searchsorted(centres, centres - 4 * scale, side="left")
    high = np.searchsorted(centres, centres + 4 * scale, side="right")
    for index in range(count):
        if low[index] < index:
            weight = np.exp(-(centres[index] - centres[low[index]:index]) / scale)
            before[index] = weight @ values[low[index]:index]
        if index + 1 < high[index]:
            weight = np.exp(-(centres[index + 1:high[index]] - centres[index]) / scale)
            after[index] = weight @ values[index + 1:high[index]]
    return before, after


def _burstiness(sentences: Sequence["Sentence"], centres: "np.ndarray") -> "np.ndarray":
    """How much a sentence's most bursty word is said only here: for words said at least
    :data:`BURST_MIN_COUNT` times in the transcript, the share of their occurrences within
    :data:`BURST_WORDS` words of the sentence (a product's name in its read: all of them)."""
    import numpy as np

    where: dict[str, list[float]] = {}
    for sentence, centre in zip(sentences, centres):
        for stem in sentence.stems:
            where.setdefault(stem, []).append(float(centre))
    arrays = {stem: np.array(places) for stem, places in where.items() if len(places) >= BURST_MIN_COUNT}
    result = np.zeros(len(sentences))
    for index, (sentence, centre) in enumerate(zip(sentences, centres)):
        best = 0.0
        for stem in set(sentence.stems):
            places = arrays.get(stem)
            if places is not None:
                near = int(np.count_nonzero(np.abs(places - centre) <= BURST_WORDS))
                best = max(best, near / len(places))
        result[index] = best
    return result


def _inside_breaks(into: "np.ndarray", out_of: "np.ndarray", centres: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """Whether a sentence lies inside a break: exp(-words since the last cue into one, when no cue out
    of one came between) and exp(-words to the next cue out of one, when no cue into one comes
    between), each over :data:`BREAK_WORDS`. A cue counts for the sentences after it (into) or
    before it (out of), and for itself."""
    import numpy as np

    count = len(centres)
    opened, closing = np.zeros(count), np.zeros(count)
    last_in = None
    for index in range(count):
        if into[index] > 0:
            last_in = centres[index]
        if last_in is not None:
            opened[index] = math.exp(-(centres[index] - last_in) / BREAK_WORDS)
        if out_of[index] > 0:
            last_in = None
    next_out = None
    for index in range(count - 1, -1, -1):
        if out_of[index] > 0:
            next_out = centres[index]
        if next_out is not None:
            closing[index] = math.exp(-(next_out - centres[index]) / BREAK_WORDS)
        if into[index] > 0:
            next_out = None
    return opened, closing


def _stem_overlaps(stems: list[set], centres: "np.ndarray", radius: float = 60.0) -> tuple["np.ndarray", "np.ndarray"]:
    """The share of a sentence's content words said in the ``radius`` words before it, and after it:
    where the subject carries on, and where it changes."""
    import numpy as np

    low = np.searchsorted(centres, centres - radius, side="left")
    high = np.searchsorted(centres, centres + radius, side="right")
    before, after = np.zeros(len(stems)), np.zeros(len(stems))
    for index, mine in enumerate(stems):
        if not mine:
            continue
        earlier = set().union(*stems[min(low[index], index - 1) if index else 0:index]) if index else set()
        later = set().union(*stems[index + 1:max(high[index], index + 2)])
        before[index] = len(mine & earlier) / len(mine)
        after[index] = len(mine & later) / len(mine)
    return before, after


def word_features(sentences: Sequence["Sentence"]) -> dict[str, "np.ndarray"]:
    """The features of every sentence that its words and their neighbours give (name -> column)."""
    import numpy as np

    count = len(sentences)
    if not count:
        return {}
    cues = np.array([_cue_counts(sentence.raw) for sentence in sentences], dtype=float)
    lengths, centres, _total = _word_positions(sentences)
    features = {name: cues[:, i] for i, name in enumerate(CUES)}
    anchor = sum(features[name] for name in ("announcement", "call_to_action", "address_path")) + (features["offer"] > 0)
    windowed = np.column_stack([anchor] + [features[name] for name in WINDOWED_CUES[1:]])
    before, after = _side_sums(windowed, centres, NEAR_WORDS)
    for i, name in enumerate(WINDOWED_CUES):
        features[f"{name}_before"] = np.log1p(before[:, i])
        features[f"{name}_after"] = np.log1p(after[:, i])
    close_before, close_after = _side_sums(anchor, centres, CLOSE_WORDS)
    features["break_open"], features["break_closing"] = _inside_breaks(features["break_in"], features["break_out"], centres)
    features["selling_anchor"] = anchor
    features["selling_anchor_between"] = np.log1p(np.minimum(before[:, 0], after[:, 0]))
    features["selling_anchor_close"] = np.log1p(close_before + close_after)
    features["selling_anchor_wide"] = np.log1p(_window_sum(anchor, centres, WIDE_WORDS))
    features["selling_anchor_close_before"] = np.log1p(close_before)
    features["selling_anchor_close_after"] = np.log1p(close_after)
    features["question"] = np.array([float(sentence.raw.rstrip().endswith("?")) for sentence in sentences])
    stems = [set(sentence.stems) for sentence in sentences]
    features["overlap_before"], features["overlap_after"] = _stem_overlaps(stems, centres)
    features["words"] = np.log(lengths)
    features["burst"] = _burstiness(sentences, centres)
    features["burst_near"] = _window_sum(features["burst"], centres, NEAR_WORDS, self_too=True) / np.maximum(
        1.0, _window_sum(np.ones(count), centres, NEAR_WORDS, self_too=True))
    return features


def _unit_rows(matrix: "np.ndarray") -> "np.ndarray":
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def meaning_features(sentences: Sequence["Sentence"], meaning: "Meaning",
                     prototypes: "np.ndarray | None" = None) -> dict[str, "np.ndarray"]:
    """The features that sentence meaning gives (name -> column; "vector" and "context" are blocks of
    columns): the sentence's vector, its neighbours' mean vector, and z-scores within the transcript."""
    import numpy as np

    vectors = meaning.vectors.astype(float)
    if prototypes is None:
        prototypes = meaning.embedder.embed(list(AD_PROTOTYPES))
    lengths, centres, _total = _word_positions(sentences)
    near_sum = _window_sum(vectors, centres, NEAR_WORDS)
    context = _unit_rows(near_sum)
    far_sum = _window_sum(vectors, centres, FAR_WORDS[1]) - _window_sum(vectors, centres, FAR_WORDS[0])
    far = _unit_rows(far_sum)
    weights = np.array([float(v @ meaning.centroid) for v in vectors])
    prototype = (vectors @ np.asarray(prototypes, dtype=float).T).max(axis=1)
    near_cos = (vectors * context).sum(axis=1)
    far_cos = (vectors * far).sum(axis=1)
    features = {
        "vector": vectors,
        "context": context,
        "prototype": prototype,
        "prototype_z": np.clip(_robust_z(prototype), -4, 6),
        "centre_z": np.clip(_robust_z(weights), -6, 4),
        "near_cos": near_cos,
        "far_cos": far_cos,
        "contrast_z": np.clip(_robust_z(near_cos - far_cos), -4, 6),
    }
    before, after = _side_sums(vectors, centres, CLOSE_WORDS)
    features["cos_before"] = (vectors * _unit_rows(before)).sum(axis=1)
    features["cos_after"] = (vectors * _unit_rows(after)).sum(axis=1)
    features["cos_before_z"] = np.clip(_robust_z(features["cos_before"]), -6, 4)
    features["cos_after_z"] = np.clip(_robust_z(features["cos_after"]), -6, 4)
    around = np.maximum(1.0, _window_sum(np.ones(len(vectors)), centres, NEAR_WORDS, self_too=True))
    for name in ("prototype_z", "centre_z", "contrast_z"):
        features[f"{name}_near"] = _window_sum(features[name], centres, NEAR_WORDS, self_too=True) / around
    return features


def sentence_features(sentences: Sequence["Sentence"], meaning: "Meaning | None" = None,
                      prototypes: "np.ndarray | None" = None) -> dict[str, "np.ndarray"]:
    """Every feature of every sentence (name -> column or block of columns): from the words, and from
    meaning when ``meaning`` is available."""
    features = word_features(sentences)
    if meaning is not None and meaning.available and len(sentences):
        features.update(meaning_features(sentences, meaning, prototypes))
    return features

