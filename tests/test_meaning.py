"""Sentence meaning in the summary, with the real embedding model (all-MiniLM-L6-v2 run by llama.cpp):
ad reads found and removed whole wherever they sit, a talk about advertising left alone, chatter
losing against the subject, and TL;DR, tag and title rules. Quality figures are in
scripts/bench_quality.py, not here."""

import re

import pytest

from ytlocal.records import Segment
from ytlocal.summarization.ads import excluded_indices, find_ad_spans
from ytlocal.summarization.meaning import Meaning
from ytlocal.summarization.salience import WordWeights
from ytlocal.summarization.signals import Piece, on_subject
from ytlocal.summarization.sentences import transcript_sentences
from ytlocal.summarization.checks import subject_title, tag_problem, tldr_problem

from data.ads_and_talks import END_ROLL, MARKETING_LECTURE, MID_ROLL, PRE_ROLL, VOLCANO_TALK

pytestmark = pytest.mark.integration


def sentences_of(lines):
    return transcript_sentences([Segment(i * 5.0, i * 5.0 + 5, text) for i, text in enumerate(lines)])


def removed(lines, embedder):
    sentences = sentences_of(lines)
    meaning = Meaning([s.raw for s in sentences], embedder) if embedder is not None else None
    return {sentences[i].raw for i in excluded_indices(find_ad_spans(sentences, meaning))}


def test_ad_reads_at_the_start_and_middle_are_removed_whole_and_the_shows_own_plugs_are_no_read(embedder):
    # "Subscribe, rate and review, support us on Patreon" sells the show itself: the labelled cases
    # (../shared/data/ads) count it as talk, and the summary's own filters keep it out of statements.
    lines = PRE_ROLL + VOLCANO_TALK[:15] + MID_ROLL + VOLCANO_TALK[15:] + END_ROLL
    assert removed(lines, embedder) == set(PRE_ROLL + MID_ROLL)


def test_a_read_whose_cues_sit_at_its_end_is_found_without_taking_the_talk(embedder):
    # No cue before its last sentence and no break to open it: found from its end; its first, uncued
    # sentences may stay (a read in the labelled cases opens with a cue).
    read = MID_ROLL[1:]
    lines = VOLCANO_TALK[:12] + read + VOLCANO_TALK[12:]
    assert set(read[-3:]) <= removed(lines, embedder) <= set(read)


def test_without_the_model_reads_still_go(embedder):
    lines = PRE_ROLL + VOLCANO_TALK + END_ROLL[1:]
    gone = removed(lines, None)
    assert gone == set(PRE_ROLL)


def test_a_talk_about_advertising_loses_nothing(embedder):
    assert removed(MARKETING_LECTURE, embedder) == set()
    assert removed(MARKETING_LECTURE, None) == set()


def test_an_aside_about_advertising_inside_another_talk_is_kept(embedder):
    lines = VOLCANO_TALK[:10] + MARKETING_LECTURE[:5] + VOLCANO_TALK[10:]
    assert removed(lines, embedder) == set()


def test_chatter_loses_against_the_subject(embedder):
    chatter = ["There is a little bit of, this coffee tastes too good.",
               "Moving into a little bit more of the nitty gritty now."]
    lines = VOLCANO_TALK[:14] + chatter + VOLCANO_TALK[14:]
    sentences = sentences_of(lines)
    piece = Piece(sentences, [0], WordWeights(lines), meaning=Meaning([s.raw for s in sentences], embedder))
    factors = {s.raw: on_subject(s, piece) for s in sentences}
    assert all(factors[text] <= 0.75 for text in chatter)
    assert all(factors[text] >= 0.85 for text in VOLCANO_TALK)


# ------------------------------------------------------------------ TL;DR, tags, titles (no model needed)


