"""The local library: every transcript ytlocal writes (and any added with ``ytlocal library add``),
searchable offline.

One SQLite database (``library.sqlite`` in the user data dir, or ``library_dir`` / ``--library``): a
row per video (title, channel, URL or path, duration, models, where its summary, transcript and media
are, its summary itself) and passage rows of a few sentences each with their start and end times,
indexed with SQLite's FTS5 and ranked by bm25. Each video is indexed in one transaction (a kill leaves
the previous state or the new one, never half), and adding a video again replaces its passages.

With a sentence-embedding model (``embedder``), each passage also gets a vector in the same
transaction, and search fuses bm25 with the passages nearest in meaning (:mod:`ytlocal.vectors` keeps
the vectors and their derived index file). Without one, passages wait for ``library reindex`` and
search ranks by words alone. Passages that a summary's skipped spans cover (ad reads, calls to
action) are marked: search shows them as such, ``ask`` never uses them. A transcript added without a
summary has its ad reads found when it is added, the way a summary finds them.

Connections, pragmas and schema versions are :mod:`ytlocal.db`'s: one :class:`Library` may be used
from many threads (a web server's), each with its own connection. Everything the library holds comes
from strangers (titles, transcripts): it is data to its callers, never markup or a path to follow,
except the media and transcript paths that ytlocal itself recorded.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import platformdirs

from .config import APP_NAME, Settings
from .db import Database, Schema, add_column
from .errors import LibraryError, ModelError
from .progress import Progress, no_progress
from .records import Media, Point, Result, Segment, Skipped, Summary, Transcript
from .vectors import (INDEX_SUFFIX, Blend, Fusion, VectorStore, add_vector_tables, from_blobs, is_name, model_key,
                      quoted_phrases)

DB_NAME = "library.sqlite"
SUMMARY_SUFFIXES = (".summary.json", ".summary.txt", ".hashnode.md")  # summaries written beside transcripts, not transcripts
PASSAGE_WORDS = 60  # a passage: consecutive segments up to about this many words
BUSY_TIMEOUT_S = 10.0
CANDIDATES = 50  # passages each of bm25 and the vectors bring to the fusion
# How bm25 and the vectors are fused: a blend of scores (see vectors.Blend), the setting and the family that won
# held out in scripts/bench_ask.py (chosen on one group of shows, judged on the other; the README's table).
FUSION: Fusion | Blend = Blend(context=0.25, words=0.2)
RANK_FUSION = Fusion(bm25=1.0, vectors=1.0, k=5.0)  # the default until issue 27: reciprocal rank fusion
MIN_COSINE = 0.25  # a passage nearer than this in meaning only (not in words) is not a match
REINDEX_BATCH = 32  # passages embedded per committed transaction by `library reindex`
AD_SHARE = 0.5  # a passage at least this much inside skipped spans is marked as an ad
ANY_WORD_POSTINGS = 10_000  # passages the any-word query may rank (its rarest words first)
FILTER_PASSAGES = 5_000  # a library filter searches the transcripts for words said in at most this many passages

_FIRST_SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL, channel TEXT, url TEXT, path TEXT, duration REAL, language TEXT,
    whisper_model TEXT, llm_model TEXT, summary_path TEXT, transcript_path TEXT, indexed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    start REAL, end REAL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_by_video ON passages(video_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    text, content='passages', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS passages_added AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS passages_removed AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""


_SORT_KEYS = {  # a page's sort key -> the columns it orders by (never SQL from the request)
    "added": ("indexed", "title COLLATE NOCASE", "id"),
    "title": ("title COLLATE NOCASE", "id"),
    "channel": ("channel COLLATE NOCASE", "title COLLATE NOCASE", "id"),
    "duration": ("duration", "title COLLATE NOCASE", "id"),
    "date": ("COALESCE(upload_date, substr(indexed, 1, 10))", "title COLLATE NOCASE", "id"),
}
SORTS = tuple(_SORT_KEYS)


def _add_pages(connection: sqlite3.Connection) -> None:
    """What a page of the library shows without opening any file: the summary's TL;DR, the upload date,
    where the audio or video is on this machine, and (in their own table, so that the rows a page
    walks stay small) the summary and the media's description as JSON. One index per sort order,
    each holding every column it orders by: a page deep in 10,000 videos is read from the index alone."""
    for column in ("tldr", "upload_date", "media_path"):
        add_column(connection, "videos", column, "TEXT")
    connection.execute("CREATE TABLE IF NOT EXISTS documents (video_id TEXT PRIMARY KEY REFERENCES videos(id) "
                       "ON DELETE CASCADE, summary_json TEXT, media_json TEXT)")
    for name, columns in _SORT_KEYS.items():
        connection.execute(f"CREATE INDEX IF NOT EXISTS videos_by_{name} ON videos({', '.join(columns)})")


LIBRARY_SCHEMA = Schema("library", (_FIRST_SCHEMA, _add_pages, add_vector_tables))


def library_dir(settings: Settings) -> Path:
    if settings.library_dir:
        return Path(settings.library_dir).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass
class Hit:
    """One passage that matches a search."""

    video_id: str
    title: str
    start: float | None
    end: float | None
    text: str  # with the matched words in **bold**
    url: str | None
    path: str | None
    score: float
    passage_id: int = 0
    skipped: bool = False  # inside an ad read or call to action the summary left out (ask never uses it)

    @property
    def link(self) -> str:
        """``[mm:ss](URL?t=S)`` for a web video, else ``path mm:ss`` (or the path alone without times)."""
        from .render import clock, timestamp_link

        if self.url:
            return timestamp_link(self.start, self.url) if self.start is not None else self.url
        where = self.path or self.video_id
        return f"{where} {clock(self.start)}" if self.start is not None else where

    def to_dict(self) -> dict:
        return {"video_id": self.video_id, "title": self.title, "start": self.start, "end": self.end,
                "text": self.text, "url": self.url, "path": self.path, "score": self.score, "link": self.link,
                "skipped": self.skipped}


def passages(segments: list[Segment], words: int = PASSAGE_WORDS) -> list[tuple[float | None, float | None, str]]:
    """Consecutive segments joined into passages of about ``words`` words, with their times (None
    for a transcript without timings)."""
    out: list[tuple[float | None, float | None, str]] = []
    current: list[Segment] = []
    count = 0

    def flush() -> None:
        nonlocal current, count
        if current:
            timed = any(s.end > 0 for s in current)
            text = " ".join(s.text.strip() for s in current if s.text.strip())
            if text:
                out.append((current[0].start if timed else None, current[-1].end if timed else None, text))
        current, count = [], 0

    for segment in segments:
        current.append(segment)
        count += len(segment.text.split())
        if count >= words and re.search(r"[.!?…。？！]\W*$", segment.text.strip()):
            flush()
        elif count >= 2 * words:
            flush()
    flush()
    return out


def fts_query(text: str, every: bool = False) -> str | None:
    """The user's words as an FTS5 query: each word quoted (so ``"``, ``*``, ``-``, ``NEAR``, ``OR``
    are text, never syntax), English stopwords left out unless there is nothing else, any of them
    may match (``every``: all of them must), and bm25 ranks passages with more and rarer words first."""
    from .text import STOPWORDS

    words = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", text, flags=re.UNICODE)))
    meaningful = [w for w in words if w not in STOPWORDS] or words  # "what did she say" alone: keep all
    return (" AND " if every else " OR ").join(f'"{word}"' for word in meaningful) or None


def video_id_of(result: Result) -> str:
    media = result.about
    if media is not None and media.key:
        return media.key
    return "file-" + hashlib.sha256(str(Path(result.source).expanduser().resolve()).encode()).hexdigest()[:16]


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


def _entry(row: sqlite3.Row) -> VideoEntry:
    keys = row.keys()
    return VideoEntry(row["id"], row["title"], row["channel"], row["url"], row["path"], row["duration"],
                      row["upload_date"], row["indexed"], row["tldr"], row["language"], row["whisper_model"],
                      row["llm_model"], row["passages"] if "passages" in keys else None)


def _iso_date(raw) -> str | None:
    text = str(raw or "")
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if re.fullmatch(r"\d{8}", text) else (text[:10] or None)


class Library:
    """The library database at ``folder/library.sqlite`` (created on first use, migrated when older).

    One instance may be shared by threads: each gets its own connection (see :mod:`ytlocal.db`).

    ``embedder``: the sentence-embedding model (an :class:`~ytlocal.runtime.models.EmbeddingModel`), or
    a function that loads it on first use and returns None when it is not installed (such as
    :meth:`ytlocal.pipeline.Pipeline.embedder`), or None: words alone, vectors left for reindex."""

    def __init__(self, folder: Path | str, embedder=None):
        import threading

        self.path = Path(folder) / DB_NAME
        try:
            self.database = Database(self.path, LIBRARY_SCHEMA, busy_timeout=BUSY_TIMEOUT_S, too_new=LibraryError)
        except sqlite3.DatabaseError as error:
            raise self._error(error) from None
        except OSError as error:
            raise LibraryError(f"cannot open the library at {self.path}: {error}") from None
        self.vectors = VectorStore(self.database, self.path.with_suffix(INDEX_SUFFIX))
        self._embedder_source = embedder
        self._embedder_lock = threading.Lock()
        self._embedder_resolved = embedder is None
        self._embedder = None
        self.timings: dict[str, float] = {}  # the last search's parts in ms (for scripts/bench_ask.py)
        self._term_counts: dict[str, int] = {}  # FTS5 term -> passages holding it (see _rarest_words)
        self._term_counts_at = 0
        self._thread = threading.local()  # .scratched: this thread's connection, once it has its temp tables

    def embedding_model(self):
        """The embedding model, loaded on first use; None when there is none (or it cannot load: a
        warning, since words alone still work)."""
        with self._embedder_lock:
            if not self._embedder_resolved:
                source = self._embedder_source
                try:
                    self._embedder = source() if callable(source) and not hasattr(source, "embed") else source
                except ModelError as error:
                    logging.getLogger(__name__).warning("search by words alone: %s", error)
                    self._embedder = None
                self._embedder_resolved = True
            return self._embedder

    def _error(self, error: sqlite3.Error) -> LibraryError:
        message = str(error)
        if "locked" in message or "busy" in message:
            return LibraryError(f"the library at {self.path} is busy (another ytlocal is indexing); try again")
        if "no such module: fts5" in message:
            return LibraryError("this Python's SQLite has no FTS5; the library needs it")
        return LibraryError(f"the library at {self.path} is damaged ({message}); move it away and add your "
                            f"transcripts again (`ytlocal library add FOLDER`); `ytlocal library reindex` "
                            f"rebuilds only the search index")

    def _query(self, sql: str, parameters=()) -> list[sqlite3.Row]:
        try:
            return self.database.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise self._error(error) from None

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def add(self, result: Result, *, summary_path: Path | None = None, transcript_path: Path | None = None) -> str:
        """Index one video's transcript (replacing what was indexed for it before); returns its id."""
        transcript: Transcript | None = result.transcript
        if transcript is None:
            raise LibraryError(f"{result.source}: no transcript to index")
        media = result.about
        video_id = video_id_of(result)
        rows = passages(transcript.segments)
        path = None
        if media is None or not media.url:  # a local file: where it is, whatever folder we ran from
            local = Path(result.source).expanduser()
            path = str(local.resolve()) if local.exists() else str(result.source)
        audio = media.audio_path if media is not None else None
        media_path = str(Path(audio).resolve()) if audio is not None and Path(audio).is_file() else None
        summary = result.summary
        # Vectors are computed before the transaction, so that the database is locked for writing
        # only as long as the rows take to write.
        model = self.embedding_model() if rows else None
        vectors = model.embed([text for _start, _end, text in rows]) if model is not None else None
        # A transcript without a summary (added as a file, or transcribed only) has its ad reads found
        # here, as a summary would find them, so that `ask` leaves them out all the same.
        found_ads = None
        if summary is None and rows and not self._query(
                "SELECT 1 FROM documents WHERE video_id = ? AND summary_json IS NOT NULL", (video_id,)):
            from .summarization.ads import ad_reads

            found_ads = ad_reads(transcript.segments, model)
        try:
            with self.database.transaction() as connection:
                previous = connection.execute(
                    "SELECT v.summary_path, v.transcript_path, v.tldr, v.media_path, d.summary_json FROM videos v "
                    "LEFT JOIN documents d ON d.video_id = v.id WHERE v.id = ?", (video_id,)).fetchone()

                def kept(column: str, new):
                    return new if new is not None else (previous[column] if previous else None)

                stored_summary = kept("summary_json", None)
                spans = (summary.skipped if summary is not None else _stored_skipped(stored_summary) if stored_summary
                         else found_ads or [])
                ads = ad_flags(rows, spans)

                connection.execute("DELETE FROM passages WHERE video_id = ?", (video_id,))
                connection.execute(
                    "INSERT OR REPLACE INTO videos (id, title, channel, url, path, duration, language, "
                    "whisper_model, llm_model, summary_path, transcript_path, indexed, tldr, upload_date, media_path) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (video_id, result.title, media.channel if media else None, media.url if media else None,
                     path, (media.duration if media else None) or transcript.duration, transcript.language,
                     transcript.model or None, summary.llm.get("name") if summary else None,
                     kept("summary_path", str(summary_path) if summary_path else None),
                     kept("transcript_path", str(transcript_path) if transcript_path else None),
                     _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
                     kept("tldr", summary.tldr if summary else None),
                     _iso_date(media.upload_date) if media else None, kept("media_path", media_path)))
                connection.execute(
                    "INSERT OR REPLACE INTO documents (video_id, summary_json, media_json) VALUES (?, ?, ?)",
                    (video_id, kept("summary_json", json.dumps(summary.to_dict(), ensure_ascii=False) if summary else None),
                     json.dumps(media.describe(), ensure_ascii=False) if media else None))
                connection.executemany("INSERT INTO passages (video_id, start, end, text, skipped) VALUES (?, ?, ?, ?, ?)",
                                       [(video_id, start, end, text, int(ad)) for (start, end, text), ad in zip(rows, ads)])
                stored = vectors is not None and self.vectors.claim(connection, model_key(model))
                if vectors is not None and not stored:
                    logging.getLogger(__name__).warning(
                        "%s: no vectors stored: the library's vectors were made by another embedding model; "
                        "`ytlocal library reindex` embeds every passage with this one", video_id)
                if stored:
                    # Rowids of rows inserted in one transaction grow in insertion order.
                    ids = [r[0] for r in connection.execute("SELECT id FROM passages WHERE video_id = ? ORDER BY id",
                                                            (video_id,))]
                    self.vectors.write(connection, ids, vectors)
        except sqlite3.Error as error:
            raise self._error(error) from None
        if stored:
            self._maintain(model)
        return video_id

    def _maintain(self, model) -> None:
        """Keep the derived vector index close to SQLite; a failure only costs speed (a warning)."""
        try:
            self.vectors.maintain(model_key(model))
        except (OSError, ValueError, MemoryError, sqlite3.Error) as error:
            logging.getLogger(__name__).warning("the vector index beside %s was not updated (%s); "
                                                "`ytlocal library reindex` rebuilds it", self.path, error)

    def is_empty(self) -> bool:
        return not self._query("SELECT 1 FROM videos LIMIT 1")

    def videos(self) -> list[sqlite3.Row]:
        return self._query("SELECT v.*, (SELECT COUNT(*) FROM passages p WHERE p.video_id = v.id) AS passages "
                           "FROM videos v ORDER BY v.indexed, v.title")

    def page(self, *, text: str | None = None, sort: str = "added", descending: bool = True, offset: int = 0,
             limit: int = 50) -> VideoPage:
        """One page of the videos, sorted by ``sort`` (one of :data:`SORTS`), those that have ``text``
        when it is given (see :meth:`_filter`)."""
        direction = " DESC" if descending else ""
        order = ", ".join(column + direction for column in _SORT_KEYS.get(sort, _SORT_KEYS["added"]))
        where, arguments, said_too_often = self._filter(text)
        total = int(self._query(f"SELECT COUNT(*) FROM videos{where}", arguments)[0][0])
        offset, limit = max(0, int(offset)), max(1, min(500, int(limit)))
        # The page's ids first, from the sort's index alone (every term in one direction, so it can be
        # read backwards too), then only those rows: OFFSET walks index entries, not whole rows.
        ids = [row["id"] for row in self._query(f"SELECT id FROM videos{where} ORDER BY {order} LIMIT ? OFFSET ?",
                                                [*arguments, limit, offset])]
        rows = {row["id"]: row for row in self._query(
            f"SELECT v.*, (SELECT COUNT(*) FROM passages p WHERE p.video_id = v.id) AS passages FROM videos v "
            f"WHERE v.id IN ({', '.join('?' * len(ids))})", ids)} if ids else {}
        return VideoPage([_entry(rows[video_id]) for video_id in ids if video_id in rows], total, offset, limit,
                         said_too_often)

    def _filter(self, text: str | None) -> tuple[str, list, bool]:
        """The WHERE clause of a library filter, its arguments, and whether the transcripts were left out:
        videos whose title, channel or TL;DR contains ``text`` (any case), or whose transcript says its
        words in that order (a guest named in the talk, not in the file name). Words said in more than
        :data:`FILTER_PASSAGES` passages ("people", "the") find nothing a title would not: then the
        transcripts are not searched (a filter stays a few milliseconds at 10,000 videos)."""
        from .text import STOPWORDS

        if not text or not text.strip():
            return "", [], False
        pattern = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = " WHERE title LIKE ? ESCAPE '\\' OR channel LIKE ? ESCAPE '\\' OR tldr LIKE ? ESCAPE '\\'"
        arguments: list = [pattern, pattern, pattern]
        words = [word.lower() for word in re.findall(r"\w+", text, flags=re.UNICODE)]
        if not any(word not in STOPWORDS for word in words):
            return where, arguments, bool(words)
        phrase = '"' + " ".join(words) + '"'  # one phrase: its words, in order, never FTS syntax
        found = [row[0] for row in self._query("SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? LIMIT ?",
                                               (phrase, FILTER_PASSAGES + 1))]
        if len(found) > FILTER_PASSAGES:
            return where, arguments, True
        if found:
            videos = [row[0] for row in self._query(
                f"SELECT DISTINCT video_id FROM passages WHERE id IN ({', '.join('?' * len(found))})", found)]
            where += f" OR id IN ({', '.join('?' * len(videos))})"
            arguments += videos
        return where, arguments, False

    def video(self, video_id: str) -> VideoEntry | None:
        row = self._row(video_id)
        return _entry(row) if row is not None else None

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
        return VideoDetails(_entry(row), self._summary_of(row), self._transcript_of(row), _media_of(row))

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
        return _summary_from_files(row["summary_path"])

    def transcript(self, video_id: str) -> Transcript | None:
        """The video's transcript: the transcript file ytlocal recorded for it when it is still there,
        else its passages (a few sentences each, with their times)."""
        row = self._row(video_id)
        return self._transcript_of(row) if row is not None else None

    def _transcript_of(self, row: sqlite3.Row) -> Transcript:
        if row["transcript_path"]:
            from .transcript import read_transcript

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
        return _media_of(row) if row is not None else None

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

    def stats(self) -> dict[str, int]:
        """How much the library holds: videos, passages, their vectors and the bytes on disk (database and vector index)."""
        videos = int(self._query("SELECT COUNT(*) FROM videos")[0][0])
        count = int(self._query("SELECT COUNT(*) FROM passages")[0][0])
        vectors = int(self._query("SELECT COUNT(*) FROM passage_vectors")[0][0])
        files = [*self.path.parent.glob(DB_NAME + "*"), self.vectors.index_path]
        size = sum(p.stat().st_size for p in files if p.is_file())
        return {"videos": videos, "passages": count, "vectors": vectors, "bytes": size}

    def find(self, wanted: str) -> list[str]:
        """Video ids matching an id, a URL, a path or a title."""
        rows = self._query("SELECT id FROM videos WHERE id = ? OR url = ? OR path = ? OR title = ?",
                           (wanted, wanted, wanted, wanted))
        return [row["id"] for row in rows]

    def remove(self, video_id: str) -> None:
        self._query("DELETE FROM videos WHERE id = ?", (video_id,))  # its passages and vectors go with it
        if self.vectors.stored_model() is not None and self.vectors.index_path.exists():
            model = self.embedding_model()
            if model is not None:
                self._maintain(model)

    def missing_vectors(self) -> int:
        """Passages without a vector (added without the model, or before vectors existed)."""
        return int(self._query("SELECT COUNT(*) FROM passages p WHERE NOT EXISTS "
                               "(SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id)")[0][0])

    def reindex(self, progress: Progress = no_progress) -> dict[str, int | str | None]:
        """Rebuild the full-text index, embed every passage that has no vector (all of them after a
        change of model), and rebuild the vector index file. Resumable: vectors are committed
        every :data:`REINDEX_BATCH` passages, so a killed reindex keeps what it did and the next one
        goes on from there. Returns ``passages``, ``embedded``, ``missing`` (still without a vector)
        and ``model`` (None without an embedding model)."""
        passages_count = self.rebuild_index()
        model = self.embedding_model()
        if model is None:
            return {"passages": passages_count, "embedded": 0, "missing": self.missing_vectors(), "model": None}
        key = model_key(model)
        try:
            self.vectors.forget_other_models(key)
            total = self.missing_vectors()
            done, last = 0, 0
            progress("embed passages", 0, total)
            while True:
                rows = self._query("SELECT p.id, p.text FROM passages p WHERE p.id > ? AND NOT EXISTS "
                                   "(SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id) ORDER BY p.id LIMIT ?",
                                   (last, REINDEX_BATCH))
                if not rows:
                    break
                vectors = model.embed([row["text"] for row in rows])
                with self.database.transaction() as connection:
                    if not self.vectors.claim(connection, key):
                        raise LibraryError(f"another process is adding vectors of another model to {self.path}; "
                                           f"run `ytlocal library reindex` again when it is done")
                    alive = {r[0] for r in connection.execute(
                        f"SELECT id FROM passages WHERE id IN ({', '.join('?' * len(rows))})", [r["id"] for r in rows])}
                    chosen = [i for i, row in enumerate(rows) if row["id"] in alive]  # removed meanwhile: skipped
                    self.vectors.write(connection, [rows[i]["id"] for i in chosen], vectors[chosen])
                done += len(rows)
                last = rows[-1]["id"]
                progress("embed passages", done, total)
            self.vectors.build(key, progress)
        except sqlite3.Error as error:
            raise self._error(error) from None
        except OSError as error:
            raise LibraryError(f"cannot write the vector index beside {self.path}: {error}") from None
        return {"passages": passages_count, "embedded": done, "missing": self.missing_vectors(), "model": key}

    def rebuild_index(self) -> int:
        """Rebuild the full-text index from the passages (after a crash or an SQLite upgrade)."""
        self._query("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
        self._query("INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
        return int(self._query("SELECT COUNT(*) FROM passages")[0][0])

    def _ranked(self, match: str, video_ids: list[str] | None, limit: int,
                include_skipped: bool = True) -> list[tuple[int, float]]:
        """(passage id, bm25 rank) of the ``limit`` best matches of an FTS5 ``match``."""
        # FTS5 ranks and cuts first (its own fast path).
        sql = "SELECT rowid, rank FROM passages_fts WHERE passages_fts MATCH ?"
        arguments: list = [match]
        if video_ids is not None:
            sql += f" AND rowid IN (SELECT id FROM passages WHERE video_id IN ({', '.join('?' * len(video_ids))}))"
            arguments += video_ids
        if not include_skipped:
            sql += " AND rowid NOT IN (SELECT id FROM passages WHERE skipped = 1)"
        arguments.append(limit)
        return [(row[0], float(row[1])) for row in self._query(sql + " ORDER BY rank LIMIT ?", arguments)]

    def _by_words(self, query: str, video_ids: list[str] | None, limit: int, include_skipped: bool,
                  any_common_word: bool = True) -> list[tuple[int, float]]:
        """bm25's ``limit`` best passages: those with every word first (an intersection: fast in a
        large library), then, if too few, those with any of them; bm25 orders each group. (Narrowing
        from all words to the rarest alone was tried: recall@1 0.73 -> 0.57 on scripts/bench_ask.py.)"""
        found: list[tuple[int, float]] = []
        seen: set[int] = set()
        for match in (fts_query(query, every=True), self._rarest_words(query, any_common_word)):
            if match is None:
                continue
            for passage_id, rank in self._ranked(match, video_ids, limit, include_skipped):
                if passage_id not in seen:
                    seen.add(passage_id)
                    found.append((passage_id, rank))
            if len(found) >= limit:
                break
        return found[:limit]

    def _rarest_words(self, query: str, keep_one: bool = True) -> str | None:
        """The any-word query over the query's rarest words, as many as fit :data:`ANY_WORD_POSTINGS`
        passages in all (at least the rarest one, unless ``keep_one`` is False: with vectors, a word
        in too many passages adds nothing but time). bm25 ranks every passage an any-word query matches: in 1.44
        million passages a question's common words ("like", "people", "thinking") match hundreds of
        thousands, which took 0.1-1 s a query, and they weigh little in bm25 anyway (a small library
        keeps every word). How many passages hold each word comes from FTS5's own vocabulary, the
        words cut into terms by a temporary FTS5 table with the library's tokenizer."""
        match = fts_query(query)
        if match is None:
            return None
        words = [word.strip('"') for word in match.split(" OR ")]
        terms = self._query_terms(words)
        if terms is None:
            return match
        counts: dict[int, int] = {}
        for index, _term, count in terms:
            counts[index] = max(counts.get(index, 0), count)
        chosen, total = [], 0
        for index in sorted(counts, key=lambda i: counts[i]):
            if counts[index] == 0:
                continue  # in no passage
            if (chosen or not keep_one) and total + counts[index] > ANY_WORD_POSTINGS:
                break
            chosen.append(words[index])
            total += counts[index]
        return " OR ".join(f'"{word}"' for word in chosen) if chosen else None

    def _scratch(self, connection: sqlite3.Connection) -> None:
        if getattr(self._thread, "scratched", None) is not connection:
            _scratch_tables(connection)
            self._thread.scratched = connection

    def _query_terms(self, words: list[str]) -> list[tuple[int, str, int]] | None:
        """Each word's FTS5 terms (the library's tokenizer: stemmed, accents folded) as (word index,
        term, passages holding it), or None when SQLite cannot say. How many passages hold a term
        comes from FTS5's own vocabulary, cut into terms by a temporary FTS5 table."""
        last = getattr(self._thread, "terms", None)  # the same words again within one search
        if last is not None and last[0] == words and last[1] == self._term_counts_at:
            return last[2]
        connection = self.database.connection
        try:
            self._scratch(connection)
            _temporary_rows(connection, "temp.query_words", "word", list(enumerate(words)))
            terms = connection.execute("SELECT doc, term FROM temp.query_terms").fetchall()
            # Counting a term's passages reads its whole list: remembered while the library grows < 5 %.
            size = int(connection.execute("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0])
            if not self._term_counts_at or abs(size - self._term_counts_at) > 0.05 * self._term_counts_at:
                self._term_counts, self._term_counts_at = {}, size
            found = []
            for index, term in terms:
                if term not in self._term_counts:
                    row = connection.execute("SELECT doc FROM temp.library_terms WHERE term = ?", (term,)).fetchone()
                    if len(self._term_counts) > 50_000:
                        self._term_counts.clear()
                    self._term_counts[term] = int(row[0]) if row else 0
                found.append((int(index), term, self._term_counts[term]))
        except sqlite3.Error as error:
            logging.getLogger(__name__).debug("every word of the query kept: %s", error)
            return None
        self._thread.terms = (list(words), self._term_counts_at, found)
        return found

    def _coverage(self, query: str, texts: dict[int, str]) -> dict[int, float]:
        """For each passage (id -> text): the share of the query's words it holds, each weighted by
        its rarity in the library (log of passages per passage holding it). The passages are cut into
        terms by a temporary FTS5 table with the library's tokenizer, so a word counts as bm25 counts it
        (a regular expression over the words' stems, 1.5x faster, lost a paraphrased question of 28 on
        the new cases of scripts/bench_ask.py)."""
        import math

        match = fts_query(query)
        words = [word.strip('"') for word in match.split(" OR ")] if match else []
        terms = self._query_terms(words) if words else None
        if not terms or not texts:
            return {}
        size = max(1, self._term_counts_at)
        weights = {term: math.log((size + 1) / (count + 0.5)) for _index, term, count in terms}
        total = sum(weights.values())
        connection = self.database.connection
        try:
            self._scratch(connection)
            _temporary_rows(connection, "temp.candidate_text", "text", list(texts.items()))
            held = []  # (passage, term): a MATCH per word reads its short list (the vocabulary is slower)
            for term, word in {term: words[index] for index, term, _count in terms}.items():
                held += [(row[0], term) for row in connection.execute(
                    "SELECT rowid FROM temp.candidate_text WHERE candidate_text MATCH ?", (f'"{word}"',))]
        except sqlite3.Error as error:
            logging.getLogger(__name__).debug("no word coverage: %s", error)
            return {}
        coverage: dict[int, float] = {}
        for doc, term in held:
            coverage[int(doc)] = coverage.get(int(doc), 0.0) + weights[term] / total
        return coverage

    def _blended(self, query: str, vector, words: list[tuple[int, float]], nearest: list[tuple[int, float]],
                 blend: Blend) -> list[tuple[int, float]]:
        """bm25's and the vectors' candidates scored by :class:`~ytlocal.vectors.Blend`: cosine to the
        passage with its neighbours, plus the rare words of the query it holds."""
        import numpy as np

        candidates = list(dict.fromkeys([i for i, _ in nearest[:blend.depth]] + [i for i, _ in words[:blend.depth]]))
        if not candidates:
            return []
        marks = ", ".join("?" * len(candidates))
        rows = self._query(f"SELECT id, video_id, text FROM passages WHERE id IN ({marks})", candidates)
        texts = {row["id"]: row["text"] for row in rows}
        videos = {row["id"]: row["video_id"] for row in rows}
        around = sorted({i + step for i in candidates for step in (-1, 1)} - set(candidates))
        beside = {row["id"]: row["video_id"] for row in self._query(
            f"SELECT id, video_id FROM passages WHERE id IN ({', '.join('?' * len(around))})", around)} if around else {}
        wanted = candidates + list(beside)
        stored = self._query(f"SELECT passage_id, vector FROM passage_vectors WHERE passage_id IN "
                             f"({', '.join('?' * len(wanted))})", wanted)
        vectors = dict(zip((row["passage_id"] for row in stored),
                           from_blobs((row["vector"] for row in stored), len(vector)))) if stored else {}
        coverage = self._coverage(query, texts)
        width = len(vector)
        mixed = np.zeros((len(candidates), width), np.float32)
        has_vector = np.zeros(len(candidates), bool)
        for row, passage_id in enumerate(candidates):
            own = vectors.get(passage_id)
            if own is None:  # no vector yet (added without the model): its words alone
                continue
            has_vector[row] = True
            mixed[row] = own
            for other in (passage_id - 1, passage_id + 1):
                if blend.context and other in vectors and (beside.get(other) or videos.get(other)) == videos[passage_id]:
                    mixed[row] += blend.context * vectors[other]
        norms = np.linalg.norm(mixed, axis=1)
        cosines = np.where(has_vector, (mixed @ vector) / np.where(norms > 0, norms, 1.0), 0.0)
        scored = [(passage_id, blend.score(float(cosine), coverage.get(passage_id, 0.0)))
                  for passage_id, cosine in zip(candidates, cosines)]
        return sorted(scored, key=lambda item: (-item[1], item[0]))

    def _by_meaning(self, query: str, video_ids: list[str] | None, limit: int,
                    include_skipped: bool, vector_out: list | None = None) -> list[tuple[int, float]] | None:
        """The ``limit`` passages nearest in meaning as (id, cosine), or None without a model
        (``vector_out``: a list that receives the query's vector)."""
        import time

        if self.vectors.stored_model() is None:  # no passage has a vector yet: no query to embed, no model to load
            return None
        model = self.embedding_model()
        if model is None:
            return None
        started = time.perf_counter()
        try:
            vector = model.embed([_QUOTES.sub(" ", query).strip()])[0]  # quotes are search syntax, not meaning
        except ModelError as error:
            logging.getLogger(__name__).warning("search by words alone: %s", error)
            return None
        self.timings["embed_ms"] = (time.perf_counter() - started) * 1000
        if vector_out is not None:
            vector_out.append(vector)
        started = time.perf_counter()
        wanted = limit if include_skipped else limit * 2
        try:
            found = self.vectors.nearest(vector, model_key(model), wanted, video_ids)
        except sqlite3.Error as error:
            raise self._error(error) from None
        except (OSError, ValueError, MemoryError) as error:  # the derived file: words alone this time
            logging.getLogger(__name__).warning("search by words alone: the vector index beside %s cannot be "
                                                "used (%s); `ytlocal library reindex` rebuilds it", self.path, error)
            return None
        found = [item for item in found if item[1] >= MIN_COSINE]
        if not include_skipped and found:
            ads = {r[0] for r in self._query(f"SELECT id FROM passages WHERE skipped = 1 AND id IN "
                                             f"({', '.join('?' * len(found))})", [i for i, _ in found])}
            found = [item for item in found if item[0] not in ads]
        self.timings["vectors_ms"] = (time.perf_counter() - started) * 1000
        return found[:limit]

    def _exact(self, query: str, video_ids: list[str] | None, include_skipped: bool) -> set[int]:
        """Passages that hold a quoted phrase of the query, or every word of a query that is a name:
        what the user asked for word for word, kept above what is only near in meaning."""
        from .text import STOPWORDS

        phrases = quoted_phrases(query)
        if phrases:
            match = " AND ".join('"' + " ".join(re.findall(r"\w+", phrase.lower(), flags=re.UNICODE)) + '"'
                                 for phrase in phrases)
        elif is_name(query, STOPWORDS):
            match = fts_query(query, every=True)
        else:
            return set()
        return {passage_id for passage_id, _rank in self._ranked(match, video_ids, CANDIDATES, include_skipped)}

    def ranked(self, query: str, *, video: str | None = None, limit: int = 10, include_skipped: bool = True,
               method: str = "hybrid", fusion: Fusion | Blend | None = None) -> list[tuple[int, float]]:
        """(passage id, score) of the ``limit`` best passages, best first. ``method``: ``hybrid`` (bm25
        and vectors fused by ``fusion``, :data:`FUSION` unless given; bm25 alone where there are no
        vectors), ``bm25`` or ``vectors``. A quoted phrase or a name puts the passages holding those
        exact words first (see :meth:`_exact`)."""
        if fts_query(query) is None:
            return []
        video_ids = (self.find(video) or [video]) if video is not None else None
        fused, was_fused = self._fused(query, video_ids, limit, include_skipped, method, fusion)
        if was_fused:
            exact = self._exact(query, video_ids, include_skipped)
            if exact:
                fused = [item for item in fused if item[0] in exact] + [item for item in fused if item[0] not in exact]
        return fused[:limit]

    def _fused(self, query: str, video_ids: list[str] | None, limit: int, include_skipped: bool = True,
               method: str = "hybrid", fusion: Fusion | Blend | None = None) -> tuple[list[tuple[int, float]], bool]:
        """The ranking of ``method`` before exact words are put first, and whether two lists were fused."""
        import time

        self.timings = {}
        nearest, vector = None, []
        if method != "bm25":
            nearest = self._by_meaning(query, video_ids, max(limit, CANDIDATES), include_skipped, vector)
        if method == "vectors":
            return (nearest or [])[:limit], False
        started = time.perf_counter()
        depth = limit if not nearest else max(limit, CANDIDATES)
        words = self._by_words(query, video_ids, depth, include_skipped, any_common_word=not nearest)
        self.timings["bm25_ms"] = (time.perf_counter() - started) * 1000
        if not nearest:  # no model, or no vectors here: as bm25 ranks
            return [(passage_id, -rank) for passage_id, rank in words[:limit]], False
        fusion = fusion or FUSION
        started = time.perf_counter()
        if isinstance(fusion, Blend):
            fused = self._blended(query, vector[0], words, nearest, fusion)
        else:
            fused = fusion([i for i, _ in words], [i for i, _ in nearest])
        self.timings["fusion_ms"] = (time.perf_counter() - started) * 1000
        return fused, True

    def search(self, query: str, *, video: str | None = None, limit: int = 10, include_skipped: bool = True,
               method: str = "hybrid") -> list[Hit]:
        """The ``limit`` best passages for ``query``, optionally of one video (id, URL, path, title):
        bm25 fused with the passages nearest in meaning when the library has vectors (see
        :meth:`ranked`), with the query's words in bold. ``include_skipped=False`` leaves out the
        passages inside ad reads (as ``ask`` does); otherwise they come as ranked, ``skipped`` set."""
        chosen = self.ranked(query, video=video, limit=limit, include_skipped=include_skipped, method=method)
        if not chosen:
            return []
        rows = {row["id"]: row for row in self._query(
            f"SELECT p.id, p.video_id, v.title, p.start, p.end, v.url, v.path, p.text, p.skipped FROM passages p "
            f"JOIN videos v ON v.id = p.video_id WHERE p.id IN ({', '.join('?' * len(chosen))})",
            [passage_id for passage_id, _score in chosen])}
        marked = _marker(query)
        return [Hit(row["video_id"], row["title"], row["start"], row["end"], marked(row["text"]), row["url"],
                    row["path"], float(score), row["id"], bool(row["skipped"]))
                for passage_id, score in chosen if (row := rows.get(passage_id)) is not None]


def _scratch_tables(connection: sqlite3.Connection) -> None:
    """This connection's temporary tables that cut a query's words, and the candidate passages, into
    the library's terms (in memory: they are rewritten at every search)."""
    if connection.execute("PRAGMA temp_store").fetchone()[0] != 2:
        connection.execute("PRAGMA temp_store = MEMORY")  # before any temporary table (it drops them)
    # Contentless (content=''): only their terms are read, and 'delete-all' empties them at once.
    for sql in ("CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_words USING fts5(word, content='', tokenize="
                "'porter unicode61 remove_diacritics 2')",
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_terms USING fts5vocab(temp, query_words, instance)",
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.library_terms USING fts5vocab(main, passages_fts, row)",
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.candidate_text USING fts5(text, content='', tokenize="
                "'porter unicode61 remove_diacritics 2')"):
        connection.execute(sql)


def _temporary_rows(connection: sqlite3.Connection, table: str, column: str, rows: list[tuple[int, str]]) -> None:
    """Replace the rows of a temporary contentless FTS5 table in one transaction (row by row in
    autocommit, each row is an FTS5 segment of its own: 100 passages took ~30 ms instead of ~1 ms)."""
    own = not connection.in_transaction
    if own:
        connection.execute("BEGIN")
    try:
        name = table.split(".")[-1]
        connection.execute(f"INSERT INTO {table} ({name}) VALUES ('delete-all')")
        connection.executemany(f"INSERT INTO {table} (rowid, {column}) VALUES (?, ?)", rows)
    except BaseException:
        if own:
            connection.execute("ROLLBACK")
        raise
    if own:
        connection.execute("COMMIT")


_QUOTES = re.compile(r"[\"\u201c\u201d\u201e]")
#: The media a page can play, by suffix, with the type it is served as: only these files are ever served.
PLAYABLE = {".opus": "audio/ogg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".m4a": "audio/mp4", ".aac": "audio/aac",
            ".mp3": "audio/mpeg", ".mpga": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac",
            ".webm": "audio/webm", ".mka": "audio/x-matroska", ".mp4": "video/mp4", ".m4v": "video/mp4",
            ".mkv": "video/x-matroska", ".mov": "video/quicktime", ".mpeg": "video/mpeg"}


def _media_of(row: sqlite3.Row) -> Path | None:
    for candidate in (row["media_path"], row["path"]):
        if candidate:
            path = Path(candidate)
            if path.is_file() and path.suffix.lower() in PLAYABLE:
                return path
    return None
_SUMMARY_MD_TLDR = re.compile(r"^## TL;DR\s*\n+(.+?)\n+## ", re.S | re.M)


def _summary_from_files(summary_path: str | None) -> Summary | None:
    """A summary read back from what ytlocal wrote: the ``.summary.json`` beside the ``.md`` when it is
    there (everything), else the ``.md``'s TL;DR and timed statements (as key points)."""
    if not summary_path:
        return None
    path = Path(summary_path)
    stem = path.name.removesuffix(".md").removesuffix(".summary.json")
    beside = path.with_name(stem + ".summary.json")
    try:
        if beside.is_file():
            document = json.loads(beside.read_text(encoding="utf-8"))
            return Summary.from_dict(dict(document["summary"], has_timings=document.get("has_timings", True),
                                          llm=(document.get("models") or {}).get("llm") or {}))
        if path.suffix == ".md" and path.is_file():
            text = path.read_text(encoding="utf-8")
            result = read_summary_markdown(path)
            found = _SUMMARY_MD_TLDR.search(text)
            points = [Point(segment.text, segment.start) for segment in result.transcript.segments]
            return Summary(title=result.title, tldr=found.group(1).strip() if found else "", key_points=points,
                           sections=[], has_timings=True, llm={}, options={})
    except Exception as error:  # moved, edited by hand, not ytlocal's: the page shows the transcript alone
        logging.getLogger(__name__).debug("summary %s unreadable: %s", summary_path, error)
    return None


def _marker(query: str):
    """A function that puts the words matching the query (same stem start) in **bold**."""
    from .text import STOPWORDS, stem

    terms = [w.lower() for w in re.findall(r"\w+", query, flags=re.UNICODE)]
    stems = sorted({stem(w)[:max(4, len(stem(w)) - 1)] if len(w) > 4 else w
                    for w in terms if w not in STOPWORDS} or set(terms), key=len, reverse=True)
    if not stems:
        return lambda text: text
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)
    return lambda text: pattern.sub(lambda m: f"**{m.group(0)}**", text)


def ad_flags(rows: list[tuple[float | None, float | None, str]], spans: list[Skipped]) -> list[bool]:
    """For each passage, whether at least :data:`AD_SHARE` of its time lies inside the skipped spans
    (an untimed passage or span never counts)."""
    timed = [(s.start, s.end) for s in spans if s.end > s.start]
    flags = []
    for start, end, _text in rows:
        if not timed or start is None or end is None or end <= start:
            flags.append(False)
            continue
        inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in timed)
        flags.append(inside >= AD_SHARE * (end - start))
    return flags


def _stored_skipped(summary_json: str | None) -> list[Skipped]:
    """The skipped spans of a summary the library kept (a video added again without its summary)."""
    if not summary_json:
        return []
    try:
        return [Skipped.from_dict(item) for item in json.loads(summary_json).get("skipped") or []]
    except (ValueError, TypeError, AttributeError):
        return []


def settings_embedder(settings: Settings, models):
    """A loader for the embedding model the settings name (``embedding_model``), loaded on first call
    into ``models`` (the :class:`~ytlocal.runtime.models.Models` of whoever owns its lifetime), or None
    when it is not installed: the library then works by words alone and ``library reindex`` embeds later."""

    def load():
        from .config import resolve_models_dir
        from .registry import ModelStore

        name = settings.embedding_model
        if not name:
            return None
        try:
            model = ModelStore(resolve_models_dir(settings)[0]).resolve(name, "embedding")
        except ModelError as error:
            logging.getLogger(__name__).info("passages without vectors (words alone): %s", error)
            return None
        return models.embedder(model)

    return load


def index_quietly(settings: Settings, result: Result, embedder=None, **paths) -> None:
    """Index a finished video, with vectors when ``embedder`` (an embedding model, or a loader that
    returns one or None, such as :meth:`Pipeline.embedder <ytlocal.pipeline.Pipeline.embedder>`) gives
    one (else ``library reindex`` adds them later); a failure is a warning, never a failed video."""
    try:
        with Library(library_dir(settings), embedder=embedder) as library:
            library.add(result, **paths)
    except (LibraryError, ModelError, OSError) as error:
        logging.getLogger(__name__).warning("not added to the library: %s", error)


_FRONT = re.compile(r'^(title|source|duration): "?(.*?)"?$', re.M)
_BULLET = re.compile(r"^\s*[-*] \[(\d{1,2}:\d{2}(?::\d{2})?)\](?:\(([^)\s]*)\))?\s+(.+)$", re.M)


def _seconds(clock_text: str) -> float:
    total = 0.0
    for part in clock_text.split(":"):
        total = total * 60 + int(part)
    return total


def read_summary_markdown(path: Path) -> Result:
    """A summary ``.md`` written by ytlocal, as a Result whose transcript is its timed statements: what
    a batch folder holds when it was run without --with-transcript."""
    from .errors import SourceError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"{path}: cannot read it ({error})") from None
    if not text.startswith("---\n") or "generator: \"ytlocal" not in text.split("\n---", 1)[0]:
        raise SourceError(f"{path} is not a summary written by ytlocal")
    front = dict(_FRONT.findall(text.split("\n---", 1)[0]))
    segments = [Segment(_seconds(clock), _seconds(clock), statement.strip()) for clock, _url, statement in
                _BULLET.findall(text)]
    if not segments:
        raise SourceError(f"{path}: a summary without timed statements")
    source = front.get("source") or str(path)
    url = source if source.startswith(("http://", "https://")) else None
    media = Media(key="summary-" + hashlib.sha256(source.encode()).hexdigest()[:16], source=source, audio_path=None,
                  title=front.get("title") or path.stem, extractor="summary", video_id="summary",
                  duration=_seconds(front["duration"]) if re.fullmatch(r"[\d:]+", front.get("duration", "")) else None,
                  webpage_url=url)
    return Result(str(path) if url is None else url, media=media, transcript=Transcript(segments))


def transcript_files(paths: Iterable[str]) -> tuple[list[tuple[Path, bool]], list[str]]:
    """The transcript files named (files, or folders searched recursively), each with whether it was
    named itself (else found in a folder: one that is not a transcript is skipped, not an error), and
    the names that are neither."""
    from .pipeline import TRANSCRIPT_SUFFIXES

    INDEXED_SUFFIXES = (*TRANSCRIPT_SUFFIXES, ".md")  # a summary only where no transcript of it is there
    found: list[tuple[Path, bool]] = []
    problems: list[str] = []
    for name in paths:
        path = Path(name).expanduser()
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in INDEXED_SUFFIXES
                            and not p.name.endswith(SUMMARY_SUFFIXES) and p.name != "index.md"
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
            # ytlocal writes a transcript as .txt, .srt and .json side by side: index the richest one.
            by_stem: dict[Path, Path] = {}
            for candidate in inside:
                key = candidate.with_suffix("")
                order = INDEXED_SUFFIXES.index(candidate.suffix.lower())
                if key not in by_stem or order < INDEXED_SUFFIXES.index(by_stem[key].suffix.lower()):
                    by_stem[key] = candidate
            if not by_stem:
                problems.append(f"{name}: no transcript files (.json, .srt, .vtt, .txt) in it")
            found.extend((candidate, False) for candidate in sorted(by_stem.values()))
        elif path.is_file() and path.suffix.lower() in INDEXED_SUFFIXES:
            found.append((path, True))
        else:
            problems.append(f"{name}: not a transcript file or folder")
    return found, problems
