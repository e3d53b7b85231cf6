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

At ~470 lines it is over the 400 we aim at: the engine, its device choice (CUDA or CPU), the audio
windows it decodes, the guards on its output and the transcript cache all act on one decoding call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    import numpy as np

from .blas_threads import pin_blas_threads
from .offline import offline_model_load
from .progress import Progress, no_progress
from .errors import TranscriptionError, first_line
from .registry import ResolvedModel
from .files import atomic_write_json, read_json, sha256_file
from .transcript import parse_cues
from .records import Segment, Transcript, Word

log = logging.getLogger(__name__)

TRANSCRIBE_VERSION = 2  # bump when a change alters the output for the same inputs (invalidates caches)
SAMPLING_RATE = 16000
# The batched pipeline decodes audio a window at a time, cut in a pause near the window's end, so
# memory stays flat however long the recording (a whole hour decoded at once costs ~230 MB, and
# faster-whisper's VAD and features copy it again).
WINDOW_SECONDS = 600.0
CUT_SEARCH_SECONDS = 45.0
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
    batch_size: int = 4  # 8 was 5 % faster but peaked 330 MB higher (scripts/bench_e2e.py, README)
    beam_size: int = 5
    vad_filter: bool = True

    def key_dict(self) -> dict[str, Any]:
        return {**asdict(self), "version": TRANSCRIBE_VERSION}


# What CTranslate2's CUDA wheels load at the first GPU call (CUDA 12 cuBLAS and cuDNN 9).
CUDA_LIBRARIES = ("libcublas.so.12", "libcudnn.so.9")
CUDA_FIX = ("install the CUDA 12 cuBLAS and cuDNN 9 runtime (e.g. `pip install nvidia-cublas-cu12 "
            "nvidia-cudnn-cu12`), or use --device cpu")


# Where the nvidia-*-cu12 wheels put them (site-packages/nvidia/<package>/lib), outside the loader's path.
_CUDA_WHEEL_PACKAGES = {"libcublas.so.12": "nvidia.cublas", "libcudnn.so.9": "nvidia.cudnn"}


def _load_cuda_libraries() -> None:
    """Load the libraries CTranslate2 needs on the GPU, from the loader's path or else from the
    nvidia-*-cu12 wheels (loaded globally by path, so CTranslate2's own dlopen by name finds them
    without LD_LIBRARY_PATH); raises OSError naming the one missing."""
    import ctypes
    import importlib.util
    import sys

    if not sys.platform.startswith("linux"):
        return  # Windows wheels ship their own DLLs; macOS has no CUDA
    for name in CUDA_LIBRARIES:
        try:
            ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
            continue
        except OSError as error:
            missing = error
        try:
            spec = importlib.util.find_spec(_CUDA_WHEEL_PACKAGES[name])
        except ImportError:  # no nvidia namespace package at all
            spec = None
        for folder in (spec.submodule_search_locations or []) if spec else []:
            candidate = Path(folder) / "lib" / name
            if candidate.is_file():
                if name == "libcublas.so.12":  # cuBLAS needs its companion cuBLASLt loaded first
                    lt = candidate.with_name("libcublasLt.so.12")
                    if lt.is_file():
                        ctypes.CDLL(str(lt), mode=ctypes.RTLD_GLOBAL)
                ctypes.CDLL(str(candidate), mode=ctypes.RTLD_GLOBAL)
                break
        else:
            raise missing


def cuda_problem() -> str | None:
    """Why whisper cannot run on a CUDA GPU here, or None when it can (a GPU is seen and the
    libraries CTranslate2 needs load)."""
    import ctranslate2

    try:
        gpus = ctranslate2.get_cuda_device_count()
    except Exception as error:  # a broken CUDA runtime must not hide the CPU path
        return f"the CUDA runtime failed ({error})"
    if gpus == 0:
        return "CTranslate2 sees no CUDA GPU"
    try:
        _load_cuda_libraries()
    except OSError as error:
        return f"a CUDA GPU is there, but {str(error).split(':')[0]} cannot be loaded"
    return None


