#!/usr/bin/env python3
"""Benchmark: batch throughput with --jobs 1, 2, 3 (downloads overlapping transcription/summarizing),
and on a Dask cluster.

    .venv/bin/python scripts/bench_batch.py [--videos 4] [--rate 256] [--jobs 1 2 3]
    .venv/bin/python scripts/bench_batch.py --jobs 2 --cluster local:2 --threads 1 --rate 100000

Serves N espeak-ng talks (WAV, ~1 MB each) from a throttled HTTP server on 127.0.0.1 (--rate KB/s,
a slow home connection), then runs `ytlocal batch` over them once per --jobs value, each time with an
empty cache and output folder (so every run downloads, transcribes with whisper-tiny.en and summarizes
with SmolLM2-135M), and prints the wall time of each. With --cluster ADDRESS it also runs the same
batch as one Dask task per video (``local:N`` starts N worker processes here) and prints each worker's
share. Needs espeak-ng and the test models.
"""

from __future__ import annotations

import argparse
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "scripts" / "data" / "declaration.txt").read_text(encoding="utf-8").split("\n")


def serve(folder: Path, rate_kb: int) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Throttled(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

        def copyfile(self, source, destination):
            chunk = 16 * 1024
            while data := source.read(chunk):
                destination.write(data)
                time.sleep(chunk / (rate_kb * 1024))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Throttled)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--rate", type=int, default=256, help="server speed in KB/s")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--cluster", action="append", default=[], help="also run on this cluster (repeatable)")
    parser.add_argument("--threads", type=int, help="--threads for every run (per worker on a cluster)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        site = work_dir / "site"
        site.mkdir()
        for index in range(args.videos):
            paragraph = " ".join(TEXT[2 * index: 2 * index + 2])
            subprocess.run(["espeak-ng", "-w", str(site / f"talk{index}.wav"), paragraph], check=True)
            (site / f"talk{index}.html").write_text(
                f'<html><head><title>Part {index + 1}</title></head><body><audio src="talk{index}.wav"></audio></body></html>')
        sizes = sum(p.stat().st_size for p in site.glob("*.wav")) / 1e6
        server, url = serve(site, args.rate)
        print(f"{args.videos} videos, {sizes:.1f} MB of audio served at {args.rate} KB/s; "
              f"whisper-tiny.en + smollm2-135m-instruct, {os.cpu_count()} CPUs")
        print(f"{'run':<24}  {'wall s':>7}")
        runs = [(f"local --jobs {jobs}", ["--jobs", str(jobs)]) for jobs in args.jobs]
        runs += [(f"--cluster {address}", ["--cluster", address]) for address in args.cluster]
        for index, (name, extra) in enumerate(runs):
            env = dict(os.environ, XDG_CACHE_HOME=str(work_dir / f"cache{index}"))
            threads = ["--threads", str(args.threads)] if args.threads else []
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "ytlocal.cli", "batch", *[f"{url}/talk{i}.html" for i in range(args.videos)],
                 "--whisper-model", "whisper-tiny.en", "-o", str(work_dir / f"out{index}"), *extra, *threads],
                env=env, capture_output=True, text=True, cwd=ROOT)
            wall = time.perf_counter() - started
            status = "" if done.returncode == 0 else f"  (exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]})"
            print(f"{name:<24}  {wall:>7.1f}{status}")
            for line in done.stdout.splitlines():
                if line.startswith(("worker ", "this run:")):
                    print(f"    {line}")
        server.shutdown()


if __name__ == "__main__":
    main()
