#!/usr/bin/env python3
"""Benchmark: an hour of speech end to end, ytlocal's defaults beside the plain way of using the same
libraries, in one run with fresh caches.

    .venv/bin/python scripts/bench_e2e.py [--minutes 60] [--minutes 180 --ytlocal-only] [--text FILE]

Builds a long speech file with espeak-ng (165 words a minute) from a text (default: the development
transcript ../shared/data/eval/mindscape251-rosemary-braun/transcript.txt, repeated as needed), encoded
as Opus like a YouTube audio track, then runs, each in its own process (so peak memory is its own):

  plain    faster-whisper's README setup (WhisperModel whisper-base, int8, beam 5, sequential) and a plain
           map-reduce summary with the same GGUF (fixed-size chunks, "summarize these bullet points")
  ytlocal  `ytlocal summarize speech.opus --timings --with-transcript` with the defaults

and prints per-stage wall time, real-time factor (audio seconds per wall second), word error rate of
the transcript against the spoken text (jiwer) and peak RSS. Needs espeak-ng, ffmpeg and the models
(`ytlocal models pull whisper-base smollm2-135m-instruct`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEXT = ROOT.parent / "shared" / "data" / "eval" / "mindscape251-rosemary-braun" / "transcript.txt"
WORDS_PER_MINUTE = 165
PLAIN = r'''
import json, sys, time
sys.path.insert(0, sys.argv[4])
from ytlocal.config import load_settings, resolve_models_dir
from ytlocal.registry import ModelStore
from faster_whisper import WhisperModel
sys.path.insert(0, sys.argv[4] + "/scripts")
from bench_summarize import run_plain
from ytlocal.records import Segment, Transcript
store = ModelStore(resolve_models_dir(load_settings())[0])
started = time.perf_counter()
whisper = WhisperModel(str(store.resolve("whisper-base", "whisper").path), device="cpu", compute_type="int8")
segments, info = whisper.transcribe(sys.argv[1], beam_size=5)
rows = [Segment(s.start, s.end, s.text.strip()) for s in segments]
asr = time.perf_counter() - started
open(sys.argv[2], "w").write(" ".join(r.text for r in rows))
started = time.perf_counter()
run_plain(Transcript(segments=rows, language="en"), store.resolve(sys.argv[3], "llm"), 2048)
print(json.dumps({"asr": asr, "summarize": time.perf_counter() - started}))
'''


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace(",", "")).split())


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(normalize(reference), normalize(hypothesis))


def make_speech(text_path: Path, minutes: float, folder: Path) -> tuple[Path, str, float]:
    words = text_path.read_text(encoding="utf-8").split()
    wanted = int(minutes * WORDS_PER_MINUTE)
    spoken = (words * (wanted // len(words) + 1))[:wanted]
    text = " ".join(spoken)
    speech = folder / f"speech-{minutes:g}min.opus"
    if not speech.is_file():
        (folder / "text.txt").write_text(text)
        wav = folder / "speech.wav"
        subprocess.run(["espeak-ng", "-s", str(WORDS_PER_MINUTE), "-f", str(folder / "text.txt"), "-w", str(wav)],
                       check=True)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libopus", "-b:a",
                        "32k", str(speech)], check=True)
        wav.unlink()
    seconds = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                    str(speech)], capture_output=True, text=True, check=True).stdout)
    return speech, text, seconds


def run_measured(command: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``command``: (completed, wall seconds, peak RSS in MB of that process, from wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        return subprocess.CompletedProcess(command, code, out.read(), err.read()), wall, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, action="append", help="speech length (repeatable; default 60)")
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT)
    parser.add_argument("--llm", default="smollm2-135m-instruct")
    parser.add_argument("--ytlocal-only", action="store_true", help="skip the plain peer (e.g. for 3 hours)")
    parser.add_argument("--work", type=Path, default=ROOT / "out" / "bench_e2e")
    args = parser.parse_args()
    if not args.text.is_file():
        args.text = ROOT / "scripts" / "data" / "declaration.txt"
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for minutes in args.minutes or [60.0]:
        speech, reference, seconds = make_speech(args.text, minutes, args.work)
        print(f"{speech.name}: {seconds / 60:.1f} min, {len(reference.split())} words", file=sys.stderr)
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "YTLOCAL_CACHE_DIR": str(Path(folder) / "cache"), "PYTHONUNBUFFERED": "1"}
            out = Path(folder) / "out"
            done, wall, rss = run_measured([sys.executable, "-m", "ytlocal.cli", "summarize", str(speech), "-o", str(out),
                                            "--timings", "--with-transcript", "--llm", args.llm], env)
            if done.returncode != 0:
                raise SystemExit(f"ytlocal failed: {done.stderr[-2000:]}")
            timings = dict(re.findall(r"([a-z ]+?) (\d+\.\d+)", done.stderr.split("timings (wall seconds):")[1]))
            timings = {k.strip(): float(v) for k, v in timings.items()}
            transcript = next(out.glob("*.txt")).read_text()
            rows.append({"side": "ytlocal defaults", "minutes": seconds / 60,
                         "asr": timings.get("transcribe", 0.0) + timings.get("load whisper", 0.0),
                         "summarize": timings.get("summarize", 0.0), "total": wall, "rtf": seconds / wall,
                         "wer": wer(reference, transcript), "rss": rss})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
            if not args.ytlocal_only:
                text_out = Path(folder) / "plain.txt"
                done, wall, rss = run_measured([sys.executable, "-c", PLAIN, str(speech), str(text_out), args.llm,
                                                str(ROOT)], env)
                if done.returncode != 0:
                    raise SystemExit(f"plain failed: {done.stderr[-2000:]}")
                stages = json.loads(done.stdout.strip().splitlines()[-1])
                rows.append({"side": "plain faster-whisper + plain map-reduce", "minutes": seconds / 60,
                             "asr": stages["asr"], "summarize": stages["summarize"], "total": wall,
                             "rtf": seconds / wall, "wer": wer(reference, text_out.read_text()), "rss": rss})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(f"\nEnd to end on {os.cpu_count()} CPUs (espeak-ng speech, {args.llm}, fresh caches)\n")
    print("| audio | side | ASR | summarize | total | real-time factor | WER | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['minutes']:.0f} min | {row['side']} | {row['asr']:.0f} s | {row['summarize']:.0f} s | "
              f"{row['total']:.0f} s | {row['rtf']:.1f}x | {row['wer'] * 100:.1f} % | {row['rss']:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
