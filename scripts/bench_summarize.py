#!/usr/bin/env python3
"""Benchmark: a plain LLM map-reduce vs ytlocal's summarizer, same model, same machine, one run.

    .venv/bin/python scripts/bench_summarize.py TRANSCRIPT [--llm smollm2-135m-instruct] [--n-ctx 2048]

TRANSCRIPT is a ytlocal .json, .srt, .vtt or .txt transcript, or a Markdown podcast transcript with
'*  ' bullet lines and a 'Length: Ns' header (like ../shared/data/transcripts/*.md; its lines get
times spread evenly over the length). Each side runs in its own process (peak memory is its own):

  plain    fixed-size chunks (characters), "Summarize this part of a transcript as bullet points"
           per chunk, then "Summarize these bullet points" (recursively while too long); no guards
  ytlocal  ytlocal.summarization.summarize_transcript (token-aware chunks, grounded notes, guards)

Printed per side: wall time, LLM calls, prompt tokens sent, tokens generated, peak RSS, and quality
figures on the output: words, the most repeated 8-word run (1 = none repeated), filler words per 100
words, and the share of sentences not supported by the transcript (content words or names/numbers
missing from it: a proxy for invented content).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILLER = re.compile(r"\b(?:um+|uh+|you know|i mean)\b|(?<=[\s,])like,", re.IGNORECASE)
PLAIN_CHUNK_CHARS = 4000
PLAIN_MAP = "Summarize this part of a transcript as bullet points."
PLAIN_REDUCE = "Summarize these bullet points into a final summary with a title, a short overview and key points."


def load_transcript(path: Path):
    from ytlocal.records import Media
    from ytlocal.transcript import read_transcript
    from ytlocal.records import Segment, Transcript

    if path.suffix.lower() != ".md":
        return read_transcript(path)
    text = path.read_text(encoding="utf-8")
    length = float(re.search(r"^Length:\s*(\d+)", text, re.M).group(1))
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("*")]
    total_words = sum(len(line.split()) for line in lines)
    segments, elapsed = [], 0.0
    for line in lines:
        seconds = length * len(line.split()) / total_words
        segments.append(Segment(elapsed, elapsed + seconds, line))
        elapsed += seconds
    title = re.search(r"^# (.+)$", text, re.M)
    media = Media.for_transcript_file(path)
    media.title, media.extractor = (title.group(1).strip(), "") if title else (path.stem, "transcript")
    return Transcript(segments=segments, language="en", duration=length, media=media)


def quality(output: str, transcript_text: str) -> dict:
    from ytlocal.text import content_words, max_ngram_repeats, split_sentences, support, words

    source_words = set(content_words(transcript_text))
    lower = transcript_text.lower().replace(",", "")
    # Headings are labels, not claims; bullets lose their markers and timestamp links first.
    claims = [re.sub(r"^[*\-\s]+|\[[^\]]*\](\([^)]*\))?|\\", "", line).replace("&amp;", "&")
              for line in output.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    sentences = [s for claim in claims for s in split_sentences(claim) if len(words(s)) >= 4]
    unsupported = sum(1 for s in sentences if support(s, source_words, lower) < 0.75)
    count = len(words(output))
    return {
        "words": count,
        "max_repeat_8gram": max_ngram_repeats(output, 8),
        "filler_per_100_words": round(100 * len(FILLER.findall(output)) / max(count, 1), 2),
        "unsupported_sentences": f"{unsupported}/{len(sentences)}",
    }


def run_plain(transcript, model, n_ctx: int) -> tuple[str, dict]:
    from ytlocal.runtime.llm import SamplingOptions
    from ytlocal.runtime.models import Models

    backend = Models().chat(model, n_ctx)
    sampling = SamplingOptions(repeat_penalty=1.0)
    stats = {"calls": 0, "prompt_tokens": 0, "generated_tokens": 0}

    def ask(instruction: str, text: str, max_tokens: int = 256) -> str:
        generation = backend.chat([{"role": "user", "content": f"{instruction}\n\n{text}"}], max_tokens, sampling)
        stats["calls"] += 1
        stats["prompt_tokens"] += generation.prompt_tokens
        stats["generated_tokens"] += generation.completion_tokens
        return generation.text.strip()

    text = " ".join(segment.text for segment in transcript.segments)
    pieces = [text[i:i + PLAIN_CHUNK_CHARS] for i in range(0, len(text), PLAIN_CHUNK_CHARS)]
    bullets = [ask(PLAIN_MAP, piece) for piece in pieces]
    while len("\n".join(bullets)) > PLAIN_CHUNK_CHARS:
        joined = "\n".join(bullets)
        groups = [joined[i:i + PLAIN_CHUNK_CHARS] for i in range(0, len(joined), PLAIN_CHUNK_CHARS)]
        bullets = [ask(PLAIN_REDUCE, group) for group in groups]
    return ask(PLAIN_REDUCE, "\n".join(bullets), 400), stats


def run_ytlocal(transcript, model, n_ctx: int) -> tuple[str, dict]:
    """ytlocal's public API on the transcript (saved as ytlocal .json), with a fresh cache."""
    import tempfile

    import ytlocal
    from ytlocal.transcript import write_transcript

    with tempfile.TemporaryDirectory() as folder:
        [path] = write_transcript(transcript, Path(folder), "transcript", ["json"])
        result = ytlocal.summarize(str(path), llm=str(model.path), n_ctx=n_ctx, cache_dir=Path(folder) / "cache")
    summary = result.summary
    body = result.render("md").split("---\n", 2)[2]
    return body, {"calls": summary.stats["llm_calls"], "prompt_tokens": summary.stats["prompt_tokens"],
                  "generated_tokens": summary.stats["generated_tokens"]}


