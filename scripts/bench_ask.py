#!/usr/bin/env python3
"""Benchmark: retrieval for `ytlocal search` / `ytlocal ask` on questions nobody tuned on, and `ask`'s answers.

    .venv/bin/python scripts/bench_ask.py [--sets own,new] [--cache /tmp/search-cache] [--ask 15] [--scale 0]

Two groups of questions: the project's own (scripts/data/ask_questions.json: 20 hand-written questions
for each development case of ../shared/data/eval/, most of them paraphrased; each names a key point,
whose answer lines are every smallest run of at most 5 transcript.txt lines where all the point's regex
groups match) and the new ones (the four cases of ../shared/data/ads/ with a questions.json: 10 each,
7 paraphrased and 3 in the transcript's words, with the lines that answer them). Every case's
`transcript.srt` is added to one fresh library with Library.add, as a user adds a transcript (the
passages ytlocal makes, sentence vectors from the `minilm-l6-v2` model when installed); a hit is a
passage of the top 5 (top 1) whose time overlaps the answer lines' cues.

Prints recall@1 and recall@5 of paraphrased and same-words questions per set (the project's own, each
new case, the new cases together) for bm25 alone, vectors alone, reciprocal rank fusions and score
blends over a grid of settings; then the held-out table: for each family the setting picked on one
group (paraphrased recall@5, then paraphrased recall@1, then same-words recall@5) and its figures on
the other group, both ways, and pooled; then leave one show out within the new cases; search
latency; with --ask N, the share of grounded answers from the default LLM.

--scale N also builds a synthetic library of N one-hour transcripts (720 five-second segments of
12 words drawn from a development transcript, ~144 passages each) and times search in it. Its
vectors cannot come from the model (1.44 million passages would take days on 2 cores): --sample K
synthetic passages are embedded for real, and each synthetic passage gets
normalize(0.8 a + 0.4 b + g), a and b two sample vectors drawn at random and g Gaussian noise of
norm 0.5 (so its cosine to a is ~0.85, and the vectors spread between the real ones).
--stores M compares vector stores on the first M of those vectors (numpy scans and the IVF file
ytlocal uses); --stores-others M also usearch's HNSW and sqlite-vec through apsw, when importable
(e.g. `pip install --target DIR usearch apsw sqlite-vec` and PYTHONPATH=DIR: not dependencies).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
EVAL = ROOT.parent / "shared" / "data" / "eval"
NONSENSE = ("zyzzyva quokka", "purple giraffe saxophone", "how do I bake sourdough bread", "qwerty asdf")


ASKS = "what `ask` reads (the default, ad passages left out)"
NEW_CASES = ("lennys-podcast-madhavan-ramanujam", "the-standup-college-dhh", "the-changelog-coreos-rocket",
             "self-hosted-episode-38-wireguard")


@dataclass
class Question:
    """One question of a set, with where its answer is: runs of transcript.txt lines (1-based,
    inclusive), as (start, end) seconds of those lines' .srt cues."""

    set: str  # "own" (scripts/data/ask_questions.json) or the case's name
    case: str
    show: str
    q: str
    paraphrased: bool
    lines: list[tuple[int, int]]
    spans: list[tuple[float, float]] = field(default_factory=list)


def answer_windows(lines: list[str], groups: list[list[str]], most: int = 5) -> list[tuple[int, int]]:
    """Every smallest run of at most ``most`` lines (1-based, inclusive) in which each regex group of a
    key point matches: where the project's own questions are answered (the new cases' questions.json
    give theirs, found the same way)."""
    found: list[tuple[int, int]] = []
    for size in range(1, most + 1):
        for first in range(len(lines) - size + 1):
            last = first + size - 1
            if any(a >= first and b <= last for a, b in found):
                continue  # a smaller run inside already answers
            text = " ".join(lines[first:last + 1])
            if all(any(re.search(alternative, text, re.I) for alternative in group) for group in groups):
                found.append((first, last))
    return [(a + 1, b + 1) for a, b in sorted(found)]


