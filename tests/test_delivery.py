"""The delivery step: a finished video's files are written, then it goes to the library; and the one
acquire-process-fail loop of :class:`ytlocal.api.Session` that the commands print from."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

import ytlocal  # noqa: F401  (the package wires the renderer into the records)
from ytlocal.api import Session
from ytlocal.delivery import Delivery
from ytlocal.errors import OutputError, SourceError, SummaryError
from ytlocal.inputs import Failure
from ytlocal.records import Media, Point, Result, Segment, Summary, Transcript


def finished(name: str = "Talk", video_id: str = "t") -> Result:
    media = Media(key=video_id, source=f"{name}.srt", audio_path=None, title=name, extractor="transcript",
                  video_id=video_id)
    summary = Summary(name, "Bees matter.", [Point("Bees carry pollen.", 3.0)], [], True,
                      {"name": "m", "sha256": None}, {})
    return Result(f"{name}.srt", media=media, transcript=Transcript([Segment(0, 5, "Bees carry pollen.")]),
                  summary=summary)


class Recorder:
    """A library callback that notes what it was given, and whether the files were there by then."""

    def __init__(self):
        self.calls = []

    def __call__(self, result, *, summary_path=None, transcript_path=None):
        written = [path.is_file() for path in (summary_path, transcript_path) if path is not None]
        self.calls.append((result.title, summary_path, transcript_path, all(written)))


def test_summaries_come_first_and_the_library_records_the_first_summary_and_the_json_transcript(tmp_path):
    library = Recorder()
    delivered = Delivery(tmp_path, ("md", "json"), with_transcript=True, add_to_library=library)(finished())
    assert [path.name for path in delivered.paths] == ["Talk [t].md", "Talk [t].summary.json", "Talk [t].txt",
                                                      "Talk [t].srt", "Talk [t].json"]
    assert library.calls == [("Talk", tmp_path / "Talk [t].md", tmp_path / "Talk [t].json", True)]


def test_a_summary_streamed_to_stdout_writes_no_summary_file(tmp_path):
    streamed: list[str] = []
    library = Recorder()
    delivered = Delivery(tmp_path, ("md",), stream=streamed.append, add_to_library=library)(finished())
    assert delivered.paths == [] and list(tmp_path.iterdir()) == []
    assert streamed == [finished().render("md")]
    assert library.calls == [("Talk", None, None, True)]


def test_a_transcript_delivery_writes_only_the_transcript_and_records_its_first_format(tmp_path):
    library = Recorder()
    delivered = Delivery(tmp_path, transcript_formats=("srt", "json"), add_to_library=library)(finished())
    assert [path.name for path in delivered.paths] == ["Talk [t].srt", "Talk [t].json"]
    assert library.calls == [("Talk", None, tmp_path / "Talk [t].srt", True)]


def test_without_a_library_callback_the_files_are_written_and_nothing_else(tmp_path):
    delivered = Delivery(tmp_path, ("txt",))(finished())
    assert [path.name for path in delivered.paths] == ["Talk [t].summary.txt"]


class FakePipeline:
    """What :meth:`Session.deliver` uses of a pipeline: items, the stages, and the timer."""

    def __init__(self, items):
        self._items = items
        self.timings: dict[str, float] = {}

    def items(self, sources, stdin=None, progress=None):
        yield from self._items

    def summarize(self, item, progress):
        if item.title == "broken":
            raise SummaryError("broken: the model looped")
        return item.summary

    transcribe = summarize

    @contextlib.contextmanager
    def timed(self, stage):
        self.timings[stage] = 0.0
        yield


def session_over(items) -> Session:
    session = Session.__new__(Session)  # no settings, no models: only the loop is under test
    session.pipeline = FakePipeline(items)
    return session


def test_every_video_is_yielded_in_order_and_each_failure_is_reported_once_with_its_source(tmp_path):
    events = []
    library = Recorder()
    items = [finished("first", "a"), Failure("gone.mp3", SourceError("gone.mp3: no such file")),
             finished("broken", "b"), finished("last", "c")]
    session = session_over(items)
    delivery = Delivery(tmp_path, ("md",), add_to_library=library)
    out = list(session.deliver(["x"], delivery, on_failure=lambda source, error: events.append(("failed", source)),
                               on_processed=lambda result: events.append(("processed", result.title)),
                               on_written=lambda result, done: events.append(("written", result.title,
                                                                                len(library.calls)))))
    assert [(result.source, delivered is not None) for result, delivered in out] == [
        ("first.srt", True), ("gone.mp3", False), ("broken.srt", False), ("last.srt", True)]
    assert events == [("processed", "first"), ("written", "first", 0), ("failed", "gone.mp3"),
                      ("failed", "broken.srt"), ("processed", "last"), ("written", "last", 1)]
    assert [call[0] for call in library.calls] == ["first", "last"]
    assert isinstance(out[2][0].error, SummaryError)
    assert "render" in session.pipeline.timings


def test_a_video_whose_files_cannot_be_written_has_failed_and_is_not_added(tmp_path, monkeypatch):
    library = Recorder()
    failures = []

    def refuse(self, result):
        raise OutputError("disk says no")

    monkeypatch.setattr(Delivery, "write", refuse)
    session = session_over([finished()])
    out = list(session.deliver(["x"], Delivery(tmp_path, add_to_library=library),
                               on_failure=lambda source, error: failures.append((source, str(error)))))
    assert out[0][1] is None and failures == [("Talk.srt", "disk says no")] and library.calls == []


def test_results_reports_failures_through_the_callback_and_still_yields_them():
    failures = []
    session = session_over([Failure("gone.mp3", SourceError("gone")), finished()])
    results = list(session.results(["x"], summarize=False, on_failure=lambda s, e: failures.append(s)))
    assert [r.error is None for r in results] == [False, True] and failures == ["gone.mp3"]


@pytest.mark.parametrize("formats", [("md",), ("hashnode", "txt")])
def test_the_library_path_is_the_first_summary_whatever_the_formats(tmp_path, formats):
    library = Recorder()
    Delivery(tmp_path, formats, add_to_library=library)(finished())
    assert library.calls[0][1] == Path(tmp_path) / ("Talk [t]" + {"md": ".md", "hashnode": ".hashnode.md"}[formats[0]])
