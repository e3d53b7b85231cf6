"""The summarize stage: a :class:`~ytlocal.transcript.Transcript` in, a :class:`Summary` out."""

from __future__ import annotations

import time
from pathlib import Path

from ..progress import Progress
from ..records import Summary, Transcript
from ..runtime.llm import CallCache, LlmSession
from ..runtime.models import ChatModel
from .prompts import PROMPT_VERSION
from .summarizer import Summarizer
from .summary import LENGTHS, SummarizeOptions

__all__ = ["LENGTHS", "SummarizeOptions", "summarize_transcript"]


def summarize_transcript(transcript: Transcript, chat: ChatModel, options: SummarizeOptions, *,
                         cache_dir: Path | None, model_languages: tuple[str, ...] = (),
                         progress: Progress | None = None, embedder=None) -> Summary:
    """Summarize ``transcript`` with the loaded ``chat`` model (see :class:`ytlocal.runtime.models.Models`).

    Every LLM call is cached under ``cache_dir`` (model hash, prompt, options, prompt version), so a
    killed run resumes where it stopped; the same input gives the same output (greedy decoding).
    """
    started = time.perf_counter()
    session = LlmSession(chat, CallCache(cache_dir), PROMPT_VERSION)
    media = transcript.media
    title = media.title if media is not None and media.title else None
    label = f"summarize {title}" if title else "summarize"
    summarizer = Summarizer(session, options, progress, label, transcript.language, embedder=embedder)
    chapters = list(media.chapters) if media is not None else []
    # A transcript file's title is its file name: made readable, or replaced when it names nothing.
    from_file = media is not None and media.is_transcript_file
    summary = summarizer.summarize(transcript.segments, transcript.duration, chapters,
                                   media_title=None if from_file else title,
                                   file_stem=title if from_file else None)
    language = (transcript.language or "").split("-")[0].lower()
    if language and model_languages and language not in model_languages and not options.language:
        summary.warnings.append(
            f"the transcript is in '{language}', which {chat.model.name} handles poorly "
            f"(it knows {', '.join(model_languages)}); expect a weak summary, or use a multilingual model "
            f"such as --llm qwen2.5-1.5b-instruct")
    stats = session.stats
    summary.stats = {
        "seconds": round(time.perf_counter() - started, 2),
        "llm_calls": stats.calls,
        "cached_llm_calls": stats.cached_calls,
        "prompt_tokens": stats.prompt_tokens,
        "generated_tokens": stats.completion_tokens,
        "llm_seconds": round(stats.seconds, 2),
        "retries": stats.retries,
        "fallbacks": stats.fallbacks,
        **summary.stats,
    }
    return summary
