#!/usr/bin/env python3
"""Benchmark: one `ytlocal summarize` alone against two at once on the same cores, per thread setting.

    .venv/bin/python scripts/bench_contention.py [TRANSCRIPT] [--settings default passive ...]

llama.cpp here is an OpenMP build whose threads spin while they wait for work. Two CPU-heavy
processes on the same cores then fight: each one's spinning threads steal the time slices the
other's working threads need. This runs, for each setting (environment variables for the child
processes), one summarize alone and then two at once (each with its own fresh cache, so every model
call really runs), and prints the wall times: "fair share" is twice the lone time (two jobs, same
cores), so a ratio near 1.0 means the two shared the machine well.

TRANSCRIPT defaults to ../shared/data/eval/lex018-elon-musk-autopilot/transcript.srt (33 minutes),
else the bundled tests/data/talk.txt.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "eval" / "lex018-elon-musk-autopilot" / "transcript.srt"
CORES = str(os.cpu_count() or 2)
SETTINGS = {
    "ytlocal default (threads from the load)": {},
    f"fixed {CORES} threads (before)": {"YTLOCAL_THREADS": CORES},
    f"fixed {CORES} threads, OMP passive": {"YTLOCAL_THREADS": CORES, "OMP_WAIT_POLICY": "PASSIVE"},
    f"fixed {CORES} threads, GOMP_SPINCOUNT=10000": {"YTLOCAL_THREADS": CORES, "GOMP_SPINCOUNT": "10000"},
    "fixed 1 thread": {"YTLOCAL_THREADS": "1"},
}


def summarize_command(transcript: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "ytlocal.cli", "summarize", str(transcript), "-o", str(out)]


def run_processes(transcript: Path, count: int, extra_env: dict[str, str]) -> float:
    started = time.perf_counter()
    processes = []
    folders = []
    for _ in range(count):
        folder = Path(tempfile.mkdtemp(prefix="ytlocal-bench-"))
        folders.append(folder)
        env = {**os.environ, **extra_env, "YTLOCAL_CACHE_DIR": str(folder / "cache")}
        processes.append(subprocess.Popen(summarize_command(transcript, folder / "out"), env=env, cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for process in processes:
        _out, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"summarize failed ({process.returncode}): {err.strip()[-500:]}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("transcript", nargs="?", type=Path,
                        default=DEFAULT if DEFAULT.is_file() else ROOT / "tests" / "data" / "talk.txt")
    parser.add_argument("--settings", nargs="*", choices=list(SETTINGS), default=list(SETTINGS))
    args = parser.parse_args()
    print(f"transcript: {args.transcript}; {os.cpu_count()} logical CPUs\n")
    print("| setting | one alone | two at once | fair share (2x alone) | two at once / fair share |")
    print("|---|---|---|---|---|")
    for name in args.settings:
        env = SETTINGS[name]
        alone = run_processes(args.transcript, 1, env)
        both = run_processes(args.transcript, 2, env)
        print(f"| {name} | {alone:.1f} s | {both:.1f} s | {2 * alone:.1f} s | {both / (2 * alone):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
