#!/usr/bin/env python3
"""Benchmark: summary quality on the development cases, ytlocal's defaults beside the tf-idf baseline.

    .venv/bin/python scripts/bench_quality.py [--eval ../shared/data/eval] [--out out/quality]
                                              [--llm smollm2-135m-instruct] [--cases lex018 ...]

For every case folder (transcript.txt, transcript.srt, keypoints.json, reference.md) it runs, in one
process and with a fresh model-call cache:

  baseline  ../shared/eval/baseline_tfidf.py on transcript.txt (2 sentences from each of 20 parts)
  ytlocal   ytlocal.summarization.summarize_transcript on transcript.txt and on transcript.srt, rendered
            as Markdown exactly as `ytlocal summarize` writes it

and scores each summary with ../shared/eval/score_summary.py: key points covered (of 24), invented
names, filler per 100 words, the most repeated 8-word run, first-person and question shares, bad
headings, words. It also prints the share of statements the model wrote (passed the rewrite check)
and the wall time. Summaries are written to --out so they can be read; the table is printed as
Markdown. This benchmark needs ../shared (not part of the project).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("score_summary", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summarize_file(path: Path, llm: str, cache: Path) -> tuple[str, object, float]:
    """ytlocal's public API, as a user's script would call it."""
    import ytlocal

    started = time.perf_counter()
    result = ytlocal.summarize(str(path), llm=llm, cache_dir=cache)
    return result.render("md"), result.summary, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=SHARED / "data" / "eval")
    parser.add_argument("--scorer", type=Path, default=SHARED / "eval" / "score_summary.py")
    parser.add_argument("--baseline", type=Path, default=SHARED / "eval" / "baseline_tfidf.py")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "quality")
    parser.add_argument("--llm", default="smollm2-135m-instruct")
    parser.add_argument("--cases", nargs="*", help="only cases whose name starts with one of these")
    args = parser.parse_args()
    if not args.eval.is_dir() or not args.scorer.is_file():
        print(f"needs the evaluation cases ({args.eval}) and the scorer ({args.scorer})", file=sys.stderr)
        return 2
    scorer = load_scorer(args.scorer)
    args.out.mkdir(parents=True, exist_ok=True)
    cases = sorted(p for p in args.eval.iterdir() if (p / "keypoints.json").is_file())
    if args.cases:
        cases = [c for c in cases if any(c.name.startswith(prefix) for prefix in args.cases)]
    rows = []
    for case in cases:
        started = time.perf_counter()
        baseline = subprocess.run([sys.executable, str(args.baseline), str(case / "transcript.txt")],
                                  capture_output=True, text=True, check=True).stdout
        baseline_seconds = time.perf_counter() - started
        baseline_path = args.out / f"{case.name}.baseline.md"
        baseline_path.write_text(baseline)
        row = {"case": case.name, "baseline": scorer.score(case, baseline_path), "baseline_s": baseline_seconds}
        for suffix in ("txt", "srt"):
            with tempfile.TemporaryDirectory() as cache:
                markdown, summary, seconds = summarize_file(case / f"transcript.{suffix}", args.llm, Path(cache))
            path = args.out / f"{case.name}.{suffix}.md"
            path.write_text(markdown)
            points = summary.points
            row[suffix] = scorer.score(case, path)
            row[f"{suffix}_s"] = seconds
            row[f"{suffix}_llm"] = sum(p.origin == "llm" for p in points) / max(1, len(points))
            row[f"{suffix}_llm_headings"] = sum(s.heading_origin == "llm" for s in summary.sections)
            print(f"{case.name} {suffix}: recall {row[suffix]['recall']}/24 in {seconds:.0f} s", file=sys.stderr)
        rows.append(row)

    print(f"Summary quality ({args.llm}; fresh cache; recall = key points covered of 24; "
          "1st p. = first-person sentence share)\n")
    print("| case | baseline | ytlocal .txt | ytlocal .srt | words (.txt / .srt) | 1st p. | questions | "
          "filler /100w | max 8-gram | invented names | bad headings | sections | model-written | wall (.txt / .srt) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        txt, srt = row["txt"], row["srt"]
        print(f"| {row['case']} | {row['baseline']['recall']} | {txt['recall']} | {srt['recall']} | "
              f"{txt['words']} / {srt['words']} | {txt['first_person']:.2f} / {srt['first_person']:.2f} | "
              f"{txt['questions']:.2f} / {srt['questions']:.2f} | {txt['filler_per_100w']} / {srt['filler_per_100w']} | "
              f"{txt['max_8gram']} / {srt['max_8gram']} | {txt['invented_names']} / {srt['invented_names']} | "
              f"{len(txt['bad_headings'])} / {len(srt['bad_headings'])} | {txt['sections']} / {srt['sections']} | "
              f"{row['txt_llm']:.0%} / {row['srt_llm']:.0%} | {row['txt_s']:.0f} s / {row['srt_s']:.0f} s |")
    print(f"\nBaseline wall time: {max(r['baseline_s'] for r in rows):.1f} s at most. Summaries: {args.out}")
    for row in rows:
        for suffix in ("txt", "srt"):
            if row[suffix]["bad_headings"] or row[suffix]["invented_list"]:
                print(f"{row['case']} .{suffix}: bad headings {row[suffix]['bad_headings']}, "
                      f"invented names {row[suffix]['invented_list']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