def repeated(transcript, times: int):
    """The transcript ``times`` times over, as one long recording (times shifted)."""
    if times <= 1:
        return transcript
    from ytlocal.records import Segment

    length = transcript.duration or max(s.end for s in transcript.segments)
    transcript.segments = [Segment(s.start + k * length, s.end + k * length, s.text)
                           for k in range(times) for s in transcript.segments]
    transcript.duration = length * times
    return transcript


def worker(side: str, transcript_path: str, llm: str, n_ctx: int, repeat: int = 1) -> dict:
    from ytlocal.config import load_settings, resolve_models_dir
    from ytlocal.registry import ModelStore

    model = ModelStore(resolve_models_dir(load_settings())[0]).resolve(llm, "llm")
    transcript = repeated(load_transcript(Path(transcript_path)), repeat)
    started = time.perf_counter()
    output, stats = (run_plain if side == "plain" else run_ytlocal)(transcript, model, n_ctx)
    wall = time.perf_counter() - started
    return {"side": side, "wall_s": round(wall, 1), **stats,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            **quality(output, " ".join(s.text for s in transcript.segments)), "output": output}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("transcript", type=Path)
    parser.add_argument("--llm", default="smollm2-135m-instruct")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--show", action="store_true", help="print both outputs after the table")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the transcript N times (a longer input)")
    parser.add_argument("--only", choices=["plain", "ytlocal"], help="run one side only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, str(args.transcript), args.llm, args.n_ctx, args.repeat)))
        return
    transcript = repeated(load_transcript(args.transcript), args.repeat)
    words = sum(len(s.text.split()) for s in transcript.segments)
    print(f"transcript: {args.transcript.name}, {words} words, {len(transcript.segments)} segments, "
          f"{(transcript.duration or 0) / 60:.0f} min; model {args.llm}, n_ctx {args.n_ctx}")
    columns = ["side", "wall_s", "calls", "prompt_tokens", "generated_tokens", "peak_rss_mb", "words",
               "max_repeat_8gram", "filler_per_100_words", "unsupported_sentences"]
    print("  ".join(f"{c:>{max(len(c), 8)}}" for c in columns))
    outputs = {}
    for side in [args.only] if args.only else ["plain", "ytlocal"]:
        done = subprocess.run([sys.executable, __file__, str(args.transcript), "--llm", args.llm,
                               "--n-ctx", str(args.n_ctx), "--repeat", str(args.repeat), "--worker", side],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{side}: failed: {done.stderr.strip().splitlines()[-3:]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        outputs[side] = row.pop("output")
        print("  ".join(f"{str(row[c]):>{max(len(c), 8)}}" for c in columns))
    if args.show:
        for side, output in outputs.items():
            print(f"\n===== {side} =====\n{output}")


if __name__ == "__main__":
    main()
