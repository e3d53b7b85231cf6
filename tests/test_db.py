"""ytlocal.db, the one owner of SQLite files: a connection per thread, the same pragmas for the job list and
the library, schema versions with migrations (files from before versions existed included), and a
clear refusal of a file from a newer ytlocal."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from ytlocal.db import Database, Schema, add_column, statements
from ytlocal.errors import LibraryError, YtlocalError
from ytlocal.jobs import JOB_LIST_SCHEMA, JobList
from ytlocal.library import LIBRARY_SCHEMA, Library

from web_fixtures import video

# The job list as `ytlocal batch` wrote it before cluster batches (no worker column, no version).
JOBS_BEFORE_CLUSTERS = """
CREATE TABLE videos (id TEXT PRIMARY KEY, label TEXT NOT NULL, origin TEXT, position INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', title TEXT, channel TEXT, duration REAL, upload_date TEXT, url TEXT,
    error TEXT, error_kind TEXT, attempts INTEGER NOT NULL DEFAULT 0, acquire_s REAL, transcribe_s REAL,
    summarize_s REAL, render_s REAL, whisper_model TEXT, llm_model TEXT, output TEXT, tldr TEXT,
    first_seen TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT, wall_s REAL,
    audio_s REAL, done INTEGER, failed INTEGER, skipped INTEGER);
INSERT INTO videos (id, label, position, state, title, first_seen, updated)
    VALUES ('abc', 'https://v.example/1', 0, 'done', 'An old video', '2024-01-01', '2024-01-01');