@pytest.mark.parametrize("sentence, problem", [
    ("I am deeply honored to have gotten to know and spoken with her over the years.", "a greeting or an introduction"),
    ("I think the second eruption was bigger than the first one by far.", "first person"),
    ("Welcome back to the show, and thanks for joining us today.", "a greeting or an introduction"),
    ("The following is a conversation with a volcanologist from Iceland.", "a greeting or an introduction"),
    ("Alice Walker, point guard for the team, and Bob Stone, a coach, Carl Jones.", "a list of names"),
    ("You can program those motion detectors to not detect your pets.", "addressed to the listener"),
    ("Fine tuning and the release of the new API.", "a fragment"),
    ("Why do volcanoes erupt at all?", "too short or a question"),
    ("On the other hand, basaltic lava flows slowly enough to walk away from.", "leans on what came before"),
    ("It's twenty thousand in some combinatorial array of the mantle.", "leans on what came before"),
    ("This one, the eruption of 1980, was the largest landslide ever recorded.", "leans on what came before"),
])
def test_what_never_stands_in_a_tldr(sentence, problem):
    assert tldr_problem(sentence) == problem


def test_a_plain_claim_stands_in_a_tldr():
    assert tldr_problem("Pyroclastic flows can move faster than a car on a highway.") is None


@pytest.mark.parametrize("tag", ["like", "actual", "harder", "the", "stuff", "a very long phrase of many words"])
def test_filler_vague_and_stop_words_are_no_tags(tag):
    assert tag_problem(tag) is not None


def test_a_key_phrase_is_a_tag():
    assert tag_problem("pyroclastic flows") is None


def test_a_title_names_the_subject_in_two_to_six_words():
    source = {"volcano", "magma", "pyroclastic", "flow", "lahar"}
    title = subject_title(["volcanoes", "pyroclastic flows", "lahars"], source)
    assert title == "Volcanoes and pyroclastic flows"
    assert 2 <= len(title.split()) <= 6


def test_summary_of_a_file_named_transcript_has_a_subject_title_tldr_and_tags(run_cli, tmp_path):
    lines = PRE_ROLL + VOLCANO_TALK + END_ROLL
    srt = tmp_path / "transcript.srt"
    srt.write_text("".join(f"{i + 1}\n00:{i // 12:02d}:{(i % 12) * 5:02d},000 --> 00:{i // 12:02d}:{(i % 12) * 5 + 4:02d},000"
                           f"\n{text}\n\n" for i, text in enumerate(lines)))
    result = run_cli("summarize", str(srt), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    text = next((tmp_path / "out").glob("*.md")).read_text()
    title = re.search(r"^# (.+)$", text, re.M).group(1)
    assert title.lower() != "transcript" and 2 <= len(title.split()) <= 6, title
    tags = re.search(r"^tags: \[(.*)\]$", text, re.M).group(1)
    assert len(tags.split(",")) >= 4 and not re.search(r'"(?:like|actual|harder|really)"', tags), tags
    tldr = text.split("## TL;DR", 1)[1].split("##", 1)[0].strip()
    assert "covers" not in tldr  # claims, never a "This talk covers ..." template
    from ytlocal.summarization.checks import tldr_problem
    from ytlocal.text import split_sentences
    claims = split_sentences(tldr)
    assert 3 <= len(claims) <= 5 and all(tldr_problem(claim) is None for claim in claims), claims
    assert not re.search(r"\b(?:I|my|we|Loomly|Patreon)\b", tldr), tldr
    assert "Loomly" not in text and "Patreon" not in text.split("---", 2)[2]


def test_without_the_embedding_model_summaries_work_from_words(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("YTLOCAL_EMBEDDING_MODEL", str(tmp_path / "no-such-model.gguf"))
    lines = PRE_ROLL + VOLCANO_TALK
    srt = tmp_path / "volcanoes.srt"
    srt.write_text("".join(f"{i + 1}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\n{text}\n\n" for i, text in enumerate(lines)))
    result = run_cli("summarize", str(srt), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    text = next((tmp_path / "out").glob("*.md")).read_text()
    assert "## TL;DR" in text and "## Key points" in text
    assert "Loomly" not in text.split("---", 2)[2]  # calls to action still go, found by their words
