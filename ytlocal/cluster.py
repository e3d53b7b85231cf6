"""Batches on a Dask cluster: one video is one task.

The client (``ytlocal batch ... --cluster ADDRESS``) plans the batch and keeps the job list, as a local
batch does: it is the only writer of the output folder. Each video becomes one task on Dask's
``distributed`` scheduler; a worker downloads it, transcribes it and summarizes it with models it loads
once per worker process and keeps, and sends back the finished :class:`~ytlocal.records.Result`, which
the client writes and records exactly as a local run would.

What Dask gives: a task whose worker dies (killed, out of memory) runs again on another worker
(``distributed.scheduler.allowed-failures`` times, then the video fails as transient, so the next
run retries it). What ytlocal adds: before submitting, every worker is asked which of the needed
models it has. When none has them the batch stops with the command that fixes it; a worker that lacks
one is named in a warning, and each video it receives fails with that message (as transient: the
next run retries it once the model is pulled there). Tasks are not pinned to workers: a worker that
restarts gets a new address, and pinned tasks would wait for the old one forever.

``ADDRESS`` is a scheduler (``tcp://host:8786``) or ``local:N``: a ``LocalCluster`` of N worker
processes on this machine, each with the cores divided among them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle
import socket
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from . import __version__
from .errors import ClusterError, ModelError, SkippedSource, SourceError, YtlocalError
from .jobs import BatchOptions, JobRecorder, fetch_with_retries
from .records import Result
from .report import Report, WorkerLoad, write_index
from .files import DiskFullError

if TYPE_CHECKING:
    from .acquire import Planned
    from .pipeline import Pipeline
    from .progress import Progress

log = logging.getLogger(__name__)
LOCAL_PREFIX = "local:"
CONNECT_TIMEOUT = "20s"

# Per worker process: the pipelines (and so the loaded models) of the batches it has served.
_PIPELINES: dict[str, "Pipeline"] = {}


def parse_address(address: str) -> tuple[str, int | str]:
    """``("local", N)`` for ``local:N``, else ``("remote", address)``; a bad value is a ClusterError."""
    address = address.strip()
    if address.startswith(LOCAL_PREFIX):
        count = address[len(LOCAL_PREFIX):]
        if not count.isdigit() or int(count) < 1:
            raise ClusterError(f"--cluster {address}: local:N needs a number of workers, e.g. local:2")
        return "local", int(count)
    if not address:
        raise ClusterError("--cluster: give a scheduler address (tcp://HOST:8786) or local:N")
    return "remote", address if "://" in address else f"tcp://{address}"


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address``, closed (with its LocalCluster) on exit."""
    try:
        import distributed
    except ImportError:
        raise ClusterError("--cluster needs Dask's distributed package: pip install 'ytlocal[cluster]' "
                           "(or pipx inject ytlocal distributed)") from None
    kind, target = parse_address(address)
    cluster = None
    try:
        if kind == "local":
            cluster = distributed.LocalCluster(n_workers=int(target), threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None,
                                               scheduler_kwargs={"dashboard": False})
            client = distributed.Client(cluster)
        else:
            _refused(str(target))
            client = distributed.Client(str(target), timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise ClusterError(f"cannot reach the Dask scheduler at {target} ({error}); start one with `dask scheduler` "
                           f"and workers with `dask worker {target} --nworkers 1 --nthreads 1`") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _refused(target: str) -> None:
    """Raise ConnectionRefusedError at once when nothing listens at a tcp:// address (Dask would retry a
    refused connection until CONNECT_TIMEOUT); a slow or filtered address is left to Dask's timeout."""
    import socket
    import urllib.parse

    parts = urllib.parse.urlsplit(target)
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        return
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=5):
            return
    except ConnectionRefusedError:
        raise ConnectionRefusedError(f"connection refused by {parts.hostname}:{parts.port}") from None
    except OSError:  # unreachable for now, DNS, timeout: Dask says more after its own attempts
        return


def worker_template(pipeline: "Pipeline", address: str) -> tuple["Pipeline", bool]:
    """The pipeline a worker rebuilds from (no loaded model travels) and whether the worker should keep
    this machine's model store and cache (``local:N``) or use its own (a real cluster)."""
    kind, count = parse_address(address)
    template = dataclasses.replace(pipeline, timings={}, _whisper_model=None, _engine=None, _llm_model=None)
    if kind == "local" and not pipeline.threads:
        from .config import physical_cores

        share = max(1, physical_cores() // int(count))  # the cores divided among the workers
        template = dataclasses.replace(template, threads=share, llm_threads=template.llm_threads or share)
    return template, kind == "local"


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()} (pid {os.getpid()})"