def load_questions(sets: list[str]) -> tuple[list[Question], dict[str, "Case"]]:
    """The questions of the sets named ("own", "new", or case names) and the cases they are about."""
    from cases import all_cases

    by_name = {case.name: case for case in all_cases()}
    questions: list[Question] = []
    wanted_cases = [name for name in sets if name not in ("own", "new")]
    if "new" in sets:
        wanted_cases += [name for name in NEW_CASES if name not in wanted_cases]
    if "own" in sets:
        own = json.loads((ROOT / "scripts" / "data" / "ask_questions.json").read_text())
        for name, items in own.items():
            if name == "about":
                continue
            case = by_name[name]
            lines = (case.path / "transcript.txt").read_text().splitlines()
            points = {p["id"]: p for p in json.loads((case.path / "keypoints.json").read_text())["points"]}
            for item in items:
                questions.append(Question("own", name, case.show, item["q"], item["paraphrased"],
                                          answer_windows(lines, points[item["point"]]["all"])))
    for name in wanted_cases:
        case = by_name[name]
        for item in json.loads((case.path / "questions.json").read_text())["questions"]:
            questions.append(Question(name, name, case.show, item["q"], item["paraphrased"], [tuple(item["lines"])]))
    used = {q.case: by_name[q.case] for q in questions}
    return questions, used


def cue_times(case) -> list[tuple[float, float]]:
    """Each transcript.txt line's (start, end) seconds: its .srt cue (one cue per line, same order)."""
    from ytlocal.transcript import read_transcript

    segments = read_transcript(case.path / "transcript.srt").segments
    count = len((case.path / "transcript.txt").read_text().splitlines())
    if len(segments) != count:
        raise SystemExit(f"{case.name}: {len(segments)} cues for {count} lines; cannot map passages to lines")
    return [(s.start, s.end) for s in segments]


class CachedEmbedder:
    """The embedding model with every vector it made kept on disk (keyed by the model's file hash and
    the text), so that experiments re-embed only texts they have not seen. Loads the model at the
    first text not in the cache."""

    def __init__(self, resolved, folder: Path):
        import sqlite3

        self.model = resolved
        self.name = resolved.name
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / "embeddings.sqlite", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._real = None
        row = self._db.execute("SELECT vector FROM vectors LIMIT 1").fetchone()
        self.dimensions = len(row[0]) // 4 if row else self.real().dimensions

    def real(self):
        if self._real is None:
            from ytlocal.runtime.models import Models

            self._owner = Models()
            self._real = self._owner.embedder(self.model)
        return self._real

    def embed(self, texts):
        import hashlib

        import numpy as np

        keys = [hashlib.sha256(f"{self.model.sha256}\0{t}".encode()).hexdigest() for t in texts]
        found = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            found.update(self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN "
                                          f"({', '.join('?' * len(chunk))})", chunk).fetchall())
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            made = self.real().embed([texts[i] for i in missing])
            rows = [(keys[i], np.asarray(v, np.float32).tobytes()) for i, v in zip(missing, made)]
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            self._db.commit()
            found.update(rows)
        out = np.zeros((len(texts), self.dimensions), np.float32)
        for i, key in enumerate(keys):
            out[i] = np.frombuffer(found[key], np.float32)
        return out

    def close(self):
        self._db.close()


@dataclass
class Method:
    """A way to search: its family (bm25, vectors, fusion, ...) and a function of (library, query,
    limit) to (passage id, score) pairs, best first."""

    name: str
    family: str
    run: object
    default: bool = False


def methods(with_vectors: bool) -> list[Method]:
    """bm25, vectors, and fusions of the two over a grid of settings (what tuning picks from)."""
    from ytlocal.library import FUSION, Blend, Fusion

    found = [Method("bm25", "bm25", lambda lib, q, n: lib.ranked(q, limit=n, method="bm25"))]
    if not with_vectors:
        found[0].default = True
        return found
    found.append(Method("vectors", "vectors", lambda lib, q, n: lib.ranked(q, limit=n, method="vectors")))
    grid = [Fusion(1.0, weight, k) for k in (1.0, 2.0, 5.0, 10.0, 20.0, 60.0) for weight in (0.5, 1.0, 1.5, 2.0)]
    blends = [Blend(context, words) for context in (0.0, 0.25, 0.5) for words in (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)]
    if FUSION not in grid + blends:
        grid.append(FUSION)
    for fusion in grid + blends:
        family = "blend" if isinstance(fusion, Blend) else "fusion"
        found.append(Method(label(fusion), family, lambda lib, q, n, f=fusion: lib.ranked(q, limit=n, fusion=f),
                            default=fusion == FUSION))
    return found


