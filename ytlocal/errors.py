"""The one error hierarchy of ytlocal.

Library code raises these with a message that says what went wrong and what to do about it. The CLI
prints the message on one line and exits with the class's ``exit_code`` (documented in the README);
a traceback is shown only with ``-v``.
"""

from __future__ import annotations

import re


class YtlocalError(Exception):
    """Base class of every error ytlocal reports to a user."""

    exit_code = 1


class ConfigError(YtlocalError):
    """The config file or an environment override is unreadable or has a wrong value."""

    exit_code = 3


class ModelError(YtlocalError):
    """A model is unknown, missing from the store, corrupt, or could not be fetched or loaded."""

    exit_code = 4


class SourceError(YtlocalError):
    """A source (URL, file, folder, list) could not be read or downloaded.

    ``transient`` marks failures worth retrying (network trouble, rate limits, server errors), as
    opposed to permanent ones (removed, private, no audio, not media)."""

    exit_code = 5

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class SkippedSource(SourceError):
    """Not an error: the video is outside what was asked for (e.g. uploaded before ``--since``)."""


class TranscriptionError(YtlocalError):
    """Speech recognition failed on a media file that was read."""

    exit_code = 6


class SummaryError(YtlocalError):
    """The summarizer could not produce a summary."""

    exit_code = 7


class DoctorError(YtlocalError):
    """``ytlocal doctor`` found something the default pipeline needs missing or broken."""

    exit_code = 8


class BatchIncomplete(YtlocalError):
    """A batch finished, but some videos failed (the others are done; see the report)."""

    exit_code = 9


class BatchLocked(YtlocalError):
    """Another ytlocal process is working on the same output folder."""

    exit_code = 10


class OutputError(YtlocalError):
    """An output cannot be written where it was asked for (a file where a folder should be, no
    permission); nothing was overwritten."""

    exit_code = 12


class ClusterError(YtlocalError):
    """A Dask cluster cannot be used: ``distributed`` missing, the scheduler unreachable, no workers."""

    exit_code = 13


class LibraryError(YtlocalError):
    """The library database cannot be used: busy, damaged, or not writable."""

    exit_code = 14


EXIT_CODES = {
    0: "success",
    1: "unexpected error (run again with -v for the traceback)",
    2: "usage error (unknown option, missing argument)",
    ConfigError.exit_code: "config error (file, key and line are named)",
    ModelError.exit_code: "model error (unknown, not installed, corrupt, download failed)",
    SourceError.exit_code: "source error (bad URL, unreadable file, download failed)",
    TranscriptionError.exit_code: "transcription error",
    SummaryError.exit_code: "summary error",
    DoctorError.exit_code: "doctor found a FAIL",
    BatchIncomplete.exit_code: "batch finished, some videos failed (the report lists them)",
    BatchLocked.exit_code: "another ytlocal process is working on the same output folder",
    11: "disk full (the message names the path; finished work is kept)",
    OutputError.exit_code: "output cannot be written there (a file in the way, no permission; the path is named)",
    ClusterError.exit_code: "--cluster: the Dask scheduler cannot be reached or has no workers",
    LibraryError.exit_code: "the library cannot be used (busy, damaged, not writable; the path is named)",
}


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_line(error: BaseException, *, with_type: bool = False) -> str:
    """An exception's message as one line for a ytlocal message: the first line, without terminal
    colours or a library's own "ERROR:" prefix; the exception's type when it has no message (and in
    front of it with ``with_type``, where the type is the useful part: "BadZipFile: ...")."""
    text = _ANSI.sub("", str(error)).strip()
    text = re.sub(r"^ERROR:\s*", "", text)
    line = text.splitlines()[0] if text else ""
    if with_type:
        return f"{type(error).__name__}: {line}".strip(": ") if line else type(error).__name__
    return line or type(error).__name__
