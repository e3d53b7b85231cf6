"""The local library: every transcript ytlocal writes (and any added with ``ytlocal library add``),
searchable offline.

One SQLite database (``library.sqlite`` in the user data dir, or ``library_dir`` / ``--library``): a
row per video (title, channel, URL or path, duration, models, where its summary and transcript are)
and passage rows of a few sentences each with their start and end times, indexed with SQLite's FTS5
and ranked by bm25. Each video is indexed in one transaction (a kill leaves the previous state or
the new one, never half), and adding a video again replaces its passages.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import platformdirs

from .config import APP_NAME, Settings
from .errors import LibraryError
from .records import Media, Result, Segment, Transcript

DB_NAME = "library.sqlite"
SUMMARY_SUFFIXES = (".summary.json", ".summary.txt", ".hashnode.md")  # summaries written beside transcripts, not transcripts
PASSAGE_WORDS = 60  # a passage: consecutive segments up to about this many words
BUSY_TIMEOUT_S = 10.0

_SCHEMA = """
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


class Library:
    """The library database at ``folder/library.sqlite`` (created on first use)."""

    def __init__(self, folder: Path | str):
        self.path = Path(folder) / DB_NAME
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
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

    def close(self) -> None:
        self.db.close()

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
        summary = result.summary
        try:
            with closing(self.db.cursor()) as cursor:
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    previous = cursor.execute("SELECT summary_path, transcript_path FROM videos WHERE id = ?",
                                              (video_id,)).fetchone()
                    cursor.execute("DELETE FROM passages WHERE video_id = ?", (video_id,))
                    cursor.execute(
                        "INSERT OR REPLACE INTO videos (id, title, channel, url, path, duration, language, "
                        "whisper_model, llm_model, summary_path, transcript_path, indexed) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (video_id, result.title, media.channel if media else None, media.url if media else None,
                         path, (media.duration if media else None) or transcript.duration, transcript.language,
                         transcript.model or None, summary.llm.get("name") if summary else None,
                         str(summary_path) if summary_path else (previous["summary_path"] if previous else None),
                         str(transcript_path) if transcript_path else (previous["transcript_path"] if previous else None),
                         _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()))
                    cursor.executemany("INSERT INTO passages (video_id, start, end, text) VALUES (?, ?, ?, ?)",
                                       [(video_id, start, end, text) for start, end, text in rows])
                    cursor.execute("COMMIT")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
        except sqlite3.Error as error:
            raise self._error(error) from None
        return video_id

    def is_empty(self) -> bool:
        try:
            return self.db.execute("SELECT 1 FROM videos LIMIT 1").fetchone() is None
        except sqlite3.Error as error:
            raise self._error(error) from None

    def videos(self) -> list[sqlite3.Row]:
        try:
            return self.db.execute(
                "SELECT v.*, (SELECT COUNT(*) FROM passages p WHERE p.video_id = v.id) AS passages "
                "FROM videos v ORDER BY v.indexed, v.title").fetchall()
        except sqlite3.Error as error:
            raise self._error(error) from None

    def find(self, wanted: str) -> list[str]:
        """Video ids matching an id, a URL, a path or a title."""
        rows = self.db.execute("SELECT id FROM videos WHERE id = ? OR url = ? OR path = ? OR title = ?",
                               (wanted, wanted, wanted, wanted)).fetchall()
        return [row["id"] for row in rows]

    def remove(self, video_id: str) -> None:
        try:
            self.db.execute("DELETE FROM videos WHERE id = ?", (video_id,))
        except sqlite3.Error as error:
            raise self._error(error) from None

    def rebuild_index(self) -> int:
        """Rebuild the full-text index from the passages (after a crash or an SQLite upgrade)."""
        try:
            self.db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
            self.db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
            return int(self.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0])
        except sqlite3.Error as error:
            raise self._error(error) from None

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
        try:
            return self.db.execute(sql, arguments).fetchall()
        except sqlite3.Error as error:
            raise self._error(error) from None

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