def label(fusion) -> str:
    from ytlocal.library import Blend

    if isinstance(fusion, Blend):
        return f"blend: cosine with neighbours {fusion.context:g} + rare words {fusion.words:g}"
    return f"fusion bm25 {fusion.bm25:g} : vectors {fusion.vectors:g}, k {fusion.k:g}"


def rss_mb() -> tuple[float, float]:
    """(anonymous, file-backed) resident MB: the index file's pages a search touched are the latter
    (the page cache's, given back under memory pressure)."""
    found = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("RssAnon:", "RssFile:")):
                found[line.split(":")[0]] = int(line.split()[1]) / 1e3
    return found.get("RssAnon", 0.0), found.get("RssFile", 0.0)


def load_embedder(cache: Path | None = None):
    from ytlocal.config import load_settings, resolve_models_dir
    from ytlocal.errors import ModelError
    from ytlocal.registry import ModelStore
    from ytlocal.runtime.models import Models

    settings = load_settings()
    try:
        model = ModelStore(resolve_models_dir(settings)[0]).resolve(settings.embedding_model, "embedding")
    except ModelError as error:
        print(f"no embedding model ({error}): bm25 only", file=sys.stderr)
        return None
    return CachedEmbedder(model, cache) if cache is not None else Models().embedder(model)


def build_library(folder: Path, cases: dict, embedder) -> tuple[object, dict[str, str]]:
    """One library holding every case's transcript (.srt), added as a user adds one (Library.add)."""
    from ytlocal.library import Library
    from ytlocal.records import Result
    from ytlocal.summarization.ads import ad_reads
    from ytlocal.transcript import read_transcript

    library = Library(folder, embedder=embedder, find_ads=ad_reads)
    ids = {}
    for name, case in cases.items():
        started = time.perf_counter()
        path = case.path / "transcript.srt"
        ids[name] = library.add(Result(str(path), transcript=read_transcript(path)))
        print(f"{name}: indexed in {(time.perf_counter() - started) * 1000:.0f} ms "
              f"({'with' if embedder else 'without'} vectors)", file=sys.stderr)
    return library, ids


def right_passages(library, video_id: str, spans: list[tuple[float, float]]) -> set[int]:
    """The video's passages whose time overlaps an answer span."""
    rows = library.database.execute("SELECT id, start, end FROM passages WHERE video_id = ?", (video_id,)).fetchall()
    return {row["id"] for row in rows if row["start"] is not None
            and any(row["start"] < b and row["end"] > a for a, b in spans)}


def evaluate(library, ids: dict[str, str], cases: dict, questions: list[Question], chosen: list[Method],
             depth: int = 5) -> list[dict]:
    """For each question: its right passages and each method's top ``depth`` (passage ids) and time."""
    times = {name: cue_times(case) for name, case in cases.items()}
    rows = []
    for question in questions:
        cues = times[question.case]
        question.spans = [(cues[a - 1][0], cues[b - 1][1]) for a, b in question.lines]
        row = {"question": question, "right": right_passages(library, ids[question.case], question.spans),
               "hits": {}, "ms": {}}
        for method in chosen:
            started = time.perf_counter()
            found = method.run(library, question.q, depth)
            row["ms"][method.name] = (time.perf_counter() - started) * 1000
            row["hits"][method.name] = [passage_id for passage_id, _score in found]
        rows.append(row)
    return rows


def recall(rows: list[dict], method: str, depth: int, paraphrased: bool | None = None) -> float | None:
    chosen = [r for r in rows if paraphrased is None or r["question"].paraphrased == paraphrased]
    if not chosen:
        return None
    return sum(any(h in r["right"] for h in r["hits"][method][:depth]) for r in chosen) / len(chosen)


