#!/usr/bin/env python3
"""Benchmark `ytlocal serve`: the library and search pages on a large library, the event stream's delay
from a job's progress to the page, and the idle server's memory.

    .venv/bin/python scripts/bench_serve.py                       # 10,000 one-hour videos (built once, ~5 min)
    .venv/bin/python scripts/bench_serve.py --videos 1000 --passages 20   # a quick look

What it does:

1. Builds (or reuses, in ``--work``) a library of ``--videos`` synthetic videos, each with ``--passages``
   passages of about 60 words (144: an hour of speech) and a summary, through ``Library.add`` as
   ytlocal itself adds them.
2. Starts ``ytlocal serve`` as a user would (a subprocess on 127.0.0.1, no browser), signs in with the
   token, and measures each page's time from request to the last byte of the answer, over loopback:
   20 library pages (first, middle and last pages, each sort, a title filter) and 20 searches. A first
   request of each kind warms the caches and is not counted.
3. Measures the server's resident memory (RSS) after those pages: no model is loaded yet.
3b. Sends ``--asks`` questions (45) at once from another process and keeps asking for ``--ask-seconds``:
   each client asks again as soon as it is answered, or when a 503 says (``Retry-After``; ``--retry-s``
   for impatient clients); meanwhile the library, search, video and static pages are timed again
   (round trip), and before, without questions. The questions are real: the models load and SmolLM2
   answers the ones let in, so the pages share the cores with llama.cpp.
4. Queues the bundled sample (whisper-tiny.en and SmolLM2-135M unless ``--whisper-model``/``--llm``)
   and listens to the event stream: for each progress event, the delay from the moment the runner
   wrote that progress to the job list (``progress_at``) to the moment the event arrived.

Targets (the issues'): library page <= 100 ms median and <= 300 ms slowest, search the same; pages
while 45 questions are in flight <= 50 ms median and <= 1 s slowest; event delay <= 1 s; idle memory
<= 150 MB.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "bench-serve-token-0123456789abc"


def build_library(folder: Path, videos: int, passages: int, seed: int = 7) -> None:
    """``videos`` synthetic one-speaker talks (words drawn by frequency from wordfreq's English list)."""
    from wordfreq import top_n_list

    from ytlocal.library import Library
    from ytlocal.records import Media, Point, Result, Segment, Summary, Transcript

    rng = random.Random(seed)
    vocabulary = [w for w in top_n_list("en", 30000) if w.isalpha()]
    weights = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(vocabulary))))  # Zipf-like
    channels = [f"Channel {' '.join(rng.choices(vocabulary[500:5000], k=2)).title()}" for _ in range(300)]

    def sentence(words: int) -> str:
        return " ".join(rng.choices(vocabulary, cum_weights=weights, k=words)).capitalize() + "."

    started = time.perf_counter()
    with Library(folder) as library:
        have = library.stats()["videos"]
        for number in range(have, videos):
            segments, clock = [], 0.0
            for _ in range(passages * 5):  # five 12-word sentences make a 60-word passage
                segments.append(Segment(clock, clock + 5.0, sentence(12)))
                clock += 5.0
            media = Media(key=f"bench-{number:06d}", source=f"https://video.example/watch?v={number}", audio_path=None,
                          title=f"Episode {number}: {' '.join(rng.choices(vocabulary[200:8000], k=4))}",
                          extractor="generic", video_id=f"{number:06d}", duration=clock,
                          channel=rng.choice(channels), upload_date=f"20{rng.randint(10, 24)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}",
                          webpage_url=f"https://video.example/watch?v={number}")
            points = [Point(segments[i * 40].text, segments[i * 40].start) for i in range(min(10, len(segments) // 40))]
            summary = Summary(media.title, sentence(20) + " " + sentence(15), points, [], True,
                              {"name": "bench", "sha256": None}, {})
            library.add(Result(media.source, media=media, transcript=Transcript(segments, language="en", duration=clock),
                               summary=summary))
            if number % 500 == 0:
                print(f"  library: {number}/{videos} videos, {time.perf_counter() - started:.0f} s", file=sys.stderr)


def queries(count: int, seed: int = 11) -> list[str]:
    from wordfreq import top_n_list

    rng = random.Random(seed)
    words = [w for w in top_n_list("en", 8000)[300:] if w.isalpha() and len(w) > 3]
    return [" ".join(rng.sample(words, 2 if i % 2 else 1 + i % 3)) for i in range(count)]


class Server:
    def __init__(self, library: Path, work: Path, env: dict):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ytlocal.cli", "serve", "--no-browser", "--port", "0", "--library", str(library),
             "--queue-dir", str(work / "queue"), "--allow-dir", str(work / "talks")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
        if not match:
            raise SystemExit(f"serve did not start: {line!r} {self.process.stderr.read()}")
        self.port, self.token = int(match.group(1)), match.group(2)
        self.base = f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.process.pid).memory_info().rss / 2 ** 20

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def timed(client, path: str) -> tuple[float, float]:
    """(the server's own time for the page, from its Server-Timing header; the round trip) in ms."""
    started = time.perf_counter()
    response = client.get(path)
    response.read()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    server = float(re.search(r"app;dur=([\d.]+)", response.headers["server-timing"]).group(1))
    return server, elapsed * 1000


ASK_QUESTIONS = ("How do they rank the results?", "What did the guest say about memory?", "Why does the market move?",
                 "What is the best way to learn a language?", "Who won the election?")


def ask_clients(base: str, cookies: dict, asks: int, seconds: float, retry_s: float | None = None) -> dict[int, int]:
    """``asks`` clients asking at once, for ``seconds``: each asks again as soon as it is answered, or when
    the server said to (``Retry-After`` of a 503), or ``--retry-s`` after it when given (impatient users).
    Returns how many answers had each status."""
    import threading

    import httpx

    stop = threading.Event()
    outcomes: dict[int, int] = {}
    lock = threading.Lock()

    def asker(number: int) -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=600) as client:
            while not stop.is_set():
                question = f"{ASK_QUESTIONS[number % len(ASK_QUESTIONS)]} ({number})"
                response = client.get("/ask", params={"q": question})
                with lock:
                    outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
                if response.status_code == 503:
                    stop.wait(retry_s if retry_s is not None else float(response.headers.get("retry-after", 10)))

    threads = [threading.Thread(target=asker, args=(n,), daemon=True) for n in range(asks)]
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(600)
    return outcomes


def page_trips(base: str, cookies: dict, seconds: float, paths: list[str]) -> list[float]:
    """Round trips (ms) of ``paths`` in turn, one every 50 ms, for ``seconds``."""
    import httpx

    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    trips = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=60, transport=transport) as client:
        deadline = time.monotonic() + seconds
        for path in itertools.cycle(paths):
            if time.monotonic() > deadline:
                return trips
            started = time.perf_counter()
            response = client.get(path)
            response.read()
            trips.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            time.sleep(0.05)
    return trips


