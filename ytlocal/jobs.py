"""The durable job list of a batch, and the recording of what happens to each video in it.

A batch's output folder holds ``.ytlocal/jobs.sqlite``: one row per video with its state (pending,
acquired, transcribed, summarized, done, failed, skipped, cancelled), error, attempts, per-stage wall
times, the models used, and where its current stage is (stage, done/total, when it started), plus the
sources waiting to be planned (what the web app's queue adds). Every change is its own committed
transaction, so a batch killed at any moment resumes from the last finished stage of each video, and
a page or another process reading the list sees the state at once.

Three runners share this module and nothing else of each other: the local runner
(:mod:`ytlocal.batch`), the Dask runner (:mod:`ytlocal.cluster`) and the web app's queue (through
:class:`ytlocal.batch.BatchQueue`). :class:`JobRecorder` is how each of them records an outcome, so
a video finished on a cluster worker is recorded exactly as one finished here; it writes and indexes
each video through :class:`ytlocal.delivery.Delivery`. The report and ``index.md`` made from the list
are :mod:`ytlocal.report`'s.

At ~450 lines it is over the 400 we aim at: the list's schema, its queries (states, progress, cancel,
queued sources) and the one recorder of outcomes change together, and splitting the queries from the
schema they read would only add an import between them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .acquire import Planned, fetch
from .db import Database, Schema, add_column
from .delivery import Delivery, LibraryAdd
from .errors import SkippedSource, SourceError
from .inputs import Failure
from .library import video_id_of
from .progress import Progress
from .records import Media, Result
from .report import Report
from .files import utc_timestamp

STATE_DIR = ".ytlocal"
DB_NAME = "jobs.sqlite"
FINAL_STATES = ("done", "failed", "skipped", "cancelled")
WORKING_STATES = ("pending", "acquired", "transcribed", "summarized")
CANCELLED = {"state": "cancelled", "error": "cancelled", "error_kind": None, "stage": None, "step": None}
MAX_BACKOFF_SECONDS = 60.0
BUSY_TIMEOUT_S = 30.0
PROGRESS_INTERVAL_S = 0.25  # how often a running stage's done/total is written (a page polls the list)
CANCEL_CHECK_INTERVAL_S = 0.25


def _add_worker(connection) -> None:
    add_column(connection, "videos", "worker", "TEXT")


def _add_progress_and_sources(connection) -> None:
    for column, declaration in (("stage", "TEXT"), ("step", "TEXT"), ("stage_done", "REAL"), ("stage_total", "REAL"),
                                ("stage_started", "REAL"), ("progress_at", "REAL"),
                                ("cancel_requested", "INTEGER NOT NULL DEFAULT 0"), ("library_id", "TEXT")):
        add_column(connection, "videos", column, declaration)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, "
        "added TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'queued', error TEXT)")
    connection.execute("CREATE INDEX IF NOT EXISTS sources_by_state ON sources(state)")


JOB_LIST_SCHEMA = Schema("job list", (
    # 1: the job list as first shipped (files from before schema versions have it already).
    """
    CREATE TABLE IF NOT EXISTS videos (
        id TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        origin TEXT,
        position INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        title TEXT, channel TEXT, duration REAL, upload_date TEXT, url TEXT,
        error TEXT, error_kind TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        acquire_s REAL, transcribe_s REAL, summarize_s REAL, render_s REAL,
        whisper_model TEXT, llm_model TEXT,
        output TEXT, tldr TEXT,
        first_seen TEXT NOT NULL, updated TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started TEXT NOT NULL, finished TEXT,
        wall_s REAL, audio_s REAL, done INTEGER, failed INTEGER, skipped INTEGER
    );
    """,
    # 2: cluster batches record which worker did each video.
    _add_worker,
    # 3: each running stage's progress (a page opened later shows it at once), cancel requests, the
    #    library id of a finished video, and sources waiting to be planned (the web app's queue).
    _add_progress_and_sources,
))



class JobCancelled(BaseException):
    """The user cancelled the job that is running. Raised from its progress callback, between two units
    of work (a segment, a model call), where every file is either written whole or not at all; a
    BaseException so that no stage's ``except Exception`` turns it into a failure."""


