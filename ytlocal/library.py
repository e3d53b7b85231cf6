"""The local library: every transcript ytlocal writes (and any added with ``ytlocal library add``),
searchable offline.

One SQLite database (``library.sqlite`` in the user data dir, or ``library_dir`` / ``--library``): a
row per video (title, channel, URL or path, duration, models, where its summary, transcript and media
are, its summary itself) and passage rows of a few sentences each with their start and end times,
indexed with SQLite's FTS5 and ranked by bm25. Each video is indexed in one transaction (a kill leaves
the previous state or the new one, never half), and adding a video again replaces its passages.

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
from .errors import LibraryError
from .records import Media, Point, Result, Segment, Summary, Transcript

DB_NAME = "library.sqlite"
SUMMARY_SUFFIXES = (".summary.json", ".summary.txt", ".hashnode.md")  # summaries written beside transcripts, not transcripts
PASSAGE_WORDS = 60  # a passage: consecutive segments up to about this many words
BUSY_TIMEOUT_S = 10.0

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


LIBRARY_SCHEMA = Schema("library", (_FIRST_SCHEMA, _add_pages))


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
                "text": self.text, "url": self.url, "path": self.path, "score": self.score, "link": self.link}


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

    One instance may be shared by threads: each gets its own connection (see :mod:`ytlocal.db`)."""

    def __init__(self, folder: Path | str):
        self.path = Path(folder) / DB_NAME
        try:
            self.database = Database(self.path, LIBRARY_SCHEMA, busy_timeout=BUSY_TIMEOUT_S, too_new=LibraryError)
        except sqlite3.DatabaseError as error:
            raise self._error(error) from None
        except OSError as error:
            raise LibraryError(f"cannot open the library at {self.path}: {error}") from None

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
        try:
            with self.database.transaction() as connection:
                previous = connection.execute(
                    "SELECT v.summary_path, v.transcript_path, v.tldr, v.media_path, d.summary_json FROM videos v "
                    "LEFT JOIN documents d ON d.video_id = v.id WHERE v.id = ?", (video_id,)).fetchone()

                def kept(column: str, new):
                    return new if new is not None else (previous[column] if previous else None)

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
                connection.executemany("INSERT INTO passages (video_id, start, end, text) VALUES (?, ?, ?, ?)",
                                       [(video_id, start, end, text) for start, end, text in rows])
        except sqlite3.Error as error:
            raise self._error(error) from None
        return video_id

    def is_empty(self) -> bool:
        return not self._query("SELECT 1 FROM videos LIMIT 1")

    def videos(self) -> list[sqlite3.Row]:
        return self._query("SELECT v.*, (SELECT COUNT(*) FROM passages p WHERE p.video_id = v.id) AS passages "
                           "FROM videos v ORDER BY v.indexed, v.title")

    def page(self, *, text: str | None = None, sort: str = "added", descending: bool = True, offset: int = 0,
             limit: int = 50) -> VideoPage:
        """One page of the videos, sorted by ``sort`` (one of :data:`SORTS`), those whose title or
        channel contains ``text`` (any case) when it is given."""
        direction = " DESC" if descending else ""
        order = ", ".join(column + direction for column in _SORT_KEYS.get(sort, _SORT_KEYS["added"]))
        where, arguments = "", []
        if text and text.strip():
            pattern = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where = " WHERE title LIKE ? ESCAPE '\\' OR channel LIKE ? ESCAPE '\\'"
            arguments = [pattern, pattern]
        total = int(self._query(f"SELECT COUNT(*) FROM videos{where}", arguments)[0][0])
        offset, limit = max(0, int(offset)), max(1, min(500, int(limit)))
        # The page's ids first, from the sort's index alone (every term in one direction, so it can be
        # read backwards too), then only those rows: OFFSET walks index entries, not whole rows.
        ids = [row["id"] for row in self._query(f"SELECT id FROM videos{where} ORDER BY {order} LIMIT ? OFFSET ?",
                                                [*arguments, limit, offset])]
        rows = {row["id"]: row for row in self._query(
            f"SELECT v.*, (SELECT COUNT(*) FROM passages p WHERE p.video_id = v.id) AS passages FROM videos v "
            f"WHERE v.id IN ({', '.join('?' * len(ids))})", ids)} if ids else {}
        return VideoPage([_entry(rows[video_id]) for video_id in ids if video_id in rows], total, offset, limit)

    def video(self, video_id: str) -> VideoEntry | None:
        rows = self._query("SELECT v.*, (SELECT COUNT(*) FROM passages p WHERE p.video_id = v.id) AS passages "
                           "FROM videos v WHERE v.id = ?", (video_id,))
        return _entry(rows[0]) if rows else None

    def _row(self, video_id: str) -> sqlite3.Row | None:
        rows = self._query("SELECT v.*, d.summary_json, d.media_json FROM videos v LEFT JOIN documents d "
                           "ON d.video_id = v.id WHERE v.id = ?", (video_id,))
        return rows[0] if rows else None

    def summary(self, video_id: str) -> Summary | None:
        """The video's summary: as stored when it was added, else read back from the summary file
        ytlocal wrote (``.summary.json`` beside it, or the ``.md``'s TL;DR and timed key points)."""
        row = self._row(video_id)
        if row is None:
            return None
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
        if row is None:
            return None
        if row["transcript_path"]:
            from .transcript import read_transcript

            try:
                return read_transcript(Path(row["transcript_path"]))
            except Exception:  # moved, edited or unreadable: the passages still hold every word
                pass
        rows = self._query("SELECT start, end, text FROM passages WHERE video_id = ? ORDER BY id", (video_id,))
        timed = any(r["start"] is not None for r in rows)
        return Transcript([Segment(r["start"] or 0.0, r["end"] or 0.0, r["text"]) for r in rows],
                          language=row["language"], duration=row["duration"], model=row["whisper_model"] or "",
                          options={} if timed else {"untimed": True})

    def media_file(self, video_id: str) -> Path | None:
        """The audio or video file of this video on this machine, when there is one: the file ytlocal
        recorded when it added the video (a download in the cache, or the local file itself), never a
        path from anywhere else."""
        row = self._row(video_id)
        if row is None:
            return None
        for candidate in (row["media_path"], row["path"]):
            if candidate:
                path = Path(candidate)
                if path.is_file() and path.suffix.lower() in _PLAYABLE:
                    return path
        return None

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
        transcript = self.transcript(video_id)
        if transcript is not None:
            transcript.media = media
        return Result(row["url"] or row["path"] or row["id"], media=media, transcript=transcript,
                      summary=self.summary(video_id))

    def stats(self) -> dict[str, int]:
        """How much the library holds: videos, passages and the database's bytes on disk."""
        videos = int(self._query("SELECT COUNT(*) FROM videos")[0][0])
        count = int(self._query("SELECT COUNT(*) FROM passages")[0][0])
        size = sum(p.stat().st_size for p in self.path.parent.glob(DB_NAME + "*") if p.is_file())
        return {"videos": videos, "passages": count, "bytes": size}

    def find(self, wanted: str) -> list[str]:
        """Video ids matching an id, a URL, a path or a title."""
        rows = self._query("SELECT id FROM videos WHERE id = ? OR url = ? OR path = ? OR title = ?",
                           (wanted, wanted, wanted, wanted))
        return [row["id"] for row in rows]

    def remove(self, video_id: str) -> None:
        self._query("DELETE FROM videos WHERE id = ?", (video_id,))

    def rebuild_index(self) -> int:
        """Rebuild the full-text index from the passages (after a crash or an SQLite upgrade)."""
        self._query("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
        self._query("INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
        return int(self._query("SELECT COUNT(*) FROM passages")[0][0])

    def _ranked(self, match: str, video: str | None, limit: int) -> list[sqlite3.Row]:
        # FTS5 ranks and cuts first (its own fast path); only the chosen rows are joined.
        inner = "SELECT rowid, rank FROM passages_fts WHERE passages_fts MATCH ?"
        arguments: list = [match]
        if video is not None:
            ids = self.find(video) or [video]
            inner += f" AND rowid IN (SELECT id FROM passages WHERE video_id IN ({', '.join('?' * len(ids))}))"
            arguments += ids
        sql = (f"SELECT p.id, p.video_id, v.title, p.start, p.end, v.url, v.path, p.text, best.rank AS score "
               f"FROM ({inner} ORDER BY rank LIMIT ?) AS best JOIN passages p ON p.id = best.rowid "
               f"JOIN videos v ON v.id = p.video_id ORDER BY best.rank")
        arguments.append(limit)
        return self._query(sql, arguments)

    def search(self, query: str, *, video: str | None = None, limit: int = 10) -> list[Hit]:
        """The ``limit`` best passages for ``query`` (bm25), optionally of one video (id, URL, path, title)."""
        every_word, any_word = fts_query(query, every=True), fts_query(query)
        if any_word is None:
            return []
        # Passages with every word first (an intersection: fast in a large library), then, if too few,
        # passages with any of them; bm25 orders each group. (Narrowing from all words to the rarest
        # alone was tried: recall@1 0.73 -> 0.57 on scripts/bench_ask.py.)
        rows: list[sqlite3.Row] = []
        seen: set[int] = set()
        for match in (every_word, any_word):
            for row in self._ranked(match, video, limit):
                if row["id"] not in seen:
                    seen.add(row["id"])
                    rows.append(row)
            if len(rows) >= limit:
                break
        rows = rows[:limit]
        marked = _marker(query)
        return [Hit(row["video_id"], row["title"], row["start"], row["end"], marked(row["text"]), row["url"],
                    row["path"], -float(row["score"]), row["id"]) for row in rows]


_PLAYABLE = frozenset(".mp3 .m4a .aac .wav .flac .ogg .oga .opus .webm .mp4 .mkv .mov .m4v .mka .mpga .mpeg".split())
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


def index_quietly(settings: Settings, result: Result, **paths) -> None:
    """Index a finished video; a failure is a warning, never a failed video."""
    import logging

    try:
        with Library(library_dir(settings)) as library:
            library.add(result, **paths)
    except (LibraryError, OSError) as error:
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
