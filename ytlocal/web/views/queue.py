"""The queue: paste URLs or name local files and folders; they go into the durable job list that
``ytlocal batch`` keeps (:class:`ytlocal.batch.BatchQueue`), whose thread runs them. The page shows
each job's stage, progress and ETA live through server-sent events; the stream starts with the whole
state, so a reload or a server restart (the browser reconnects by itself) shows where things are at
once. Cancelling, like adding, is a POST; the batch report is a page."""

from __future__ import annotations

import json
import time

import anyio
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, StreamingResponse

from ..templating import render, running, state_label, state_of, video_path, wait
from ..queue_input import check_sources

HEARTBEAT_S = 15.0


def _context(state, **extra) -> dict:
    snapshot = state.queue.snapshot()
    return {"snapshot": snapshot, "ordered": ordered(snapshot.jobs), "allow_dirs": state.options.allow_dirs,
            "queue_dir": state.options.queue_dir, "problems": [], "typed": "", **extra}


def ordered(jobs: list) -> list:
    """The jobs as the page lists them: the one running first, then those waiting in their order, then
    the finished ones, the latest first (the script keeps this order as the jobs change)."""
    finished = sorted((job for job in jobs if job.final), key=lambda job: job.updated or "", reverse=True)
    return ([job for job in jobs if running(job)] + [job for job in jobs if not job.final and not running(job)]
            + finished)


def page(request):
    return render(request, "queue.html", _context(state_of(request)), active="queue")


async def add(request):
    state = state_of(request)
    form = await request.form()
    typed = str(form.get("sources", ""))[:200_000]
    sources, problems = await anyio.to_thread.run_sync(check_sources, typed.splitlines(), state.options.allow_dirs)
    if not sources and not problems:
        problems = ["nothing to add: paste a URL or name a file or folder, one per line"]
    if problems:
        context = await anyio.to_thread.run_sync(lambda: _context(state, problems=problems, typed=typed))
        return render(request, "queue.html", context, status=400, active="queue")
    await anyio.to_thread.run_sync(state.queue.add, sources)
    return RedirectResponse("/queue", status_code=303)


def cancel(request):
    state = state_of(request)
    if not state.queue.cancel(request.path_params["job_id"]):
        raise HTTPException(404, "No such job, or it has already finished.")
    return RedirectResponse("/queue", status_code=303)


def cancel_source(request):
    state = state_of(request)
    if not state.queue.cancel_source(request.path_params["source_id"]):
        raise HTTPException(404, "No such source waiting in the queue.")
    return RedirectResponse("/queue", status_code=303)


def report(request):
    state = state_of(request)
    return render(request, "report.html", {"report": state.queue.report(), "snapshot": state.queue.snapshot(),
                                           "queue_dir": state.options.queue_dir}, active="queue")


def _view(job) -> dict:
    """A job for the page's script: its fields, where its video's page is, and its ETA in words."""
    return job.to_dict() | {"href": video_path(job.library_id) if job.library_id else None,
                            "wait": wait(job.eta_s) if job.eta_s is not None else None,
                            "label_state": state_label(job)}


def _event(kind: str, data: dict) -> str:
    # json.dumps never emits a raw newline, so one data line holds the whole event
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def events(request):
    """``text/event-stream``: a ``job`` event per job whose view changed since the last look (all of
    them first), a ``queue`` event when the waiting sources or the queue's message change."""
    state = state_of(request)
    poll = state.options.event_poll_s

    async def stream():
        yield "retry: 1000\n\n"
        sent: dict[str, dict] = {}
        sent_queue = None
        beat = time.monotonic()
        while True:
            snapshot = await anyio.to_thread.run_sync(state.queue.snapshot, poll / 2)
            for job in snapshot.jobs:
                view = _view(job)
                if sent.get(job.id) != view:
                    sent[job.id] = view
                    yield _event("job", view)
            queue = {"waiting": [{"id": s.id, "source": s.source, "added": s.added} for s in snapshot.waiting],
                     "message": snapshot.message, "counts": snapshot.counts}
            if queue != sent_queue:
                sent_queue = queue
                yield _event("queue", queue)
            if time.monotonic() - beat > HEARTBEAT_S:
                beat = time.monotonic()
                yield ": still here\n\n"
            if state.stopping.is_set():  # the server is going down: the browser reconnects to the next one
                return
            if await request.is_disconnected():
                return
            await anyio.sleep(poll)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
