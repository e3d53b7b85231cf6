#!/usr/bin/env python3
"""Benchmark: plain faster-whisper (the library README's setup) vs ytlocal's default path, side by side.

    .venv/bin/python scripts/bench_transcribe.py [--models whisper-tiny.en whisper-base] [--text FILE]

Makes a 5-10 minute espeak-ng speech from a public-domain text (default: the US Declaration of
Independence, scripts/data/declaration.txt), then for each model runs, each in a fresh process so peak
memory is its own:
  plain    WhisperModel(path, device="cpu", compute_type="int8").transcribe(audio, beam_size=5)
  ytlocal  ytlocal.transcription.WhisperEngine with the default TranscribeOptions (batched, VAD, guards)
and prints real-time factor (audio seconds per wall second of transcription), word error rate against
the spoken text (jiwer), segments, model load time and peak RSS. Needs espeak-ng, ffmpeg and the models
(`ytlocal models pull whisper-tiny.en whisper-base`).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEXT = ROOT / "scripts" / "data" / "declaration.txt"


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace(",", "")).split())


def worker(model_name: str, mode: str, audio: str, duration: float, reference: str) -> dict:
    import jiwer

    from ytlocal.config import load_settings, physical_cores, resolve_models_dir
    from ytlocal.registry import ModelStore

    store = ModelStore(resolve_models_dir(load_settings())[0])
    model = store.resolve(model_name, "whisper")
    threads = physical_cores()
    started = time.perf_counter()
    if mode == "plain":
        from faster_whisper import WhisperModel

        whisper = WhisperModel(str(model.path), device="cpu", compute_type="int8", cpu_threads=threads)
        loaded = time.perf_counter()
        segments, _info = whisper.transcribe(audio, beam_size=5)
        texts = [segment.text for segment in segments]
    else:
        from ytlocal.transcription import TranscribeOptions, WhisperEngine

        engine = WhisperEngine(model, device="cpu", threads=threads)
        loaded = time.perf_counter()
        transcript = engine.transcribe(Path(audio), TranscribeOptions(), duration)
        texts = [segment.text for segment in transcript.segments]
    finished = time.perf_counter()
    hypothesis = " ".join(texts)
    return {
        "model": model_name,
        "mode": mode,
        "load_s": loaded - started,
        "transcribe_s": finished - loaded,
        "rtf": duration / (finished - loaded),
        "wer": jiwer.wer(normalize(reference), normalize(hypothesis)),
        "segments": len(texts),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def make_speech(text_file: Path, folder: Path, words_per_minute: int) -> tuple[Path, float]:
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", str(words_per_minute), "-f", str(text_file), "-w", str(wav)], check=True)
    import av

    with av.open(str(wav)) as container:
        duration = container.duration / 1_000_000
    return wav, duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["whisper-tiny.en", "whisper-base"])
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT)
    parser.add_argument("--wpm", type=int, default=160, help="espeak-ng speaking rate")
    parser.add_argument("--worker", nargs=5, metavar=("MODEL", "MODE", "AUDIO", "DURATION", "TEXT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        model, mode, audio, duration, text = args.worker
        print(json.dumps(worker(model, mode, audio, float(duration), Path(text).read_text(encoding="utf-8"))))
        return
    with tempfile.TemporaryDirectory() as folder:
        audio, duration = make_speech(args.text, Path(folder), args.wpm)
        print(f"audio: {duration / 60:.1f} min of espeak-ng speech from {args.text.name} "
              f"({len(args.text.read_text().split())} words)")
        header = f"{'model':<16} {'path':<8} {'load s':>7} {'transcribe s':>13} {'RTF':>7} {'WER':>7} {'segments':>9} {'peak RSS MB':>12}"
        print(header)
        print("-" * len(header))
        for model in args.models:
            for mode in ("plain", "ytlocal"):
                completed = subprocess.run(
                    [sys.executable, __file__, "--worker", model, mode, str(audio), str(duration), str(args.text)],
                    capture_output=True, text=True)
                if completed.returncode != 0:
                    print(f"{model:<16} {mode:<8} failed: {completed.stderr.strip().splitlines()[-1:]}")
                    continue
                row = json.loads(completed.stdout.strip().splitlines()[-1])
                print(f"{row['model']:<16} {row['mode']:<8} {row['load_s']:>7.1f} {row['transcribe_s']:>13.1f} "
                      f"{row['rtf']:>6.1f}x {row['wer']:>7.3f} {row['segments']:>9} {row['peak_rss_mb']:>12.0f}")


if __name__ == "__main__":
    main()
