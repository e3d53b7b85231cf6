#!/usr/bin/env python3
"""Benchmark: the sentences of ../shared/data's transcripts without sentence ends, as ytlocal restores
them, and what restoring costs.

    .venv/bin/python scripts/bench_sentence_ends.py

For each case whose transcript lacks sentence ends (ytlocal/summarization/sentence_ends.py's measure):
its sentences (count, median and 90th-percentile words, share over 40 words, questions, distinct start
times) read from transcript.srt and transcript.txt; and for every punctuated case, that its sentences
take the path they always took (no restoring). Then the time to restore all unpunctuated transcripts
joined into one (hours of talk), with the model and the word caches warm and cold. The held-out
boundary figures are scripts/train_sentence_ends.py's. Needs ../shared.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from cases import all_cases  # noqa: E402
from ytlocal.summarization import sentence_ends  # noqa: E402
from ytlocal.summarization.sentences import transcript_sentences  # noqa: E402
from ytlocal.text import words  # noqa: E402
from ytlocal.transcript import read_transcript  # noqa: E402


def main() -> None:
    restored = []
    print("| case | file | sentences | median words | p90 words | over 40 words | questions | distinct starts |")
    print("|---|---|---|---|---|---|---|---|")
    for case in all_cases():
        segments = read_transcript(case.path / "transcript.srt").segments
        if not sentence_ends.lacks_sentence_ends([s.text for s in segments]):
            continue
        restored.append(segments)
        for name in ("transcript.srt", "transcript.txt"):
            sentences = transcript_sentences(read_transcript(case.path / name).segments)
            lengths = np.asarray([len(words(s.raw)) for s in sentences])
            print(f"| {case.name} | {name} | {len(sentences)} | {np.median(lengths):.0f} | "
                  f"{np.percentile(lengths, 90):.0f} | {np.mean(lengths > 40):.1%} | "
                  f"{sum(s.is_question for s in sentences)} | {len({s.start for s in sentences})} |")
    texts, starts, ends, offset = [], [], [], 0.0
    for segments in restored:
        for segment in segments:
            texts.append(segment.text)
            starts.append(segment.start + offset)
            ends.append(segment.end + offset)
        offset = ends[-1]
    print(f"\nrestoring {sum(len(t.split()) for t in texts)} words ({offset / 3600:.2f} h of talk) at once:")
    for label in ("first call (weights loaded)", "word caches cold", "warm"):
        if label == "word caches cold":
            sentence_ends.normal_form.cache_clear()
            sentence_ends._word_hash.cache_clear()
            sentence_ends._class_hash.cache_clear()
        started = time.perf_counter()
        found = sentence_ends.restore(texts, starts, ends)
        print(f"  {label}: {time.perf_counter() - started:.2f} s, {len(found)} sentences")


if __name__ == "__main__":
    main()
