"""Overnight batches: many videos, a durable job list, crash-safe resume, failure isolation, a report.

The job list (:mod:`ytlocal.jobs`) is an SQLite database in the output folder (``.ytlocal/jobs.sqlite``):
one row per video with its state, error, attempts, per-stage wall times, the models used and the
progress of its running stage. Every state change is its own committed transaction, and every stage's
result is also in the per-stage caches (media, transcripts, LLM calls), so a batch killed at any
moment resumes from the last finished stage of each video when the same command runs again.

While the main thread transcribes and summarizes one video (CPU-bound, models loaded once), a worker
thread downloads the next ones (``jobs - 1`` videos ahead), so the network and the CPU overlap
without oversubscribing the cores. With ``--cluster`` the videos go to Dask instead
(:mod:`ytlocal.cluster`); :class:`BatchQueue` is the same runner fed while it runs (``ytlocal serve``).

At ~460 lines it is over the 400 we aim at: the runner, its lock and :class:`BatchQueue` share one
loop over the job list (claim, fetch ahead, process, record), and two copies of that loop would drift.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Iterator

from .acquire import FETCH_MANIFEST, Planned, fetch, local_media, plan
from .confined import OpenedFile, open_unlinked
from .errors import BatchLocked, SourceError, YtlocalError
from .inputs import Failure
from .jobs import (STATE_DIR, BatchOptions, BatchStopped, JobCancelled, JobList, JobProgress, JobRecorder, JobView,
                   QueuedSource, fetch_with_retries)
from .pipeline import Pipeline
from .progress import Progress
from .records import Media, Result, Transcript
from .report import Report, report_from, write_index
from .files import DiskFullError, atomic_write_json, read_json, utc_timestamp
from .transcript import TRANSCRIPT_SUFFIXES, read_transcript

LOCK_NAME = "batch.lock"
log = logging.getLogger(__name__)


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
        atomic_write_json(self.owner_file, {"pid": os.getpid(), "started": utc_timestamp()})
        return self

    def __exit__(self, *exc_info) -> None:
        self.lock.release()


class BatchRunner:
    """Runs a batch: plan, skip what is finished, fetch ahead, process in order, record everything.

    Args:
        pipeline: The stages, with their models (loaded on first use, then kept).
        options: Where the outputs and the job list go, formats, retries, ``--jobs``, ``--cluster``.
        overall: ``progress("videos", done, total)`` over the whole batch.
        stage: The running video's stage progress (the command line's bar).
        log: One line per notable event (a failure, a cancel).
        stop: When set, the running video stops at its next progress step, as after a kill.
        busy: Held while a video is transcribed and summarized (a server shares its models with
            ``ask`` through it).
        on_planned: Called once the sources are planned and every video is in the job list.
    """

    def __init__(self, pipeline: Pipeline, options: BatchOptions, overall: Progress | None = None,
                 stage: Progress | None = None, log: Callable[[str], None] | None = None,
                 stop: threading.Event | None = None, busy: ContextManager | None = None,
                 on_planned: Callable[[], None] | None = None):
        self.pipeline = pipeline
        self.options = options
        self.overall = overall or (lambda *a: None)
        self.stage = stage or (lambda *a: None)
        self.log = log or (lambda message: None)
        self.stop = stop
        self.busy = busy if busy is not None else contextlib.nullcontext()
        self.on_planned = on_planned or (lambda: None)
        self._acquired: dict[str, tuple[int, int]] = {}  # job id -> the confined file acquired (device, inode)
        self._transcripts: dict[str, Transcript] = {}  # job id -> the transcript file read (no speech to recognize)

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
            if state in ("skipped", "cancelled"):
                continue
            if state == "failed" and (row["error_kind"] != "transient" or row["attempts"] > self.options.retries):
                continue
            todo.append(item)
        return todo

    def _fetch_with_retries(self, item: Planned) -> tuple[Media | None, SourceError | None, float]:
        """Runs in a worker thread: no job list access here (the main thread records the outcome)."""
        if item.kind == "file" and Path(item.target).suffix.lower() in TRANSCRIPT_SUFFIXES:
            return self._read_transcript(item)
        if item.kind == "file" and self.options.allow_dirs is not None:
            return self._fetch_confined(item)
        return fetch_with_retries(item, self.pipeline.acquire_options, self.options.retries,
                                  self.options.backoff_seconds)

    def _fetch_confined(self, item: Planned) -> tuple[Media | None, SourceError | None, float]:
        """A local file of a queue confined to ``allow_dirs`` (the web app's): checked on the file opened
        now, not where its name led when it was queued, and probed and hashed through that descriptor."""
        started = time.perf_counter()
        try:
            with open_unlinked(item.target, self.options.allow_dirs) as opened:
                media = local_media(opened.path, read_from=opened.reader_path)
                self._acquired[item.job_id] = opened.identity
        except SourceError as error:
            return None, error, time.perf_counter() - started
        return media, None, time.perf_counter() - started

    def _read_transcript(self, item: Planned) -> tuple[Media | None, SourceError | None, float]:
        """A transcript file (``.srt``, ``.vtt``, ``.txt``, ytlocal's ``.json``), as ``ytlocal summarize``
        takes it: read now (through the checked descriptor in a confined queue), summarized without
        speech recognition."""
        started = time.perf_counter()
        try:
            if self.options.allow_dirs is not None:
                with open_unlinked(item.target, self.options.allow_dirs) as opened:
                    transcript = read_transcript(opened.path, read_from=opened.reader_path)
            else:
                transcript = read_transcript(Path(item.target))
        except SourceError as error:
            return None, error, time.perf_counter() - started
        self._transcripts[item.job_id] = transcript
        return transcript.media or Media.for_transcript_file(Path(item.target)), None, time.perf_counter() - started

    @contextlib.contextmanager
    def _reopened(self, job_id: str, media: Media) -> Iterator[OpenedFile | None]:
        """For a confined local file, the file acquired, opened again after the same checks (a link put
        in its place since, or another file, is refused); None for anything else."""
        if self.options.allow_dirs is None or media.extractor != "file" or media.audio_path is None:
            yield None
            return
        with open_unlinked(media.audio_path, self.options.allow_dirs) as opened:
            if opened.identity != self._acquired.get(job_id, opened.identity):
                raise SourceError(f"{media.audio_path} was replaced by another file after it was read; queue it "
                                  f"again")
            yield opened

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

    def _check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise BatchStopped()

    def run(self, sources: list[str], stdin=None) -> Report:
        out_dir = self.options.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        with BatchLock(out_dir), closing(JobList(out_dir)) as jobs:
            recorder = JobRecorder(jobs, self.options, self.log)
            run_id = jobs.start_run()
            started = time.perf_counter()
            planned = plan(sources, self.pipeline.acquire_options, stdin)
            jobs.clear_source_failures(sources)
            todo = self._select(jobs, planned)
            self.on_planned()
            report = Report()
            self.overall("videos", 0, len(todo))
            if self.options.cluster and todo:  # nothing to do: no cluster to start or reach
                from .cluster import run_on_cluster

                run_on_cluster(self.pipeline, self.options, recorder, todo, report, self.overall, self.log)
            else:
                for done_count, (item, media, error, fetch_s) in enumerate(self._fetches(todo), start=1):
                    self._check_stop()
                    if jobs.cancel_requested(item.job_id):  # cancelled while it waited: neither failed nor run
                        jobs.mark_cancelled(item.job_id)
                        self._transcripts.pop(item.job_id, None)
                    elif recorder.fetched(item, error, fetch_s):
                        with self.busy:
                            report.processed(self._process(jobs, recorder, item, media))
                    self.overall("videos", done_count, len(todo))
                    write_index(jobs, out_dir)
            final = report_from(jobs)
            final.processed_audio_s, final.done_this_run = report.processed_audio_s, report.done_this_run
            final.wall_s = time.perf_counter() - started
            jobs.finish_run(run_id, final)
            write_index(jobs, out_dir)
            return final

    def _process(self, jobs: JobList, recorder: JobRecorder, planned: Planned, media: Media) -> float | None:
        """Transcribe, summarize and render one video, recording each finished stage and the progress of
        the running one. Returns the audio seconds processed, or None when the video failed or was
        cancelled."""
        job_id = planned.job_id
        recorder.acquired(job_id, media)
        item = Result(planned.label, media=media, transcript=self._transcripts.pop(job_id, None))
        pipeline = self.pipeline
        progress = JobProgress(jobs, job_id, self.stage, self.stop)
        try:
            with self._reopened(job_id, media) as opened:
                if opened is not None:
                    # Every read goes through the descriptor opened after the checks, and the library records
                    # where that file is (the descriptor's path), never where its name leads by then.
                    item.source, item.media = str(opened.reader_path), dataclasses.replace(
                        media, audio_path=opened.reader_path)
                progress.stage("transcribe")
                started = time.perf_counter()
                transcript = pipeline.transcribe(item, progress)
                jobs.add_time(job_id, "transcribe_s", time.perf_counter() - started)
                jobs.update(job_id, state="transcribed", whisper_model=transcript.model)
                progress.stage("summarize")
                started = time.perf_counter()
                summary = pipeline.summarize(item, progress)
                jobs.add_time(job_id, "summarize_s", time.perf_counter() - started)
                jobs.update(job_id, state="summarized", llm_model=summary.llm["name"])
                progress.stage("write")
                return recorder.deliver_and_mark_done(job_id, item)
        except JobCancelled:
            jobs.mark_cancelled(job_id)
            self.log(f"cancelled: {media.title}")
            return None
        except DiskFullError:
            recorder.failed(job_id, "disk full", transient=True)
            raise  # every other video would fail the same way: stop, the job list says where we are
        except YtlocalError as error:
            recorder.failed(job_id, str(error), transient=False)
            self.log(f"failed: {media.title}: {error}")
            return None


@dataclass
class QueueSnapshot:
    """What the queue looks like now: every job, the sources not planned yet, and why it is stuck, if it is."""

    jobs: list[JobView]
    waiting: list[QueuedSource]
    message: str | None = None
    working: bool = False
    counts: dict[str, int] = field(default_factory=dict)


class BatchQueue:
    """A batch that takes new sources while it runs: the queue behind ``ytlocal serve``'s Queue page.

    Sources go into the durable job list of ``options.out_dir`` (the same list ``ytlocal batch -o``
    keeps there) before :meth:`add` returns, and one background thread runs them with the same
    :class:`BatchRunner`, so a source added survives a restart and a video interrupted by one resumes
    from its last finished stage when the queue starts again. Long work never runs in the caller's
    thread; every method but :meth:`start` and :meth:`stop` only reads or writes the job list.

    Args:
        pipeline: The stages and their models (loaded when the first video needs them).
        options: The batch's options (``out_dir`` holds the job list and the outputs).
        busy: Held while a video is transcribed and summarized (shared with ``ask``).
        idle_wait_s: How long the thread sleeps when there is nothing to do (an :meth:`add` wakes it).
    """

    def __init__(self, pipeline: Pipeline, options: BatchOptions, *, busy: ContextManager | None = None,
                 idle_wait_s: float = 5.0):
        self.pipeline = pipeline
        self.options = options
        self.busy = busy
        self.idle_wait_s = idle_wait_s
        self.jobs = JobList(options.out_dir)  # used from callers' threads (one connection each)
        self.message: str | None = None
        self.working = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._snapshot_lock = threading.Lock()
        self._last_snapshot: tuple[float, QueueSnapshot | None] = (0.0, None)

    def start(self) -> None:
        """Start the background thread (it first resumes what an earlier run left unfinished)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="ytlocal-queue", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the thread: the running video stops at its next progress step and stays resumable."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.jobs.close()

    def add(self, sources: list[str]) -> list[int]:
        """Queue ``sources`` (URLs, media files; playlists are listed when their turn comes)."""
        ids = self.jobs.enqueue(list(sources))
        self._wake.set()
        return ids

    def cancel(self, job_id: str) -> bool:
        """Cancel a video: a running one stops at its next progress step (no file is left half
        written), a waiting one is skipped. False when it has already finished or does not exist."""
        return self.jobs.request_cancel(job_id)

    def cancel_source(self, source_id: int) -> bool:
        """Take a source that has not been planned yet out of the queue."""
        return self.jobs.cancel_source(source_id)

    def snapshot(self, max_age_s: float = 0.0) -> QueueSnapshot:
        """The job list now, or one read at most ``max_age_s`` ago: the pages' event streams share one
        read per interval, however many tabs watch."""
        with self._snapshot_lock:
            taken_at, snapshot = self._last_snapshot
            if snapshot is not None and time.monotonic() - taken_at <= max_age_s:
                return snapshot
            views = self.jobs.views()
            counts: dict[str, int] = {}
            for view in views:
                counts[view.state] = counts.get(view.state, 0) + 1
            snapshot = QueueSnapshot(views, self.jobs.queued_sources(), self.message, self.working, counts)
            self._last_snapshot = (time.monotonic(), snapshot)
            return snapshot

    def report(self) -> Report:
        return report_from(self.jobs)

    def _run(self) -> None:
        stuck: set[str] = set()  # labels a finished run left unfinished: not retried in a loop
        while not self._stop.is_set():
            queued = self.jobs.queued_sources()
            self.jobs.settle_cancelled()
            unfinished = [label for label in self.jobs.unfinished() if label not in stuck]
            if not queued and not unfinished:
                self._wake.wait(self.idle_wait_s)
                self._wake.clear()
                continue
            sources = list(dict.fromkeys([source.source for source in queued] + unfinished))
            planned_ids = [source.id for source in queued]
            runner = BatchRunner(self.pipeline, self.options, log=lambda m: log.info("queue: %s", m), stop=self._stop,
                                 busy=self.busy, on_planned=lambda: self.jobs.mark_sources(planned_ids, "planned"))
            self.working = True
            try:
                runner.run(sources)
            except BatchStopped:
                return
            except YtlocalError as error:  # another batch holds the folder, the disk is full: wait, retry
                self.message = str(error)
                log.warning("queue: %s", error)
                self._stop.wait(self.idle_wait_s)
                continue
            except Exception as error:  # a bug must not kill the queue silently, nor spin
                self.message = f"unexpected {type(error).__name__}: {error}"
                log.exception("queue: unexpected error")
                self._stop.wait(max(30.0, self.idle_wait_s))
                continue
            finally:
                self.working = False
            self.message = None
            stuck |= set(self.jobs.unfinished())


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


__all__ = ["BatchLock", "BatchQueue", "BatchRunner", "QueueSnapshot", "fetch_to_folder"]
