"""The application: its shared state, its routes, and the queue started and stopped with it.

:func:`create_app` is what ``ytlocal serve`` runs under uvicorn and what the tests run in process. The
state holds one :class:`~ytlocal.api.Session` (models load on the first job or question, never at
start), one :class:`~ytlocal.library.Library` shared by the request threads (a connection each), and
the :class:`~ytlocal.batch.BatchQueue` whose thread runs the queued videos. ``model_lock`` is held by
the queue while a video is transcribed and summarized and by ``ask`` while it answers: the two share
the session's models, which one thread at a time may use. Questions are answered in a thread of their
own, at most ``ask_slots`` answered or waiting at once (see :mod:`.views.ask`), so however many come,
the threads that serve the pages stay free.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .security import SECRET_NAME, Guard, SecurityMiddleware, session_secret

if TYPE_CHECKING:  # heavy to import, and needed only by the annotations
    from concurrent.futures import ThreadPoolExecutor

    from jinja2 import Environment

    from ..api import Session
    from ..batch import BatchQueue
    from ..library import Library

STATIC = Path(__file__).parent / "static"


@dataclass
class ServeOptions:
    """How the server runs (``ytlocal serve``'s flags and config keys).

    Args:
        port: The port it listens on (part of every allowed Host header).
        token: The launch token (random, or ``serve_token`` from the config).
        queue_dir: The output folder of the queue: its job list, summaries and transcripts.
        host: The address it listens on (127.0.0.1 unless ``--host``).
        allow_dirs: Local files the queue may take must lie under one of these (after links resolve).
        page_size: Videos per library page.
        ask_wait_s: How long a question waits for the models while the queue uses them.
        ask_slots: Questions answered or waiting for the models at once; one more is told to come back
            (503 with Retry-After).
        secret_file: Where the session secret is kept (default: ``serve-secret`` in the library's folder).
        event_poll_s: How often the event stream looks at the job list.
        formats: The summary formats the queue writes.
    """

    port: int
    token: str
    queue_dir: Path
    host: str = "127.0.0.1"
    allow_dirs: tuple[Path, ...] = ()
    page_size: int = 50
    ask_wait_s: float = 300.0
    ask_slots: int = 2
    secret_file: Path | None = None
    event_poll_s: float = 0.25
    formats: tuple[str, ...] = ("md",)


@dataclass
class WebState:
    """Everything the views share (one per application)."""

    options: ServeOptions
    session: Session
    library: Library
    queue: BatchQueue
    guard: Guard
    templates: Environment
    model_lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    cache: dict = field(default_factory=dict)  # slow facts (doctor's checks, disk use), with their time
    warnings: list[str] = field(default_factory=list)  # for the command to print at start
    asks: int = 0  # questions answered or waiting now (changed on the event loop only)
    ask_thread: ThreadPoolExecutor | None = None  # the one thread questions are answered in (made on first use)


def build_state(session: Session, options: ServeOptions, *, model_lock: threading.Lock | None = None) -> WebState:
    """The state for ``session``'s library and a queue in ``options.queue_dir`` (not started yet)."""
    from ..batch import BatchQueue
    from ..jobs import BatchOptions
    from .templating import environment

    lock = model_lock or threading.Lock()
    library = session.library()  # with the session's embedding model: search by meaning too
    queue = BatchQueue(session.pipeline, BatchOptions(out_dir=Path(options.queue_dir), formats=options.formats,
                                                      with_transcript=True,
                                                      add_to_library=session.library_adder(),
                                                      allow_dirs=tuple(options.allow_dirs)),
                       busy=lock)
    secret, warning = session_secret(options.secret_file or Path(library.path).parent / SECRET_NAME)
    guard = Guard(options.token, options.port, options.host, secret)
    return WebState(options, session, library, queue, guard, environment(), lock,
                    warnings=[warning] if warning else [])


def create_app(state: WebState, *, start_queue: bool = True):
    """The Starlette application over ``state``, behind :class:`~.security.SecurityMiddleware`."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from ..errors import YtlocalError
    from .views import ask, health, library, queue, search, video

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if start_queue:
            state.queue.start()
        try:
            yield
        finally:
            state.stopping.set()
            import anyio

            await anyio.to_thread.run_sync(state.queue.stop)
            if state.ask_thread is not None:
                state.ask_thread.shutdown(wait=False, cancel_futures=True)

    routes = [
        Route("/", library.home),
        Route("/video/{video_id}", video.page),
        Route("/video/{video_id}/summary.{fmt}", video.summary_file),
        Route("/video/{video_id}/transcript.{fmt}", video.transcript_file),
        Route("/media/{video_id}", video.media),
        Route("/search", search.page),
        Route("/ask", ask.page),
        Route("/queue", queue.page, methods=["GET", "HEAD"]),
        Route("/queue", queue.add, methods=["POST"]),
        Route("/queue/events", queue.events),
        Route("/queue/report", queue.report),
        Route("/queue/jobs/{job_id}/cancel", queue.cancel, methods=["POST"]),
        Route("/queue/sources/{source_id:int}/cancel", queue.cancel_source, methods=["POST"]),
        Route("/models", health.page),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(SecurityMiddleware, guard=state.guard)],
                    exception_handlers={404: _not_found, 405: _not_allowed, YtlocalError: _ytlocal_error})
    app.state.ytlocal = state
    return app


async def _not_found(request, exc):
    from starlette.responses import HTMLResponse

    from .templating import render

    detail = getattr(exc, "detail", None) or "Nothing here."
    try:
        return render(request, "error.html", {"title": "Not found", "message": detail}, status=404)
    except Exception:  # no state (a mount outside the app): a plain page
        return HTMLResponse("<!doctype html><title>404</title><h1>Not found</h1>", status_code=404)


async def _ytlocal_error(request, exc):
    """A damaged or busy library or job list: its one-line message, as the command line would say it (any
    other error is a plain 500 page, from the security middleware)."""
    from .templating import render

    return render(request, "error.html", {"title": "Something is wrong", "message": str(exc)}, status=500)


async def _not_allowed(request, exc):
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("method not allowed", status_code=405)
