"""Unit tests of sentence ends restored in transcripts that have none (lower-case, unpunctuated ASR and
captions), and of punctuated transcripts left as they were. No model to download; fast."""

import re

import pytest

from ytlocal.summarization.sentence_ends import MAX_WORDS, choose_breaks, lacks_sentence_ends, restore
from ytlocal.summarization.sentences import transcript_sentences
from ytlocal.text import words
from ytlocal.transcript import read_transcript
from ytlocal.records import Segment, Word

from conftest import SHARED_DATA

# Whisper-style lines without a capital or a full stop: one segment every few seconds, sentences running
# across lines as they do in such transcripts.
UNPUNCTUATED = [
    "welcome back everyone this is the field notes show and today we are talking about glaciers",
    "so i spent three summers on the ice sheet in greenland measuring how fast the glaciers move",
    "and what we found is that the meltwater lakes drain in a few hours when a crack opens",
    "the water reaches the bed of the glacier and the whole glacier speeds up for days",
    "that surprised us because we thought the ice was frozen to the rock all year",
    "what do you think that means for sea level over the next fifty years",
    "i think it means the models are too slow they assume the ice moves at the same speed",
    "but the ice moves faster every summer and the lakes form higher up the slope each year",
    "we drilled ten holes through the ice and put pressure sensors at the bottom of each one",
    "and the sensors showed the water pressure rising within an hour of every lake draining",
]


def _segments(lines, seconds=6.0):
    return [Segment(i * seconds, i * seconds + seconds, line) for i, line in enumerate(lines)]


def test_an_unpunctuated_transcript_is_detected_and_a_punctuated_one_is_not():
    assert lacks_sentence_ends(UNPUNCTUATED)
    punctuated = [line.capitalize() + "." for line in UNPUNCTUATED]
    assert not lacks_sentence_ends(punctuated)
    assert not lacks_sentence_ends(["a few words without an end"])  # too short to say


def test_an_unpunctuated_transcript_becomes_readable_sentences():
    sentences = transcript_sentences(_segments(UNPUNCTUATED))
    assert len(sentences) >= 6
    for sentence in sentences:
        assert re.match(r"[A-Z]", sentence.raw), sentence.raw
        assert sentence.raw[-1] in ".?", sentence.raw
        assert len(words(sentence.raw)) <= MAX_WORDS
    # Every word is kept, in order: only ends and capitals were added.
    assert [w for s in sentences for w in words(s.raw)] == [w for line in UNPUNCTUATED for w in words(line)]


def test_each_restored_sentence_starts_at_the_segment_it_begins_in():
    segments = _segments(UNPUNCTUATED)
    sentences = transcript_sentences(segments)
    segment_of_word = [i for i, line in enumerate(UNPUNCTUATED) for _ in line.split()]
    position = 0
    for sentence in sentences:
        assert sentence.start == segments[segment_of_word[position]].start, sentence.raw
        position += len(sentence.raw.split())
    assert len({s.start for s in sentences}) >= 5  # not every sentence at 0:00


def test_a_sentence_begun_inside_a_segment_takes_its_first_word_time_where_words_are_timed():
    lines = UNPUNCTUATED * 2
    segments = []
    for i, line in enumerate(lines):
        tokens = line.split()
        timed = [Word(i * 6.0 + k * 0.3, i * 6.0 + k * 0.3 + 0.25, " " + t, 0.9) for k, t in enumerate(tokens)]
        segments.append(Segment(i * 6.0, i * 6.0 + 6, line, timed))
    starts = {w.start: (s, k) for s in segments for k, w in enumerate(s.words)}
    for sentence in transcript_sentences(segments):
        segment, k = starts[sentence.start]
        assert words(sentence.raw)[0] == words(segment.text)[k]


def test_capitals_are_restored_and_kept():
    restored = restore(["so i think i'm going to run Kubernetes on docker but i've never tried it and i'd wait"])
    written = " ".join(sentence.text for sentence in restored)
    assert written.startswith("So I think I'm going to run Kubernetes on docker")  # "Kubernetes" kept, nothing added
    assert "I've never tried it" in written and "I'd wait" in written


def test_ends_the_transcript_has_are_kept():
    texts = ["is that the reason you left the lab?", "we wanted to build the sensors ourselves and test them"]
    restored = restore(texts)
    assert restored[0].text == "Is that the reason you left the lab?"
    assert restored[1].segment == 1 and restored[1].text.startswith("We wanted")


def test_a_long_run_without_a_likely_end_is_cut():
    import numpy as np
    probabilities = np.full(100, 0.01)
    probabilities[[30, 60]] = 0.2
    breaks = choose_breaks(probabilities, np.zeros(100, bool), threshold=0.5, max_words=40)
    assert list(np.flatnonzero(breaks)) == [30, 60, 99]


def test_a_question_ends_with_a_question_mark():
    sentences = transcript_sentences(_segments(UNPUNCTUATED))
    questions = [s.raw for s in sentences if s.raw.endswith("?")]
    assert any(q.startswith("What do you think") for q in questions), [s.raw for s in sentences]
    assert len(questions) <= 2


def test_punctuated_sentences_are_unchanged():
    lines = ["Welcome back. Today we talk about glaciers, and why", "they move faster in summer. Is that new?",
             "I think it is."]
    sentences = transcript_sentences(_segments(lines))
    assert [s.raw for s in sentences] == ["Welcome back.", "Today we talk about glaciers, and why they move faster "
                                          "in summer.", "Is that new?", "I think it is."]
    assert sentences[-1].start == 12.0


needs_data = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent (benchmark data)")


def _case_folders():
    return sorted(p.parent for p in SHARED_DATA.glob("*/*/transcript.srt")) if SHARED_DATA.is_dir() else []


@needs_data
@pytest.mark.parametrize("folder", _case_folders(), ids=lambda p: p.name)
def test_only_the_data_transcripts_without_ends_are_restored(folder):
    texts = [s.text for s in read_transcript(folder / "transcript.srt").segments]
    text = " ".join(texts)
    punctuated = len(re.findall(r"[.!?]", text)) > len(text.split()) / 60  # scripts/cases.py's measure
    assert lacks_sentence_ends(texts) == (not punctuated)


@needs_data
@pytest.mark.parametrize("folder", [f for f in _case_folders() if (f / "keypoints.json").is_file()],
                         ids=lambda p: p.name)
def test_restored_data_transcripts_have_sentences_of_speech_length(folder):
    segments = read_transcript(folder / "transcript.srt").segments
    if not lacks_sentence_ends([s.text for s in segments]):
        pytest.skip("punctuated")
    sentences = transcript_sentences(segments)
    lengths = sorted(len(words(s.raw)) for s in sentences)
    assert lengths[-1] <= MAX_WORDS
    assert 6 <= lengths[len(lengths) // 2] <= 20  # punctuated speech: a median of 9-16 words
    assert len({s.start for s in sentences}) >= len(sentences) / 3
