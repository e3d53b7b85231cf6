"""Ad reads, found whole and removed before anything is chosen: small models fitted on labelled reads.

Nearly every podcast has them: a pre-roll after the greeting, mid-rolls ("we'll be right back after a
word from our sponsors"), a closing round of thanks to the sponsors. A read is a run of sentences that
sells a product to the listener; its cue words cluster (often at its end: "go to example dot com slash
show"), while most of its sentences carry no cue at all ("It comes standard with bot protection, MFA,
roles and permissions"). So every sentence is judged with its neighbours, and the judgements are
turned into whole reads:

1. **Features per sentence** (:func:`.ad_features.sentence_features`): the language of selling as counts
   (sponsorship announcements, calls to action, web addresses read aloud, offers, the listener
   addressed, breaks opened and closed, the show's own plugs and greetings, which are not reads), the
   same counts just before and just after it, whether it lies inside an open break, how bursty its
   words are (a product named five times in a minute and never again); with an embedding model also
   its vector and what the transcript measures about itself: robust z-scores of its closeness to a
   dozen generic ad-copy sentences and to the whole talk, and how much closer it lies to its
   neighbours than to the talk further away.
2. **Three logistic regressions** (:class:`.ad_model.Detector`): the log-odds that a sentence belongs to a read,
   that a read starts at it, and that one ends at it. Their weights (``data/ads_model.json``, a few
   kB) are fitted by ``scripts/train_ads.py`` on labelled reads of real podcasts from several shows
   (``../shared/data``); a second set uses the words alone, for machines without the embedding model.
3. **Whole reads** (:func:`.ad_model.read_spans`): the best path through talk and read (Viterbi), where a
   sentence inside a read scores its log-odds over the transcript's median sentence's, and entering and
   leaving a read cost what the start and end models say of that place. So a read runs from the
   sentence that opens it to the one that closes it, uncued middle included, and a salesy sentence of
   the talk stays.

Nothing here knows any advertiser, product or show: the cues are the language of selling, the rest is
learnt from labelled reads or measured in the transcript against itself. ``scripts/bench_ads.py``
retrains with one show held out at a time and reports how the detector does on shows it never saw.
A transcript without a single sponsorship announcement or call to action has no read (every labelled
read's transcript has one), and nothing is computed for it.

This module is the entry (:func:`find_ad_spans`, :func:`ad_reads`) and where the reads found lie in
the transcript's lines and times (:func:`timed_spans`); :mod:`.ad_features` computes the features and
:mod:`.ad_model` holds the fitted models, their loading and the span step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from .ad_features import AD_PROTOTYPES, cue_evidence, sentence_features
from .ad_model import AdModel, load_model

if TYPE_CHECKING:
    from ..records import Skipped
    from .meaning import Meaning
    from .sentences import Sentence

REASON = "ad read"


@dataclass(frozen=True)
class AdSpan:
    """Sentences ``first`` to ``last`` (inclusive indices) form one ad read; ``evidence`` is the sum
    of their log-odds of being one."""

    first: int
    last: int
    evidence: float

    def __contains__(self, index: int) -> bool:
        return self.first <= index <= self.last


def find_ad_spans(sentences: Sequence["Sentence"], meaning: "Meaning | None" = None,
                  model: AdModel | None = None) -> list[AdSpan]:
    """The ad reads among ``sentences`` (see the module text), in order: with meaning when ``meaning``
    is available and comes from the embedding model the weights fit, else from the words alone."""
    if not sentences or not any(cue_evidence(sentence.raw)[1] for sentence in sentences):
        return []  # no sponsorship announcement or call to action anywhere: no read (every labelled one has)
    model = model or load_model()
    detector, prototypes = model.words, None
    if meaning is not None and meaning.available and model.meaning is not None:
        prototypes = meaning.embedder.embed(list(AD_PROTOTYPES))
        if model.compatible(meaning, prototypes):
            detector = model.meaning
    features = sentence_features(sentences, meaning if detector is model.meaning else None, prototypes)
    return [AdSpan(first, last, evidence) for first, last, evidence in detector.spans(features)]


def excluded_indices(spans: Sequence[AdSpan]) -> set[int]:
    return {index for span in spans for index in range(span.first, span.last + 1)}


# ------------------------------------------------------------------------------ where spans lie


def sentence_lines(segments: Sequence, sentences: Sequence["Sentence"], per_word: bool = False) -> list:
    """Where each sentence lies among the transcript's segments (its lines): (first, last) 0-based
    segment indices, or with ``per_word`` the segment of each of its words. Sentences are rebuilt
    across segments word for word (speaker labels aside), so their words, counted in order, fall on
    the segments' words; should the counts ever differ, the positions are scaled to fit."""
    from .sentences import _without_labels, speaker_labels

    texts = [" ".join(str(segment.text).split()) for segment in segments]
    labels = speaker_labels(texts)
    owner: list[int] = []
    for index, text in enumerate(texts):
        owner.extend([index] * len(_without_labels(text, labels).split()))
    counts = [len(sentence.raw.split()) for sentence in sentences]
    total = sum(counts)
    if owner and total != len(owner):
        owner = [owner[min(len(owner) - 1, int(i * len(owner) / total))] for i in range(total)]
    result, position = [], 0
    for count in counts:
        mine = owner[position:position + count] if owner else []
        position += count
        result.append(mine if per_word else ((mine[0], mine[-1]) if mine else (0, 0)))
    return result


