"""The library's videos as its pages show them: an entry of the list, a page of entries, everything a
video's page shows (read back by :class:`VideoReading`), and the media files a page may play (only
those are ever served)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..records import Media, Result, Segment, Summary, Transcript
from .importing import summary_from_files

#: The media a page can play, by suffix, with the type it is served as: only these files are ever served.
PLAYABLE = {".opus": "audio/ogg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".m4a": "audio/mp4", ".aac": "audio/aac",
            ".mp3": "audio/mpeg", ".mpga": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac",
            ".webm": "audio/webm", ".mka": "audio/x-matroska", ".mp4": "video/mp4", ".m4v": "video/mp4",
            ".mkv": "video/x-matroska", ".mov": "video/quicktime", ".mpeg": "video/mpeg"}


@dataclass
class VideoEntry:
    """One video as the library lists it (everything from the media is text from strangers)."""

    id: str
    title: str
    channel: str | None
    url: str | None
    path: str | None
    duration: float | None
    upload_date: str | None  # YYYY-MM-DD
    indexed: str
    tldr: str | None
    language: str | None
    whisper_model: str | None
    llm_model: str | None
    passages: int | None = None

    @property
    def date(self) -> str:
        """The upload date, else the day it was added to the library."""
        return self.upload_date or self.indexed[:10]


@dataclass
class VideoPage:
    """One page of the library's list: the videos on it and how many match in all."""

    videos: list[VideoEntry]
    total: int
    offset: int
    limit: int
    said_too_often: bool = False  # the filter's words are in too many passages to find videos by them


@dataclass
class VideoDetails:
    """A video with what its page shows (see :meth:`Library.details`)."""

    entry: VideoEntry
    summary: Summary | None
    transcript: Transcript
    media: Path | None


def entry_of(row: sqlite3.Row) -> VideoEntry:
    keys = row.keys()
    return VideoEntry(row["id"], row["title"], row["channel"], row["url"], row["path"], row["duration"],
                      row["upload_date"], row["indexed"], row["tldr"], row["language"], row["whisper_model"],
                      row["llm_model"], row["passages"] if "passages" in keys else None)


def media_of(row: sqlite3.Row) -> Path | None:
    for candidate in (row["media_path"], row["path"]):
        if candidate:
            path = Path(candidate)
            if path.is_file() and path.suffix.lower() in PLAYABLE:
                return path


class VideoReading:
    """A video read back from the library: its entry, summary, transcript, media file and all of it as a
    :class:`~ytlocal.records.Result`. A part of :class:`~ytlocal.library.Library` (a base class of it):
    it uses the library's ``_query``."""

    def video(self, video_id: str) -> VideoEntry | None:
        row = self._row(video_id)
        return entry_of(row) if row is not None else None

    def _row(self, video_id: str) -> sqlite3.Row | None:
        """The video's row with its stored summary and media description and its number of passages:
        one read, which each of the accessors below turns into what it returns."""
        rows = self._query("SELECT v.*, d.summary_json, d.media_json, (SELECT COUNT(*) FROM passages p "
                           "WHERE p.video_id = v.id) AS passages FROM videos v LEFT JOIN documents d "
                           "ON d.video_id = v.id WHERE v.id = ?", (video_id,))
        return rows[0] if rows else None

    def details(self, video_id: str) -> VideoDetails | None:
        """Everything a video's page shows, from one read of its row: entry, summary, transcript and
        the media file here (see :meth:`summary`, :meth:`transcript` and :meth:`media_file`)."""
        row = self._row(video_id)
        if row is None:
            return None
        return VideoDetails(entry_of(row), self._summary_of(row), self._transcript_of(row), media_of(row))

    def summary(self, video_id: str) -> Summary | None:
        """The video's summary: as stored when it was added, else read back from the summary file
        ytlocal wrote (``.summary.json`` beside it, or the ``.md``'s TL;DR and timed key points)."""
        row = self._row(video_id)
        return self._summary_of(row) if row is not None else None

    @staticmethod
    def _summary_of(row: sqlite3.Row) -> Summary | None:
        if row["summary_json"]:
            try:
                return Summary.from_dict(json.loads(row["summary_json"]))
            except (ValueError, TypeError, AttributeError):
                pass
        return summary_from_files(row["summary_path"])

    def transcript(self, video_id: str) -> Transcript | None:
        """The video's transcript: the transcript file ytlocal recorded for it when it is still there,
        else its passages (a few sentences each, with their times)."""
        row = self._row(video_id)
        return self._transcript_of(row) if row is not None else None

    def _transcript_of(self, row: sqlite3.Row) -> Transcript:
        if row["transcript_path"]:
            from ..transcript import read_transcript

            try:
                return read_transcript(Path(row["transcript_path"]))
            except Exception:  # moved, edited or unreadable: the passages still hold every word
                pass
        rows = self._query("SELECT start, end, text FROM passages WHERE video_id = ? ORDER BY id", (row["id"],))
        timed = any(r["start"] is not None for r in rows)
        return Transcript([Segment(r["start"] or 0.0, r["end"] or 0.0, r["text"]) for r in rows],
                          language=row["language"], duration=row["duration"], model=row["whisper_model"] or "",
                          options={} if timed else {"untimed": True})

    def media_file(self, video_id: str) -> Path | None:
        """The audio or video file of this video on this machine, when there is one: the file ytlocal
        recorded when it added the video (a download in the cache, or the local file itself), never a
        path from anywhere else."""
        row = self._row(video_id)
        return media_of(row) if row is not None else None

    def result(self, video_id: str) -> Result | None:
        """The video as a :class:`~ytlocal.records.Result` (media, transcript, summary), to render its
        outputs again in any format."""
        row = self._row(video_id)
        if row is None:
            return None
        media = None
        if row["media_json"]:
            try:
                media = Media.from_description(json.loads(row["media_json"]))
            except (ValueError, TypeError, KeyError):
                media = None
        if media is None:
            media = Media(key=row["id"], source=row["url"] or row["path"] or row["id"], audio_path=None,
                          title=row["title"], extractor="library", video_id=row["id"], duration=row["duration"],
                          channel=row["channel"], webpage_url=row["url"])
        transcript = self._transcript_of(row)
        transcript.media = media
        return Result(row["url"] or row["path"] or row["id"], media=media, transcript=transcript,
                      summary=self._summary_of(row))

