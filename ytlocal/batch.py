"""Overnight batches: many videos, a durable job list, crash-safe resume, failure isolation, a report.

The job list is an SQLite database in the output folder (``.ytlocal/jobs.sqlite``): one row per video
with its state (pending, acquired, transcribed, summarized, done, failed, skipped), error, attempts,
per-stage wall times and the models used. Every state change is its own committed transaction, and
every stage's result is also in the per-stage caches (media, transcripts, LLM calls), so a batch killed
at any moment resumes from the last finished stage of each video when the same command runs again.

While the main thread transcribes and summarizes one video (CPU-bound, models loaded once), a worker
thread downloads the next ones (``jobs - 1`` videos ahead), so the network and the CPU overlap
without oversubscribing the cores.
"""

from __future__ import annotations

import concurrent.futures
import datetime as _dt
import os
import sqlite3
import time
import urllib.parse
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from .progress import Progress
from .acquire import FETCH_MANIFEST, Failure, Media, Planned, fetch, plan
from .errors import BatchLocked, SkippedSource, SourceError, YtlocalError
from .pipeline import Pipeline
from .records import Result
from .render import clock, md_escape
from .store import DiskFullError, atomic_write_json, atomic_write_text, read_json

STATE_DIR = ".ytlocal"
DB_NAME = "jobs.sqlite"
LOCK_NAME = "batch.lock"
INDEX_NAME = "index.md"
FINAL_STATES = ("done", "failed", "skipped")
MAX_BACKOFF_SECONDS = 60.0


