"""The stages chained: source -> Media -> Transcript -> Summary -> rendered files.

:class:`Pipeline` owns its loaded models (whisper, and the llama.cpp models in :attr:`Pipeline.models`:
each loaded at most once, and only when a stage actually needs it, so a fully cached rerun loads
nothing) and the wall time spent in each stage.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, TextIO

from .progress import Progress, no_progress
from .acquire import AcquireOptions, acquire
from .inputs import Failure, is_url, looks_like_source_list, user_path
from .errors import ModelError, SourceError
from .records import Result, Summary, Transcript
from .registry import ModelStore, ResolvedModel
from .runtime.models import ChatModel, EmbeddingModel, Models
from .summarization import SummarizeOptions, summarize_transcript
from .transcription import TranscribeOptions, WhisperEngine, pick_device, transcribe_media
from .transcript import TRANSCRIPT_SUFFIXES, read_transcript

log = logging.getLogger(__name__)



def is_transcript_file(source: str) -> bool:
    """A transcript given as input (ASR is skipped): .json/.srt/.vtt, or a .txt that is not a source list."""
    if source == "-" or is_url(source):
        return False
    path = user_path(source)
    if not path.is_file() or path.suffix.lower() not in TRANSCRIPT_SUFFIXES:
        return False
    return path.suffix.lower() != ".txt" or not looks_like_source_list(path)


@dataclass
class Pipeline:
    store: ModelStore
    cache_dir: Path
    whisper_name: str
    llm_name: str
    acquire_options: AcquireOptions
    transcribe_options: TranscribeOptions = field(default_factory=TranscribeOptions)
    summarize_options: SummarizeOptions = field(default_factory=SummarizeOptions)
    captions: str = "never"
    device: str = "auto"
    threads: int = 0  # whisper's CPU threads
    llm_threads: int = 0  # 0: all physical cores while they are free, fewer while other processes use them
    llm_gpu_layers: int | None = None  # None: all layers when llama.cpp can offload, else 0
    n_ctx: int | None = None
    llm_reason: str = "chosen"  # why llm_name (see ModelStore.choose_llm)
    embedding_name: str | None = None  # the sentence-embedding model (None: summaries from words alone)
    timings: dict[str, float] = field(default_factory=dict)
    models: Models = field(default_factory=Models)
    _whisper_model: ResolvedModel | None = None
    _engine: WhisperEngine | None = None
    _llm_model: ResolvedModel | None = None
    _embedding_missing: bool = False

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started

    @property
    def whisper_model(self) -> ResolvedModel:
        if self._whisper_model is None:
            self._whisper_model = self.store.resolve(self.whisper_name, "whisper")
        return self._whisper_model

    @property
    def llm_model(self) -> ResolvedModel:
        if self._llm_model is None:
            self._llm_model = self.store.resolve(self.llm_name, "llm")
        return self._llm_model

    def check_device(self) -> str:
        """Where whisper will run: refuses ``--device cuda`` at once when the GPU cannot be used, and
        warns (once) when ``auto`` falls back to the CPU for that reason."""
        return pick_device(self.device)[0]

    def close(self) -> None:
        """Free the loaded models (they load again when needed)."""
        self._engine = None
        self.models.close()

    def embedder(self) -> EmbeddingModel | None:
        """The sentence-embedding model, loaded on first use, or None when it is not installed (summaries
        and search then work from words alone; ``ytlocal doctor`` says how to pull it)."""
        if self.embedding_name is None:
            return None
        try:
            model = self.store.resolve(self.embedding_name, "embedding")
        except ModelError as error:
            if not self._embedding_missing:
                log.info("no sentence meaning: %s", error)
                self._embedding_missing = True
            return None
        with self.timed("load embedding"):
            return self.models.embedder(model, self.llm_threads)

    def chat_model(self) -> ChatModel:
        """The LLM that writes summaries and answers, loaded on first use."""
        with self.timed("load llm"):
            return self.models.chat(self.llm_model, self.n_ctx, self.llm_threads, self.llm_gpu_layers)

    def engine(self) -> WhisperEngine:
        if self._engine is None:
            with self.timed("load whisper"):
                self._engine = WhisperEngine(self.whisper_model, self.device, self.threads)
        return self._engine

    def items(self, sources: list[str], stdin: TextIO | None = None,
              progress: Progress = no_progress) -> Iterator[Result | Failure]:
        """Acquire every source in order: transcript files are read, everything else goes through
        :func:`~ytlocal.acquire.acquire`. Failures are yielded, never raised."""
        for source in sources:
            if is_transcript_file(source):
                try:
                    transcript = read_transcript(user_path(source))
                except SourceError as error:
                    yield Failure(source, error)
                    continue
                yield Result(source, transcript=transcript)
                continue
            with self.timed("acquire"):
                results = list(acquire([source], self.acquire_options, stdin=stdin, progress=progress))
            for result in results:
                yield result if isinstance(result, Failure) else Result(source, media=result)

    def transcribe(self, item: Result, progress: Progress = no_progress) -> Transcript:
        if item.transcript is None:
            assert item.media is not None
            with self.timed("transcribe"):
                item.transcript = transcribe_media(item.media, self.whisper_model, self.engine,
                                                   self.transcribe_options, self.cache_dir, device=self.device,
                                                   use_captions=self.captions, progress=progress)
        return item.transcript

    def summarize(self, item: Result, progress: Progress = no_progress) -> Summary:
        transcript = self.transcribe(item, progress)
        spec = self.store.catalog.find(self.llm_name)
        languages = spec.languages if spec is not None else ()
        chat = self.chat_model()
        with self.timed("summarize"):
            item.summary = summarize_transcript(transcript, chat, self.summarize_options, cache_dir=self.cache_dir,
                                                model_languages=languages, progress=progress,
                                                embedder=self.embedder())
        return item.summary


def index_quietly(settings, result: Result, embedder=None, **paths) -> None:
    """Add a finished video to the library ``settings`` names, with vectors when ``embedder`` (an
    embedding model, or a loader that returns one or None, such as :meth:`Pipeline.embedder`) gives one
    (else ``library reindex`` adds them later), and the ad reads of a transcript without a summary found
    as a summary finds them; a failure is a warning, never a failed video."""
    from .errors import LibraryError
    from .library import Library, library_dir
    from .summarization.ads import ad_reads

    try:
        with Library(library_dir(settings), embedder=embedder, find_ads=ad_reads) as library:
            library.add(result, **paths)
    except (LibraryError, ModelError, OSError) as error:
        log.warning("not added to the library: %s", error)


__all__ = ["Pipeline", "Result", "index_quietly", "is_transcript_file"]
