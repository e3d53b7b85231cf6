#!/usr/bin/env python3
"""Benchmark: retrieval for `ytlocal search` / `ytlocal ask` on the development cases, and `ask`'s answers.

    .venv/bin/python scripts/bench_ask.py [--ask 15] [--scale 0]

Indexes the three development transcripts (`.srt`) of ../shared/data/eval/ into one fresh library and
asks the 60 hand-written questions of scripts/data/ask_questions.json (20 per case, 42 of them
paraphrased: they share few words with the transcript). Each question names a key point of its case;
the right passages are those where, together with their neighbours, every regex group of that key
point matches (the span of the transcript that holds the answer). Prints recall@1 and recall@5 of the
right passage (all questions, and the paraphrased ones), search latency, and for --ask N questions
(spread over the cases) the share of grounded answers from the default LLM and ask's latency.
--scale N also builds a synthetic library of N one-hour transcripts (~120 passages each) and times
search in it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT.parent / "shared" / "data" / "eval"


def right_passages(library, video_id: str, groups: list[list[str]]) -> set[int]:
    rows = library.db.execute("SELECT id, text FROM passages WHERE video_id = ? ORDER BY id", (video_id,)).fetchall()
    right = set()
    for index, row in enumerate(rows):
        window = " ".join(r["text"] for r in rows[max(0, index - 1): index + 2])
        if all(any(re.search(alternative, window, re.I) for alternative in group) for group in groups):
            right.add(row["id"])
    return right


def hit_ids(library, query: str, limit: int) -> list[int]:
    """The passage ids `ytlocal search` returns, in order."""
    return [hit.passage_id for hit in library.search(query, limit=limit)]


def scale_test(videos: int, folder: Path) -> None:
    from ytlocal.library import Library
    from ytlocal.records import Media, Result, Segment, Transcript

    vocabulary = (EVAL / "lex061-melanie-mitchell" / "transcript.txt").read_text().split()
    rng = random.Random(0)
    started = time.perf_counter()
    with Library(folder / "scale") as library:
        for number in range(videos):
            segments = []
            for i in range(720):  # one hour of 5-second segments, ~12 words each
                start = rng.randrange(len(vocabulary) - 12)
                segments.append(Segment(i * 5.0, i * 5.0 + 5, " ".join(vocabulary[start:start + 12]) + "."))
            media = Media(key=f"synthetic-{number}", source=f"synthetic {number}", audio_path=None,
                          title=f"Synthetic {number}", extractor="synthetic", video_id=str(number), duration=3600.0,
                          webpage_url=f"https://example.invalid/{number}")
            library.add(Result(media.source, media=media, transcript=Transcript(segments, language="en")))
        indexed = time.perf_counter() - started
        timings = []
        for query in ("analogy concepts", "self driving cars long tail", "copycat letter strings",
                      "common sense knowledge", "santa fe institute founded"):
            started = time.perf_counter()
            library.search(query, limit=10)
            timings.append((time.perf_counter() - started) * 1000)
        passages = library.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    size = (folder / "scale" / "library.sqlite").stat().st_size / 1e6
    print(f"\nSynthetic library: {videos} one-hour transcripts, {passages} passages, {size:.0f} MB; indexing "
          f"{indexed / videos * 1000:.0f} ms per transcript; search median {statistics.median(timings):.1f} ms, "
          f"max {max(timings):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ask", type=int, default=15, help="questions to also answer with the LLM (0: none)")
    parser.add_argument("--llm", default="smollm2-135m-instruct")
    parser.add_argument("--scale", type=int, default=0, help="also time search in N synthetic one-hour transcripts")
    args = parser.parse_args()

    from ytlocal.answer import ASK_PROMPT_VERSION, PASSAGES_SHOWN, answer_question
    from ytlocal.config import load_settings, resolve_models_dir
    from ytlocal.library import Library
    from ytlocal.records import Result
    from ytlocal.registry import ModelStore
    from ytlocal.transcript import read_transcript

    questions = json.loads((ROOT / "scripts" / "data" / "ask_questions.json").read_text())
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        library = Library(folder / "library")
        ids, points = {}, {}
        for case in (name for name in questions if name != "about"):
            started = time.perf_counter()
            path = EVAL / case / "transcript.srt"
            ids[case] = library.add(Result(str(path), transcript=read_transcript(path)))
            print(f"{case}: indexed in {(time.perf_counter() - started) * 1000:.0f} ms", file=sys.stderr)
            points[case] = {p["id"]: p for p in json.loads((EVAL / case / "keypoints.json").read_text())["points"]}
        rows = []
        for case, items in ((c, q) for c, q in questions.items() if c != "about"):
            for item in items:
                right = right_passages(library, ids[case], points[case][item["point"]]["all"])
                started = time.perf_counter()
                hits = hit_ids(library, item["q"], 5)
                search_ms = (time.perf_counter() - started) * 1000
                rows.append({"case": case, "q": item["q"], "paraphrased": item["paraphrased"], "right": right,
                             "at1": bool(hits[:1]) and hits[0] in right, "at5": any(h in right for h in hits),
                             "ms": search_ms, "located": bool(right)})
        located = [r for r in rows if r["located"]]
        print(f"\nRetrieval on {len(rows)} questions ({len(located)} whose answer span the key point's patterns "
              f"locate), one library of the 3 development transcripts, bm25 (SQLite FTS5, porter stemming)\n")
        print("| questions | n | recall@1 | recall@5 |")
        print("|---|---|---|---|")
        for label, subset in (("all", located), ("paraphrased", [r for r in located if r["paraphrased"]]),
                              ("same words", [r for r in located if not r["paraphrased"]])):
            if subset:
                print(f"| {label} | {len(subset)} | {sum(r['at1'] for r in subset) / len(subset):.2f} | "
                      f"{sum(r['at5'] for r in subset) / len(subset):.2f} |")
        print(f"\nsearch latency: median {statistics.median(r['ms'] for r in rows):.1f} ms, "
              f"max {max(r['ms'] for r in rows):.1f} ms (in process, without Python's start)")
        missed = [r for r in located if not r["at5"]]
        if missed:
            print("not in the top 5: " + "; ".join(f"{r['q']!r}" for r in missed), file=sys.stderr)

        if args.ask:
            from ytlocal.runtime.llm import CallCache, LlmSession
            from ytlocal.runtime.models import Models

            store = ModelStore(resolve_models_dir(load_settings())[0])
            backend = Models().chat(store.resolve(args.llm, "llm"))
            session = LlmSession(backend, CallCache(None), ASK_PROMPT_VERSION)
            chosen = rows[::max(1, len(rows) // args.ask)][:args.ask]
            grounded, timings, right_cited = 0, [], 0
            for row in chosen:
                started = time.perf_counter()
                hits = library.search(row["q"], limit=PASSAGES_SHOWN)
                answer = answer_question(row["q"], hits, session)
                timings.append(time.perf_counter() - started)
                if answer.grounded:
                    grounded += 1
                    rowids = hit_ids(library, row["q"], PASSAGES_SHOWN)
                    cited = {rowids[n - 1] for _s, numbers in answer.sentences for n in numbers if n <= len(rowids)}
                    right_cited += bool(cited & row["right"])
                    print(f"  {row['q']!r} -> {answer.text()[:160]!r}", file=sys.stderr)
            print(f"\nask ({args.llm}, {len(chosen)} questions): {grounded} grounded answers "
                  f"({grounded / len(chosen):.0%}), {right_cited} of them citing a right passage; the rest "
                  f"refused with the passages shown; latency median {statistics.median(timings):.1f} s, "
                  f"max {max(timings):.1f} s")
        library.close()
        if args.scale:
            scale_test(args.scale, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
