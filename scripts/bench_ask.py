#!/usr/bin/env python3
"""Benchmark: retrieval for `ytlocal search` / `ytlocal ask` on the development cases, and `ask`'s answers.

    .venv/bin/python scripts/bench_ask.py [--ask 15] [--scale 0] [--stores 0]

Indexes the development transcripts (`.srt`) of ../shared/data/eval/ named in
scripts/data/ask_questions.json into one fresh library, with sentence vectors (all-MiniLM-L6-v2, the
`minilm-l6-v2` test model) when it is installed, and asks its hand-written questions (20 per case,
most of them paraphrased: they share few words with the transcript). Each question names a key
point of its case; the right passages are those where, together with their neighbours, every regex
group of that key point matches (the span of the transcript that holds the answer). Prints recall@1
and recall@5 of a right passage (all questions, paraphrased, same words) for bm25 alone, vectors
alone and fusions of the two (their weights), search latency, and for --ask N questions (spread over
the cases) the share of grounded answers from the default LLM and ask's latency.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT.parent / "shared" / "data" / "eval"
NONSENSE = ("zyzzyva quokka", "purple giraffe saxophone", "how do I bake sourdough bread", "qwerty asdf")


def right_passages(library, video_id: str, groups: list[list[str]]) -> set[int]:
    rows = library.database.execute("SELECT id, text FROM passages WHERE video_id = ? ORDER BY id",
                                    (video_id,)).fetchall()
    right = set()
    for index, row in enumerate(rows):
        window = " ".join(r["text"] for r in rows[max(0, index - 1): index + 2])
        if all(any(re.search(alternative, window, re.I) for alternative in group) for group in groups):
            right.add(row["id"])
    return right


ASKS = "what `ask` reads (the default, ad passages left out)"


def fusions():
    from ytlocal.library import FUSION
    from ytlocal.vectors import Fusion

    chosen = [Fusion(1.0, 1.0, 60.0), Fusion(1.0, 2.0, 60.0), Fusion(1.0, 1.0, 10.0), Fusion(1.0, 1.5, 10.0),
              Fusion(1.0, 1.0, 5.0), Fusion(1.0, 1.0, 2.0), Fusion(1.0, 1.0, 1.0)]
    return chosen if FUSION in chosen else [*chosen, FUSION]


def label(fusion) -> str:
    from ytlocal.library import FUSION

    return (f"fusion bm25 {fusion.bm25:g} : vectors {fusion.vectors:g}, k {fusion.k:g}"
            + (" (default)" if fusion == FUSION else ""))


def rss_mb() -> tuple[float, float]:
    """(anonymous, file-backed) resident MB: the index file's pages a search touched are the latter
    (the page cache's, given back under memory pressure)."""
    found = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("RssAnon:", "RssFile:")):
                found[line.split(":")[0]] = int(line.split()[1]) / 1e3
    return found.get("RssAnon", 0.0), found.get("RssFile", 0.0)


def load_embedder():
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
    return Models().embedder(model)