def _worker_pipeline(template: "Pipeline", token: str, same_machine: bool) -> "Pipeline":
    """This worker process's pipeline for ``token``: built on first use, then reused, so each model is
    loaded once per worker. On a real cluster the worker's own model store and cache are used."""
    pipeline = _PIPELINES.get(token)
    if pipeline is None:
        pipeline = dataclasses.replace(template, timings={})
        if not same_machine:
            from .config import load_settings, resolve_cache_dir, resolve_models_dir
            from .registry import ModelStore

            settings = load_settings()
            cache = resolve_cache_dir(settings)
            pipeline.store = ModelStore(resolve_models_dir(settings)[0])
            pipeline.cache_dir = cache
            pipeline.acquire_options = dataclasses.replace(pipeline.acquire_options, cache_dir=cache)
        _PIPELINES.clear()  # one batch's models at a time per worker process
        _PIPELINES[token] = pipeline
    return pipeline


def _missing_models(pipeline: "Pipeline") -> list[str]:
    """The needed models this machine lacks or cannot verify, each with the command that fixes it."""
    problems = []
    for needed in ("whisper_model", "llm_model"):
        try:
            getattr(pipeline, needed)  # resolved once per worker process, then kept
        except ModelError as error:
            problems.append(str(error))
    return problems


def check_worker(template: "Pipeline", token: str, same_machine: bool) -> dict[str, Any]:
    """Runs on every worker (``Client.run``): its ytlocal version and the models it lacks (disk and the
    rest: ``ytlocal doctor --cluster``)."""
    pipeline = _worker_pipeline(template, token, same_machine)
    return {"version": __version__, "missing": _missing_models(pipeline)}


def run_video(template: "Pipeline", token: str, same_machine: bool, planned: "Planned", retries: int,
              backoff_seconds: float) -> dict[str, Any]:
    """One video on a worker: acquire -> transcribe -> summarize. Never raises for a bad video: the
    outcome says what happened (only plain values and ytlocal's records travel back)."""
    pipeline = _worker_pipeline(template, token, same_machine)
    worker = _worker_address()
    missing = _missing_models(pipeline)
    if missing:  # fail at once, before minutes of download and transcription; fixable there: transient
        return {"worker": worker, "acquire_s": 0.0, "state": "failed", "transient": True,
                "error": f"on worker {worker}: " + "; ".join(missing)}
    media, error, fetch_s = fetch_with_retries(planned, pipeline.acquire_options, retries, backoff_seconds)
    outcome: dict[str, Any] = {"worker": worker, "acquire_s": fetch_s}
    if error is not None:
        return {**outcome, "state": "skipped" if isinstance(error, SkippedSource) else "failed",
                "error": str(error), "transient": bool(error.transient)}
    item = Result(planned.label, media=media)
    outcome["media"] = media
    try:
        started = time.perf_counter()
        pipeline.transcribe(item)
        outcome["transcribe_s"] = time.perf_counter() - started
        started = time.perf_counter()
        pipeline.summarize(item)
        outcome["summarize_s"] = time.perf_counter() - started
    except YtlocalError as error:
        if isinstance(error, ModelError):  # this worker lacks a model: fixable there, so worth a retry
            return {**outcome, "state": "failed", "error": f"on worker {worker}: {error}", "transient": True}
        return {**outcome, "state": "failed", "error": str(error),
                "transient": bool(getattr(error, "transient", False)) or isinstance(error, DiskFullError)}
    return {**outcome, "state": "summarized", "result": item}


def check_workers(client: Any, template: "Pipeline", token: str, same_machine: bool,
                  warn=log.warning) -> list[str]:
    """The workers that have every needed model. Warns about the others (naming the fix); raises
    ClusterError when no worker is connected, ModelError when none can run the batch."""
    reports = client.run(check_worker, template, token, same_machine)
    if not reports:
        raise ClusterError("the Dask cluster has no workers; start some with `dask worker SCHEDULER "
                           "--nworkers 1 --nthreads 1`")
    usable = []
    for address, report in sorted(reports.items()):
        if report["version"] != __version__:
            warn(f"worker {address} runs ytlocal {report['version']}, this client {__version__}: summaries "
                 f"may differ; install the same version everywhere")
        if report["missing"]:
            warn(f"worker {address} cannot summarize: " + "; ".join(report["missing"]) +
                 " (its videos fail and are retried on the next run)")
        else:
            usable.append(address)
    if not usable:
        details = "; ".join(f"{address}: {'; '.join(report['missing'])}" for address, report in sorted(reports.items()))
        raise ModelError(f"no worker of the cluster has the models this batch needs ({details})")
    return usable


def _token(template: "Pipeline") -> str:
    return hashlib.sha256(pickle.dumps(template)).hexdigest()[:16]