_SCHEMA = """
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
    output TEXT, tldr TEXT, worker TEXT,
    first_seen TEXT NOT NULL, updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL, finished TEXT,
    wall_s REAL, audio_s REAL, done INTEGER, failed INTEGER, skipped INTEGER
);
"""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class JobList:
    """The durable job list of one output folder."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / STATE_DIR / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)
        columns = {row["name"] for row in self.db.execute("PRAGMA table_info(videos)")}
        if "worker" not in columns:  # a job list written before cluster batches
            self.db.execute("ALTER TABLE videos ADD COLUMN worker TEXT")

    def close(self) -> None:
        self.db.close()

    def add(self, planned: Planned, position: int) -> sqlite3.Row:
        now = _now()
        self.db.execute(
            "INSERT INTO videos (id, label, origin, position, first_seen, updated) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET position = excluded.position",
            (planned.job_id, planned.label, planned.origin, position, now, now))
        return self.get(planned.job_id)

    def add_failure(self, failure: Failure, position: int) -> None:
        """A source that failed before it became a video (a playlist that cannot be listed, a bad path)."""
        job_id = "src-" + Planned(failure.source, "url", None, failure.source).job_id
        now = _now()
        self.db.execute(
            "INSERT INTO videos (id, label, origin, position, state, error, error_kind, attempts, first_seen, updated) "
            "VALUES (?, ?, ?, ?, 'failed', ?, ?, 1, ?, ?) ON CONFLICT(id) DO UPDATE SET state='failed', "
            "error=excluded.error, error_kind=excluded.error_kind, attempts=attempts+1, updated=excluded.updated, "
            "position=excluded.position",
            (job_id, failure.source, failure.source, position, str(failure.error),
             "transient" if getattr(failure.error, "transient", False) else "permanent", now, now))

    def clear_source_failures(self, sources: list[str]) -> None:
        """Forget earlier failures of whole sources given again: they are re-planned (and re-recorded
        if they fail again)."""
        self.db.executemany("DELETE FROM videos WHERE id LIKE 'src-%' AND label = ?", [(s,) for s in sources])

    def get(self, job_id: str) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM videos WHERE id = ?", (job_id,)).fetchone()

    def update(self, job_id: str, **fields) -> None:
        fields["updated"] = _now()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE videos SET {assignments} WHERE id = ?", (*fields.values(), job_id))

    def add_time(self, job_id: str, column: str, seconds: float) -> None:
        self.db.execute(f"UPDATE videos SET {column} = COALESCE({column}, 0) + ? WHERE id = ?", (seconds, job_id))

    def rows(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM videos ORDER BY position, first_seen").fetchall()

    def start_run(self) -> int:
        cursor = self.db.execute("INSERT INTO runs (started) VALUES (?)", (_now(),))
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int, report: "Report") -> None:
        self.db.execute("UPDATE runs SET finished=?, wall_s=?, audio_s=?, done=?, failed=?, skipped=? WHERE id=?",
                        (_now(), report.wall_s, report.audio_s, report.done, len(report.failures),
                         report.skipped, run_id))


class BatchLock:
    """One batch per output folder at a time; the second gets a clear message, not a corrupt folder."""

    def __init__(self, out_dir: Path):
        from filelock import FileLock

        state = Path(out_dir) / STATE_DIR
        state.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(str(state / LOCK_NAME))
        self.owner_file = state / "batch.owner"

    def __enter__(self) -> "BatchLock":
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            owner = ""
            try:
                owner = f" (pid {read_json(self.owner_file).get('pid')})"
            except (OSError, ValueError):
                pass
            raise BatchLocked(
                f"another ytlocal batch is working on {self.owner_file.parent.parent}{owner}; wait for it to "
                f"finish or use another output folder (--status shows its progress)") from None
        atomic_write_json(self.owner_file, {"pid": os.getpid(), "started": _now()})
        return self

    def __exit__(self, *exc_info) -> None:
        self.lock.release()


@dataclass
class Report:
    done: int = 0
    skipped: int = 0
    pending: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (title or label, kind, error)
    audio_s: float = 0.0
    processed_audio_s: float = 0.0
    wall_s: float = 0.0
    done_this_run: int = 0
    workers: dict[str, "WorkerLoad"] = field(default_factory=dict)  # cluster batches: by worker address

    @property
    def rtf(self) -> float | None:
        return self.processed_audio_s / self.wall_s if self.wall_s > 0 and self.processed_audio_s else None

    def lines(self) -> list[str]:
        out = [f"done {self.done}, failed {len(self.failures)}, skipped {self.skipped}, pending {self.pending}; "
               f"audio {self.audio_s / 3600:.2f} h in done videos"]
        if self.wall_s:
            speed = f", {self.rtf:.1f}x real time" if self.rtf else ""
            out.append(f"this run: {self.done_this_run} done in {self.wall_s:.1f} s wall{speed}")
        for address, load in sorted(self.workers.items()):
            out.append(f"worker {address}: {load.describe()}")
        for name, kind, error in self.failures:
            out.append(f"FAILED ({kind}) {error if name in error else f'{name}: {error}'}")
        return out


@dataclass
class WorkerLoad:
    """What one cluster worker did: videos, audio seconds, and the seconds it spent on them."""

    videos: int = 0
    audio_s: float = 0.0
    busy_s: float = 0.0

    def add(self, audio_s: float, busy_s: float) -> None:
        self.videos += 1
        self.audio_s += audio_s
        self.busy_s += busy_s

    def describe(self) -> str:
        speed = f", {self.audio_s / self.busy_s:.1f}x real time" if self.busy_s > 0 and self.audio_s else ""
        return f"{self.videos} video(s), audio {self.audio_s / 3600:.2f} h{speed}"


def report_from(jobs: JobList) -> Report:
    report = Report()
    for row in jobs.rows():
        if row["state"] == "done":
            report.done += 1
            report.audio_s += row["duration"] or 0.0
            if row["worker"]:
                busy = sum(row[column] or 0.0 for column in ("acquire_s", "transcribe_s", "summarize_s"))
                report.workers.setdefault(row["worker"], WorkerLoad()).add(row["duration"] or 0.0, busy)
        elif row["state"] == "failed":
            report.failures.append((row["title"] or row["label"], row["error_kind"] or "permanent", row["error"] or "?"))
        elif row["state"] == "skipped":
            report.skipped += 1
        else:
            report.pending += 1
    return report


def status_table(jobs: JobList) -> list[str]:
    rows = jobs.rows()
    lines = [f"{'#':>3}  {'state':<11} {'duration':>8} {'tries':>5}  title / source"]
    for row in rows:
        duration = clock(row["duration"]) if row["duration"] else "-"
        name = row["title"] or row["label"]
        line = f"{row['position'] + 1:>3}  {row['state']:<11} {duration:>8} {row['attempts']:>5}  {name}"
        if row["state"] == "failed":
            line += f"  [{row['error_kind']}: {row['error']}]"
        lines.append(line)
    return lines


def write_index(jobs: JobList, out_dir: Path) -> None:
    """``index.md``: every finished summary with its title, channel, duration and TL;DR."""
    lines = ["# ytlocal summaries", "", f"Updated {_now()}.", ""]
    for row in jobs.rows():
        if row["state"] != "done" or not row["output"]:
            continue
        link = urllib.parse.quote(Path(row["output"]).name)
        meta = " · ".join(part for part in (row["channel"], clock(row["duration"]) if row["duration"] else None) if part)
        lines.append(f"- [{md_escape(row['title'] or row['label'])}]({link})" + (f" — {md_escape(meta)}" if meta else ""))
        if row["tldr"]:
            lines.append(f"  {md_escape(row['tldr'])}")
    failed = [row for row in jobs.rows() if row["state"] == "failed"]
    if failed:
        lines += ["", "## Failed", ""]
        for row in failed:
            name, error = row["title"] or row["label"], row["error"] or "?"
            lines.append(f"- {md_escape(error if name in error else f'{name}: {error}')}")
    atomic_write_text(Path(out_dir) / INDEX_NAME, "\n".join(lines) + "\n")


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
    settings: Any = None  # the command's Settings: finished videos are added to the library it names


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


class BatchRunner:
    """Runs a batch: plan, skip what is finished, fetch ahead, process in order, record everything."""

    def __init__(self, pipeline: Pipeline, options: BatchOptions, overall: Progress | None = None,
                 stage: Progress | None = None, log: Callable[[str], None] | None = None):
        self.pipeline = pipeline
        self.options = options
        self.overall = overall or (lambda *a: None)
        self.stage = stage or (lambda *a: None)
        self.log = log or (lambda message: None)

    def _select(self, jobs: JobList, planned: list[Planned | Failure]) -> list[Planned]:
        todo: list[Planned] = []
        for position, item in enumerate(planned):
            if isinstance(item, Failure):
                jobs.add_failure(item, position)
                continue
            row = jobs.add(item, position)
            state = row["state"]
            output_ok = row["output"] and Path(row["output"]).is_file()
            if self.options.retry_failed:
                if state == "failed":
                    jobs.update(item.job_id, attempts=0)
                    todo.append(item)
                continue
            if state == "done" and output_ok:
                continue
            if state == "skipped":
                continue
            if state == "failed" and (row["error_kind"] != "transient" or row["attempts"] > self.options.retries):
                continue
            todo.append(item)
        return todo

    def _fetch_with_retries(self, item: Planned) -> tuple[Media | None, SourceError | None, float]:
        """Runs in a worker thread: no database access here (the main thread records the outcome)."""
        return fetch_with_retries(item, self.pipeline.acquire_options, self.options.retries,
                                  self.options.backoff_seconds)

    def _fetches(self, todo: list[Planned]) -> Iterator[tuple[Planned, Media | None, SourceError | None, float]]:
        """Each planned video with its download outcome, in order; up to ``jobs - 1`` downloads run
        ahead in a worker thread while the caller processes the current video."""
        ahead = max(1, self.options.jobs)
        if ahead == 1:
            for item in todo:
                yield (item, *self._fetch_with_retries(item))
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=ahead - 1, thread_name_prefix="ytlocal-fetch") as pool:
            futures: dict[int, concurrent.futures.Future] = {}
            for index in range(min(ahead, len(todo))):
                futures[index] = pool.submit(self._fetch_with_retries, todo[index])
            for index, item in enumerate(todo):
                result = futures.pop(index).result()
                following = index + ahead
                if following < len(todo):
                    futures[following] = pool.submit(self._fetch_with_retries, todo[following])
                yield (item, *result)

    def run(self, sources: list[str], stdin=None) -> Report:
        out_dir = self.options.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        with BatchLock(out_dir), closing(JobList(out_dir)) as jobs:
            run_id = jobs.start_run()
            started = time.perf_counter()
            planned = plan(sources, self.pipeline.acquire_options, stdin)
            jobs.clear_source_failures(sources)
            todo = self._select(jobs, planned)
            report = Report()
            self.overall("videos", 0, len(todo))
            if self.options.cluster and todo:  # nothing to do: no cluster to start or reach
                from .cluster import run_on_cluster

                run_on_cluster(self, jobs, todo, report)
            else:
                for done_count, (item, media, error, fetch_s) in enumerate(self._fetches(todo), start=1):
                    if self._fetched(jobs, item, error, fetch_s):
                        self._count(report, self._process(jobs, item, media))
                    self.overall("videos", done_count, len(todo))
                    write_index(jobs, out_dir)
            final = report_from(jobs)
            final.processed_audio_s, final.done_this_run = report.processed_audio_s, report.done_this_run
            final.wall_s = time.perf_counter() - started
            jobs.finish_run(run_id, final)
            write_index(jobs, out_dir)
            return final

    def _fetched(self, jobs: JobList, item: Planned, error: SourceError | None, fetch_s: float) -> bool:
        """Record a download's outcome (one more attempt); True when the video can be processed."""
        row = jobs.get(item.job_id)
        jobs.update(item.job_id, attempts=row["attempts"] + 1)
        jobs.add_time(item.job_id, "acquire_s", fetch_s)
        if error is None:
            return True
        if isinstance(error, SkippedSource):
            jobs.update(item.job_id, state="skipped", error=str(error), error_kind=None)
        else:
            jobs.update(item.job_id, state="failed", error=str(error),
                        error_kind="transient" if error.transient else "permanent")
            self.log(f"failed: {error}")
        return False

    @staticmethod
    def _count(report: Report, audio_s: float | None) -> None:
        if audio_s is not None:
            report.processed_audio_s += audio_s
            report.done_this_run += 1

    def _acquired(self, jobs: JobList, job_id: str, media: Media, worker: str | None = None) -> None:
        jobs.update(job_id, state="acquired", title=media.title, channel=media.channel, duration=media.duration,
                    upload_date=media.upload_date, url=media.webpage_url, error=None, error_kind=None, worker=worker)

    def _written(self, jobs: JobList, job_id: str, item: Result) -> float:
        """Write a summarized video's files and mark it done; returns its audio seconds."""
        started = time.perf_counter()
        [path, *_others] = item.write(self.options.out_dir, self.options.formats, self.options.with_transcript)
        jobs.add_time(job_id, "render_s", time.perf_counter() - started)
        jobs.update(job_id, state="done", output=str(path), tldr=item.summary.tldr)
        if self.options.settings is not None:
            from .library import index_quietly

            index_quietly(self.options.settings, item, summary_path=path)
        return item.media.duration or item.transcript.duration or 0.0

    def _process(self, jobs: JobList, planned: Planned, media: Media) -> float | None:
        """Transcribe, summarize and render one video, recording each finished stage. Returns the
        audio seconds processed, or None when the video failed."""
        job_id = planned.job_id
        self._acquired(jobs, job_id, media)
        item = Result(planned.label, media=media)
        pipeline = self.pipeline
        try:
            started = time.perf_counter()
            transcript = pipeline.transcribe(item, self.stage)
            jobs.add_time(job_id, "transcribe_s", time.perf_counter() - started)
            jobs.update(job_id, state="transcribed", whisper_model=transcript.model)
            started = time.perf_counter()
            summary = pipeline.summarize(item, self.stage)
            jobs.add_time(job_id, "summarize_s", time.perf_counter() - started)
            jobs.update(job_id, state="summarized", llm_model=summary.llm["name"])
            return self._written(jobs, job_id, item)
        except DiskFullError:
            jobs.update(job_id, state="failed", error="disk full", error_kind="transient")
            raise  # every other video would fail the same way: stop, the job list says where we are
        except YtlocalError as error:
            jobs.update(job_id, state="failed", error=str(error), error_kind="permanent")
            self.log(f"failed: {media.title}: {error}")
            return None