class BatchStopped(BaseException):
    """The runner was asked to stop (the server shuts down): the current video stays in the state of
    its last finished stage, exactly as after a kill, and the next run resumes it."""


@dataclass
class JobView:
    """One job as a page shows it: what it is, where it stands, and when its stage should end."""

    id: str
    label: str
    title: str
    state: str
    stage: str | None
    step: str | None
    done: float | None
    total: float | None
    eta_s: float | None
    error: str | None
    attempts: int
    duration: float | None
    tldr: str | None
    library_id: str | None
    cancel_requested: bool
    updated: str
    progress_at: float | None = None  # when done/total were written (seconds since the epoch)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__} | {"final": self.final}


@dataclass
class QueuedSource:
    """A source added to the queue and not planned yet (a playlist is listed when its turn comes)."""

    id: int
    source: str
    added: str
    state: str
    error: str | None


def _eta(row, now: float, transcribe_rate: float | None = None) -> float | None:
    """Seconds left in the running stage, from its own progress; before a transcription reports any (the
    first window of audio is transcribed whole), from the speed of the videos transcribed before it
    (``transcribe_rate``: seconds of work per second of audio)."""
    done, total, started, at = row["stage_done"], row["stage_total"], row["stage_started"], row["progress_at"]
    if row["state"] in FINAL_STATES or not started:
        return None
    if not done and row["stage"] == "transcribe" and transcribe_rate and row["duration"]:
        left = row["duration"] * transcribe_rate - (now - started)
        return left if left > 0 else None
    if not total or not done or not at or at <= started:
        return None
    rate = done / (at - started)
    return max(0.0, (total - done) / rate - (now - at)) if rate > 0 else None


