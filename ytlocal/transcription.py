"""Transcribe: faster-whisper on the local CPU or GPU -> :class:`~ytlocal.transcript.Transcript`.

The default path is faster-whisper's ``BatchedInferencePipeline`` (VAD-chunked, batch 8, beam 5) with
word timings, which it computes at almost no extra cost; ytlocal then cuts each ~30 s chunk into
sentence-sized segments at punctuation and pauses. Measured on 2 CPU cores (scripts/bench_transcribe.py)
that is about twice as fast as the library's plain beam-5 setup, at the same word error rate, with
segments fine enough for subtitles and timestamped summaries.

Guards against whisper's known failure modes: VAD drops silence and music before decoding (so a track
without speech yields an empty transcript, not invented text); decoding does not condition on the
previous text; compression-ratio, log-prob and no-speech thresholds reject degenerate output; and a
segment repeated many times in a row is dropped after its second occurrence.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from .offline import offline_model_load
from .progress import Progress, no_progress
from .errors import TranscriptionError
from .registry import ResolvedModel
from .store import atomic_write_json, read_json, sha256_file
from .transcript import Segment, Transcript, Word, parse_cues

log = logging.getLogger(__name__)

TRANSCRIBE_VERSION = 1  # bump when a change alters the output for the same inputs (invalidates caches)
MAX_SEGMENT_SECONDS = 12.0
PAUSE_SPLIT_SECONDS = 0.6
MAX_CONSECUTIVE_REPEATS = 2
TASKS = ("transcribe", "translate")




@dataclass(frozen=True)
class TranscribeOptions:
    """Everything that changes the transcript for the same audio and model (part of the cache key)."""

    language: str | None = None
    task: str = "transcribe"
    word_timestamps: bool = False
    batched: bool = True
    batch_size: int = 8
    beam_size: int = 5
    vad_filter: bool = True

    def key_dict(self) -> dict[str, Any]:
        return {**asdict(self), "version": TRANSCRIBE_VERSION}


def pick_device(device: str) -> tuple[str, str]:
    """(device, compute type): CUDA with float16 when CTranslate2 sees a GPU, else CPU with int8."""
    import ctranslate2

    if device not in ("auto", "cpu", "cuda"):
        raise TranscriptionError(f"unknown device {device!r}; use auto, cpu or cuda")
    try:
        gpus = ctranslate2.get_cuda_device_count()
    except Exception:  # a broken CUDA runtime must not hide the CPU path
        gpus = 0
    if device == "cuda" and gpus == 0:
        raise TranscriptionError("--device cuda, but CTranslate2 sees no CUDA GPU; use --device auto or cpu")
    if device == "cuda" or (device == "auto" and gpus > 0):
        return "cuda", "float16"
    return "cpu", "int8"


class WhisperEngine:
    """A loaded faster-whisper model. Load once, transcribe many files (loading takes seconds)."""

    def __init__(self, model: ResolvedModel, device: str = "auto", threads: int = 0):
        self.model = model
        self.device, self.compute_type = pick_device(device)
        with offline_model_load():
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            try:
                self.whisper = WhisperModel(str(model.path), device=self.device, compute_type=self.compute_type,
                                            cpu_threads=threads, local_files_only=True)
            except Exception as error:  # CTranslate2 raises RuntimeError/ValueError for bad model folders
                raise TranscriptionError(f"cannot load whisper model {model.name} from {model.path}: {error}") from error
        log.debug("whisper %s loaded on %s (%s, %d threads)", model.name, self.device, self.compute_type, threads)
        self.batched = BatchedInferencePipeline(self.whisper)

    @property
    def is_english_only(self) -> bool:
        return not self.whisper.model.is_multilingual

    def transcribe(self, audio_path: Path, options: TranscribeOptions, duration: float | None = None,
                   progress: Progress = no_progress) -> Transcript:
        language = options.language
        if self.is_english_only:
            if language not in (None, "en"):
                raise TranscriptionError(f"{self.model.name} understands English only; pick a multilingual "
                                         f"model (e.g. --whisper-model whisper-base) for language {language!r}")
            if options.task == "translate":
                raise TranscriptionError(f"{self.model.name} is English only and cannot translate")
            language = "en"
        common = dict(
            language=language, task=options.task, beam_size=options.beam_size,
            condition_on_previous_text=False, compression_ratio_threshold=2.4, log_prob_threshold=-1.0,
            no_speech_threshold=0.6, vad_filter=options.vad_filter,
            word_timestamps=True if options.batched else options.word_timestamps,
        )
        try:
            if options.batched:
                segments, info = self.batched.transcribe(str(audio_path), batch_size=options.batch_size, **common)
            else:
                segments, info = self.whisper.transcribe(str(audio_path), **common)
            total = duration or info.duration
            collected: list[Segment] = []
            for segment in segments:
                words = [Word(float(w.start), float(w.end), w.word, float(w.probability))
                         for w in (segment.words or [])]
                if options.batched and words:
                    collected.extend(split_on_words(words))
                else:
                    collected.append(Segment(float(segment.start), float(segment.end), segment.text.strip(),
                                             words or None))
                progress("transcribe", int(min(segment.end, total or segment.end)), int(total) if total else None)
        except TranscriptionError:
            raise
        except Exception as error:  # decoding errors from PyAV, CTranslate2 or numpy
            raise TranscriptionError(f"transcription of {audio_path} failed: {error}") from error
        if not options.word_timestamps:
            for segment in collected:
                segment.words = None
        if total:
            progress("transcribe", int(total), int(total))
        return Transcript(
            segments=drop_repeated_segments(collected),
            language=info.language,
            language_probability=round(float(info.language_probability), 4),
            duration=float(info.duration),
            model=self.model.name,
            model_sha256=self.model.sha256,
            options={**options.key_dict(), "device": self.device, "compute_type": self.compute_type},
        )


def split_on_words(words: list[Word]) -> list[Segment]:
    """Cut a long chunk into segments at sentence ends, then long pauses, never over ~12 s."""
    segments: list[Segment] = []
    current: list[Word] = []

    def flush() -> None:
        if current:
            text = "".join(word.word for word in current).strip()
            if text:
                segments.append(Segment(current[0].start, current[-1].end, text, list(current)))
            current.clear()

    for index, word in enumerate(words):
        if current:
            gap = word.start - current[-1].end
            too_long = word.end - current[0].start > MAX_SEGMENT_SECONDS
            if gap >= PAUSE_SPLIT_SECONDS or too_long:
                flush()
        current.append(word)
        if re.search(r"[.!?…。！？]['\")\]]*$", word.word.strip()):
            flush()
    flush()
    return segments


def _normalized(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def drop_repeated_segments(segments: list[Segment], max_repeats: int = MAX_CONSECUTIVE_REPEATS) -> list[Segment]:
    """Drop empty segments and any segment whose text repeats the previous one more than
    ``max_repeats`` times in a row (whisper's classic loop on silence or music)."""
    kept: list[Segment] = []
    run_text, run_length = None, 0
    for segment in segments:
        normalized = _normalized(segment.text)
        if not normalized:
            continue
        if normalized == run_text:
            run_length += 1
            if run_length > max_repeats:
                continue
        else:
            run_text, run_length = normalized, 1
        kept.append(segment)
    return kept


# -------------------------------------------------------------------------------- cached stage


class TranscriptCache:
    """``<cache>/transcripts/<key>.json``; the key names audio hash, model hash and options."""

    def __init__(self, cache_dir: Path):
        self.root = Path(cache_dir) / "transcripts"

    @staticmethod
    def key(audio_sha256: str, model_sha256: str, options: TranscribeOptions) -> str:
        material = json.dumps({"audio": audio_sha256, "model": model_sha256, "options": options.key_dict()},
                              sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()[:40]

    def load(self, key: str) -> Transcript | None:
        path = self.root / f"{key}.json"
        if not path.is_file():
            return None
        try:
            return Transcript.from_dict(read_json(path))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged entry is recomputed, never trusted

    def save(self, key: str, transcript: Transcript) -> None:
        atomic_write_json(self.root / f"{key}.json", transcript.to_dict())


def captions_transcript(captions_path: Path, kind: str, language: str | None) -> Transcript:
    """The creator's captions (downloaded by acquire) as a transcript; ASR is skipped."""
    try:
        text = Path(captions_path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise TranscriptionError(f"cannot read captions {captions_path}: {error}") from error
    segments = parse_cues(text)
    return Transcript(segments=segments, language=language, duration=segments[-1].end if segments else 0.0,
                      model=f"captions:{kind}", options={"captions": kind})


def transcribe_media(media, model: ResolvedModel, get_engine: Callable[[], WhisperEngine],
                     options: TranscribeOptions, cache_dir: Path, *, device: str = "auto",
                     use_captions: str = "never", progress: Progress = no_progress) -> Transcript:
    """The transcribe stage for one :class:`~ytlocal.acquire.Media`: the creator's captions when allowed
    and present, else the cached transcript, else faster-whisper. ``get_engine`` is called only on a
    cache miss, so a fully cached rerun never loads the model."""
    if use_captions != "never" and media.captions_path and (media.captions_kind == "manual" or use_captions == "auto"):
        transcript = captions_transcript(media.captions_path, media.captions_kind or "manual",
                                         options.language or media.language)
        if not transcript.is_empty:
            transcript.media = media
            log.debug("transcript of %s: the creator's %s captions, no speech recognition", media.title,
                      media.captions_kind)
            return transcript
        log.debug("captions of %s are empty: transcribing the audio instead", media.title)
    _device, compute_type = pick_device(device)
    audio_sha = media.audio_sha256 or sha256_file(media.audio_path)  # media cached before the field existed
    cache = TranscriptCache(cache_dir)
    key = cache.key(audio_sha, f"{model.sha256}:{compute_type}", options)
    transcript = cache.load(key)
    if transcript is None:
        log.debug("transcript of %s: not cached (%s), transcribing", media.title, key[:12])
        transcript = get_engine().transcribe(media.audio_path, options, media.duration,
                                             lambda _stage, done, total: progress(f"transcribe {media.title}", done, total))
        transcript.options["audio_sha256"] = audio_sha
        cache.save(key, transcript)
    transcript.media = media
    return transcript
