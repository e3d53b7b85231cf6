"""The progress callback every stage takes (stages never print; only the CLI draws bars)."""

from __future__ import annotations

from typing import Callable

Progress = Callable[[str, int, "int | None"], None]
"""Called as ``progress(stage, done, total)``, e.g. ``("transcribe talk", 42, 300)``; total may be None."""


def no_progress(stage: str, done: int, total: int | None) -> None:
    return None
