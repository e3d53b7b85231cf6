"""scripts/bench_ask.py's measure: where a question's answer is, and which passages count as hits."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
SHARED = SCRIPTS.parent.parent / "shared" / "data" / "ads"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(SCRIPTS))
    try:
        import bench_ask
        yield bench_ask
    finally:
        sys.path.remove(str(SCRIPTS))


def test_answer_windows_are_the_smallest_runs_of_lines_where_every_group_matches(bench):
    lines = ["the bees fly out", "to the orchard in spring", "nothing here", "bees and orchard together", "end"]
    assert bench.answer_windows(lines, [["bees?"], ["orchard"]]) == [(1, 2), (4, 4)]
    assert bench.answer_windows(lines, [["bees?"], ["missing"]]) == []
    assert bench.answer_windows(lines, [["fly"], ["end"]], most=5) == [(1, 5)]
    assert bench.answer_windows(lines, [["fly"], ["end"]], most=4) == []


def test_a_hit_is_a_passage_whose_time_overlaps_the_answer(bench, tmp_path):
    from ytlocal.library import Library
    from ytlocal.records import Result, Segment, Transcript

    segments = [Segment(10.0 * i, 10.0 * i + 10, f"Sentence {i} is here and it has a few more words to fill a "
                                                  f"passage of the library up to its length.") for i in range(30)]
    with Library(tmp_path / "library") as library:
        video = library.add(Result("talk.srt", transcript=Transcript(segments)))
        rows = library.database.execute("SELECT id, start, end FROM passages ORDER BY id").fetchall()
        assert len(rows) > 2
        inside = rows[1]
        right = bench.right_passages(library, video, [(inside["start"] + 1, inside["start"] + 2)])
        assert right == {inside["id"]}
        edge = bench.right_passages(library, video, [(inside["end"], inside["end"] + 1)])  # touching is not overlapping
        assert inside["id"] not in edge and len(edge) == 1


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/ads is not here (only the project's own checkout)")
def test_every_question_of_the_new_cases_is_located_in_a_passage(bench, tmp_path):
    """Each question's answer lines map to at least one passage of the library built as a user builds it
    (bm25 only: no model needed), and bm25 finds most same-words questions in its top 5."""
    questions, cases = bench.load_questions(["new"])
    assert len(questions) == 40 and sum(q.paraphrased for q in questions) == 28
    library, ids = bench.build_library(tmp_path / "library", cases, None)
    with library:
        rows = bench.evaluate(library, ids, cases, questions, bench.methods(False))
    assert all(row["right"] for row in rows)
    assert bench.recall(rows, "bm25", 5, paraphrased=False) >= 0.9
