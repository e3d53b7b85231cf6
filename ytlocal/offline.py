"""Model loads never reach for the network: the Hugging Face offline switches, set around each load.

They are set only for the load and restored afterwards, so the same process can still pull a model
with ``ytlocal models pull`` later (huggingface_hub reads ``HF_HUB_OFFLINE`` once, at import, so its
constant is switched too)."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger(__name__)
SWITCHES = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}


def _hub_offline_from_environment() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in ("1", "ON", "YES", "TRUE")


def _set_hub_constant(value: bool) -> None:
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = value


@contextmanager
def offline_model_load() -> Iterator[None]:
    """Within the block, Hugging Face libraries (imported there or before) refuse all network access."""
    saved = {key: os.environ.get(key) for key in SWITCHES}
    os.environ.update(SWITCHES)
    _set_hub_constant(True)
    log.debug("model load: Hugging Face offline switches on")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _set_hub_constant(_hub_offline_from_environment())
