"""The Python API: summarize and transcribe videos, media files and transcripts from your own code.

    import ytlocal

    result = ytlocal.summarize("https://youtu.be/VIDEO_ID")        # or a media file, or a transcript
    print(result.summary.title, result.summary.tldr)
    result.write("summaries/", formats=["md", "json"])

    with ytlocal.Session(length="short") as session:                # models stay loaded across calls
        for result in session.summarize_many(["urls.txt", "talks/"]):
            print(result.title, result.error or result.summary.tldr)

Every option has the same meaning and default as the command line's (the config file and the
``YTLOCAL_*`` environment variables apply too); nothing is printed; progress goes to an optional
callback ``progress(stage: str, done: int, total: int | None)``; errors are the
:mod:`ytlocal.errors` classes.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

from .acquire import AcquireOptions
from .answer import Answer
from .config import Settings, effective_threads, load_settings, resolve_cache_dir, resolve_models_dir
from .delivery import Delivered, Delivery, LibraryAdd
from .errors import SourceError, YtlocalError
from .inputs import Failure
from .library import Hit, Library, library_dir
from .pipeline import Pipeline, index_quietly
from .progress import Progress, no_progress
from .records import Result, Transcript
from .registry import ModelStore
from .summarization import SummarizeOptions
from .transcription import TranscribeOptions

log = logging.getLogger(__name__)

FailureCallback = Callable[[str, YtlocalError], None]  # (source, error): a video that failed; the others go on


class Session:
    """ytlocal with its models loaded: each model loads on first use and stays loaded until
    :meth:`close` (or the end of a ``with`` block), so many calls pay for loading once.

    Args:
        whisper_model: Catalog name or folder of a faster-whisper model (default: ``whisper-base``).
        llm: Catalog name or ``.gguf`` file (default: the strongest installed catalog LLM).
        length: ``short``, ``medium`` or ``long`` summaries.
        instructions: Extra instructions for the model ("focus on the numbers").
        summary_language: Language to write summaries in (default: as the model does).
        spoken_language: Language spoken in the media, e.g. ``"en"`` (default: detected).
        task: ``transcribe``, or ``translate`` for English text from any spoken language.
        device: ``auto``, ``cpu`` or ``cuda``, where whisper runs.
        threads: CPU threads (0: the physical cores; the LLM then uses fewer while other processes
            keep cores busy, see :class:`ytlocal.runtime.llm.LoadAwareThreads`).
        n_ctx: LLM context size in tokens (default: 2048).
        llm_gpu_layers: LLM layers on the GPU: -1 all, 0 none (default: all when the installed
            llama-cpp-python can offload, else 0).
        offline: Never touch the network: local files and already downloaded videos only.
        captions: ``never``, ``prefer`` (the creator's subtitles instead of speech recognition) or ``auto``.
        limit: At most this many videos from each playlist or channel.
        word_timestamps: Keep per-word timings in transcripts.
        batched: Use faster-whisper's batched pipeline (the default) or plain sequential decoding.
        cookies, cookies_from_browser, rate_limit, retries: Passed to yt-dlp.
        models_dir, cache_dir: Where models and caches live (default: as ``ytlocal doctor`` shows).
        library_dir: Where the library that :meth:`search` and :meth:`ask` use lives (default: the
            ``library_dir`` setting, else the platform data dir).
        config: A config file to read instead of the default one.

    Raises:
        ConfigError: A bad option value or config file.
    """

    def __init__(self, *, whisper_model: str | None = None, llm: str | None = None, length: str = "medium",
                 instructions: str | None = None, summary_language: str | None = None,
                 spoken_language: str | None = None, task: str = "transcribe", device: str | None = None,
                 threads: int | None = None, n_ctx: int | None = None, llm_gpu_layers: int | None = None,
                 offline: bool | None = None,
                 captions: str = "never", limit: int | None = None, word_timestamps: bool = False,
                 batched: bool = True, cookies: str | None = None, cookies_from_browser: str | None = None,
                 rate_limit: str | None = None, retries: int = 3, models_dir: str | Path | None = None,
                 cache_dir: str | Path | None = None, config: str | Path | None = None,
                 library_dir: str | Path | None = None, _settings: Settings | None = None):
        settings = _settings or load_settings(
            config, models_dir=str(models_dir) if models_dir else None, cache_dir=str(cache_dir) if cache_dir else None,
            whisper_model=whisper_model, llm_model=llm, device=device, threads=threads, language=spoken_language,
            llm_gpu_layers=llm_gpu_layers,
            offline=True if offline else None, library_dir=str(library_dir) if library_dir else None)
        self.settings = settings
        store = ModelStore(resolve_models_dir(settings)[0])
        explicit = settings.origins.get("llm_model", "default") != "default"
        llm_name, llm_reason = store.choose_llm(settings.llm_model if explicit else None, settings.llm_model)
        cache = resolve_cache_dir(settings)
        self.pipeline = Pipeline(
            store=store, cache_dir=cache, whisper_name=settings.whisper_model, llm_name=llm_name,
            acquire_options=AcquireOptions(
                cache_dir=cache, offline=settings.offline, limit=limit, cookies=cookies,
                cookies_from_browser=cookies_from_browser, rate_limit=rate_limit, retries=retries,
                captions=captions, language=settings.language),
            transcribe_options=TranscribeOptions(language=settings.language, task=task,
                                                 word_timestamps=word_timestamps, batched=batched),
            summarize_options=SummarizeOptions(length=length, instructions=instructions, language=summary_language),
            captions=captions, device=settings.device, threads=effective_threads(settings),
            llm_threads=settings.threads, llm_gpu_layers=settings.llm_gpu_layers, n_ctx=n_ctx,
            llm_reason=llm_reason, embedding_name=settings.embedding_model,
        )
        log.debug("session: whisper %s, llm %s (%s), cache %s", settings.whisper_model, llm_name, llm_reason, cache)

    @property
    def llm_name(self) -> str:
        """The LLM that writes the summaries, and :attr:`llm_reason` says why it was chosen."""
        return self.pipeline.llm_name

    @property
    def llm_reason(self) -> str:
        return self.pipeline.llm_reason

    def check_models(self, *, llm: bool = True, whisper: bool = True) -> None:
        """Load-check the models now (the LLM, then whisper and its device), so that an unknown, missing
        or broken model fails before any download.

        Raises:
            ModelError: A model is unknown, not installed or broken; or the device cannot be used.
        """
        if llm:
            self.pipeline.llm_model
        if whisper:
            self.pipeline.whisper_model
            self.pipeline.check_device()

    def results(self, sources: Iterable[str], *, summarize: bool = True, progress: Progress = no_progress,
                stdin: TextIO | None = None, on_failure: FailureCallback | None = None) -> Iterator[Result]:
        """Acquire, transcribe and (unless ``summarize`` is False) summarize each source in order,
        one :class:`~ytlocal.records.Result` per video: a playlist, channel, folder or list gives
        several. A source that fails gives a Result with ``error`` set, after ``on_failure(source,
        error)``; the others go on. ``stdin``: where the source ``-`` reads its sources from."""
        for result, _delivered in self._processed(sources, summarize, progress, stdin, on_failure, None):
            yield result

    def deliver(self, sources: Iterable[str], delivery: Delivery, *, summarize: bool = True,
                progress: Progress = no_progress, stdin: TextIO | None = None,
                on_failure: FailureCallback | None = None, on_processed: Callable[[Result], None] | None = None,
                on_written: Callable[[Result, Delivered], None] | None = None,
                ) -> Iterator[tuple[Result, Delivered | None]]:
        """:meth:`results`, each video then delivered: its files written, then added to the library
        (see :class:`~ytlocal.delivery.Delivery`; :meth:`delivery` makes one for this session's library).

        ``on_processed(result)`` is called once a video is transcribed or summarized, before its files
        are written; ``on_written(result, delivered)`` once they are, before the library add. A video
        whose files cannot be written has failed like one whose stage failed (``on_failure``).

        Yields:
            ``(result, delivered)`` per video, in order; ``delivered`` is None when it failed.
        """

        def write(result: Result) -> Delivered:
            if on_processed is not None:
                on_processed(result)
            with self.pipeline.timed("render") if summarize else nullcontext():
                return delivery.write(result)

        for result, delivered in self._processed(sources, summarize, progress, stdin, on_failure, write):
            if delivered is not None:
                if on_written is not None:
                    on_written(result, delivered)
                delivery.index(result, delivered)
            yield result, delivered

    def _processed(self, sources: Iterable[str], summarize: bool, progress: Progress, stdin: TextIO | None,
                   on_failure: FailureCallback | None, then: Callable[[Result], Delivered] | None,
                   ) -> Iterator[tuple[Result, Delivered | None]]:
        """The one acquire-process-fail loop: each video acquired, processed, then passed to ``then``
        (whose YtlocalError fails the video too)."""
        for item in self.pipeline.items(list(sources), stdin=stdin, progress=progress):
            done = None
            if isinstance(item, Failure):
                result = Result(item.source, error=item.error)
            else:
                result = item
                try:
                    if summarize:
                        self.pipeline.summarize(result, progress)
                    else:
                        self.pipeline.transcribe(result, progress)
                    if then is not None:
                        done = then(result)
                except YtlocalError as error:
                    result.error = error
            if result.error is not None and on_failure is not None:
                on_failure(result.source, result.error)
            yield result, done

    def summarize_many(self, sources: Iterable[str], *, progress: Progress = no_progress) -> Iterator[Result]:
        """Summarize many sources (URLs, playlists, channels, files, folders, transcripts, lists).

        Yields:
            One Result per video, in order; a failed one has ``error`` set and no summary.
        """
        return self.results(sources, summarize=True, progress=progress)

    def summarize(self, source: str, *, progress: Progress = no_progress) -> Result:
        """Summarize one video, media file or transcript file.

        Returns:
            The Result: ``media``, ``transcript`` and ``summary``; ``render(fmt)`` and ``write(dir)``.

        Raises:
            SourceError: The source cannot be read or downloaded, or names several videos (use
                :meth:`summarize_many` for playlists and lists).
            ModelError, TranscriptionError, SummaryError: A model is missing or broken, or a stage failed.
        """
        return self._one(source, summarize=True, progress=progress)

    def transcribe(self, source: str, *, progress: Progress = no_progress) -> Transcript:
        """Transcribe one video or media file (a transcript file is read as it is).

        Returns:
            The Transcript, with its ``media``.

        Raises:
            SourceError, ModelError, TranscriptionError: as :meth:`summarize`.
        """
        result = self._one(source, summarize=False, progress=progress)
        assert result.transcript is not None
        return result.transcript

    def _one(self, source: str, *, summarize: bool, progress: Progress) -> Result:
        results = iter(self.results([source], summarize=summarize, progress=progress))
        first = next(results, None)
        if first is None:
            raise SourceError(f"{source}: nothing to process")
        if next(results, None) is not None:
            raise SourceError(f"{source} names several videos: use summarize_many() (or `ytlocal batch`)")
        if first.error is not None:
            raise first.error
        return first

    def library(self) -> Library:
        """The :class:`~ytlocal.library.Library` this session adds to and searches (close it after use),
        with this session's embedding model (loaded on first use; None when not installed), so that
        what it adds gets vectors and its searches fuse words with meaning."""
        from .summarization.ads import ad_reads

        return Library(library_dir(self.settings), embedder=self.pipeline.embedder, find_ads=ad_reads)

    def library_adder(self) -> LibraryAdd:
        """Adds a finished video to this session's library, with vectors from its embedding model; a
        failure there is a logged warning, never a failed video."""
        return partial(index_quietly, self.settings, embedder=self.pipeline.embedder)

    def delivery(self, out_dir: str | Path, formats: Iterable[str] = ("md",), *, with_transcript: bool = False,
                 transcript_formats: Iterable[str] | None = None, stream: Callable[[str], None] | None = None,
                 to_library: bool = True) -> Delivery:
        """A :class:`~ytlocal.delivery.Delivery` into ``out_dir`` that adds each video to this session's
        library (unless ``to_library`` is False): see :meth:`deliver`."""
        return Delivery(Path(out_dir), tuple(formats), with_transcript,
                        tuple(transcript_formats) if transcript_formats is not None else None, stream,
                        self.library_adder() if to_library else None)

    def search(self, query: str, *, video: str | None = None, limit: int = 10) -> list[Hit]:
        """The best passages for ``query`` in the library (bm25 fused with sentence vectors when the
        embedding model is installed), as :class:`~ytlocal.library.Hit` (``title``, ``text``, ``spans``
        of its matched words, ``start``, ``link``, ``skipped`` for an ad read); ``video`` limits it to one
        video (id, URL, path or title)."""
        with self.library() as library:
            return library.search(query, video=video, limit=limit)

    def ask(self, question: str, sources: Iterable[str] = (), *, progress: Progress = no_progress) -> Answer:
        """Answer ``question`` with the local LLM from the library's passages, or from ``sources``
        (transcribed and added to the library first). Only sentences the cited passages support
        are kept; when none is, ``answer.grounded`` is False and ``answer.passages`` are the best ones.

        Returns:
            An :class:`~ytlocal.answer.Answer` (``text()``, ``sentences``, ``passages``, ``refused``).

        Raises:
            SourceError, ModelError, TranscriptionError: a source or a model failed.
        """
        from .answer import ask_library

        with self.library() as library:
            videos = []
            for item in self.results(list(sources), summarize=False, progress=progress):
                if item.error is not None:
                    raise item.error
                videos.append(library.add(item))
            return ask_library(library, question, self.pipeline, videos or None)

    def close(self) -> None:
        """Free this session's loaded models (they load again on the next call); other sessions keep theirs."""
        self.pipeline.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def summarize(source: str, *, progress: Progress = no_progress, **options) -> Result:
    """Summarize one video, media file or transcript file, entirely on this machine.

    Args:
        source: A URL yt-dlp supports, a media file, or a transcript (``.txt``, ``.srt``, ``.vtt``,
            ytlocal ``.json``).
        progress: Called as ``progress(stage, done, total)`` while it works; total may be None.
        **options: Any of :class:`Session`'s options (``llm``, ``length``, ``whisper_model``, ...).

    Returns:
        A :class:`~ytlocal.records.Result`: ``.summary`` (title, tldr, key_points, sections),
        ``.transcript``, ``.media``; ``.render("md")`` and ``.write(out_dir, formats)``.

    Raises:
        SourceError: The source cannot be read or downloaded, or names several videos.
        ModelError: A model is unknown, not installed or broken (the message says how to pull it).
        TranscriptionError, SummaryError: Speech recognition or summarizing failed.
        ConfigError: A bad option value or config file.
    """
    with Session(**options) as session:
        return session.summarize(source, progress=progress)


def summarize_many(sources: Iterable[str], *, progress: Progress = no_progress, **options) -> Iterator[Result]:
    """Summarize many sources (playlists, channels, folders, lists included), loading the models once.

    Yields one :class:`~ytlocal.records.Result` per video, in order; a video that failed has
    ``error`` set and the others go on. Options are :class:`Session`'s."""
    with Session(**options) as session:
        yield from session.summarize_many(sources, progress=progress)


def transcribe(source: str, *, progress: Progress = no_progress, **options) -> Transcript:
    """Transcribe one video or media file with faster-whisper, on this machine.

    Args:
        source: A URL yt-dlp supports or a media file (a transcript file is read as it is).
        progress: Called as ``progress(stage, done, total)``.
        **options: Any of :class:`Session`'s options (``whisper_model``, ``spoken_language``, ...).

    Returns:
        The :class:`~ytlocal.records.Transcript`: ``segments`` with start/end times, ``language``,
        ``media``; :func:`ytlocal.transcript.write_transcript` writes txt, srt, vtt or json.

    Raises:
        SourceError, ModelError, TranscriptionError, ConfigError: as :func:`summarize`.
    """
    with Session(**options) as session:
        return session.transcribe(source, progress=progress)


def search(query: str, *, video: str | None = None, limit: int = 10, **options) -> list[Hit]:
    """Search everything ytlocal has transcribed (the library): see :meth:`Session.search`."""
    with Session(**options) as session:
        return session.search(query, video=video, limit=limit)


def ask(question: str, sources: Iterable[str] = (), *, progress: Progress = no_progress, **options) -> Answer:
    """Answer a question from the library or from ``sources``: see :meth:`Session.ask`."""
    with Session(**options) as session:
        return session.ask(question, sources, progress=progress)


__all__ = ["Answer", "Hit", "Session", "ask", "search", "summarize", "summarize_many", "transcribe"]
