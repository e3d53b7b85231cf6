#!/usr/bin/env python3
"""Benchmark: summary quality on the development cases, ytlocal's defaults beside the tf-idf baseline,
with and without sentence meaning, and each use of meaning switched on and off.

    .venv/bin/python scripts/bench_quality.py [--eval ../shared/data/eval] [--out out/quality]
                                              [--llm smollm2-135m-instruct] [--cases lex018 ...]
                                              [--no-ablations]

For every case folder (transcript.txt, transcript.srt, keypoints.json, reference.md, maybe ads.json):

  baseline  ../shared/eval/baseline_tfidf.py on transcript.txt (2 sentences from each of 20 parts)
  ytlocal   `ytlocal.summarize` on transcript.txt and transcript.srt, rendered as `ytlocal summarize`
            writes Markdown, each run in a fresh process with a fresh model-call cache, twice: with the
            default models (sentence meaning from the embedding model) and without the embedding model
            (words alone, as before it existed); wall time and peak memory (RSS) of each process
  ablations every use of meaning on its own and together (ytlocal.summarization.summary.ALL_MEANING_USES),
            in one process with one shared model-call cache (the calls are deterministic, so sharing
            changes no output, only the time: no times are reported for them)

and scores each summary with ../shared/eval/score_summary.py: key points covered (of 24), ad sentences,
invented names, first-person share, questions, bad headings, bad tags, first person in the TL;DR,
words. Summaries are written to --out; the tables are printed as Markdown. Needs ../shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

# One summary in a fresh process: what a user's `ytlocal summarize FILE` costs, model loading included.
CHILD = r"""
import json, resource, sys, time
started = time.perf_counter()
import ytlocal
from ytlocal.api import Session
path, llm, cache, meaning = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
with Session(llm=llm, cache_dir=cache) as session:
    if not meaning:
        session.pipeline.embedding_name = None
    result = session.summarize(path)
