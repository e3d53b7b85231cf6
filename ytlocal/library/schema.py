"""The library's tables and their migrations, in the order :mod:`ytlocal.db` applies them: videos
and their passages with the FTS5 index over the passages' words; then what a page shows without
opening a file (and an index per sort order); then the passages' vectors, the library's settings and
the ``skipped`` mark of passages inside ad reads."""

from __future__ import annotations

import sqlite3

from ..db import Schema, add_column

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


SORT_KEYS = {  # a page's sort key -> the columns it orders by (never SQL from the request)
    "added": ("indexed", "title COLLATE NOCASE", "id"),
    "title": ("title COLLATE NOCASE", "id"),
    "channel": ("channel COLLATE NOCASE", "title COLLATE NOCASE", "id"),
    "duration": ("duration", "title COLLATE NOCASE", "id"),
    "date": ("COALESCE(upload_date, substr(indexed, 1, 10))", "title COLLATE NOCASE", "id"),
}
SORTS = tuple(SORT_KEYS)


def _add_pages(connection: sqlite3.Connection) -> None:
    """What a page of the library shows without opening any file: the summary's TL;DR, the upload date,
    where the audio or video is on this machine, and (in their own table, so that the rows a page
    walks stay small) the summary and the media's description as JSON. One index per sort order,
    each holding every column it orders by: a page deep in 10,000 videos is read from the index alone."""
    for column in ("tldr", "upload_date", "media_path"):
        add_column(connection, "videos", column, "TEXT")
    connection.execute("CREATE TABLE IF NOT EXISTS documents (video_id TEXT PRIMARY KEY REFERENCES videos(id) "
                       "ON DELETE CASCADE, summary_json TEXT, media_json TEXT)")
    for name, columns in SORT_KEYS.items():
        connection.execute(f"CREATE INDEX IF NOT EXISTS videos_by_{name} ON videos({', '.join(columns)})")


def add_vector_tables(connection) -> None:
    """Migration: the vectors (float16 BLOBs, one per passage, under a ``seq`` never reused), the
    library's settings (which model made the vectors), and the passages an ad read covers."""
    connection.execute("CREATE TABLE IF NOT EXISTS passage_vectors (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "passage_id INTEGER NOT NULL UNIQUE REFERENCES passages(id) ON DELETE CASCADE, "
                       "vector BLOB NOT NULL)")
    connection.execute("CREATE TABLE IF NOT EXISTS library_settings (key TEXT PRIMARY KEY, value TEXT)")
    add_column(connection, "passages", "skipped", "INTEGER NOT NULL DEFAULT 0")
    connection.execute("CREATE INDEX IF NOT EXISTS passages_skipped ON passages(id) WHERE skipped = 1")


LIBRARY_SCHEMA = Schema("library", (_FIRST_SCHEMA, _add_pages, add_vector_tables))
