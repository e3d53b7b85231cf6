"""Where a finished video goes: its files first, then the library.

One :class:`Delivery` is the one way every caller (``ytlocal summarize`` and ``transcribe``, the batch
runners, the web app's queue) writes a video's outputs and indexes it, so that which files the library
records cannot drift apart between them. The library edge is a callback (:class:`LibraryAdd`, e.g.
:meth:`ytlocal.api.Session.library_adder`), so this module knows the records and nothing above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from .records import Result


class LibraryAdd(Protocol):
    """Adds a delivered video to the library (a failure there is the callee's to report, never the video's)."""

    def __call__(self, result: Result, *, summary_path: Path | None = None,
                 transcript_path: Path | None = None) -> None: ...


@dataclass
class Delivered:
    """The files one delivery wrote (summaries first, in format order) and the two the library records."""

    paths: list[Path]
    summary_path: Path | None = None
    transcript_path: Path | None = None


@dataclass
class Delivery:
    """Write each finished video's files into ``out_dir``, then add it to the library.

    ``formats``: the summary formats (``md``, ``hashnode``, ``json``, ``txt``); ``with_transcript``
    writes the transcript beside them. ``transcript_formats``: write only the transcript, in these
    formats (``txt``, ``srt``, ``vtt``, ``json``), no summary. ``stream``: the summary in
    ``formats[0]`` goes to this callable instead of a file (``-o -``). ``add_to_library``: None leaves
    the library alone."""

    out_dir: Path
    formats: tuple[str, ...] = ("md",)
    with_transcript: bool = False
    transcript_formats: tuple[str, ...] | None = None
    stream: Callable[[str], None] | None = None
    add_to_library: LibraryAdd | None = None

    def write(self, result: Result) -> Delivered:
        """Write ``result``'s files (each atomically); raises what the writers raise (OutputError...)."""
        if self.transcript_formats is not None:
            from .transcript import write_transcript

            assert result.transcript is not None
            paths = write_transcript(result.transcript, Path(self.out_dir), result.stem, list(self.transcript_formats))
            return Delivered(paths, transcript_path=paths[0] if paths else None)
        if self.stream is not None:
            self.stream(result.render(self.formats[0]))
        summaries = () if self.stream is not None else self.formats
        paths = result.write(self.out_dir, summaries, self.with_transcript)
        count = len(dict.fromkeys(summaries))  # the summaries come first, one per format
        transcript = next((path for path in paths[count:] if path.name == f"{result.stem}.json"), None)
        return Delivered(paths, summary_path=paths[0] if count else None, transcript_path=transcript)

    def index(self, result: Result, delivered: Delivered) -> None:
        """Add ``result`` to the library, with the files it was delivered as."""
        if self.add_to_library is not None:
            self.add_to_library(result, summary_path=delivered.summary_path,
                                transcript_path=delivered.transcript_path)

    def __call__(self, result: Result) -> Delivered:
        delivered = self.write(result)
        self.index(result, delivered)
        return delivered


__all__ = ["Delivered", "Delivery", "LibraryAdd"]
