"""The ad-read detector (ytlocal/summarization/ads.py): its features, its span step, the shipped weights
on texts written here (made-up products, not the benchmark cases), what the summary says it left out,
and, where ../shared/data is present, the labelled cases. Quality figures are scripts/bench_ads.py's."""

import json
import math

import numpy as np
import pytest

from ytlocal.records import Segment, Skipped, Summary
from ytlocal.summarization import ad_features, ad_model, ads
from ytlocal.summarization.sentences import transcript_sentences

from data.ads_and_talks import MARKETING_LECTURE, MID_ROLL, PRE_ROLL, VOLCANO_TALK

from conftest import SHARED_DATA

# A talk on one subject and a sponsor read for a made-up product, written for these tests.
GARDEN_TALK = [
    "Bees visit flowers to collect nectar and pollen for the hive.",
    "A worker bee lives about six weeks in the summer and most of that time is spent foraging.",
    "Wild bees nest in the ground, in hollow stems and in old beetle holes in dead wood.",
    "Mowing less often leaves clover and dandelions in flower for longer.",
    "A strip of native plants along a field edge can double the number of wild bees that visit it.",
    "Pesticides sprayed while crops are in flower do the most harm to pollinators.",
    "Farmers can spray in the evening, when bees have returned to their nests.",
    "Hedgerows give bees shelter from wind and a place to nest through the winter.",
    "Bumblebees can fly in colder weather than honeybees because they shiver to warm their muscles.",
    "Some tomatoes are only pollinated well when a bumblebee vibrates the flower.",
    "Cities can be good for bees, because gardens flower from spring to autumn.",
    "Green roofs planted with sedum feed bees in the middle of dense neighbourhoods.",
    "Counting bees on a fixed walk each month is how volunteers track their numbers.",
    "Those counts show that some species are spreading north as the climate warms.",
    "Others, which need cold mountain meadows, are losing the places where they can live.",
    "Leaving a corner of the garden untidy is one of the simplest things anyone can do for them.",
    "Bee hotels help some species, but they need cleaning or they spread disease.",
    "Planting for a long flowering season matters more than planting many flowers at once.",
]
TEAPOT_READ = [
    "This episode is brought to you by Brewlight.",
    "Brewlight is the smart kettle that heats water to the exact temperature your tea needs.",
    "It remembers your favourite settings and has your water ready when you wake up.",
    "Go to brewlight dot com slash garden and use code BLOOM for fifteen percent off your first order.",
]


def sentences_of(lines):
    return transcript_sentences([Segment(i * 6.0, i * 6.0 + 5.5, text) for i, text in enumerate(lines)])


def removed(lines, meaning=None):
    sentences = sentences_of(lines)
    return {sentences[i].raw for i in ads.excluded_indices(ads.find_ad_spans(sentences, meaning))}


# ----------------------------------------------------------------------------------------- features


def test_cue_counts_tell_a_sponsorship_and_an_address_from_plain_talk():
    features = ad_features.word_features(sentences_of([TEAPOT_READ[0], GARDEN_TALK[0], TEAPOT_READ[3]]))
    assert features["announcement"].tolist() == [1.0, 0.0, 0.0]
    assert features["address_path"].tolist() == [0.0, 0.0, 1.0]
    assert features["offer"][2] > 0 and features["offer"][1] == 0


def test_a_break_is_open_from_its_cue_in_to_its_cue_out_and_not_after():
    lines = ["We'll be right back after a word from our sponsors.", "Sleep on a better pillow tonight.",
             "And now back to the show.", "So, the glaciers.", "They are melting faster every year."]
    features = ad_features.word_features(sentences_of(lines))
    assert all(value > 0 for value in features["break_open"][:3])
    assert features["break_open"][3] == features["break_open"][4] == 0.0  # closed by "back to the show"
    assert features["break_closing"][0] > 0 and features["break_closing"][3] == 0.0


def test_a_word_said_only_in_one_place_is_bursty_and_a_word_said_throughout_is_not():
    lines = GARDEN_TALK[:9] + [TEAPOT_READ[1], "Brewlight keeps it warm.", "Brewlight again."] + GARDEN_TALK[9:]
    sentences = sentences_of(lines)
    burst = ad_features.word_features(sentences)["burst"]
    inside = [i for i, s in enumerate(sentences) if "Brewlight" in s.raw]
    assert all(burst[i] == 1.0 for i in inside)  # every "brewlight" is within a few sentences of the others
    assert burst[0] < 1.0  # "bee" is said all through the talk