seconds = time.perf_counter() - started
print(json.dumps({"markdown": result.render("md"), "seconds": seconds,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "points": [p.origin for p in result.summary.points]}))
"""


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("score_summary", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_run(path: Path, llm: str, meaning: bool) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run([sys.executable, "-c", CHILD, str(path), llm, cache, "1" if meaning else "0"],
                              capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"summarizing {path} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ablation_runs(cases: list[Path], llm: str, out: Path, scorer) -> dict:
    """Recall and ad sentences of every use of meaning alone and of all together, per case and input."""
    from ytlocal.api import Session
    from ytlocal.summarization.summary import ALL_MEANING_USES, MEANING_USES

    variants = {"none": ()}
    variants.update({use: (use,) for use in ALL_MEANING_USES})
    variants["default"] = MEANING_USES
    variants["all"] = ALL_MEANING_USES
    results: dict = {}
    with tempfile.TemporaryDirectory() as cache, Session(llm=llm, cache_dir=cache) as session:
        for name, uses in variants.items():
            session.pipeline.summarize_options.meaning = tuple(uses)
            for case in cases:
                for suffix in ("txt", "srt"):
                    result = session.summarize(str(case / f"transcript.{suffix}"))
                    path = out / "ablations" / f"{case.name}.{suffix}.{name}.md"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(result.render("md"))
                    results[(name, case.name, suffix)] = scorer.score(case, path)
            print(f"ablation {name}: done", file=sys.stderr)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=SHARED / "data" / "eval")
    parser.add_argument("--scorer", type=Path, default=SHARED / "eval" / "score_summary.py")
    parser.add_argument("--baseline", type=Path, default=SHARED / "eval" / "baseline_tfidf.py")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "quality")
    parser.add_argument("--llm", default="smollm2-135m-instruct")
    parser.add_argument("--cases", nargs="*", help="only cases whose name starts with one of these")
    parser.add_argument("--no-ablations", action="store_true", help="skip the per-use table")
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
        baseline_path = args.out / f"{case.name}.baseline.md"
        baseline_path.write_text(baseline)
        row = {"case": case.name, "baseline": scorer.score(case, baseline_path),
               "baseline_s": time.perf_counter() - started}
        for suffix in ("txt", "srt"):
            for meaning in (True, False):
                run = timed_run(case / f"transcript.{suffix}", args.llm, meaning)
                tag = suffix if meaning else f"{suffix}_words"
                path = args.out / f"{case.name}.{suffix}{'' if meaning else '.words'}.md"
                path.write_text(run["markdown"])
                row[tag] = scorer.score(case, path)
                row[f"{tag}_s"], row[f"{tag}_rss"] = run["seconds"], run["rss_mb"]
                row[f"{tag}_llm"] = sum(origin == "llm" for origin in run["points"]) / max(1, len(run["points"]))
                print(f"{case.name} {tag}: recall {row[tag]['recall']}/24 in {run['seconds']:.0f} s, "
                      f"{run['rss_mb']:.0f} MB", file=sys.stderr)
        rows.append(row)

    def ads(score) -> str:
        return "–" if score["ad_sentences"] is None else str(score["ad_sentences"])

    print(f"Summary quality ({args.llm}, minilm-l6-v2 for meaning; fresh cache and process per run; recall = key "
          "points covered of 24)\n")
    print("| case | baseline | .txt | .srt | .txt / .srt words only | ad sentences (baseline; .txt / .srt) | "
          "invented names | 1st p. | questions | max 8-gram | bad headings | bad tags | TL;DR 1st p. | words |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        txt, srt, base = row["txt"], row["srt"], row["baseline"]
        print(f"| {row['case']} | {base['recall']} | {txt['recall']} | {srt['recall']} | "
              f"{row['txt_words']['recall']} / {row['srt_words']['recall']} | "
              f"{ads(base)}; {ads(txt)} / {ads(srt)} | {txt['invented_names']} / {srt['invented_names']} | "
              f"{txt['first_person']:.2f} / {srt['first_person']:.2f} | {txt['questions']:.2f} / {srt['questions']:.2f} | "
              f"{txt['max_8gram']} / {srt['max_8gram']} | {len(txt['bad_headings'])} / {len(srt['bad_headings'])} | "
              f"{len(txt['bad_tags'])} / {len(srt['bad_tags'])} | {txt['tldr_first_person']} / {srt['tldr_first_person']} | "
              f"{txt['words']} / {srt['words']} |")
    print("\nWall time and peak memory of one `summarize` process (model loading included):\n")
    print("| case | .txt with meaning | .txt words only | .srt with meaning | .srt words only | peak RSS (meaning) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['txt_s']:.1f} s | {row['txt_words_s']:.1f} s | {row['srt_s']:.1f} s | "
              f"{row['srt_words_s']:.1f} s | {max(row['txt_rss'], row['srt_rss']):.0f} MB |")
    with_meaning = sum(row["txt_s"] + row["srt_s"] for row in rows)
    words_only = sum(row["txt_words_s"] + row["srt_words_s"] for row in rows)
    print(f"\nAll runs: {with_meaning:.0f} s with meaning, {words_only:.0f} s words only "
          f"({100 * (with_meaning / words_only - 1):+.0f} %).")
    for row in rows:
        for suffix in ("txt", "srt"):
            score = row[suffix]
            if score["bad_headings"] or score["invented_list"] or score["bad_tags"]:
                print(f"{row['case']} .{suffix}: bad headings {score['bad_headings']}, invented names "
                      f"{score['invented_list']}, bad tags {score['bad_tags']}")

    if not args.no_ablations:
        results = ablation_runs(cases, args.llm, args.out, scorer)
        names = sorted({name for name, _case, _suffix in results}, key=["none", "ads", "subject", "coverage",
                                                                          "sections", "default", "all"].index)
        print("\nUses of meaning, each alone and together (recall .txt / .srt; ad sentences where the case has "
              "ads.json):\n")
        print("| case | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for case in cases:
            cells = []
            for name in names:
                txt, srt = results[(name, case.name, "txt")], results[(name, case.name, "srt")]
                extra = f" (ads {ads(txt)}/{ads(srt)})" if txt["ad_sentences"] is not None else ""
                cells.append(f"{txt['recall']} / {srt['recall']}{extra}")
            print(f"| {case.name} | " + " | ".join(cells) + " |")
        totals = [sum(results[(name, case.name, suffix)]["recall"] for case in cases for suffix in ("txt", "srt"))
                  for name in names]
        print("| all (sum) | " + " | ".join(str(total) for total in totals) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
