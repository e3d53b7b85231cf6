"""Fast unit tests: segment splitting, repetition guard, caption parsing, file names."""

import pytest

from ytlocal.errors import SourceError
from ytlocal.naming import output_stem, sanitize_title
from ytlocal.transcription import drop_repeated_segments, split_on_words
from ytlocal.transcript import parse_cues, read_transcript, render_srt, render_vtt
from ytlocal.records import Segment, Transcript, Word


def words(spec):
    """'hello@0-0.5 world.@0.5-1' -> Word list."""
    result = []
    for item in spec.split():
        text, times = item.rsplit("@", 1)
        start, end = times.split("-")
        result.append(Word(float(start), float(end), " " + text, 0.9))
    return result


def test_split_at_sentence_ends():
    segments = split_on_words(words("Bees@0-0.4 matter.@0.4-0.9 Farmers@1.0-1.5 know.@1.5-2"))
    assert [(s.text, s.start, s.end) for s in segments] == [("Bees matter.", 0, 0.9), ("Farmers know.", 1.0, 2.0)]


def test_split_at_long_pauses_without_punctuation():
    segments = split_on_words(words("one@0-0.5 two@0.5-1 three@2-2.5"))
    assert [s.text for s in segments] == ["one two", "three"]


def test_split_never_exceeds_the_maximum_length():
    many = " ".join(f"w{i}@{i * 0.5}-{i * 0.5 + 0.45}" for i in range(80))
    segments = split_on_words(words(many))
    assert all(s.end - s.start <= 12.5 for s in segments)
    assert " ".join(s.text for s in segments) == " ".join(f"w{i}" for i in range(80))


def test_repeated_segments_are_cut_after_two():
    looped = [Segment(i, i + 1, "Thank you.") for i in range(6)] + [Segment(7, 8, "Next topic.")]
    kept = drop_repeated_segments(looped)
    assert [s.text for s in kept] == ["Thank you.", "Thank you.", "Next topic."]


def test_empty_segments_are_dropped():
    assert drop_repeated_segments([Segment(0, 1, "  "), Segment(1, 2, "...")]) == []


def test_rolling_auto_captions_are_deduplicated():
    vtt = """WEBVTT

00:00:00.000 --> 00:00:02.000
bees carry pollen

00:00:02.000 --> 00:00:04.000
bees carry pollen
from flower to flower

00:00:04.000 --> 00:00:06.000
from flower to flower
<c>and farmers</c> benefit
"""
    segments = parse_cues(vtt)
    assert [s.text for s in segments] == ["bees carry pollen", "from flower to flower", "and farmers benefit"]


def test_srt_and_vtt_cue_text_cannot_break_the_format():
    transcript = Transcript(segments=[Segment(0, 1.5, "a --> b\n\nc")])
    assert "a -> b\nc" in render_srt(transcript)
    assert render_vtt(transcript).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n")


def test_srt_reads_back(tmp_path):
    path = tmp_path / "x.srt"
    path.write_text("1\n00:01:02,500 --> 00:01:04,000\nHello there\n\n2\n01:00:00,000 --> 01:00:01,000\nBye\n")
    transcript = read_transcript(path)
    assert [(s.start, s.text) for s in transcript.segments] == [(62.5, "Hello there"), (3600.0, "Bye")]


def test_foreign_json_is_not_taken_for_a_transcript(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"segments": []}')
    with pytest.raises(SourceError, match="not a ytlocal transcript"):
        read_transcript(path)


@pytest.mark.parametrize("title, expected", [
    ("../../etc/passwd", "_.._etc_passwd"),
    ("a/b\\c:d*e?f\"g<h>i|j", "a_b_c_d_e_f_g_h_i_j"),
    ("line\nbreak\x00nul\ttab", "line break nul tab"),
    ("\u202eevil\u200b rtl", "evil rtl"),
    ("...hidden", "hidden"),
    ("CON", "_CON"),
    ("", "untitled"),
    ("🐝 bees 🌼", "🐝 bees 🌼"),
])
def test_sanitize_title(title, expected):
    assert sanitize_title(title) == expected


def test_long_titles_are_cut_and_the_id_is_kept():
    stem = output_stem("x" * 500, "abc123")
    assert stem.endswith(" [abc123]") and len(stem) <= 100
    assert len(output_stem("é" * 300, "id").encode()) <= 200


@pytest.mark.parametrize("text, expected", [
    ("Dietary restriction results in a longer life. No. So it is a way to describe the graph.",
     ["Dietary restriction results in a longer life.", "No.", "So it is a way to describe the graph."]),
    ("He wore No. 5 on his shirt. Then he left.", ["He wore No. 5 on his shirt.", "Then he left."]),
    ("Dr. Smith agreed with Mr. Jones. It rained.", ["Dr. Smith agreed with Mr. Jones.", "It rained."]),
])
def test_sentences_split_at_a_bare_no_and_keep_abbreviations_whole(text, expected):
    """A TL;DR once carried "... elongation. No. So it's ..." as one sentence: "No." is "number" only
    before a number."""
    from ytlocal.text import split_sentences

    assert split_sentences(text) == expected