def test_side_sums_weigh_neighbours_by_distance_and_leave_the_sentence_itself_out():
    values = np.array([1.0, 0.0, 0.0, 1.0])
    centres = np.array([0.0, 10.0, 20.0, 30.0])
    before, after = ad_features._side_sums(values, centres, scale=10.0)
    assert before[0] == 0.0 and after[3] == 0.0
    assert before[1] == pytest.approx(math.exp(-1)) and after[2] == pytest.approx(math.exp(-1))
    assert before[3] == pytest.approx(math.exp(-3))


def test_each_sentence_knows_its_lines_by_its_words():
    segments = [Segment(0, 0, "The first line ends. The second"), Segment(0, 0, "sentence spans two lines."),
                Segment(0, 0, "Third.")]
    sentences = transcript_sentences(segments)
    assert [s.raw for s in sentences] == ["The first line ends.", "The second sentence spans two lines.", "Third."]
    assert ads.sentence_lines(segments, sentences) == [(0, 0), (0, 1), (2, 2)]


def test_speaker_labels_do_not_shift_the_lines():
    segments = [Segment(0, 0, f"Ada Quill: Line {n} says something about rivers.") if n % 2 else
                Segment(0, 0, f"Ben Oak: Line {n} answers it.") for n in range(6)]
    sentences = transcript_sentences(segments)
    assert ads.sentence_lines(segments, sentences) == [(n, n) for n in range(6)]


# ------------------------------------------------------------------------------------ the span step


def test_the_span_step_takes_a_read_from_its_opening_to_its_closing_sentence():
    odds = np.full(30, -4.0)
    odds[12:18] = [1.0, 3.0, -1.0, 2.0, 0.0, 3.0]  # an uncued sentence in the middle scores low
    start = np.full(30, -6.0)
    start[12] = 3.0
    end = np.full(30, -6.0)
    end[17] = 3.0
    assert [(a, b) for a, b, _e in ad_model.read_spans(odds, start, end, shift=-1.0, edge_weight=1.0)] == [(12, 17)]


def test_the_span_step_finds_nothing_in_plain_talk_and_two_reads_apart():
    talk = np.full(40, -3.0)
    assert ad_model.read_spans(talk, np.full(40, -6.0), np.full(40, -6.0), -1.0, 1.0) == []
    odds, start, end = talk.copy(), np.full(40, -6.0), np.full(40, -6.0)
    for first, last in ((3, 6), (25, 29)):
        odds[first:last + 1] = 4.0
        start[first], end[last] = 2.0, 2.0
    spans = ad_model.read_spans(odds, start, end, -1.0, 1.0)
    assert [(a, b) for a, b, _e in spans] == [(3, 6), (25, 29)]
    assert all(evidence > 0 for _a, _b, evidence in spans)


def test_a_strong_edge_cue_moves_the_boundary_of_a_blurred_read():
    odds = np.full(20, -3.0)
    odds[5:15] = 2.0  # the sentence model says "read" for 5-14
    start = np.full(20, -5.0)
    start[7] = 4.0  # but the read opens at 7 ("brought to you by")
    end = np.full(20, -5.0)
    end[14] = 4.0
    assert [(a, b) for a, b, _e in ad_model.read_spans(odds, start, end, -0.5, 3.0)] == [(7, 14)]


# ------------------------------------------------------------------------------ the shipped weights


def test_the_shipped_weights_load_and_say_what_they_were_trained_on():
    model = ad_model.load_model()
    assert model.words is not None and model.meaning is not None
    assert len(model.about["trained_on"]) >= 5 and model.about["dimensions"] == 384
    assert ad_model.MODEL_FILE.stat().st_size < 20_000
    for detector in (model.words, model.meaning):
        for part in (detector.sentence, detector.start, detector.end):
            assert all(math.isfinite(w) and abs(w) < 100 for w in part.weights)  # no column blown up
        assert len(detector.sentence.weights) == ad_model.feature_matrix(
            _features_for(detector), detector.sentence.features).shape[1]