def pick_device(device: str) -> tuple[str, str]:
    """(device, compute type): CUDA with float16 when the GPU path works, else CPU with int8.

    ``auto`` uses the GPU only when :func:`cuda_problem` finds none, else the CPU with one warning
    that names the fix; ``cuda`` raises that message at once instead."""
    if device not in ("auto", "cpu", "cuda"):
        raise TranscriptionError(f"unknown device {device!r}; use auto, cpu or cuda")
    if device == "cpu":
        return "cpu", "int8"
    problem = cuda_problem()
    if problem is None:
        return "cuda", "float16"
    if device == "cuda":
        raise TranscriptionError(f"--device cuda: {problem}; {CUDA_FIX}")
    if "no CUDA GPU" not in problem:
        _warn_once(f"whisper runs on the CPU: {problem}; to use the GPU, {CUDA_FIX} to silence this")
    return "cpu", "int8"


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        log.warning(message)


def audio_windows(path: Path, window_seconds: float = WINDOW_SECONDS,
                  search_seconds: float = CUT_SEARCH_SECONDS) -> Iterator[tuple[float, "np.ndarray"]]:
    """The audio of ``path`` as 16 kHz mono float32 windows of about ``window_seconds``, each with its
    start time, decoded as needed (never the whole file at once). Each window ends in the longest
    pause of its last ``search_seconds`` (found with faster-whisper's VAD), so no word is cut; the
    rest carries over to the next window."""
    import av
    import numpy as np

    window = int(window_seconds * SAMPLING_RATE)
    search = int(min(search_seconds, window_seconds / 2) * SAMPLING_RATE)
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLING_RATE)
    pending: list[np.ndarray] = []
    pending_samples = 0
    offset = 0  # samples already yielded

    def take(count: int) -> np.ndarray:
        nonlocal pending, pending_samples
        joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
        head, rest = joined[:count], joined[count:]
        pending, pending_samples = ([rest] if len(rest) else []), len(rest)
        return head.astype(np.float32) / 32768.0

    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        for frame in container.decode(audio=0):
            try:
                resampled = resampler.resample(frame)
            except av.error.InvalidDataError:  # a damaged frame: skip it, as faster-whisper does
                continue
            for out in resampled:
                samples = out.to_ndarray().reshape(-1)
                pending.append(samples)
                pending_samples += len(samples)
            if pending_samples >= window + search:
                audio = take(window)
                cut = _pause_near_end(audio, search)
                if cut < len(audio):  # give the samples after the pause back to the next window
                    pending.insert(0, (audio[cut:] * 32768.0).astype(np.int16))
                    pending_samples += len(audio) - cut
                    audio = audio[:cut]
                yield offset / SAMPLING_RATE, audio
                offset += len(audio)
        for out in resampler.resample(None):
            samples = out.to_ndarray().reshape(-1)
            pending.append(samples)
            pending_samples += len(samples)
    if pending_samples:
        yield offset / SAMPLING_RATE, take(pending_samples)


