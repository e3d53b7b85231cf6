"""Ask: a question answered by the local LLM from the library's passages, each sentence citing the
passage it rests on, or the honest refusal and the closest passages. A GET (asking changes nothing).

Answering takes seconds of CPU and the models, which the queue may hold for a whole video. So a question
is answered in a thread of its own (one at a time: the models serve one caller), never in the threads
that serve the pages; at most ``ask_slots`` questions are answered or waiting at once, and one more is
told at once to come back (503 with Retry-After, a page made without the templates: a crowd of such
answers costs the pages little) instead of holding a connection and a thread. A question waits for
the models at most ``ask_wait_s`` while the queue uses them. (A lower CPU priority for that thread was
tried: under load it starved the answers, 3 a minute instead of 55, and the pages' slowest answer was
no better: a thread that runs Python holds the interpreter lock while it waits for a core.)"""

from __future__ import annotations

import asyncio
import concurrent.futures
import urllib.parse

from markupsafe import escape
from starlette.responses import HTMLResponse

from ...answer import ask_library
from ...errors import YtlocalError
from ..templating import playable, render, state_of

RETRY_AFTER_S = 10


def _answer(state, question: str) -> dict:
    """In the question thread: the answer (or why there is none) and which passages can play here."""
    context: dict = {"answer": None, "busy": False, "error": None, "playable": {}, "empty": False}
    if state.library.is_empty():  # nothing to answer from: say so, and load no model
        context["empty"] = True
        return context
    if not state.model_lock.acquire(timeout=state.options.ask_wait_s):
        context["busy"] = True
        return context
    try:
        # the app's open library (its vector index already loaded), not a new one per question
        context["answer"] = ask_library(state.library, question, state.session.pipeline)
    except YtlocalError as error:  # a missing model, a damaged library: one line on the page
        context["error"] = str(error)
    finally:
        state.model_lock.release()
    if context["answer"] is not None:
        context["playable"] = playable(state.library, context["answer"].passages)
    return context


def _crowded(question: str) -> HTMLResponse:
    """The answer to one question too many: short, and made without the templates."""
    again = "/ask?" + urllib.parse.urlencode({"q": question})
    page = (f'<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><link rel="stylesheet" href="/static/ytlocal.css"><title>Ask · ytlocal</title>'
            f'<main><h1>Ask</h1><p class="warning" role="status">Other questions are being answered; ask again in a '
            f'few seconds: <a href="{escape(again)}">{escape(question)}</a></p><p><a href="/">Library</a></p></main>')
    return HTMLResponse(page, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"})


def _answerer(state) -> concurrent.futures.ThreadPoolExecutor:
    """The one thread questions are answered in (made on first use)."""
    if state.ask_thread is None:
        state.ask_thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ytlocal-ask")
    return state.ask_thread


async def page(request):
    state = state_of(request)
    question = request.query_params.get("q", "").strip()[:1000]
    context = {"question": question, "answer": None, "busy": False, "error": None, "playable": {},
               "empty": False}
    if not question:
        return render(request, "ask.html", context, active="ask")
    if state.asks >= state.options.ask_slots:
        return _crowded(question)
    state.asks += 1  # the event loop's thread only: no lock needed
    try:
        context.update(await asyncio.wrap_future(_answerer(state).submit(_answer, state, question)))
    finally:
        state.asks -= 1
    return render(request, "ask.html", context, active="ask")