class JobList:
    """The durable job list of one output folder (created on first use, migrated when older)."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / STATE_DIR / DB_NAME
        self.database = Database(self.path, JOB_LIST_SCHEMA, busy_timeout=BUSY_TIMEOUT_S, synchronous="FULL")

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> "JobList":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _execute(self, sql: str, parameters=()):
        return self.database.execute(sql, parameters)

    # ------------------------------------------------------------------ videos

    def add(self, planned: Planned, position: int):
        now = utc_timestamp()
        self._execute(
            "INSERT INTO videos (id, label, origin, position, first_seen, updated) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET position = excluded.position",
            (planned.job_id, planned.label, planned.origin, position, now, now))
        return self.get(planned.job_id)

    def add_failure(self, failure: Failure, position: int) -> None:
        """A source that failed before it became a video (a playlist that cannot be listed, a bad path)."""
        job_id = "src-" + Planned(failure.source, "url", None, failure.source).job_id
        now = utc_timestamp()
        self._execute(
            "INSERT INTO videos (id, label, origin, position, state, error, error_kind, attempts, first_seen, updated) "
            "VALUES (?, ?, ?, ?, 'failed', ?, ?, 1, ?, ?) ON CONFLICT(id) DO UPDATE SET state='failed', "
            "error=excluded.error, error_kind=excluded.error_kind, attempts=attempts+1, updated=excluded.updated, "
            "position=excluded.position",
            (job_id, failure.source, failure.source, position, str(failure.error),
             "transient" if getattr(failure.error, "transient", False) else "permanent", now, now))

    def clear_source_failures(self, sources: list[str]) -> None:
        """Forget earlier failures of whole sources given again: they are re-planned (and re-recorded
        if they fail again)."""
        self.database.connection.executemany("DELETE FROM videos WHERE id LIKE 'src-%' AND label = ?",
                                             [(s,) for s in sources])

    def get(self, job_id: str):
        return self._execute("SELECT * FROM videos WHERE id = ?", (job_id,)).fetchone()

    def update(self, job_id: str, **fields) -> None:
        fields["updated"] = utc_timestamp()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self._execute(f"UPDATE videos SET {assignments} WHERE id = ?", (*fields.values(), job_id))

    def add_time(self, job_id: str, column: str, seconds: float) -> None:
        self._execute(f"UPDATE videos SET {column} = COALESCE({column}, 0) + ? WHERE id = ?", (seconds, job_id))

    def rows(self) -> list:
        return self._execute("SELECT * FROM videos ORDER BY position, first_seen").fetchall()

    def start_run(self) -> int:
        cursor = self._execute("INSERT INTO runs (started) VALUES (?)", (utc_timestamp(),))
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int, report: Report) -> None:
        self._execute("UPDATE runs SET finished=?, wall_s=?, audio_s=?, done=?, failed=?, skipped=? WHERE id=?",
                      (utc_timestamp(), report.wall_s, report.audio_s, report.done, len(report.failures), report.skipped,
                       run_id))

    # ------------------------------------------------------------------ progress and cancel

    def start_stage(self, job_id: str, stage: str) -> None:
        now = time.time()
        self._execute("UPDATE videos SET stage = ?, step = NULL, stage_done = NULL, stage_total = NULL, "
                      "stage_started = ?, progress_at = ? WHERE id = ?", (stage, now, now, job_id))

    def set_progress(self, job_id: str, step: str | None, done: float | None, total: float | None) -> None:
        self._execute("UPDATE videos SET step = ?, stage_done = ?, stage_total = ?, progress_at = ? WHERE id = ?",
                      (step, done, total, time.time(), job_id))

    def request_cancel(self, job_id: str) -> bool:
        """Ask for a job to stop (the runner stops it at its next progress step, or skips it when its
        turn comes). A job still waiting (``pending``) is cancelled at once: nothing of it runs, so the
        page need not show it "cancelling" until its turn. False when there is no such job or it has
        already finished."""
        now = utc_timestamp()
        with self.database.transaction() as connection:
            cursor = connection.execute(f"UPDATE videos SET cancel_requested = 1, updated = ? WHERE id = ? AND state "
                                        f"IN ({', '.join('?' * len(WORKING_STATES))})", (now, job_id, *WORKING_STATES))
            assignments = ", ".join(f"{name} = ?" for name in CANCELLED)
            connection.execute(f"UPDATE videos SET {assignments} WHERE id = ? AND state = 'pending'",
                               (*CANCELLED.values(), job_id))
        return cursor.rowcount > 0

    def cancel_requested(self, job_id: str) -> bool:
        row = self._execute("SELECT cancel_requested FROM videos WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row["cancel_requested"])

    def mark_cancelled(self, job_id: str) -> None:
        self.update(job_id, **CANCELLED)

    def settle_cancelled(self) -> int:
        """Mark cancelled the jobs whose cancel was asked while no run was there to stop them (a kill,
        a restart): they are not unfinished work. Returns how many."""
        marks = ", ".join("?" * len(WORKING_STATES))
        assignments = ", ".join(f"{name} = ?" for name in CANCELLED)
        cursor = self._execute(f"UPDATE videos SET {assignments}, updated = ? WHERE cancel_requested = 1 AND "
                               f"state IN ({marks})", (*CANCELLED.values(), utc_timestamp(), *WORKING_STATES))
        return cursor.rowcount

    def transcribe_rate(self) -> float | None:
        """Seconds of transcription per second of audio over the videos done (those whose transcript was
        not simply found in the cache), or None before the first."""
        row = self._execute("SELECT SUM(transcribe_s), SUM(duration) FROM videos WHERE state = 'done' AND "
                            "transcribe_s > 0.25 AND duration > 0").fetchone()
        return row[0] / row[1] if row[0] and row[1] else None

    def views(self) -> list[JobView]:
        """Every job in the order it was added, with its progress and ETA."""
        now = time.time()
        rows = self._execute("SELECT * FROM videos ORDER BY first_seen, position").fetchall()
        rate = self.transcribe_rate() if any(row["stage"] == "transcribe" for row in rows) else None
        return [JobView(row["id"], row["label"], row["title"] or row["label"], row["state"], row["stage"], row["step"],
                        row["stage_done"], row["stage_total"], _eta(row, now, rate), row["error"], row["attempts"],
                        row["duration"], row["tldr"], row["library_id"], bool(row["cancel_requested"]),
                        row["updated"], row["progress_at"]) for row in rows]

    # ------------------------------------------------------------------ sources waiting to be planned

    def enqueue(self, sources: list[str]) -> list[int]:
        """Add sources to plan (durably, in one transaction); a source cancelled before is wanted again."""
        ids = []
        with self.database.transaction() as connection:
            for source in sources:
                cursor = connection.execute("INSERT INTO sources (source, added) VALUES (?, ?)", (source, utc_timestamp()))
                ids.append(int(cursor.lastrowid))
                connection.execute("UPDATE videos SET state = 'pending', cancel_requested = 0, error = NULL "
                                   "WHERE label = ? AND state = 'cancelled'", (source,))
        return ids

    def queued_sources(self, state: str | None = "queued") -> list[QueuedSource]:
        sql, parameters = "SELECT * FROM sources", ()
        if state is not None:
            sql, parameters = sql + " WHERE state = ?", (state,)
        return [QueuedSource(row["id"], row["source"], row["added"], row["state"], row["error"])
                for row in self._execute(sql + " ORDER BY id", parameters).fetchall()]

    def mark_sources(self, ids: list[int], state: str, error: str | None = None) -> None:
        self.database.connection.executemany("UPDATE sources SET state = ?, error = ? WHERE id = ? AND state = 'queued'",
                                             [(state, error, source_id) for source_id in ids])

    def cancel_source(self, source_id: int) -> bool:
        cursor = self._execute("UPDATE sources SET state = 'cancelled' WHERE id = ? AND state = 'queued'",
                               (source_id,))
        return cursor.rowcount > 0

    def unfinished(self) -> list[str]:
        """Labels of the videos a run left unfinished (a kill, a restart), cancelled ones aside (see
        :meth:`settle_cancelled`)."""
        marks = ", ".join("?" * len(WORKING_STATES))
        rows = self._execute(f"SELECT label FROM videos WHERE state IN ({marks}) AND cancel_requested = 0 "
                             f"AND id NOT LIKE 'src-%' ORDER BY first_seen, position", WORKING_STATES).fetchall()
        return [row["label"] for row in rows]


class JobProgress:
    """The progress callback of one running video.

    Each call goes on to ``forward`` (the command line's bars) and is written to the job list at most
    every :data:`PROGRESS_INTERVAL_S` (and at every stage's end), so a page, a reload or a later process
    reads where the video is. It is also where the work stops: when the job was cancelled
    (:class:`JobCancelled`) or the runner asked to stop (:class:`BatchStopped`); stages call their
    progress only between units of work, which they write whole or not at all."""

    def __init__(self, jobs: JobList, job_id: str, forward: Progress, stop: threading.Event | None = None):
        self.jobs = jobs
        self.job_id = job_id
        self.forward = forward
        self.stop = stop
        self.written_at = 0.0
        self.checked_at = 0.0

    def stage(self, name: str) -> None:
        self.check()
        self.jobs.start_stage(self.job_id, name)
        self.written_at = time.monotonic()

    def check(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise BatchStopped()
        now = time.monotonic()
        if now - self.checked_at >= CANCEL_CHECK_INTERVAL_S:
            self.checked_at = now
            if self.jobs.cancel_requested(self.job_id):
                raise JobCancelled()

    def __call__(self, step: str, done: int, total: int | None) -> None:
        self.forward(step, done, total)
        now = time.monotonic()
        if now - self.written_at >= PROGRESS_INTERVAL_S or (total is not None and done >= total):
            self.written_at = now
            # "transcribe TITLE" / "TITLE: write": the part that is not the (untrusted, long) title
            short = step.rsplit(": ", 1)[-1] if ": " in step else step.split(" ", 1)[0]
            self.jobs.set_progress(self.job_id, short[:40], done, total)
        self.check()


# ------------------------------------------------------------------------------ options and recording


@dataclass
class BatchOptions:
    out_dir: Path
    formats: tuple[str, ...] = ("md",)
    retries: int = 2
    retry_failed: bool = False
    jobs: int = 2
    with_transcript: bool = False
    backoff_seconds: float = 2.0
    cluster: str | None = None  # a Dask scheduler address, or local:N (see ytlocal.cluster)
    add_to_library: LibraryAdd | None = None  # finished videos go to the library through it (None: they do not)
    allow_dirs: tuple[Path, ...] | None = None  # local files only under these, checked on the file opened (web queue)


def fetch_with_retries(item: Planned, options, retries: int,
                       backoff_seconds: float) -> tuple[Media | None, SourceError | None, float]:
    """Download one planned video with exponential backoff on transient errors: (media, error, seconds)."""
    started = time.perf_counter()
    attempt = 0
    while True:
        try:
            return fetch(item, options), None, time.perf_counter() - started
        except SourceError as error:
            if isinstance(error, SkippedSource) or not error.transient or attempt >= retries:
                return None, error, time.perf_counter() - started
            time.sleep(min(MAX_BACKOFF_SECONDS, backoff_seconds * 2 ** attempt))
            attempt += 1


class JobRecorder:
    """Records each video's outcome in the job list, writes its files and adds it to the library: the one
    way every runner (local, cluster, web queue) does it, so their results cannot drift apart."""

    def __init__(self, jobs: JobList, options: BatchOptions, log: Callable[[str], None] | None = None):
        self.jobs = jobs
        self.options = options
        self.log = log or (lambda message: None)

    def fetched(self, item: Planned, error: SourceError | None, fetch_s: float) -> bool:
        """Record a download's outcome (one more attempt); True when the video can be processed."""
        jobs = self.jobs
        row = jobs.get(item.job_id)
        jobs.update(item.job_id, attempts=row["attempts"] + 1)
        jobs.add_time(item.job_id, "acquire_s", fetch_s)
        if error is None:
            return True
        if isinstance(error, SkippedSource):
            jobs.update(item.job_id, state="skipped", error=str(error), error_kind=None)
        else:
            self.failed(item.job_id, str(error), error.transient)
            self.log(f"failed: {error}")
        return False

    def acquired(self, job_id: str, media: Media, worker: str | None = None) -> None:
        self.jobs.update(job_id, state="acquired", title=media.title, channel=media.channel, duration=media.duration,
                         upload_date=media.upload_date, url=media.webpage_url, error=None, error_kind=None,
                         worker=worker)

    def failed(self, job_id: str, error: str, transient: bool) -> None:
        self.jobs.update(job_id, state="failed", error=error, error_kind="transient" if transient else "permanent")

    def deliver_and_mark_done(self, job_id: str, item: Result) -> float:
        """Write a summarized video's files, add it to the library, then mark it done; returns its audio
        seconds."""
        started = time.perf_counter()
        options = self.options
        delivery = Delivery(options.out_dir, options.formats, options.with_transcript,
                            add_to_library=options.add_to_library)
        delivered = delivery.write(item)
        self.jobs.add_time(job_id, "render_s", time.perf_counter() - started)
        # In the library before it is done: a done job's video page (`ytlocal serve`) is there at once.
        # A kill in between redoes the write and the add (adding again replaces).
        delivery.index(item, delivered)
        self.jobs.update(job_id, state="done", output=str(delivered.summary_path), tldr=item.summary.tldr, stage=None,
                         step=None, library_id=video_id_of(item))
        return item.media.duration or item.transcript.duration or 0.0


__all__ = ["BatchOptions", "BatchStopped", "FINAL_STATES", "JobCancelled", "JobList", "JobProgress", "JobRecorder",
           "JobView", "QueuedSource", "fetch_with_retries"]