def _pause_near_end(audio: "np.ndarray", search: int) -> int:
    """Where to end a window: the middle of the longest pause in its last ``search`` samples (or
    the end, when there is speech all the way)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    tail_start = max(0, len(audio) - search)
    speech = get_speech_timestamps(audio[tail_start:], VadOptions(min_silence_duration_ms=100))
    edges = [0] + [point for part in speech for point in (part["start"], part["end"])] + [len(audio) - tail_start]
    gaps = [(edges[i + 1] - edges[i], edges[i], edges[i + 1]) for i in range(0, len(edges) - 1, 2)]
    length, start, end = max(gaps)
    if length < SAMPLING_RATE // 10:
        return len(audio)
    return tail_start + (start + end) // 2


class WhisperEngine:
    """A loaded faster-whisper model. Load once, transcribe many files (loading takes seconds)."""

    def __init__(self, model: ResolvedModel, device: str = "auto", threads: int = 0):
        self.model = model
        self.device, self.compute_type = pick_device(device)
        with offline_model_load():
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            def load(on: str, compute_type: str):
                return WhisperModel(str(model.path), device=on, compute_type=compute_type, cpu_threads=threads,
                                    local_files_only=True)

            try:
                try:
                    self.whisper = load(self.device, self.compute_type)
                    if self.device == "cuda":
                        self._first_gpu_call()
                except Exception as error:  # on CUDA: CTranslate2's RuntimeError, a CUDA library or driver
                    if self.device != "cuda":
                        raise
                    failed = first_line(error)
                    if device == "cuda":
                        raise TranscriptionError(f"--device cuda: the GPU failed ({failed}); {CUDA_FIX}") from error
                    _warn_once(f"whisper runs on the CPU: the GPU failed ({failed}); to use it, {CUDA_FIX} to "
                               f"silence this")
                    self.device, self.compute_type = "cpu", "int8"
                    self.whisper = load("cpu", "int8")
            except TranscriptionError:
                raise
            except Exception as error:  # CTranslate2 raises RuntimeError/ValueError for bad model folders
                raise TranscriptionError(f"cannot load whisper model {model.name} from {model.path}: {error}") from error
        log.debug("whisper %s loaded on %s (%s, %d threads)", model.name, self.device, self.compute_type, threads)
        self.batched = BatchedInferencePipeline(self.whisper)

    def _first_gpu_call(self) -> None:
        """Encode one second of silence: CTranslate2 loads cuBLAS/cuDNN only now, and a missing one
        fails here ("Library libcublas.so.12 is not found or cannot be loaded")."""
        import ctranslate2
        import numpy as np
        from faster_whisper.audio import pad_or_trim

        features = pad_or_trim(self.whisper.feature_extractor(np.zeros(SAMPLING_RATE, dtype=np.float32)))
        self.whisper.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(features[np.newaxis])))

    @property
    def is_english_only(self) -> bool:
        return not self.whisper.model.is_multilingual

    def _transcribe_windows(self, audio_path: Path, options: TranscribeOptions, common: dict[str, Any],
                            duration: float | None, collected: list[Segment],
                            progress: Progress) -> tuple[str | None, float | None, float]:
        """The batched pipeline over :func:`audio_windows`; the language found in the first window
        with speech holds for the rest. Returns (language, its probability, seconds of audio)."""
        language, probability, seconds = common["language"], None, 0.0
        for start, audio in audio_windows(audio_path):
            seconds = start + len(audio) / SAMPLING_RATE
            if len(audio) < SAMPLING_RATE // 10:
                continue
            segments, info = self.batched.transcribe(audio, batch_size=options.batch_size,
                                                     **{**common, "language": language})
            for segment in segments:
                words = [Word(float(w.start) + start, float(w.end) + start, w.word, float(w.probability))
                         for w in (segment.words or [])]
                if words:
                    collected.extend(split_on_words(words))
                elif segment.text.strip():
                    collected.append(Segment(float(segment.start) + start, float(segment.end) + start,
                                             segment.text.strip()))
                total = duration or seconds
                progress("transcribe", int(min(segment.end + start, total)), int(total) if duration else None)
            if language is None and collected:
                language, probability = info.language, info.language_probability
            elif probability is None and language is not None:
                probability = info.language_probability
        return language, probability, seconds

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
        collected: list[Segment] = []
        pin_blas_threads()  # the log-mel features are a BLAS product (see ytlocal.blas_threads)
        try:
            if options.batched:
                language, probability, seconds = self._transcribe_windows(audio_path, options, common, duration,
                                                                          collected, progress)
            else:
                segments, info = self.whisper.transcribe(str(audio_path), **common)
                total = duration or info.duration
                for segment in segments:
                    words = [Word(float(w.start), float(w.end), w.word, float(w.probability))
                             for w in (segment.words or [])]
                    collected.append(Segment(float(segment.start), float(segment.end), segment.text.strip(),
                                             words or None))
                    progress("transcribe", int(min(segment.end, total or segment.end)), int(total) if total else None)
                language, probability, seconds = info.language, info.language_probability, info.duration
        except TranscriptionError:
            raise
        except Exception as error:  # decoding errors from PyAV, CTranslate2 or numpy
            raise TranscriptionError(f"transcription of {audio_path} failed: {error}") from error
        total = duration or seconds
        if not options.word_timestamps:
            for segment in collected:
                segment.words = None
        if total:
            progress("transcribe", int(total), int(total))
        return Transcript(
            segments=drop_repeated_segments(collected),
            language=language,
            language_probability=round(float(probability or 0.0), 4),
            duration=float(seconds),
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