def run_on_cluster(pipeline: "Pipeline", options: BatchOptions, recorder: JobRecorder, todo: list["Planned"],
                   report: Report, overall: "Progress", log_line=lambda message: None) -> None:
    """Run ``todo`` as one Dask task per video and record each outcome as it arrives (any order),
    through the same :class:`~ytlocal.jobs.JobRecorder` a local batch uses."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    address = options.cluster
    template, same_machine = worker_template(pipeline, address)
    token = _token(template)
    with connect(address) as client:
        check_workers(client, template, token, same_machine, warn=lambda m: log_line(f"warning: {m}"))
        futures = {}
        for item in todo:
            future = client.submit(run_video, template, token, same_machine, item, options.retries,
                                   options.backoff_seconds, key=f"ytlocal-{token}-{item.job_id}", pure=False)
            futures[future] = item
        loads: dict[str, WorkerLoad] = {}
        for done_count, future in enumerate(as_completed(futures), start=1):
            item = futures.pop(future)
            try:
                outcome = future.result()
            except KilledWorker as error:
                outcome = {"state": "failed", "transient": True, "acquire_s": 0.0, "worker": None,
                           "error": f"its workers died while processing it ({error}); out of memory? It is "
                                    f"retried on the next run"}
            except Exception as error:  # an unforeseen error inside the task: this video only
                outcome = {"state": "failed", "transient": False, "acquire_s": 0.0, "worker": None,
                           "error": f"unexpected {type(error).__name__} on a worker: {error}"}
            audio_s = _record(recorder, item, outcome, log_line)
            report.processed(audio_s)
            if audio_s is not None:
                loads.setdefault(outcome["worker"], WorkerLoad()).add(
                    audio_s, outcome["acquire_s"] + outcome["transcribe_s"] + outcome["summarize_s"])
            overall(", ".join(f"{worker}: {load.describe()}" for worker, load in sorted(loads.items()))
                    or "videos", done_count, len(todo))
            write_index(recorder.jobs, options.out_dir)


def _record(recorder: JobRecorder, item: "Planned", outcome: dict[str, Any], log_line) -> float | None:
    """Write and record one task's outcome as a local run would; the audio seconds when done."""
    jobs = recorder.jobs
    job_id = item.job_id
    if outcome["state"] in ("failed", "skipped") and "media" not in outcome:
        error = SkippedSource(outcome["error"]) if outcome["state"] == "skipped" else \
            SourceError(outcome["error"], transient=outcome["transient"])
        recorder.fetched(item, error, outcome["acquire_s"])
        return None
    recorder.fetched(item, None, outcome["acquire_s"])
    recorder.acquired(job_id, outcome["media"], worker=outcome["worker"])
    for stage in ("transcribe_s", "summarize_s"):
        if stage in outcome:
            jobs.add_time(job_id, stage, outcome[stage])
    if outcome["state"] == "failed":
        recorder.failed(job_id, outcome["error"], outcome["transient"])
        log_line(f"failed: {outcome['media'].title}: {outcome['error']}")
        return None
    result: Result = outcome["result"]
    jobs.update(job_id, state="summarized", whisper_model=result.transcript.model, llm_model=result.summary.llm["name"])
    return recorder.deliver_and_mark_done(job_id, result)


WORKER_CHECKS = ("python", "ffmpeg", "whisper device", "llm offload", "models dir", "whisper model", "llm model",
                 "disk (models)", "disk (cache)")


def worker_doctor() -> dict[str, Any]:
    """Runs on every worker (``Client.run``): ``ytlocal doctor``'s checks with the worker's own settings."""
    from .config import load_settings
    from .doctor import run_checks

    return {"version": __version__, "host": socket.gethostname(),
            "checks": [dataclasses.astuple(check) for check in run_checks(load_settings())]}


def cluster_checks(address: str) -> list:
    """``ytlocal doctor --cluster ADDRESS``: per worker its ytlocal version, models (installed and
    verified), device and free disk, plus any check that is not OK."""
    from .doctor import FAIL, OK, Check

    with connect(address) as client:
        reports = client.run(worker_doctor)
    checks = [Check(OK if reports else FAIL, "cluster", f"{address}: {len(reports)} worker(s)",
                    "start workers with `dask worker SCHEDULER --nworkers 1 --nthreads 1`")]
    for worker, report in sorted(reports.items()):
        same = report["version"] == __version__
        checks.append(Check(OK if same else FAIL, f"{worker} ytlocal",
                            f"{report['version']} on {report['host']}" + ("" if same else f", this client {__version__}"),
                            f"install ytlocal {__version__} on that worker"))
        for status, label, detail, fix in report["checks"]:
            if label in WORKER_CHECKS or status != OK:
                checks.append(Check(status, f"{worker} {label}", detail, fix))
    return checks
