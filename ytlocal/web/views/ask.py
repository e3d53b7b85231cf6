"""Ask: a question answered by the local LLM from the library's passages, each sentence citing the
passage it rests on, or the honest refusal and the closest passages. A GET (asking changes nothing).

Answering takes seconds of CPU and the models, which the queue may hold for a whole video. So a question
is answered in a thread of its own (one at a time: the models serve one caller), never in the threads
that serve the pages, and at most ``ask_slots`` questions are answered or waiting at once: one more is
told at once to come back (503 with Retry-After) instead of holding a connection and a thread. A
question waits for the models at most ``ask_wait_s`` while the queue uses them."""

from __future__ import annotations

import anyio

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


async def page(request):
    state = state_of(request)
    question = request.query_params.get("q", "").strip()[:1000]
    context = {"question": question, "answer": None, "busy": False, "error": None, "playable": {},
               "crowded": False, "empty": False}
    if not question:
        return render(request, "ask.html", context, active="ask")
    if state.asks >= state.options.ask_slots:
        context["crowded"] = True
        response = render(request, "ask.html", context, status=503, active="ask")
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    state.asks += 1  # the event loop's thread only: no lock needed
    try:
        if state.ask_limiter is None:
            state.ask_limiter = anyio.CapacityLimiter(1)
        context.update(await anyio.to_thread.run_sync(_answer, state, question, limiter=state.ask_limiter))
    finally:
        state.asks -= 1
    return render(request, "ask.html", context, active="ask")
