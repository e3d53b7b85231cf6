"""Property-based tests (hypothesis): whatever bytes a transcript file holds, whatever a user types as
sources, whatever a title says, ytlocal answers with a valid record or its documented error, never
another exception; and the transcript writers and readers round-trip."""

import io
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytlocal.errors import SourceError
from ytlocal.inputs import Failure, SourceItem, expand_sources
from ytlocal.naming import MAX_STEM_BYTES, output_stem, sanitize_title
from ytlocal.records import Segment, Transcript
from ytlocal.summarization.sentences import transcript_sentences
from ytlocal.summarization.spoken import clean_spoken
from ytlocal.transcript import read_transcript, render_json, render_srt, render_txt, render_vtt

# derandomize: the same examples on every run, so CI never fails on a seed; explore with --hypothesis-seed.
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

timing_line = st.builds(lambda a, b: f"{a} --> {b}",
                        st.from_regex(r"\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}", fullmatch=True),
                        st.from_regex(r"\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}", fullmatch=True))
cue_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
subtitle_like = st.lists(st.one_of(timing_line, cue_text, st.just(""), st.just("WEBVTT"), st.just("NOTE x"),
                                   st.from_regex(r"\d{1,4}", fullmatch=True)), max_size=30).map("\n".join)


def _read(suffix: str, data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        try:
            transcript = read_transcript(path)
        except SourceError:
            return None
    assert isinstance(transcript, Transcript)
    for segment in transcript.segments:
        assert isinstance(segment.text, str) and isinstance(segment.start, float) and isinstance(segment.end, float)
    return transcript


@SETTINGS
@given(st.sampled_from([".srt", ".vtt", ".json", ".txt"]), st.binary(max_size=2000))
def test_any_bytes_give_a_transcript_or_a_source_error(suffix, data):
    _read(suffix, data)


@SETTINGS
@given(st.sampled_from([".srt", ".vtt"]), subtitle_like)
def test_subtitle_like_text_gives_a_transcript_or_a_source_error(suffix, text):
    _read(suffix, text.encode("utf-8"))


@SETTINGS
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
                    lambda inner: st.one_of(st.lists(inner, max_size=4),
                                            st.dictionaries(st.sampled_from(["ytlocal_transcript", "segments", "start",
                                                                             "end", "text", "words", "media",
                                                                             "title", "chapters", "language"]),
                                                            inner, max_size=5)),
                    max_leaves=20))
def test_any_json_gives_a_transcript_or_a_source_error(value):
    import json

    _read(".json", json.dumps(value).encode())


segments = st.lists(st.tuples(st.floats(min_value=0, max_value=36000, allow_nan=False),
                              st.floats(min_value=0, max_value=60, allow_nan=False),
                              st.text(alphabet=string.ascii_letters + string.digits + " .,!?'-", min_size=1,
                                      max_size=60).map(str.strip).filter(bool)),
                    min_size=1, max_size=15)


@SETTINGS
@given(segments)
def test_writers_and_readers_round_trip(rows):
    rows = sorted(rows)
    transcript = Transcript(segments=[Segment(round(a, 3), round(a + d, 3), text) for a, d, text in rows], language="en")
    with tempfile.TemporaryDirectory() as folder:
        for suffix, render in ((".json", render_json), (".srt", render_srt), (".vtt", render_vtt)):
            path = Path(folder) / f"t{suffix}"
            path.write_text(render(transcript), encoding="utf-8")
            back = read_transcript(path)
            assert [s.text for s in back.segments] == [s.text for s in transcript.segments], suffix
            for ours, theirs in zip(transcript.segments, back.segments):
                assert abs(ours.start - theirs.start) < 0.002 and abs(ours.end - theirs.end) < 0.002
        path = Path(folder) / "t.txt"
        path.write_text(render_txt(transcript), encoding="utf-8")
        assert " ".join(s.text for s in read_transcript(path).segments).split() == \
            " ".join(s.text for s in transcript.segments).split()


@SETTINGS
@given(st.lists(st.text(max_size=300), max_size=6), st.text(max_size=500))
def test_any_typed_sources_expand_to_items_or_failures(sources, stdin_text):
    items = expand_sources(sources, io.StringIO(stdin_text))
    assert all(isinstance(item, (SourceItem, Failure)) for item in items)
    for item in items:
        if isinstance(item, Failure):
            assert isinstance(item.error, SourceError) and str(item.error)


@SETTINGS
@given(st.text(max_size=400), st.text(max_size=80))
def test_any_title_gives_one_safe_file_name(title, video_id):
    stem = output_stem(title, video_id)
    assert stem and "/" not in stem and "\\" not in stem and "\x00" not in stem
    assert not stem.startswith(".") and len(stem.encode("utf-8")) <= MAX_STEM_BYTES
    assert sanitize_title(title) not in ("", ".", "..")


@SETTINGS
@given(st.text(max_size=300))
def test_cleaning_a_spoken_sentence_only_removes_words(text):
    import re
    from collections import Counter

    def tokens(value):
        return Counter(re.findall(r"[^\W_]+", value.casefold()))

    cleaned = clean_spoken(text)
    assert isinstance(cleaned, str)
    assert not tokens(cleaned) - tokens(text), (text, cleaned)


@SETTINGS
@given(st.lists(st.text(max_size=200), max_size=20))
def test_any_segments_become_sentences_without_losing_words(texts):
    rows = [Segment(float(i), float(i + 1), text) for i, text in enumerate(texts)]
    sentences = transcript_sentences(rows)
    spoken = " ".join(" ".join(t.split()) for t in texts).split()
    assert " ".join(s.raw for s in sentences).split() == spoken
