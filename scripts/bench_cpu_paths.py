#!/usr/bin/env python3
"""Benchmark: do llama.cpp's CPU paths change what ytlocal writes? Same inputs, one machine, one run.

    .venv/bin/python scripts/bench_cpu_paths.py [INPUT ...]

Summarizes each INPUT (default: the bundled sample scripts/sample/bees-talk.opus and, where
../shared is present, the lex018 development case as .srt) to JSON once per CPU path, each in a fresh
process with a fresh cache:

  policy   ytlocal's loading rule (runtime/native.py: extra buffer types off), 2 threads
  policy1  the same, 1 thread
  extra    llama.cpp's own default (extra buffer types on: weight repacking, and AMX where the CPU
           has it, which crashed there), 2 threads
  extra1   the same, 1 thread

and prints per path and input the wall time and the sha256 of the JSON (less generated_at and the
stages' seconds, which the clock decides), then
whether every path wrote the same bytes as ytlocal's. A path that crashes is reported as such (the
rule exists because the AMX path does). The CPU's features head the output: figures hold for this
kind of CPU only (AMX, AVX-512 and AVX2 machines run different kernels).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATHS = {"policy": (False, 2), "policy1": (False, 1), "extra": (True, 2), "extra1": (True, 1)}


def _child(path: str, source: str, out: str) -> int:
    """Summarize ``source`` to JSON in ``out`` with the llama.cpp loading rule of ``path``."""
    from ytlocal.runtime import native

    extra, threads = PATHS[path]
    if extra:
        native.load_policy = lambda flags=None: native.LoadPolicy(True, "extra buffer types on (benchmark)")
    from ytlocal.cli import cli

    cli.main(args=["summarize", source, "-f", "json", "-o", out, "--threads", str(threads)], standalone_mode=False)
    return 0


def _digest(folder: Path) -> str:
    files = sorted(folder.glob("*.json"))
    if len(files) != 1:
        return f"{len(files)} json files"
    return hashlib.sha256(json.dumps(_without_clock(json.loads(files[0].read_text())), sort_keys=True).encode()
                          ).hexdigest()[:16]


def _without_clock(data):
    """The summary as written, less what the clock decides: generated_at and the stages' seconds."""
    if isinstance(data, dict):
        return {key: _without_clock(value) for key, value in data.items()
                if key != "generated_at" and not key.endswith("seconds")}
    if isinstance(data, list):
        return [_without_clock(item) for item in data]
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return _child(*options.child)
    from ytlocal.runtime.native import cpu_features

    inputs = options.inputs or [str(ROOT / "scripts/sample/bees-talk.opus")]
    case = ROOT.parent / "shared/data/eval/lex018-elon-musk-autopilot/transcript.srt"
    if not options.inputs and case.is_file():
        inputs.append(str(case))
    print(f"CPU {cpu_features()}")
    print(f"{'path':8} {'input':42} {'seconds':>8}  json sha256")
    results: dict[str, dict[str, str]] = {}
    for source in inputs:
        for path in PATHS:
            with tempfile.TemporaryDirectory() as scratch:
                env = {**os.environ, "YTLOCAL_CACHE_DIR": f"{scratch}/cache"}
                started = time.perf_counter()
                done = subprocess.run([sys.executable, __file__, "--child", path, source, f"{scratch}/out"], env=env,
                                      capture_output=True, text=True)
                seconds = time.perf_counter() - started
                if done.returncode < 0:
                    digest = f"crashed (signal {-done.returncode})"
                elif done.returncode:
                    digest = "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:80]
                else:
                    digest = _digest(Path(scratch) / "out")
            results.setdefault(source, {})[path] = digest
            print(f"{path:8} {Path(source).parent.name + '/' + Path(source).name:42.42} {seconds:8.1f}  {digest}",
                  flush=True)
    same = all(len(set(by_path.values())) == 1 for by_path in results.values())
    print(json.dumps({"identical_on_every_path": same}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