def _features_for(detector):
    fake = ad_features.word_features(sentences_of(GARDEN_TALK))
    if "vector" in detector.sentence.features:
        count = len(GARDEN_TALK)
        for name in detector.sentence.features + detector.start.features + detector.end.features:
            name = name.split(":")[-1]
            if name not in fake:
                fake[name] = np.zeros((count, 384)) if name in ("vector", "context") else np.zeros(count)
    return fake


def test_words_only_a_read_is_found_whole_and_the_talk_kept():
    lines = GARDEN_TALK[:9] + TEAPOT_READ + GARDEN_TALK[9:]
    assert removed(lines) == set(TEAPOT_READ)


def test_words_only_a_talk_without_a_read_loses_nothing():
    assert removed(GARDEN_TALK) == set()
    assert removed(MARKETING_LECTURE) == set()  # about advertising, in the third person


def test_an_empty_transcript_has_no_reads():
    assert ads.find_ad_spans([]) == []


# ---------------------------------------------------------------------------- what was left out


def test_left_out_spans_have_times_lines_and_first_words():
    lines = GARDEN_TALK[:9] + TEAPOT_READ + GARDEN_TALK[9:]
    segments = [Segment(i * 6.0, i * 6.0 + 5.5, text) for i, text in enumerate(lines)]
    sentences = transcript_sentences(segments)
    [skipped] = ads.timed_spans(ads.find_ad_spans(sentences), sentences, 200.0, True, segments)
    assert skipped.reason == "ad read" and skipped.lines == (10, 13)
    assert skipped.start == pytest.approx(54.0) and skipped.end == pytest.approx(77.5)
    assert skipped.excerpt.startswith("This episode is brought to you by Brewlight.")


def test_an_untimed_transcript_says_its_left_out_lines():
    lines = GARDEN_TALK[:9] + TEAPOT_READ + GARDEN_TALK[9:]
    segments = [Segment(0.0, 0.0, text) for text in lines]
    [skipped] = ads.ad_reads(segments)
    assert (skipped.start, skipped.end, skipped.lines) == (0.0, 0.0, (10, 13))


def test_skipped_reads_back_from_its_dict_with_and_without_the_new_fields():
    item = Skipped(1.0, 2.0, "ad read", lines=(3, 4), excerpt="Go to")
    assert Skipped.from_dict(json.loads(json.dumps(item.__dict__))) == item
    assert Skipped.from_dict({"start": 1, "end": 2, "reason": "ad"}) == Skipped(1.0, 2.0, "ad")


def _summary(skipped, has_timings=True):
    return Summary(title="Bees", tldr="Bees need flowers.", key_points=[], sections=[], has_timings=has_timings,
                   llm={"name": "m", "sha256": "x", "n_ctx": 1}, options={}, skipped=skipped)


def test_json_markdown_and_text_say_what_was_left_out():
    from ytlocal.records import Result
    from ytlocal.render import render

    skipped = [Skipped(0.0, 65.0, "ad read", (1, 8), "This episode is"), Skipped(1800.0, 1890.5, "ad read", (400, 412))]
    result = Result("talk.srt", summary=_summary(skipped))
    data = json.loads(render(result, "json"))
    assert data["skipped"] == [{"start": 0.0, "end": 65.0, "reason": "ad read", "lines": [1, 8], "excerpt": "This episode is"},
                               {"start": 1800.0, "end": 1890.5, "reason": "ad read", "lines": [400, 412]}]
    markdown = render(result, "md")
    assert "Left out: 2 ad reads (00:00–01:05, 30:00–31:30)." in markdown and "This episode is" not in markdown
    assert "Left out: 2 ad reads" in render(result, "txt")
    untimed = Result("talk.txt", summary=_summary([Skipped(0.0, 0.0, "ad read", (10, 13))], has_timings=False))
    assert "Left out: 1 ad read (lines 10–13)." in render(untimed, "md")
    assert "Left out" not in render(Result("talk.srt", summary=_summary([])), "md")


# ----------------------------------------------------------------------- with the embedding model


def _meaning(lines, embedder):
    from ytlocal.summarization.meaning import Meaning

    sentences = sentences_of(lines)
    return sentences, Meaning([s.raw for s in sentences], embedder)


