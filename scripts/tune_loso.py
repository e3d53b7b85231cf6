#!/usr/bin/env python3
"""Choose a constant the honest way: leave one show out.

    .venv/bin/python scripts/tune_loso.py ytlocal.summarization.select.LENGTH_OFFSET 12 20 28 \
        [--llm] [--formats srt] [--cases ...] [--json out.json]

Summarizes every key-point case (scripts/cases.py) once per value of the constant (a fresh process
each, as scripts/bench_quality.py does; by default the LLM-free screen, --llm for the real thing) and
scores key-point recall. Then, for each show, the value is chosen on the OTHER shows' cases only (the
highest summed recall; a tie keeps the value listed first, so list today's value first), and that
value's recall on the held-out show is its figure. Printed: recall per case and value, the value each
show would have been given, and held-out totals of that choice against each fixed value. A value that
wins only where it was chosen is noise: keep today's value unless the held-out total beats it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from bench_quality import SHARED, load_scorer, timed_run  # noqa: E402
from cases import all_cases, folds  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("constant", help="module.NAME, e.g. ytlocal.summarization.select.LENGTH_OFFSET")
    parser.add_argument("values", nargs="+", type=json.loads, help="JSON values, today's first")
    parser.add_argument("--llm", action="store_true", help="let the model write (slow); default: the screen")
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--formats", nargs="*", default=["srt"], choices=["txt", "srt"])
    parser.add_argument("--cases", nargs="*", help="only cases whose name starts with one of these")
    parser.add_argument("--json", type=Path, help="write every recall here")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "tune")
    args = parser.parse_args()
    scorer = load_scorer(SHARED / "eval" / "score_summary.py")
    cases = [case for case in all_cases() if case.has_keypoints]
    if args.cases:
        cases = [c for c in cases if any(c.name.startswith(prefix) for prefix in args.cases)]
    args.out.mkdir(parents=True, exist_ok=True)
    recall: dict[tuple[str, str], int] = {}  # (case, value) -> recall summed over formats
    for value in args.values:
        for case in cases:
            total = 0
            for suffix in args.formats:
                run = timed_run(case.path / f"transcript.{suffix}", args.model, True, args.llm, {args.constant: value})
                path = args.out / f"{case.name}.{suffix}.{json.dumps(value)}.md"
                path.write_text(run["markdown"])
                total += scorer.score(case.path, path)["recall"]
            recall[(case.name, json.dumps(value))] = total
            print(f"{args.constant}={value} {case.name}: {total}", file=sys.stderr, flush=True)
    keys = [json.dumps(value) for value in args.values]
    chosen: dict[str, str] = {}
    for show, members in folds(cases).items():
        others = [case for case in cases if case.show != show]
        chosen[show] = max(keys, key=lambda k: (sum(recall[(c.name, k)] for c in others), -keys.index(k)))
    name = args.constant.rsplit(".", 1)[1]
    print(f"Key points covered (sum over {', '.join('.' + f for f in args.formats)}; "
          f"{'model writing' if args.llm else 'screen: no model writes'}) per value of {name}:\n")
    print("| case | show | " + " | ".join(f"{name}={k}" for k in keys) + " | chosen on the other shows | held out |")
    print("|---|---|" + "---|" * len(keys) + "---|---|")
    for case in cases:
        k = chosen[case.show]
        print(f"| {case.name} | {case.show} | " + " | ".join(str(recall[(case.name, key)]) for key in keys) +
              f" | {k} | {recall[(case.name, k)]} |")
    fixed = [sum(recall[(c.name, k)] for c in cases) for k in keys]
    held = sum(recall[(c.name, chosen[c.show])] for c in cases)
    print("| **all** | | " + " | ".join(map(str, fixed)) + f" | | **{held}** |")
    print(f"\nHeld out, choosing per show on the others: {held}; today's value ({keys[0]}): {fixed[0]}. "
          + ("Keep today's value." if held <= fixed[0] else "The held-out choice wins."))
    if args.json:
        args.json.write_text(json.dumps({"constant": args.constant, "recall": {f"{c}|{k}": v for (c, k), v in recall.items()},
                                         "chosen": chosen}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