"""


def columns(path, table: str) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def version(path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA user_version").fetchone()[0]


def test_a_job_list_from_before_versions_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / ".ytlocal" / "jobs.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as old:
        old.executescript(JOBS_BEFORE_CLUSTERS)
    with JobList(tmp_path) as jobs:
        [row] = jobs.rows()
        assert row["title"] == "An old video" and row["worker"] is None and row["cancel_requested"] == 0
        assert jobs.queued_sources() == []
    assert {"worker", "stage", "stage_done", "stage_total", "cancel_requested", "library_id"} <= columns(path, "videos")
    assert version(path) == JOB_LIST_SCHEMA.version == 3
    with JobList(tmp_path) as again:  # a second open changes nothing
        assert len(again.rows()) == 1
    assert version(path) == 3


def test_a_job_list_of_the_last_release_with_its_worker_column_migrates_too(tmp_path):
    path = tmp_path / ".ytlocal" / "jobs.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as old:
        old.executescript(JOBS_BEFORE_CLUSTERS)
        old.execute("ALTER TABLE videos ADD COLUMN worker TEXT")
        old.execute("UPDATE videos SET worker = 'tcp://10.0.0.2:4000'")
    with JobList(tmp_path) as jobs:
        assert jobs.rows()[0]["worker"] == "tcp://10.0.0.2:4000"
    assert version(path) == 3


def test_a_library_from_before_versions_is_migrated_and_still_found(tmp_path):
    from ytlocal.library.schema import _FIRST_SCHEMA

    path = tmp_path / "library.sqlite"
    with sqlite3.connect(path) as old:
        old.executescript(_FIRST_SCHEMA)
        old.execute("INSERT INTO videos (id, title, indexed) VALUES ('old', 'Old talk', '2024-01-01T00:00:00')")
        old.execute("INSERT INTO passages (video_id, start, end, text) VALUES ('old', 0, 5, 'Bees carry pollen.')")
    with Library(tmp_path) as library:
        assert [hit.video_id for hit in library.search("pollen")] == ["old"]
        assert library.page().videos[0].tldr is None and library.summary("old") is None
        library.add(video("file-new", "New talk"))
        assert library.summary("file-new").key_points[0].start == 16.0
    assert {"tldr", "media_path", "upload_date"} <= columns(path, "videos")
    assert {"summary_json", "media_json"} <= columns(path, "documents")
    assert version(path) == LIBRARY_SCHEMA.version == 3


def test_a_file_from_a_newer_ytlocal_is_refused_with_a_clear_message(tmp_path):
    with Library(tmp_path):
        pass
    with sqlite3.connect(tmp_path / "library.sqlite") as newer:
        newer.execute("PRAGMA user_version = 99")
    with pytest.raises(LibraryError, match=r"written by a newer ytlocal \(schema version 99, this one knows 3\)"):
        Library(tmp_path)


def test_every_connection_gets_wal_a_busy_timeout_and_foreign_keys(tmp_path):
    database = Database(tmp_path / "x.sqlite", Schema("test", ("CREATE TABLE t (x)",)), busy_timeout=2.5,
                        synchronous="FULL")
    found = {}

    def look():
        connection = database.connection
        found[threading.current_thread().name] = (
            connection.execute("PRAGMA journal_mode").fetchone()[0], connection.execute("PRAGMA busy_timeout").fetchone()[0],
            connection.execute("PRAGMA foreign_keys").fetchone()[0], connection.execute("PRAGMA synchronous").fetchone()[0])

    look()
    thread = threading.Thread(target=look, name="other")
    thread.start()
    thread.join()
    assert set(found.values()) == {("wal", 2500, 1, 2)}  # synchronous FULL is 2
    database.close()


def test_one_library_serves_many_threads_each_with_its_own_connection(tmp_path):
    library = Library(tmp_path)
    errors: list[BaseException] = []
    connections: list[sqlite3.Connection] = []  # the objects, kept alive: an id() may be reused after one is freed
    lock = threading.Lock()

    def work(number: int) -> None:
        try:
            for round_ in range(5):
                library.add(video(f"file-t{number}-{round_}", f"Talk {number}.{round_}"))
                assert library.search("pollination")
                assert library.page(limit=5).total >= 1
            with lock:
                connections.append(library.database.connection)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({id(connection) for connection in connections}) == 6
    assert library.page().total == 30
    # The connections of threads that have ended are closed as new ones open.
    library.database.connection  # this thread's, kept
    fresh = threading.Thread(target=lambda: library.database.connection)
    fresh.start()
    fresh.join()
    assert len(library.database._open) <= 2
    library.close()
    with pytest.raises(sqlite3.ProgrammingError):
        library.database.connection.execute("SELECT 1")


def test_a_migration_that_fails_leaves_the_file_at_its_old_version(tmp_path):
    def broken(connection):
        connection.execute("CREATE TABLE half (x)")
        raise RuntimeError("killed in the middle")

    Database(tmp_path / "m.sqlite", Schema("test", ("CREATE TABLE t (x)",))).close()
    with pytest.raises(RuntimeError):
        Database(tmp_path / "m.sqlite", Schema("test", ("CREATE TABLE t (x)", broken)))
    assert version(tmp_path / "m.sqlite") == 1
    assert "x" not in columns(tmp_path / "m.sqlite", "half")  # rolled back with the version


def test_two_processes_opening_an_old_file_at_once_migrate_it_once(tmp_path):
    import multiprocessing

    path = tmp_path / ".ytlocal" / "jobs.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as old:
        old.executescript(JOBS_BEFORE_CLUSTERS)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_open_job_list, args=(str(tmp_path),)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0, 0, 0]
    assert version(path) == 3 and "worker" in columns(path, "videos")


def _open_job_list(folder: str) -> None:
    from pathlib import Path

    JobList(Path(folder)).close()


def test_helpers_split_scripts_and_add_columns_once(tmp_path):
    assert statements("CREATE TABLE a (x);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n SELECT 1;\nEND;\n") == [
        "CREATE TABLE a (x);", "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n SELECT 1;\nEND;"]
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE a (x)")
    add_column(connection, "a", "y", "TEXT")
    add_column(connection, "a", "y", "TEXT")
    assert [row[1] for row in connection.execute("PRAGMA table_info(a)")] == ["x", "y"]
    assert issubclass(LibraryError, YtlocalError)


def test_a_cancel_asked_while_no_run_was_there_settles_as_cancelled_not_unfinished(tmp_path):
    from ytlocal.acquire import Planned

    with JobList(tmp_path) as jobs:
        kept = jobs.add(Planned("https://example.org/kept", "url", None, "list"), 0)
        cancelled = jobs.add(Planned("https://example.org/cancelled", "url", None, "list"), 1)
        jobs.update(cancelled["id"], state="transcribed", stage="summarize", step="chunk 2")
        assert jobs.request_cancel(cancelled["id"])
        # reading what is left is a read: the cancel is not settled by it, nor counted as work
        assert jobs.unfinished() == ["https://example.org/kept"]
        assert jobs.get(cancelled["id"])["state"] == "transcribed"
        assert jobs.settle_cancelled() == 1
        row = jobs.get(cancelled["id"])
        assert (row["state"], row["error"], row["stage"], row["step"]) == ("cancelled", "cancelled", None, None)
        assert jobs.get(kept["id"])["state"] == "pending" and jobs.settle_cancelled() == 0