@pytest.mark.integration
def test_with_meaning_reads_go_whole_and_the_talk_stays(embedder):
    lines = PRE_ROLL + GARDEN_TALK[:9] + TEAPOT_READ + GARDEN_TALK[9:]
    sentences, meaning = _meaning(lines, embedder)
    gone = {sentences[i].raw for i in ads.excluded_indices(ads.find_ad_spans(sentences, meaning))}
    assert gone == set(PRE_ROLL + TEAPOT_READ)


@pytest.mark.integration
def test_with_meaning_a_talk_about_selling_loses_nothing(embedder):
    lines = VOLCANO_TALK[:10] + MARKETING_LECTURE[:5] + VOLCANO_TALK[10:]
    sentences, meaning = _meaning(lines, embedder)
    assert ads.find_ad_spans(sentences, meaning) == []


@pytest.mark.integration
def test_vectors_of_another_embedding_model_fall_back_to_the_words(embedder):
    class Other:
        """An embedding model whose space is not the one the weights were fitted in."""

        def embed(self, texts):
            rng = np.random.default_rng(len(texts))
            vectors = rng.normal(size=(len(texts), 384))
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    from ytlocal.summarization.meaning import Meaning

    lines = GARDEN_TALK[:9] + TEAPOT_READ + GARDEN_TALK[9:]
    sentences = sentences_of(lines)
    other = Meaning([s.raw for s in sentences], Other())
    assert not ad_model.load_model().compatible(other, Other().embed(list(ad_features.AD_PROTOTYPES)))
    assert ads.find_ad_spans(sentences, other) == ads.find_ad_spans(sentences)


@pytest.mark.integration
def test_summarize_json_lists_the_left_out_read(run_cli, tmp_path):
    lines = GARDEN_TALK[:9] + TEAPOT_READ + GARDEN_TALK[9:] + MID_ROLL + GARDEN_TALK[:4]
    srt = tmp_path / "bees.srt"
    srt.write_text("".join(f"{i + 1}\n00:{(i * 6) // 60:02d}:{(i * 6) % 60:02d},000 --> "
                           f"00:{(i * 6 + 5) // 60:02d}:{(i * 6 + 5) % 60:02d},500\n{text}\n\n" for i, text in enumerate(lines)))
    result = run_cli("summarize", str(srt), "-o", str(tmp_path / "out"), "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(next((tmp_path / "out").glob("*.summary.json")).read_text())
    assert [(item["reason"], item["lines"]) for item in data["skipped"]][:1] == [("ad read", [10, 13])]
    first = data["skipped"][0]
    assert first["start"] == pytest.approx(54.0) and first["end"] == pytest.approx(77.5)
    said = json.dumps(data["summary"])
    assert "Brewlight" not in said and "Restwell" not in said


# ---------------------------------------------------------------------- the labelled cases (shared)

needs_shared = pytest.mark.skipif(not (SHARED_DATA / "ads").is_dir(),
                                  reason="../shared/data (the labelled ad-read cases) is not here")


def _labelled_cases():
    return sorted(p.parent for p in SHARED_DATA.glob("*/*/ads.json"))


@needs_shared
def test_every_labelled_case_maps_its_lines_onto_sentences_word_for_word():
    from ytlocal.transcript import read_transcript

    for case in _labelled_cases():
        segments = read_transcript(case / "transcript.txt").segments
        per_word = ads.sentence_lines(segments, transcript_sentences(segments), per_word=True)
        owners = [owner for sentence in per_word for owner in sentence]
        assert owners == sorted(owners) and set(owners) <= set(range(len(segments))), case.name


@needs_shared
def test_words_only_the_traps_lose_nothing_and_every_case_with_reads_has_one_found():
    from ytlocal.transcript import read_transcript

    for case in _labelled_cases():
        reads = json.loads((case / "ads.json").read_text())["lines"]
        skipped = ads.ad_reads(read_transcript(case / "transcript.txt").segments)
        if not reads:
            assert skipped == [], case.name
        else:
            ad = {i for a, b in reads for i in range(a, b + 1)}
            assert any(set(range(s.lines[0], s.lines[1] + 1)) & ad for s in skipped if s.lines), case.name
