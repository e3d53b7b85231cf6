#!/usr/bin/env python3
"""How well ytlocal finds ad reads, case by case, on shows its detector was and was not fitted on.

    .venv/bin/python scripts/bench_ads.py                    # the shipped weights (tuned on all shows)
    .venv/bin/python scripts/bench_ads.py --held-out show    # retrain without each show in turn: the honest figure
    .venv/bin/python scripts/bench_ads.py --held-out network # the Changelog's three shows (one network, shared
                                                             # sponsors) held out together
    ... --words                                              # the words-only detector (no embedding model)

Every case of ../shared/data with an ``ads.json`` is read from its transcript.txt (untimed: the
detector's spans are given as transcript lines, those most of whose words lie inside) and from its
transcript.srt (timed: the spans' seconds, as ``ytlocal summarize -f json`` lists them under
``skipped``); both go through ytlocal's own path (:func:`ytlocal.summarization.ads.find_ad_spans`,
:func:`~ytlocal.summarization.ads.timed_spans`) and are scored by ../shared/eval/score_ads.py. Each row
says which shows the weights were fitted on ("all" for the shipped file: not a held-out figure).
Totals are over the held-out rows; the three lower-case unpunctuated cases (their sentence ends restored
by :mod:`ytlocal.summarization.sentence_ends`) are totalled apart as well.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ads_data  # noqa: E402
import train_ads  # noqa: E402

from ytlocal.summarization import ad_model, ads  # noqa: E402
from ytlocal.summarization.meaning import Meaning  # noqa: E402
from ytlocal.summarization.sentences import transcript_sentences  # noqa: E402
from ytlocal.transcript import read_transcript  # noqa: E402

SCORER = ads_data.DATA.parent / "eval" / "score_ads.py"


def load_scorer(path: Path = SCORER):
    spec = importlib.util.spec_from_file_location("score_ads", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def detect(case, suffix: str, model: ad_model.AdModel, embedder) -> dict:
    """What ytlocal marks in one transcript file, in score_ads.py's form: lines (.txt) or seconds (.srt)."""
    segments = read_transcript(case.path / f"transcript.{suffix}").segments
    sentences = transcript_sentences(segments)
    meaning = Meaning([s.raw for s in sentences], embedder) if embedder is not None else None
    spans = ads.find_ad_spans(sentences, meaning, model)
    has_timings = any(float(s.end) > 0 for s in segments)
    duration = max((float(s.end) for s in segments), default=0.0)
    skipped = ads.timed_spans(spans, sentences, duration, has_timings, segments)
    if has_timings:
        return {"seconds": [[item.start, item.end] for item in skipped]}
    return {"lines": [list(item.lines) for item in skipped if item.lines]}


def score(scorer, case, marked: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(marked, handle)
    try:
        return scorer.score(case.path, handle.name)
    finally:
        Path(handle.name).unlink()


def groups(cases, held_out: str) -> dict[str, list]:
    """Held-out group -> its cases ("all" when nothing is held out)."""
    if held_out == "none":
        return {"all": cases}
    key = ads_data.network if held_out == "network" else (lambda show: show)
    result: dict[str, list] = {}
    for case in cases:
        result.setdefault(key(case.show), []).append(case)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--held-out", choices=("none", "show", "network"), default="none",
                        help="retrain without each show (or network) and score it: the held-out figure")
    parser.add_argument("--words", action="store_true", help="the words-only detector (as without an embedding model)")
    parser.add_argument("--cache", type=Path, default=ads_data.DEFAULT_CACHE)
    parser.add_argument("--json", type=Path, help="also write every row here")
    args = parser.parse_args()
    if not ads_data.DATA.is_dir() or not SCORER.is_file():
        print(f"needs the labelled cases ({ads_data.DATA}) and the scorer ({SCORER})", file=sys.stderr)
        return 2
    scorer = load_scorer()
    embedder = ads_data.CachedEmbedder(args.cache)
    cases = ads_data.ad_cases()
    prepared, prototypes = (None, None)
    if args.held_out != "none":
        prepared, prototypes = train_ads.load_prepared(args.cache)
    rows = []
    started = time.perf_counter()
    for group, members in groups(cases, args.held_out).items():
        if args.held_out == "none":
            model, tuned_on = ad_model.load_model(), "all"
        else:
            names = {case.name for case in members}
            training = [p for p in prepared if p.item.case.name not in names]
            kinds = ("words",) if args.words else ("meaning",)
            model = train_ads.train(training, prototypes, kinds, log=lambda m: print(m, file=sys.stderr))
            tuned_on = "all but " + group
            print(f"trained without {group}", file=sys.stderr)
        for case in members:
            for suffix in ("txt", "srt"):
                marked = detect(case, suffix, model, None if args.words else embedder)
                result = score(scorer, case, marked)
                rows.append({"case": case.name, "show": case.show, "tuned_on": tuned_on, "input": suffix,
                             "punctuated": case.punctuated, **result})
    print_table(rows, args)
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def print_table(rows: list[dict], args) -> None:
    detector = "words only" if args.words else "with meaning"
    print(f"ad reads, {detector}, held out by {args.held_out}" if args.held_out != "none" else
          f"ad reads, {detector}, shipped weights (tuned on all shows: not a held-out figure)")
    print("| case | show | tuned on | input | recall | precision | reads found | talk lines removed |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        recall = "–" if row["recall"] is None else f"{row['recall']:.2f}"
        print(f"| {row['case']} | {row['show']} | {row['tuned_on']} | {row['input']} | {recall} | "
              f"{row['precision']:.2f} | {row['reads_found']} / {row['reads']} | "
              f"{row['talk_lines_removed']} ({100 * row['talk_removed_share']:.2f} %) |")
    for label, chosen in (("all cases", rows), ("punctuated cases", [r for r in rows if r["punctuated"]]),
                          ("unpunctuated cases (sentence ends restored)", [r for r in rows if not r["punctuated"]])):
        for suffix in ("txt", "srt"):
            some = [r for r in chosen if r["input"] == suffix]
            if not some:
                continue
            ad = sum(r["ad_lines"] for r in some)
            found = sum(round(r["recall"] * r["ad_lines"]) for r in some if r["recall"] is not None)
            marked = sum(r["marked_lines"] for r in some)
            recalls = [r["recall"] for r in some if r["recall"] is not None]
            talk = [r["talk_removed_share"] for r in some]
            print(f"{label}, {suffix}: ad lines found {found} / {ad} ({found / max(1, ad):.3f}; per case mean "
                  f"{np.mean(recalls):.3f}, min {min(recalls):.2f}), precision {found / max(1, marked):.3f}, "
                  f"reads found {sum(r['reads_found'] for r in some)} / {sum(r['reads'] for r in some)}, "
                  f"talk removed mean {100 * np.mean(talk):.2f} % (max {100 * max(talk):.2f} %), "
                  f"cases within the targets (recall >= 0.95, talk <= 0.5 %) "
                  f"{sum(1 for r in some if (r['recall'] is None or r['recall'] >= 0.95) and r['talk_removed_share'] <= 0.005)}"
                  f" / {len(some)}")


if __name__ == "__main__":
    sys.exit(main())