def _excerpt(sentences: Sequence["Sentence"], first: int, last: int, head: int = 12) -> str:
    said = " ".join(sentence.raw for sentence in sentences[first:last + 1]).split()
    return " ".join(said[:head]) + (" …" if len(said) > head else "")


def timed_spans(spans: Sequence[AdSpan], sentences: Sequence["Sentence"], duration: float,
                has_timings: bool, segments: Sequence | None = None) -> list["Skipped"]:
    """``spans`` as what a summary says it left out: their times (0-0 in an untimed transcript), and,
    given the ``segments``, the transcript lines they cover (1-based: the lines most of whose words
    lie inside) and their first words. With the segments, a span runs from its first word to the end
    of its last, each placed within its segment in proportion to the words before it (a paragraph
    transcript has one time per paragraph); without them, from the time of its first sentence to
    that of the sentence after it."""
    from ..records import Skipped
    from .sentences import run_times

    if segments is None:
        return [Skipped(*run_times(sentences, span.first, span.last + 1, duration, has_timings), REASON,
                        excerpt=_excerpt(sentences, span.first, span.last)) for span in spans]
    per_word = sentence_lines(segments, sentences, per_word=True)
    times = _word_times(segments, per_word) if has_timings else None
    starts = [0] + list(_cumulative(len(owners) for owners in per_word))
    result = []
    for span, covered in zip(spans, _span_lines(spans, per_word)):
        start = end = 0.0
        if times is not None and starts[span.last + 1] > starts[span.first]:
            start = times[starts[span.first]][0]
            end = times[starts[span.last + 1] - 1][1]
        result.append(Skipped(round(start, 3), round(end, 3), REASON, lines=covered,
                              excerpt=_excerpt(sentences, span.first, span.last)))
    return result


def _cumulative(values):
    total = 0
    for value in values:
        total += value
        yield total


def _word_times(segments: Sequence, per_word: list) -> list[tuple[float, float]]:
    """(start, end) of every word of the sentences in order: its segment's time shared among the
    segment's words in order."""
    owners = [owner for sentence in per_word for owner in sentence]
    counts: dict[int, int] = {}
    for owner in owners:
        counts[owner] = counts.get(owner, 0) + 1
    seen: dict[int, int] = {}
    times = []
    for owner in owners:
        segment = segments[owner]
        begin, finish = float(segment.start), max(float(segment.start), float(segment.end))
        step = (finish - begin) / counts[owner]
        index = seen.get(owner, 0)
        seen[owner] = index + 1
        times.append((begin + index * step, begin + (index + 1) * step))
    return times


def _span_lines(spans: Sequence[AdSpan], per_word: list) -> list:
    """For each span, (first, last) 1-based lines most of whose words it holds (None when none does)."""
    totals: dict[int, int] = {}
    for owners in per_word:
        for line in owners:
            totals[line] = totals.get(line, 0) + 1
    result = []
    for span in spans:
        inside: dict[int, int] = {}
        for index in range(span.first, span.last + 1):
            for line in per_word[index]:
                inside[line] = inside.get(line, 0) + 1
        held = sorted(line for line, count in inside.items() if 2 * count >= totals[line])
        result.append((held[0] + 1, held[-1] + 1) if held else None)
    return result


def ad_reads(segments: Sequence, embedder=None) -> list["Skipped"]:
    """The ad reads of a transcript that has no summary to say them (what
    :class:`~ytlocal.library.Library` marks, so that ``ask`` leaves them out): found as a summary finds
    them, with sentence meaning when ``embedder`` (an embedding model) is given, else from the words."""
    from .meaning import Meaning
    from .sentences import transcript_sentences

    sentences = transcript_sentences(segments)
    if not any(cue_evidence(s.raw)[1] for s in sentences):
        return []  # as find_ad_spans: nothing to find, and nothing to embed
    meaning = Meaning([s.raw for s in sentences], embedder) if embedder is not None else None
    spans = find_ad_spans(sentences, meaning)
    if not spans:
        return []
    has_timings = any(float(segment.end) > 0 for segment in segments)
    duration = max((float(segment.end) for segment in segments), default=0.0)
    return timed_spans(spans, sentences, duration, has_timings, segments)