# ------------------------------------------------------------------------------------ fetch


def fetch_to_folder(sources: list[str], options, out_dir: Path, progress: Progress | None = None,
                    stdin=None) -> tuple[list[Media], list[Failure]]:
    """``ytlocal fetch``: download audio and metadata only, into a folder that ``ytlocal batch DIR
    --offline`` can process later on a machine without network (the air-gap workflow)."""
    from dataclasses import replace

    out_dir = Path(out_dir)
    folder_options = replace(options, cache_dir=out_dir)
    manifest_path = out_dir / FETCH_MANIFEST
    manifest = read_json(manifest_path) if manifest_path.is_file() else {"ytlocal_fetch": 1, "items": []}
    known = {entry["label"] for entry in manifest["items"]}
    fetched: list[Media] = []
    failures: list[Failure] = []
    for item in plan(sources, folder_options, stdin):
        if isinstance(item, Failure):
            failures.append(item)
            continue
        try:
            media = fetch(item, folder_options, progress or (lambda *a: None))
        except SourceError as error:
            failures.append(Failure(item.label, error))
            continue
        if item.kind == "file":  # a local file: copy it in, so the folder is self-contained
            media = _import_local(media, out_dir)
        if item.label not in known:
            manifest["items"].append({"label": item.label, "key": media.key, "title": media.title})
            known.add(item.label)
        atomic_write_json(manifest_path, manifest)
        fetched.append(media)
    return fetched, failures


def _import_local(media: Media, out_dir: Path) -> Media:
    import shutil

    from .acquire import MediaCache

    folder = out_dir / "media" / media.key
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"audio{media.audio_path.suffix.lower()}"
    if not target.is_file():
        temporary = folder / f".{target.name}.part"
        shutil.copyfile(media.audio_path, temporary)
        os.replace(temporary, target)
    media.audio_path = target
    atomic_write_json(folder / "media.json", media.to_dict())
    return MediaCache(out_dir).load(media.key) or media
