"""The summarize stage: a :class:`~ytlocal.transcript.Transcript` in, a :class:`Summary` out."""

from __future__ import annotations

import time
from pathlib import Path

from ..progress import Progress
from ..registry import ResolvedModel
from ..transcript import Transcript
from .chunking import ChapterSpan
from .llm import CallCache, LlmSession, load_backend
from .mapreduce import LENGTHS, MapReduceSummarizer, Point, Section, SummarizeOptions, Summary
from .prompts import PROMPT_VERSION

__all__ = ["LENGTHS", "Point", "Section", "SummarizeOptions", "Summary", "summarize_transcript"]



def summarize_transcript(transcript: Transcript, model: ResolvedModel, options: SummarizeOptions, *,
                         cache_dir: Path | None, n_ctx: int | None = None, threads: int = 0,
                         model_languages: tuple[str, ...] = (), progress: Progress | None = None,
                         backend=None) -> Summary:
    """Summarize ``transcript`` with the GGUF ``model`` (loaded once per process and reused).

    Every LLM call is cached under ``cache_dir`` (model hash, prompt, options, prompt version), so a
    killed run resumes where it stopped; the same input gives the same output (greedy decoding).
    """
    started = time.perf_counter()
    backend = backend or load_backend(model, n_ctx, threads)
    session = LlmSession(backend, CallCache(cache_dir), PROMPT_VERSION)
    title = transcript.media.get("title") if transcript.media else None
    label = f"summarize {title}" if title else "summarize"
    summarizer = MapReduceSummarizer(session, options, progress, label)
    chapters = [ChapterSpan(c["title"], float(c["start"]), float(c["end"]))
                for c in (transcript.media.get("chapters") or [])] if transcript.media else []
    summary = summarizer.summarize(transcript.segments, transcript.duration, chapters, title)
    language = (transcript.language or "").split("-")[0].lower()
    if language and model_languages and language not in model_languages and not options.language:
        summary.warnings.append(
            f"the transcript is in '{language}', which {model.name} handles poorly "
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
        "chunks": len(summary.chunks),
    }
    return summary