def score(rows: list[dict], method: str) -> tuple:
    """What tuning maximizes: paraphrased recall@5, then paraphrased recall@1, then same-words recall@5."""
    return tuple(recall(rows, method, d, p) or 0.0 for d, p in ((5, True), (1, True), (5, False), (1, False)))


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def recall_table(rows: list[dict], chosen: list[Method], tuned: dict[str, str] | None = None) -> None:
    """Recall@1/@5 of each method, paraphrased and same-words questions (``tuned``: method -> the set its
    setting was chosen on)."""
    print("| method | tuned on | paraphrased r@1 | paraphrased r@5 | same words r@1 | same words r@5 |")
    print("|---|---|---|---|---|---|")
    for method in chosen:
        where = (tuned or {}).get(method.name, "grid" if method.family in ("fusion", "blend") and not method.default else "-")
        name = method.name + (" (default)" if method.default else "")
        print(f"| {name} | {where} | {cell(recall(rows, method.name, 1, True))} | {cell(recall(rows, method.name, 5, True))} "
              f"| {cell(recall(rows, method.name, 1, False))} | {cell(recall(rows, method.name, 5, False))} |")
    paraphrased = sum(r["question"].paraphrased for r in rows)
    print(f"\n(n = {len(rows)} questions: {paraphrased} paraphrased, {len(rows) - paraphrased} same words)")


def pick(rows: list[dict], chosen: list[Method]) -> Method:
    """The method that tuning on ``rows`` picks (ties: the first in the list, the simpler)."""
    return max(chosen, key=lambda m: score(rows, m.name))


def held_out(rows: list[dict], chosen: list[Method], groups: dict[str, list[dict]]) -> None:
    """For each group: the setting of each family picked on the other groups, reported on this one;
    then each family's held-out figures pooled over every group (which family wins held out)."""
    families = list(dict.fromkeys(m.family for m in chosen))
    print("| judged on | tuned on | family | setting picked | paraphrased r@1 | paraphrased r@5 | same words r@1 "
          "| same words r@5 |")
    print("|---|---|---|---|---|---|---|---|")
    pooled: dict[str, list[dict]] = {}
    for judged, judged_rows in groups.items():
        tuning = [r for name, g in groups.items() if name != judged for r in g]
        tuned_on = " + ".join(name for name in groups if name != judged)
        for family in families + ["any"]:
            candidates = [m for m in chosen if family in ("any", m.family)]
            best = pick(tuning, candidates)
            pooled.setdefault(family, []).extend(dict(r, hits={"held out": r["hits"][best.name]}) for r in judged_rows)
            print(f"| {judged} | {tuned_on} | {family} | {best.name} | "
                  + " | ".join(cell(recall(judged_rows, best.name, d, p)) for p, d in ((True, 1), (True, 5),
                                                                                     (False, 1), (False, 5))) + " |")
    print(f"\nEach group judged by the settings picked on the others, pooled ({len(rows)} questions):\n")
    print("| family | paraphrased r@1 | paraphrased r@5 | same words r@1 | same words r@5 |")
    print("|---|---|---|---|---|")
    for family, judged_rows in pooled.items():
        print(f"| {family} | " + " | ".join(cell(recall(judged_rows, "held out", d, p)) for p, d in (
            (True, 1), (True, 5), (False, 1), (False, 5))) + " |")


def synthetic_vectors(sample, count: int, rng):
    import numpy as np

    a = sample[rng.integers(len(sample), size=count)]
    b = sample[rng.integers(len(sample), size=count)]
    noise = rng.standard_normal((count, sample.shape[1])).astype(np.float32)
    noise *= 0.5 / np.linalg.norm(noise, axis=1, keepdims=True)
    vectors = 0.8 * a + 0.4 * b + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def synthetic_segments(vocabulary: list[str], rng: random.Random):
    from ytlocal.records import Segment

    segments = []
    for i in range(720):  # one hour of 5-second segments, ~12 words each
        start = rng.randrange(len(vocabulary) - 12)
        segments.append(Segment(i * 5.0, i * 5.0 + 5, " ".join(vocabulary[start:start + 12]) + "."))
    return segments