def recall_table(rows: list[dict], methods: list[str]) -> None:
    print("| method | all r@1 | all r@5 | paraphrased r@1 | paraphrased r@5 | same words r@1 | same words r@5 |")
    print("|---|---|---|---|---|---|---|")
    groups = (rows, [r for r in rows if r["paraphrased"]], [r for r in rows if not r["paraphrased"]])
    for method in methods:
        cells = []
        for subset in groups:
            for depth in (1, 5):
                found = sum(any(h in r["right"] for h in r["hits"][method][:depth]) for r in subset)
                cells.append(f"{found / len(subset):.2f}" if subset else "-")
        print(f"| {method} | " + " | ".join(cells) + " |")
    print(f"\n(n = {len(groups[0])} questions: {len(groups[1])} paraphrased, {len(groups[2])} same words)")


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
    from ytlocal.records import Media, Result, Transcript
    from ytlocal.vectors import model_key

    vocabulary = (EVAL / "lex061-melanie-mitchell" / "transcript.txt").read_text().split()
    rng = random.Random(0)
    started = time.perf_counter()
    with Library(folder / "scale") as library:
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
        for method in ("bm25", "vectors", "hybrid"):
            times, embeds = [], []
            for question in questions:
                started = time.perf_counter()
                library.ranked(question, limit=10, method=method)
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
        from ytlocal.vectors import from_blobs

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
    parser.add_argument("--ask", type=int, default=15, help="questions to also answer with the LLM (0: none)")
    parser.add_argument("--llm", default="smollm2-135m-instruct")
    parser.add_argument("--scale", type=int, default=0, help="also time search in N synthetic one-hour transcripts")
    parser.add_argument("--sample", type=int, default=256, help="--scale: passages embedded for real")
    parser.add_argument("--stores", type=int, default=0, help="--scale: compare numpy stores on this many vectors")
    parser.add_argument("--stores-others", type=int, default=0,
                        help="--scale: also usearch and sqlite-vec (when importable) on this many vectors")
    parser.add_argument("--no-vectors", action="store_true", help="bm25 only (as without the embedding model)")
    args = parser.parse_args()

    from ytlocal.answer import ASK_PROMPT_VERSION, PASSAGES_SHOWN, answer_question
    from ytlocal.config import load_settings, resolve_models_dir
    from ytlocal.library import Library
    from ytlocal.records import Result
    from ytlocal.registry import ModelStore
    from ytlocal.transcript import read_transcript
    from ytlocal.vectors import model_key

    questions = json.loads((ROOT / "scripts" / "data" / "ask_questions.json").read_text())
    embedder = None if args.no_vectors else load_embedder()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        library = Library(folder / "library", embedder=embedder)
        ids, points = {}, {}
        for case in (name for name in questions if name != "about"):
            started = time.perf_counter()
            path = EVAL / case / "transcript.srt"
            ids[case] = library.add(Result(str(path), transcript=read_transcript(path)))
            print(f"{case}: indexed in {(time.perf_counter() - started) * 1000:.0f} ms "
                  f"({'with' if embedder else 'without'} vectors)", file=sys.stderr)
            points[case] = {p["id"]: p for p in json.loads((EVAL / case / "keypoints.json").read_text())["points"]}
        methods = ["bm25"] + (["vectors"] + [label(f) for f in fusions()] if embedder else [])
        methods.append(ASKS)  # the passages `ask` reads: the default search without ad passages
        marked = library._query("SELECT COUNT(*) AS n, SUM(skipped) AS ads FROM passages")[0]
        print(f"passages: {marked['n']}, {marked['ads'] or 0} inside ad reads found at indexing", file=sys.stderr)
        rows = []
        for case, items in ((c, q) for c, q in questions.items() if c != "about"):
            for item in items:
                right = right_passages(library, ids[case], points[case][item["point"]]["all"])
                row = {"case": case, "q": item["q"], "paraphrased": item["paraphrased"], "right": right, "hits": {},
                       "ms": {}, "cosine": None}
                for method in methods:
                    fusion = next((f for f in fusions() if label(f) == method), None)
                    started = time.perf_counter()
                    if method == ASKS:
                        found = library.ranked(item["q"], limit=5, include_skipped=False)
                    else:
                        found = library.ranked(item["q"], limit=5, method="hybrid" if fusion else method,
                                               fusion=fusion)
                    row["ms"][method] = (time.perf_counter() - started) * 1000
                    row["hits"][method] = [passage_id for passage_id, _score in found]
                    if method == "vectors":  # before the floor (MIN_COSINE) that ranked() applies
                        query = embedder.embed([item["q"]])[0]
                        row["cosine"] = max((s for i, s in library.vectors.nearest(query, model_key(embedder), 100)
                                             if i in right), default=None)
                rows.append(row)
        located = [r for r in rows if r["right"]]
        print(f"\nRetrieval on {len(rows)} questions ({len(located)} whose answer span the key point's patterns "
              f"locate), one library of the {len(ids)} development transcripts\n")
        recall_table(located, methods)
        from ytlocal.library import FUSION

        for method in methods[:2] + ([label(FUSION)] if embedder else []):
            print(f"search latency, {method}: median {statistics.median(r['ms'][method] for r in rows):.1f} ms, "
                  f"max {max(r['ms'][method] for r in rows):.1f} ms (in process, the query's embedding included)")
        if embedder:
            cosines = sorted(r["cosine"] for r in located if r["cosine"] is not None)
            nonsense = [max((s for _i, s in library.vectors.nearest(embedder.embed([q])[0], model_key(embedder), 1)),
                            default=0.0) for q in NONSENSE]
            from ytlocal.library import MIN_COSINE

            print(f"\ncosine of the best right passage (search drops passages below {MIN_COSINE} that bm25 did not "
                  f"find): min {cosines[0]:.2f}, 10th percentile "
                  f"{cosines[len(cosines) // 10]:.2f}, median {statistics.median(cosines):.2f}; best cosine for "
                  f"unrelated queries: " + ", ".join(f"{q!r} {s:.2f}" for q, s in zip(NONSENSE, nonsense)))
        final = label(FUSION) if embedder else "bm25"
        missed = [r for r in located if not any(h in r["right"] for h in r["hits"][final])]
        if missed:
            print(f"not in the top 5 ({final}): " + "; ".join(f"{r['q']!r}" for r in missed), file=sys.stderr)

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
                hits = library.search(row["q"], limit=PASSAGES_SHOWN, include_skipped=False)
                answer = answer_question(row["q"], hits, session)
                timings.append(time.perf_counter() - started)
                if answer.grounded:
                    grounded += 1
                    cited = {answer.passages[n - 1].passage_id for _s, numbers in answer.sentences for n in numbers}
                    right_cited += bool(cited & row["right"])
                    print(f"  {row['q']!r} -> {answer.text()[:160]!r}", file=sys.stderr)
            print(f"\nask ({args.llm}, {len(chosen)} questions): {grounded} grounded answers "
                  f"({grounded / len(chosen):.0%}), {right_cited} of them citing a right passage; the rest "
                  f"refused with the passages shown; latency median {statistics.median(timings):.1f} s, "
                  f"max {max(timings):.1f} s")
        library.close()
        if args.scale:
            asked = [item["q"] for case, items in questions.items() if case != "about" for item in items][::4][:20]
            scale_test(args.scale, folder, embedder, asked, args.sample, args.stores, args.stores_others)
    return 0


if __name__ == "__main__":
    sys.exit(main())
