"""The library's store: one SQLite database (``library.sqlite`` in the user data dir, or ``library_dir``
/ ``--library``) with a row per video (title, channel, URL or path, duration, models, where its
summary, transcript and media are, its summary itself) and passage rows of a few sentences each with
their start and end times (see :mod:`ytlocal.library.schema`). Each video is indexed in one
transaction (a kill leaves the previous state or the new one, never half), and adding a video again
replaces its passages. :class:`Library` adds, removes, lists, pages and reads back videos, and
reindexes; its searches are :class:`~ytlocal.library.search.Search`'s.

With a sentence-embedding model (``embedder``), each passage also gets a vector in the same
transaction (:mod:`ytlocal.library.vectors`). Without one, passages wait for ``library reindex``.
Passages that a summary's skipped spans cover (ad reads, calls to action) are marked. A transcript
added without a summary has its ad reads found when it is added, by the ad finder the caller gives
(``find_ads``: the library itself knows no summarizer).

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
import threading
from pathlib import Path
from typing import Callable, Optional, Union

import platformdirs

from ..config import APP_NAME, Settings
from ..db import Database
from ..errors import LibraryError, ModelError
from ..progress import Progress, no_progress
from ..records import Result, Skipped, Transcript
from ..runtime.models import EmbeddingModel
from .cutting import ad_flags, passages
from .schema import SORT_KEYS, LIBRARY_SCHEMA
from .search import Search
from .vector_index import INDEX_SUFFIX
from .vectors import VectorStore, model_key
from .videos import VideoPage, VideoReading, entry_of

DB_NAME = "library.sqlite"
BUSY_TIMEOUT_S = 10.0
REINDEX_BATCH = 32  # passages embedded per committed transaction by `library reindex`
FILTER_PASSAGES = 5_000  # a library filter searches the transcripts for words said in at most this many passages


def library_dir(settings: Settings) -> Path:
    if settings.library_dir:
        return Path(settings.library_dir).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def video_id_of(result: Result) -> str:
    media = result.about
    if media is not None and media.key:
        return media.key
    return "file-" + hashlib.sha256(str(Path(result.source).expanduser().resolve()).encode()).hexdigest()[:16]


def _iso_date(raw) -> str | None:
    text = str(raw or "")
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if re.fullmatch(r"\d{8}", text) else (text[:10] or None)


# What ``Library(embedder=...)`` takes: the model, a loader of it (None when not installed), or None.
Embedder = Union[EmbeddingModel, Callable[[], Optional[EmbeddingModel]], None]
# ``find_ads(segments, embedding_model_or_None) -> [Skipped]``: a transcript's ad reads.
FindAds = Callable[[list, Optional[EmbeddingModel]], "list[Skipped]"]


class Library(Search, VideoReading):
    """The library database at ``folder/library.sqlite`` (created on first use, migrated when older).

    One instance may be shared by threads: each gets its own connection (see :mod:`ytlocal.db`).

    ``embedder``: the sentence-embedding model (an :class:`~ytlocal.runtime.models.EmbeddingModel`), or
    a function that loads it on first use and returns None when it is not installed (such as
    :meth:`ytlocal.pipeline.Pipeline.embedder`), or None: words alone, vectors left for reindex.

    ``find_ads``: ``find_ads(segments, embedding_model_or_None) -> [Skipped]``, the ad reads of a
    transcript added without a summary (such as :func:`ytlocal.summarization.ads.ad_reads`, given by
    the API, the CLI and the pipeline), or None: such a transcript's passages are never marked."""

    def __init__(self, folder: Path | str, embedder: Embedder = None, find_ads: FindAds | None = None):
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
        self.find_ads = find_ads
        self._start_search()

    def embedding_model(self):
        """The embedding model, loaded on first use; None when there is none (or it cannot load: a
        warning, since words alone still work)."""
        with self._embedder_lock:
            if not self._embedder_resolved:
                source = self._embedder_source
                try:
                    self._embedder = source if isinstance(source, EmbeddingModel) else source()
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
        if self.find_ads is not None and summary is None and rows and not self._query(
                "SELECT 1 FROM documents WHERE video_id = ? AND summary_json IS NOT NULL", (video_id,)):
            found_ads = self.find_ads(transcript.segments, model)
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
        order = ", ".join(column + direction for column in SORT_KEYS.get(sort, SORT_KEYS["added"]))
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
        return VideoPage([entry_of(rows[video_id]) for video_id in ids if video_id in rows], total, offset, limit,
                         said_too_often)

    def _filter(self, text: str | None) -> tuple[str, list, bool]:
        """The WHERE clause of a library filter, its arguments, and whether the transcripts were left out:
        videos whose title, channel or TL;DR contains ``text`` (any case), or whose transcript says its
        words in that order (a guest named in the talk, not in the file name). Words said in more than
        :data:`FILTER_PASSAGES` passages ("people", "the") find nothing a title would not: then the
        transcripts are not searched (a filter stays a few milliseconds at 10,000 videos)."""
        from ..text import STOPWORDS

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


def _stored_skipped(summary_json: str | None) -> list[Skipped]:
    """The skipped spans of a summary the library kept (a video added again without its summary)."""
    if not summary_json:
        return []
    try:
        return [Skipped.from_dict(item) for item in json.loads(summary_json).get("skipped") or []]
    except (ValueError, TypeError, AttributeError):
        return []


def embedder_loader(settings: Settings, models):
    """A loader for the embedding model the settings name (``embedding_model``), loaded on first call
    into ``models`` (the :class:`~ytlocal.runtime.models.Models` of whoever owns its lifetime), or None
    when it is not installed: the library then works by words alone and ``library reindex`` embeds later."""

    def load():
        from ..config import resolve_models_dir
        from ..registry import ModelStore

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