def scale_test(videos: int, folder: Path, embedder, questions: list[str], sample_size: int, stores: int,
               stores_others: int) -> None:
    import numpy as np

    from ytlocal.library import Library, passages
    from ytlocal.library.vectors import model_key
    from ytlocal.records import Media, Result, Transcript
    from ytlocal.summarization.ads import ad_reads

    vocabulary = (EVAL / "lex061-melanie-mitchell" / "transcript.txt").read_text().split()
    rng = random.Random(0)
    started = time.perf_counter()
    with Library(folder / "scale", find_ads=ad_reads) as library:
        for number in range(videos):
            media = Media(key=f"synthetic-{number}", source=f"synthetic {number}", audio_path=None,
                          title=f"Synthetic {number}", extractor="synthetic", video_id=str(number), duration=3600.0,
                          webpage_url=f"https://example.invalid/{number}")
            library.add(Result(media.source, media=media, transcript=Transcript(synthetic_segments(vocabulary, rng),
                                                                                language="en")))
        indexed = time.perf_counter() - started
        count = library.database.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    words_mb = sum(p.stat().st_size for p in (folder / "scale").glob("library.sqlite*")) / 1e6
    print(f"\nSynthetic library: {videos} one-hour transcripts, {count} passages, {words_mb:.0f} MB without vectors; "
          f"indexing {indexed / videos * 1000:.0f} ms per transcript")
    if embedder is None:
        return
    sample_rng = random.Random(1)
    texts = [passages(synthetic_segments(vocabulary, sample_rng)[:5])[0][2] for _ in range(sample_size)]
    started = time.perf_counter()
    sample = embedder.embed(texts)
    print(f"{sample_size} sample passages embedded with the model in {time.perf_counter() - started:.0f} s "
          f"({sample_size / (time.perf_counter() - started):.1f} passages/s)")
    key = model_key(embedder)
    vector_rng = np.random.default_rng(0)
    started = time.perf_counter()
    with Library(folder / "scale") as library:
        ids = [row[0] for row in library.database.execute("SELECT id FROM passages ORDER BY id")]
        for start in range(0, len(ids), 50_000):
            chunk = ids[start:start + 50_000]
            with library.database.transaction() as connection:
                library.vectors.claim(connection, key)
                library.vectors.write(connection, chunk, synthetic_vectors(sample, len(chunk), vector_rng))
        stored = time.perf_counter() - started
        started = time.perf_counter()
        library.vectors.build(key)
        built = time.perf_counter() - started
    sqlite_mb = sum(p.stat().st_size for p in (folder / "scale").glob("library.sqlite*")) / 1e6
    index_mb = (folder / "scale" / "library.vectors").stat().st_size / 1e6
    print(f"vectors: stored in SQLite in {stored:.0f} s (+{sqlite_mb - words_mb:.0f} MB: {sqlite_mb:.0f} MB in all), "
          f"index file built in {built:.0f} s ({index_mb:.0f} MB)")

    before = rss_mb()
    with Library(folder / "scale", embedder=embedder) as library:
        library.search("warm up", limit=10)
        rows = []
        from ytlocal.library import FUSION, RANK_FUSION

        for method, fusion in (("bm25", None), ("vectors", None), (f"hybrid, {label(RANK_FUSION)}", RANK_FUSION),
                               (f"hybrid, {label(FUSION)} (default)", FUSION)):
            times, embeds = [], []
            for question in questions:
                started = time.perf_counter()
                library.ranked(question, limit=10, method=method.split(",")[0], fusion=fusion)
                total = (time.perf_counter() - started) * 1000
                embed = library.timings.get("embed_ms", 0.0)
                times.append(total - embed)
                embeds.append(embed)
            rows.append((method, times, embeds))
        after = rss_mb()
        # The index against an exact scan of the same vectors (float16 from SQLite).
        exact_hits = index_hits = 0
        queries = embedder.embed(questions)
        blobs = library.database.execute("SELECT passage_id, vector FROM passage_vectors ORDER BY seq").fetchall()
        from ytlocal.library.vectors import from_blobs

        all_ids = np.array([r[0] for r in blobs], np.int64)
        matrix = from_blobs((r[1] for r in blobs), queries.shape[1])
        del blobs
        for query in queries:
            scores = matrix @ query
            exact = set(all_ids[np.argpartition(-scores, 10)[:10]].tolist())
            found = {passage_id for passage_id, _ in library.vectors.nearest(query, key, 10)}
            exact_hits += len(exact & found)
            index_hits += 10
    print(f"\nSearch in {count} passages ({len(questions)} questions, in process, ms without the query's embedding; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs):\n")
    print("| method | median ms | slowest of 20 ms | query embedding median ms |")
    print("|---|---|---|---|")
    for method, times, embeds in rows:
        embedding = f"{statistics.median(embeds):.1f}" if method != "bm25" else "-"
        print(f"| {method} | {statistics.median(times):.1f} | {max(times):.1f} | {embedding} |")
    print(f"\nmemory after loading the index and the {3 * len(questions)} searches: +{after[0] - before[0]:.0f} MB "
          f"anonymous, +{after[1] - before[1]:.0f} MB of mapped file pages; vector index recall@10 against an exact "
          f"scan: {exact_hits / index_hits:.3f}")
    if stores:
        compare_stores(matrix[:stores], queries, others=False)
    if stores_others:
        compare_stores(matrix[:stores_others], queries, others=True)


