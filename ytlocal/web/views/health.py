"""Models and health: the installed models, which LLM writes the summaries and why, ``ytlocal
doctor``'s checks and the disk each part uses. Doctor's checks and the folder sizes take a moment, so
they are computed at most once a minute (``?fresh=1`` recomputes them)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..templating import render, state_of

FRESH_S = 60.0


def _folder_bytes(folder: Path, budget_s: float = 2.0) -> tuple[int, bool]:
    """The bytes under ``folder`` and whether all were counted (a huge cache is cut off after ``budget_s``)."""
    total, deadline, pending = 0, time.monotonic() + budget_s, [folder]
    while pending:
        if time.monotonic() > deadline:
            return total, False
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            pending.append(Path(entry.path))
                        elif entry.is_file(follow_symlinks=False):
                            total += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total, True


def _slow_facts(state) -> dict:
    from ...config import resolve_cache_dir, resolve_models_dir
    from ...doctor import run_checks

    settings = state.session.settings
    models_dir = resolve_models_dir(settings)[0]
    disk = []
    for label, folder in (("models", models_dir), ("cache (downloads, transcripts, model calls)",
                                                   resolve_cache_dir(settings)),
                          ("queue outputs", Path(state.options.queue_dir))):
        size, complete = _folder_bytes(Path(folder))
        disk.append({"label": label, "path": str(folder), "bytes": size, "complete": complete})
    return {"checks": run_checks(settings), "disk": disk, "at": time.time()}


def page(request):
    from ...registry import ModelStore
    from ...sizes import human_size
    from ...config import resolve_models_dir

    state = state_of(request)
    settings = state.session.settings
    facts = state.cache.get("health")
    if facts is None or request.query_params.get("fresh") or time.time() - facts["at"] > FRESH_S:
        facts = state.cache["health"] = _slow_facts(state)
    store = ModelStore(resolve_models_dir(settings)[0])
    models = [{"name": status.spec.name, "kind": status.spec.kind, "state": status.state,
               "size": human_size(status.installed.size_bytes) if status.installed else status.spec.size,
               "license": status.spec.license, "description": status.spec.description}
              for status in store.statuses()]
    library = state.library.stats()
    return render(request, "health.html", {
        "models": models, "llm": state.session.llm_name, "llm_reason": state.session.llm_reason,
        "whisper": settings.whisper_model, "checks": facts["checks"], "disk": facts["disk"], "library": library,
        "library_path": str(state.library.path), "models_dir": str(store.root)}, active="models")
