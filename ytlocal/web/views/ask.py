"""Ask: a question answered by the local LLM from the library's passages, each sentence citing the
passage it rests on, or the honest refusal and the closest passages. A GET (asking changes nothing);
the answer waits for the models while the queue uses them, up to ``ask_wait_s``."""

from __future__ import annotations

from ...answer import ask_library
from ...errors import YtlocalError
from ..templating import playable, render, state_of


def page(request):
    state = state_of(request)
    question = request.query_params.get("q", "").strip()[:1000]
    context = {"question": question, "answer": None, "busy": False, "error": None, "playable": {}}
    if question:
        if not state.model_lock.acquire(timeout=state.options.ask_wait_s):
            context["busy"] = True
        else:
            try:
                # the app's open library (its vector index already loaded), not a new one per question
                context["answer"] = ask_library(state.library, question, state.session.pipeline)
            except YtlocalError as error:  # a missing model, a damaged library: one line on the page
                context["error"] = str(error)
            finally:
                state.model_lock.release()
        answer = context["answer"]
        if answer is not None:
            context["playable"] = playable(state.library, answer.passages)
    return render(request, "ask.html", context, active="ask")