def compare_stores(matrix, queries, others: bool) -> None:
    """Each candidate store on the same vectors: median and slowest query, recall@10 against an exact
    float32 scan, build time, size."""
    import numpy as np

    from ytlocal import vectors as ivf

    count, dimensions = matrix.shape
    exact = []
    for query in queries:
        top = np.argpartition(-(matrix @ query), 10)[:10]
        exact.append(set(top.tolist()))
    print(f"\nVector stores on {count} vectors ({len(queries)} queries; recall@10 against an exact float32 scan):\n")
    print("| store | median ms | slowest ms | recall@10 | build s | size MB |")
    print("|---|---|---|---|---|---|")

    def measure(name, search, build_s, size_mb):
        search(queries[0])
        times, recall = [], []
        for query, right in zip(queries, exact):
            started = time.perf_counter()
            found = search(query)
            times.append((time.perf_counter() - started) * 1000)
            recall.append(len(set(int(i) for i in list(found)[:10]) & right) / 10)
        print(f"| {name} | {statistics.median(times):.1f} | {max(times):.1f} | {statistics.mean(recall):.3f} | "
              f"{build_s:.0f} | {size_mb:.0f} |", flush=True)

    def top(scores, k=10):
        part = np.argpartition(-scores, k)[:k]
        return part[np.argsort(-scores[part])]

    measure("numpy float32 scan (in memory)", lambda q: top(matrix @ q), 0, matrix.nbytes / 1e6)
    codes, scales = ivf.quantize(matrix)

    def int8_scan(q, chunk=200_000):
        scores = np.empty(count, np.float32)
        for start in range(0, count, chunk):
            scores[start:start + chunk] = (codes[start:start + chunk].astype(np.float32) @ q) * scales[start:start + chunk]
        return top(scores)

    measure("numpy int8 scan", int8_scan, 0, (codes.nbytes + scales.nbytes) / 1e6)
    bits = np.packbits(matrix > 0, axis=1).view(np.uint8)

    def binary(q, rerank=min(1000, count - 1)):
        distance = np.bitwise_count(bits ^ np.packbits(q > 0)).sum(axis=1, dtype=np.uint16)
        candidates = np.argpartition(distance, rerank)[:rerank]
        return candidates[top((codes[candidates].astype(np.float32) @ q) * scales[candidates])]

    measure("numpy 1-bit scan + int8 rerank of 1000", binary, 0, (bits.nbytes + codes.nbytes) / 1e6)
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "test.vectors"
        started = time.perf_counter()
        lists = ivf.lists_for(count)
        sample = np.random.default_rng(0).choice(count, min(count, ivf.TRAIN_PER_LIST * lists), replace=False)
        centroids = ivf.train_centroids(matrix[sample], lists) if lists > 1 else np.zeros((1, dimensions), np.float32)
        ivf.write_index(path, model="bench", dimensions=dimensions, through=count, trained=count, centroids=centroids,
                        assignment=ivf.assign(matrix, centroids), seqs=np.arange(count), codes=codes, scales=scales)
        built = time.perf_counter() - started
        index = ivf.IndexFile(path)
        measure(f"ytlocal IVF file, {lists} lists, {ivf.SCAN_BUDGET} vectors read (memory-mapped)",
                lambda q: index.search(q, 10)[0], built, path.stat().st_size / 1e6)
        if not others:
            return
        try:
            from usearch.index import Index
        except ImportError:
            print("| usearch | not installed | | | | |")
        else:
            for dtype in ("i8", "f16"):
                graph = Index(ndim=dimensions, metric="cos", dtype=dtype, connectivity=16, expansion_add=128,
                              expansion_search=128)
                started = time.perf_counter()
                graph.add(np.arange(count, dtype=np.uint64), matrix, threads=os.cpu_count() or 1)
                built = time.perf_counter() - started
                graph.save(str(Path(work) / f"u-{dtype}"))
                view = Index.restore(str(Path(work) / f"u-{dtype}"), view=True)
                view.expansion_search = 128
                measure(f"usearch HNSW {dtype}, ef 128 (memory-mapped)", lambda q, view=view: view.search(q, 10).keys, built,
                        (Path(work) / f"u-{dtype}").stat().st_size / 1e6)
                del graph, view
        try:
            import apsw
            import sqlite_vec
        except ImportError:
            print("| sqlite-vec (apsw) | not installed | | | | |")
        else:
            connection = apsw.Connection(str(Path(work) / "vec.sqlite"))
            connection.enable_load_extension(True)
            connection.load_extension(sqlite_vec.loadable_path())
            for kind, wrap in (("float", "?"), ("int8", "vec_int8(?)"), ("bit", "vec_quantize_binary(?)")):
                connection.execute(f"CREATE VIRTUAL TABLE v_{kind} USING vec0(embedding {kind}[{dimensions}])")
                started = time.perf_counter()

                def value(vector, kind=kind):
                    if kind == "int8":
                        return np.clip(np.round(vector * 127 / 0.3), -127, 127).astype(np.int8).tobytes()
                    return np.asarray(vector, np.float32).tobytes()

                with connection:
                    connection.executemany(f"INSERT INTO v_{kind}(rowid, embedding) VALUES (?, {wrap})",
                                           ((i + 1, value(v)) for i, v in enumerate(matrix)))
                built = time.perf_counter() - started
                measure(f"sqlite-vec vec0 {kind}[{dimensions}] scan (apsw)", lambda q, kind=kind, wrap=wrap: [
                    row[0] - 1 for row in connection.execute(
                        f"SELECT rowid FROM v_{kind} WHERE embedding MATCH {wrap} AND k = 10", (value(q, kind),))],
                    built, 0)
            connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="own,new",
                        help="question sets: own (scripts/data/ask_questions.json), new (the four cases of "
                             "../shared/data/ads with questions.json), or case names; comma-separated")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep every vector the model makes in this folder (e.g. /tmp/search-cache): "
                             "a rerun embeds only new texts")
    parser.add_argument("--ask", type=int, default=15, help="questions to also answer with the LLM (0: none)")
    parser.add_argument("--llm", default="smollm2-135m-instruct")
    parser.add_argument("--scale", type=int, default=0, help="also time search in N synthetic one-hour transcripts")
    parser.add_argument("--sample", type=int, default=256, help="--scale: passages embedded for real")
    parser.add_argument("--stores", type=int, default=0, help="--scale: compare numpy stores on this many vectors")
    parser.add_argument("--stores-others", type=int, default=0,
                        help="--scale: also usearch and sqlite-vec (when importable) on this many vectors")
    parser.add_argument("--no-vectors", action="store_true", help="bm25 only (as without the embedding model)")
    parser.add_argument("--misses", action="store_true", help="list the questions the default misses (stderr)")
    args = parser.parse_args()

    from ytlocal.answer import ASK_PROMPT_VERSION, PASSAGES_SHOWN, answer_question
    from ytlocal.config import load_settings, resolve_models_dir
    from ytlocal.registry import ModelStore

    questions, cases = load_questions([name.strip() for name in args.sets.split(",") if name.strip()])
    embedder = None if args.no_vectors else load_embedder(args.cache)
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        library, ids = build_library(folder / "library", cases, embedder)
        chosen = methods(embedder is not None)
        asks = Method(ASKS, "ask", lambda lib, q, n: lib.ranked(q, limit=n, include_skipped=False))
        rows = evaluate(library, ids, cases, questions, chosen + [asks])
        marked = library._query("SELECT COUNT(*) AS n, SUM(skipped) AS ads FROM passages")[0]
        print(f"\nOne library of {len(cases)} transcripts (.srt, added with Library.add): {marked['n']} passages, "
              f"{marked['ads'] or 0} inside ad reads found at indexing. A hit: a passage of the top 5 (top 1) "
              f"whose time overlaps the lines that answer the question.")
        unlocated = [r for r in rows if not r["right"]]
        if unlocated:
            print(f"{len(unlocated)} questions have no passage overlapping their answer: "
                  + "; ".join(repr(r["question"].q) for r in unlocated), file=sys.stderr)
        sets = list(dict.fromkeys(q.set for q in questions))
        groups = {"own": [r for r in rows if r["question"].set == "own"],
                  "new": [r for r in rows if r["question"].set != "own"]}
        groups = {name: group for name, group in groups.items() if group}
        default = next(m for m in chosen if m.default)
        for name in sets + (["new"] if len([s for s in sets if s != "own"]) > 1 else []):
            subset = groups["new"] if name == "new" else [r for r in rows if r["question"].set == name]
            title = {"own": "the project's own questions (scripts/data/ask_questions.json, 4 development cases)",
                     "new": "the four new cases together"}.get(name, name)
            print(f"\n### {title}\n")
            recall_table(subset, chosen + [asks])
        if len(groups) == 2 and len(chosen) > 1:
            print("\n### Held out: settings picked on one group of questions, judged on the other\n")
            print("(picked by paraphrased recall@5, then paraphrased recall@1, then same-words recall@5)\n")
            held_out(rows, chosen, groups)
        new_shows: dict[str, list[dict]] = {}
        for row in groups.get("new", []):
            new_shows.setdefault(row["question"].show, []).append(row)
        if len(new_shows) > 1 and len(chosen) > 1:
            print("\n### Leave one show out within the new cases (tuned on the other new shows)\n")
            held_out(groups["new"], chosen, new_shows)
        for method in [m for m in chosen if m.family in ("bm25", "vectors")] + [default]:
            times = [r["ms"][method.name] for r in rows]
            print(f"search latency, {method.name}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
                  f"(in process, the query's embedding included)")
        if args.misses:
            for row in rows:
                if not any(h in row["right"] for h in row["hits"][default.name]):
                    q = row["question"]
                    print(f"missed by {default.name}: [{q.set}{'' if q.paraphrased else ', same words'}] {q.q!r}",
                          file=sys.stderr)

        if args.ask:
            from ytlocal.runtime.llm import CallCache, LlmSession
            from ytlocal.runtime.models import Models

            store = ModelStore(resolve_models_dir(load_settings())[0])
            backend = Models().chat(store.resolve(args.llm, "llm"))
            session = LlmSession(backend, CallCache(None), ASK_PROMPT_VERSION)
            picked = rows[::max(1, len(rows) // args.ask)][:args.ask]
            grounded, timings, right_cited = 0, [], 0
            for row in picked:
                started = time.perf_counter()
                hits = library.search(row["question"].q, limit=PASSAGES_SHOWN, include_skipped=False)
                answer = answer_question(row["question"].q, hits, session)
                timings.append(time.perf_counter() - started)
                if answer.grounded:
                    grounded += 1
                    cited = {answer.passages[n - 1].passage_id for _s, numbers in answer.sentences for n in numbers}
                    right_cited += bool(cited & row["right"])
                    print(f"  {row['question'].q!r} -> {answer.text()[:160]!r}", file=sys.stderr)
            print(f"\nask ({args.llm}, {len(picked)} questions): {grounded} grounded answers "
                  f"({grounded / len(picked):.0%}), {right_cited} of them citing a right passage; the rest "
                  f"refused with the passages shown; latency median {statistics.median(timings):.1f} s, "
                  f"max {max(timings):.1f} s")
        library.close()
        if args.scale:
            asked = [q.q for q in questions if q.set == "own"][::4][:20] or [q.q for q in questions][:20]
            scale_test(args.scale, folder, embedder, asked, args.sample, args.stores, args.stores_others)
    return 0


if __name__ == "__main__":
    sys.exit(main())