def pages_under_asks(base: str, cookies: dict, asks: int, seconds: float, paths: list[str],
                     retry_s: float | None = None) -> dict:
    """The same pages timed without questions, then while another process keeps ``asks`` questions in
    flight (its own process: 45 client threads in this one would slow the timing client, not the server)."""
    alone = page_trips(base, cookies, seconds / 3, paths)
    worker = subprocess.Popen([sys.executable, __file__, "--ask-worker", json.dumps([base, cookies, asks, seconds + 4, retry_s])],
                              stdout=subprocess.PIPE, text=True)
    time.sleep(3.0)  # every question sent; the models are loading for the first
    trips = page_trips(base, cookies, seconds, paths)
    outcomes = json.loads(worker.communicate()[0])
    return {"pages": len(trips), "median_ms": round(statistics.median(trips), 1), "slowest_ms": round(max(trips), 1),
            "alone_median_ms": round(statistics.median(alone), 1), "alone_slowest_ms": round(max(alone), 1),
            "ask_outcomes": {int(status): count for status, count in sorted(outcomes.items())}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=10000)
    parser.add_argument("--passages", type=int, default=144, help="passages of ~60 words per video (144: an hour)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ytlocal-bench-serve")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--whisper-model", default="whisper-tiny.en")
    parser.add_argument("--llm", default="smollm2-135m-instruct")
    parser.add_argument("--skip-queue", action="store_true", help="no event-stream measure (loads no model)")
    parser.add_argument("--asks", type=int, default=45, help="questions kept in flight while pages are timed (0: none)")
    parser.add_argument("--ask-seconds", type=float, default=60.0, help="how long the questions are kept in flight")
    parser.add_argument("--retry-s", type=float, default=None,
                        help="a refused question is asked again after this (default: the server's Retry-After)")
    parser.add_argument("--ask-worker", help=argparse.SUPPRESS)  # the process that keeps the questions in flight
    args = parser.parse_args()
    if args.ask_worker:
        print(json.dumps(ask_clients(*json.loads(args.ask_worker))))
        return

    import httpx

    work = args.work
    library = work / f"library-{args.videos}x{args.passages}"
    build_started = time.perf_counter()
    build_library(library, args.videos, args.passages)
    size = sum(p.stat().st_size for p in library.glob("library.sqlite*"))
    print(f"library: {args.videos} videos x {args.passages} passages, {size / 2 ** 20:.0f} MB "
          f"(built or checked in {time.perf_counter() - build_started:.0f} s)", file=sys.stderr)
    shutil.rmtree(work / "queue", ignore_errors=True)
    shutil.rmtree(work / "home", ignore_errors=True)
    (work / "talks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "scripts" / "sample" / "bees-talk.opus", work / "talks" / "bees-talk.opus")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTLOCAL_")}
    env.update(PYTHONUNBUFFERED="1", YTLOCAL_SERVE_TOKEN=TOKEN, YTLOCAL_WHISPER_MODEL=args.whisper_model,
               YTLOCAL_LLM_MODEL=args.llm, XDG_CACHE_HOME=str(work / "home" / "cache"),
               XDG_CONFIG_HOME=str(work / "home" / "config"), PYTHONPATH=str(ROOT))
    server = Server(library, work, env)
    results: dict[str, object] = {"videos": args.videos, "passages_per_video": args.passages,
                                  "library_mb": round(size / 2 ** 20)}
    try:
        # TCP_NODELAY as browsers and curl set it (without it, Nagle and delayed ACKs add ~40 ms per request)
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        client = httpx.Client(base_url=server.base, timeout=120, transport=transport)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get(f"/?token={server.token}")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        results["rss_started_mb"] = round(server.rss_mb(), 1)
        pages = max(1, -(-args.videos // 50))
        library_paths = [f"/?page={p}" for p in (1, 2, pages // 2, pages)]
        for sort in ("title", "channel", "duration", "date"):
            library_paths += [f"/?sort={sort}&order=asc", f"/?sort={sort}&order=desc&page={pages // 3 or 1}"]
        library_paths += ["/?filter=episode+1", "/?filter=channel", "/?filter=zzzz", "/?filter=9&page=3"]
        library_paths = (library_paths * args.requests)[:args.requests]
        search_paths = [f"/search?q={q.replace(' ', '+')}" for q in queries(args.requests)]
        timings = {}
        for name, paths in (("library", library_paths), ("search", search_paths)):
            timed(client, paths[0])  # warm
            timings[name] = [timed(client, path) for path in paths]
            server_ms = [server for server, _trip in timings[name]]
            trips = [trip for _server, trip in timings[name]]
            results[f"{name}_median_ms"] = round(statistics.median(server_ms), 1)
            results[f"{name}_slowest_ms"] = round(max(server_ms), 1)
            results[f"{name}_round_trip_median_ms"] = round(statistics.median(trips), 1)
            results[f"{name}_round_trip_slowest_ms"] = round(max(trips), 1)
        results["rss_idle_mb"] = round(server.rss_mb(), 1)  # pages served, no model loaded

        if args.asks:
            video = re.search(r'href="(/video/[^"]+)"', client.get("/").text).group(1)
            mixed = [library_paths[0], search_paths[0], video, "/static/ytlocal.css", library_paths[5], search_paths[3]]
            under = pages_under_asks(server.base, dict(client.cookies), args.asks, args.ask_seconds, mixed, args.retry_s)
            results.update({f"under_asks_{key}": value for key, value in under.items()})

        if not args.skip_queue:
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/queue").text).group(1)
            response = client.post("/queue", data={"sources": str(work / "talks" / "bees-talk.opus"), "csrf": csrf},
                                   headers={"Origin": server.base})
            assert response.status_code == 303, response.status_code
            delays, last = [], None
            with client.stream("GET", "/queue/events", timeout=None) as stream:
                for line in stream.iter_lines():
                    if not line.startswith("data: ") or '"label"' not in line:
                        continue
                    job = json.loads(line[6:])
                    if job["progress_at"] and job["progress_at"] != last and job["state"] not in ("done", "failed"):
                        last = job["progress_at"]
                        delays.append(time.time() - job["progress_at"])
                    if job["state"] in ("done", "failed", "cancelled"):
                        results["job"] = job["state"]
                        break
            results["events"] = len(delays)
            results["event_delay_median_ms"] = round(statistics.median(delays) * 1000, 1)
            results["event_delay_slowest_ms"] = round(max(delays) * 1000, 1)
            results["rss_after_job_mb"] = round(server.rss_mb(), 1)
    finally:
        server.stop()
    print(json.dumps(results, indent=2))
    print()
    print("| measure | median | slowest | target |")
    print("|---|---|---|---|")
    for name, what in (("library", f"library page ({args.videos:,} videos)"),
                       ("search", f"search page ({args.videos * args.passages:,} passages)")):
        print(f"| {what}: server time | {results[f'{name}_median_ms']} ms | {results[f'{name}_slowest_ms']} ms "
              f"| <= 100 / 300 ms |")
        print(f"| {what}: round trip over loopback | {results[f'{name}_round_trip_median_ms']} ms | "
              f"{results[f'{name}_round_trip_slowest_ms']} ms | |")
    if "event_delay_median_ms" in results:
        print(f"| event stream: progress written -> page ({results['events']} events) | "
              f"{results['event_delay_median_ms']} ms | {results['event_delay_slowest_ms']} ms | <= 1 s |")
    if "under_asks_median_ms" in results:
        print(f"| pages (library, search, video, static), round trip, without questions | "
              f"{results['under_asks_alone_median_ms']} ms | {results['under_asks_alone_slowest_ms']} ms | |")
        print(f"| the same while {args.asks} questions are in flight ({results['under_asks_pages']} pages; answers to "
              f"the questions by status: {results['under_asks_ask_outcomes']}) | {results['under_asks_median_ms']} ms "
              f"| {results['under_asks_slowest_ms']} ms | <= 50 ms / 1 s |")
    print(f"| idle server memory (RSS, no model loaded) | {results['rss_idle_mb']} MB | | <= 150 MB |")
    if "rss_after_job_mb" in results:
        print(f"| server memory after a job (whisper + LLM loaded) | {results['rss_after_job_mb']} MB | | |")


if __name__ == "__main__":
    main()
