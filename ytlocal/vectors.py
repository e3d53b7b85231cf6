"""The passages' sentence vectors beside the library: how they are stored, searched and fused with bm25.

**SQLite is the one source of truth.** Each passage's vector (all-MiniLM-L6-v2: 384 numbers, unit
length) is a float16 BLOB in the library's ``passage_vectors`` table, written in the same transaction
as the passage, under a ``seq`` that SQLite never hands out twice (AUTOINCREMENT). The model that made
them is recorded once per library; vectors of another model are never compared with a query.

**The index file is derived.** ``library.vectors`` beside ``library.sqlite`` holds a snapshot of every
vector up to some ``seq``: int8 with one scale per row (388 bytes a passage), grouped into lists around
k-means centroids (an inverted file, IVF). A query scores the centroids, then scans the nearest lists
until about :data:`SCAN_BUDGET` vectors are read, and then, exactly, the vectors added since the
snapshot (``seq`` above it, read from SQLite and kept in memory). A hit whose ``seq`` is no longer in
SQLite (its video was removed or added again) is dropped, so a stale file is never wrong, only slower;
it is merged or rebuilt from SQLite when it is missing, of another model, or too far behind. Below
:data:`EXACT_BELOW` vectors there is one list: an exact scan.

Why this store (``scripts/bench_ask.py --scale 10000 --stores 1440000 --stores-others 200000``,
synthetic vectors, 2 shared cores): at 1.44 million passages a float32 numpy scan takes 108 ms a
query in 2.2 GB of memory, an int8 scan 219 ms, a 1-bit scan re-ranked in int8 60 ms for half of
the exact top 10; ``sqlite-vec`` (through ``apsw``, a second SQLite library in the process) scans
200,000 vectors in 83 ms (int8) to 139 ms (float), so ~0.6-1 s at 1.44 million; ``usearch``'s HNSW
answers in about a millisecond but found 0.66-0.76 of the exact top 10 here and adds two native
packages. This IVF file reads ~24,000 vectors: 4.6 ms median, 16 ms at worst, 0.99 of the exact top
10 (0.92 on a more spread synthetic set), built from SQLite in 32 s, 573 MB on disk, numpy only.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .store import atomic_writer

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

INDEX_SUFFIX = ".vectors"  # library.sqlite -> library.vectors
FORMAT = 1
MAGIC = b"YTLVEC1\n"
EXACT_BELOW = 40_000  # vectors: one list (an exact scan) below this many
SCAN_BUDGET = 24_000  # vectors a query reads from the nearest lists (whole lists)
TRAIN_PER_LIST = 32  # k-means sample: this many vectors per list
TRAIN_ROUNDS = 10
READ_CHUNK = 50_000


def lists_for(count: int) -> int:
    """How many lists for ``count`` vectors: one (exact) for a small library, else ~1.7 sqrt(n), which
    keeps a list near 700 vectors at 1.44 million."""
    return 1 if count < EXACT_BELOW else int(round(1.7 * math.sqrt(count)))


def behind_limit(count: int) -> int:
    """Vectors added (or removed) since the snapshot before the file is merged: few enough that
    reading them from SQLite for each new process stays cheap (20,000 rows: ~30 ms)."""
    return max(1_000, min(20_000, count // 20))


def to_blob(vectors: "np.ndarray") -> list[bytes]:
    """Each row as the float16 little-endian bytes stored in SQLite."""
    import numpy as np

    return [row.tobytes() for row in np.asarray(vectors, dtype="<f2")]


def from_blobs(blobs: Iterable[bytes], dimensions: int) -> "np.ndarray":
    import numpy as np

    joined = b"".join(blobs)
    return np.frombuffer(joined, dtype="<f2").reshape(-1, dimensions).astype(np.float32)


def quantize(vectors: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """int8 rows and one float32 scale per row (max |x| / 127): a dot product keeps ~3 digits."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    return np.round(vectors / scales[:, None]).astype(np.int8), scales


# ---------------------------------------------------------------------------------------- fusion


@dataclass(frozen=True)
class Fusion:
    """Weighted reciprocal rank fusion: a passage scores ``weight / (k + rank)`` from each list it is in.

    With the usual ``k`` of 60, ranks deep in either list count almost as much as the first: the many
    passages that share a paraphrased question's common words then outvote the few that vectors put
    first, and the fusion found no more answers than vectors alone (scripts/bench_ask.py, whose table
    the README quotes). A small ``k`` lets the first places of each list decide."""

    bm25: float = 1.0
    vectors: float = 1.0
    k: float = 5.0

    def __call__(self, bm25_ids: list[int], vector_ids: list[int]) -> list[tuple[int, float]]:
        scores: dict[int, float] = {}
        for weight, ids in ((self.bm25, bm25_ids), (self.vectors, vector_ids)):
            for rank, passage_id in enumerate(ids, start=1):
                scores[passage_id] = scores.get(passage_id, 0.0) + weight / (self.k + rank)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class Blend:
    """Score fusion, measured by the library itself rather than by ranks: each candidate passage (bm25's
    and the vectors' best, together) scores its cosine to the query, taken with its neighbours
    (``context``: the passage's vector plus this share of the vectors of the passages just before and
    after it in the same video, so that a host's question and the answer after it count together), plus
    ``words`` times the share of the query's words it holds, each word weighted by its rarity in the
    library (inverse document frequency: a word in few passages says more than one in many).

    A paraphrased question shares few rare words with any passage, so the words add little and the
    meaning decides; a question in the transcript's own words holds its rare words in one passage,
    which rises. Unlike a rank fusion, a bm25 list full of passages that share only the question's
    common words cannot outvote the vectors. The two weights are chosen held out
    (``scripts/bench_ask.py``)."""

    context: float = 0.25
    words: float = 0.2
    depth: int = 20  # candidates from the top of each list (15-50 found the same in scripts/bench_ask.py)

    def score(self, cosine: float, coverage: float) -> float:
        return cosine + self.words * coverage


_QUOTED = re.compile(r"[\"\u201c\u201d\u201e]([^\"\u201c\u201d\u201e]+)[\"\u201c\u201d\u201e]")


def quoted_phrases(query: str) -> list[str]:
    """The phrases the user put in double quotes (straight or curly), each with at least one word."""
    return [phrase.strip() for phrase in _QUOTED.findall(query) if re.search(r"\w", phrase)]


def is_name(query: str, stopwords: frozenset[str]) -> bool:
    """A query that is a name or a title, not a question: at most five words, every one that is not a
    small word capitalized or holding a digit ("Melanie Mitchell", "Santa Fe Institute", "GPT-4")."""
    tokens = re.findall(r"\w[\w'-]*", query)
    meaningful = [t for t in tokens if t.lower() not in stopwords]
    if not meaningful or len(tokens) > 5 or "?" in query:
        return False
    return all(t[0].isupper() or any(c.isdigit() for c in t) for t in meaningful)


# ------------------------------------------------------------------------------------ the index file


class IndexFile:
    """One ``library.vectors`` file, memory-mapped (read-only): the snapshot described in the module
    text. Arrays: ``centroids`` (lists x d, float32), ``offsets`` (lists + 1), ``seqs`` (n, int64, in
    list order), ``scales`` (n, float32), ``codes`` (n x d, int8)."""

    ARRAYS = ("centroids", "offsets", "seqs", "scales", "codes")

    def __init__(self, path: Path):
        import numpy as np

        self.path = Path(path)
        with open(self.path, "rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                raise ValueError("not a ytlocal vector index")
            size = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(size))
        if header.get("format") != FORMAT:
            raise ValueError(f"vector index format {header.get('format')}, this ytlocal reads {FORMAT}")
        self.header = header
        self.model: str = header["model"]
        self.dimensions: int = int(header["dimensions"])
        self.through: int = int(header["through_seq"])
        self.trained: int = int(header["trained_count"])
        self.count: int = int(header["count"])
        stat = os.stat(self.path)
        self.identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        for name in self.ARRAYS:
            offset, dtype, shape = header["arrays"][name]
            if int(np.prod(shape)) == 0:
                array = np.zeros(shape, dtype=dtype)
            else:
                array = np.memmap(self.path, dtype=dtype, mode="r", offset=offset, shape=tuple(shape))
            setattr(self, name, array)
        self.sizes = np.diff(np.asarray(self.offsets))

    def search(self, query: "np.ndarray", limit: int) -> tuple["np.ndarray", "np.ndarray"]:
        """The ``limit`` best (seqs, scores) of the snapshot for a unit ``query``: the nearest lists
        up to :data:`SCAN_BUDGET` vectors, scored exactly (int8 x scale)."""
        import numpy as np

        if self.count == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if len(self.sizes) == 1:
            spans = [(0, self.count)]
        else:
            order = np.argsort(-(np.asarray(self.centroids) @ query))
            take = int(np.searchsorted(np.cumsum(self.sizes[order]), SCAN_BUDGET)) + 1
            chosen = np.sort(order[:take])  # in file order: fewer, longer reads
            spans = [(int(self.offsets[i]), int(self.offsets[i + 1])) for i in chosen if self.sizes[i]]
        rows = np.concatenate([np.arange(a, b) for a, b in spans])
        codes = np.concatenate([np.asarray(self.codes[a:b]) for a, b in spans])
        scales = np.concatenate([np.asarray(self.scales[a:b]) for a, b in spans])
        scores = (codes.astype(np.float32) @ query) * scales
        return _top(np.asarray(self.seqs)[rows], scores, limit)


def _top(seqs: "np.ndarray", scores: "np.ndarray", limit: int) -> tuple["np.ndarray", "np.ndarray"]:
    import numpy as np

    if len(scores) > limit:
        keep = np.argpartition(-scores, limit)[:limit]
        seqs, scores = seqs[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")
    return seqs[order], scores[order]


def write_index(path: Path, *, model: str, dimensions: int, through: int, trained: int,
                centroids: "np.ndarray", assignment: "np.ndarray", seqs: "np.ndarray", codes: "np.ndarray",
                scales: "np.ndarray") -> None:
    """Write the file atomically (see :func:`ytlocal.store.atomic_writer`)."""
    import numpy as np

    lists = len(centroids)
    order = np.lexsort((seqs, assignment))
    offsets = np.searchsorted(assignment[order], np.arange(lists + 1)).astype(np.int64)
    arrays = {"centroids": np.ascontiguousarray(centroids, dtype=np.float32), "offsets": offsets,
              "seqs": np.ascontiguousarray(seqs[order], dtype=np.int64),
              "scales": np.ascontiguousarray(scales[order], dtype=np.float32),
              "codes": np.ascontiguousarray(codes[order], dtype=np.int8)}
    header = {"format": FORMAT, "model": model, "dimensions": dimensions, "through_seq": int(through),
              "trained_count": int(trained), "count": int(len(seqs)), "arrays": {}}
    # Offsets depend on the header's length, which depends on the offsets: reserve room for it.
    reserve = 4096 + 64 * len(arrays)
    position = len(MAGIC) + 8 + reserve
    for name, array in arrays.items():
        position = (position + 63) // 64 * 64
        header["arrays"][name] = [position, array.dtype.str, list(array.shape)]
        position += array.nbytes
    encoded = json.dumps(header).encode()
    assert len(encoded) <= reserve
    with atomic_writer(path) as handle:
        handle.write(MAGIC + len(encoded).to_bytes(8, "little") + encoded.ljust(reserve, b" "))
        for name, array in arrays.items():
            handle.seek(header["arrays"][name][0])
            handle.write(array.tobytes())


def train_centroids(sample: "np.ndarray", lists: int, seed: int = 0) -> "np.ndarray":
    """Spherical k-means on ``sample`` (unit rows): ``lists`` unit centroids."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centroids = sample[rng.choice(len(sample), lists, replace=False)].copy()
    for _ in range(TRAIN_ROUNDS):
        nearest = assign(sample, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, sample)
        empty = np.bincount(nearest, minlength=lists) == 0
        if empty.any():  # an empty list restarts at a random sample vector
            sums[empty] = sample[rng.choice(len(sample), int(empty.sum()))]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centroids = sums / np.where(norms > 0, norms, 1.0)
    return centroids.astype(np.float32)


def assign(vectors: "np.ndarray", centroids: "np.ndarray") -> "np.ndarray":
    import numpy as np

    if len(centroids) == 1:
        return np.zeros(len(vectors), np.int32)
    out = np.empty(len(vectors), np.int32)
    for start in range(0, len(vectors), 20_000):
        out[start:start + 20_000] = np.argmax(vectors[start:start + 20_000] @ centroids.T, axis=1)
    return out


def dequantize(codes: "np.ndarray", scales: "np.ndarray") -> "np.ndarray":
    import numpy as np

    return np.asarray(codes).astype(np.float32) * np.asarray(scales)[:, None]


# ------------------------------------------------------------------------------- the store in SQLite


def add_vector_tables(connection) -> None:
    """Migration: the vectors (float16 BLOBs, one per passage, under a ``seq`` never reused), the
    library's settings (which model made the vectors), and the passages an ad read covers."""
    from .db import add_column

    connection.execute("CREATE TABLE IF NOT EXISTS passage_vectors (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "passage_id INTEGER NOT NULL UNIQUE REFERENCES passages(id) ON DELETE CASCADE, "
                       "vector BLOB NOT NULL)")
    connection.execute("CREATE TABLE IF NOT EXISTS library_settings (key TEXT PRIMARY KEY, value TEXT)")
    add_column(connection, "passages", "skipped", "INTEGER NOT NULL DEFAULT 0")
    connection.execute("CREATE INDEX IF NOT EXISTS passages_skipped ON passages(id) WHERE skipped = 1")


MODEL_SETTING = "vector_model"


def model_key(embedder) -> str:
    """``name:hash:width`` of a model: its file's hash and its width say which vectors it makes (the
    name is for messages: the same file may be named by its catalog name or by its path)."""
    model = getattr(embedder, "model", None)
    name = getattr(model, "name", None) or getattr(embedder, "name", "embedding")
    digest = (getattr(model, "sha256", None) or "")[:16]
    return f"{name}:{digest}:{int(embedder.dimensions)}"


def same_model(one: str | None, other: str | None) -> bool:
    if one is None or other is None:
        return one == other
    first, second = one.rsplit(":", 2), other.rsplit(":", 2)
    if first[1] and second[1]:
        return first[1:] == second[1:]
    return first == second


class VectorStore:
    """The ``passage_vectors`` table and its derived index file (see the module text), for one library.

    Thread-safe: searches share the loaded file and the vectors read since its snapshot."""

    def __init__(self, database, index_path: Path):
        import threading

        self.database = database
        self.index_path = Path(index_path)
        self._lock = threading.Lock()
        self._index: IndexFile | None = None
        self._recent: tuple[int, "np.ndarray", "np.ndarray"] | None = None  # (last seq, seqs, vectors)
        self._warned: set[str] = set()

    # -- the model

    def stored_model(self, connection=None) -> str | None:
        """The key of the model the library's vectors were made by (None before the first)."""
        row = (connection or self.database).execute("SELECT value FROM library_settings WHERE key = ?",
                                                    (MODEL_SETTING,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _record_model(connection, key: str) -> None:
        connection.execute("INSERT OR REPLACE INTO library_settings (key, value) VALUES (?, ?)", (MODEL_SETTING, key))

    def usable_with(self, key: str) -> bool:
        """Whether this library's vectors (if any) were made by the model ``key``; warns once if not."""
        stored = self.stored_model()
        if stored is None or same_model(stored, key):
            return True
        if stored not in self._warned:
            self._warned.add(stored)
            log.warning("the library's passage vectors were made by %s, not by the embedding model in use (%s): "
                        "search uses words alone until `ytlocal library reindex` embeds the passages again",
                        stored.split(":")[0], key.split(":")[0])
        return False

    def claim(self, connection, key: str) -> bool:
        """Inside a write transaction: record ``key`` as the library's vector model unless another
        model's vectors are there (then False: the new vectors are left for ``library reindex``)."""
        stored = self.stored_model(connection)
        if stored is not None and not same_model(stored, key):
            if connection.execute("SELECT 1 FROM passage_vectors LIMIT 1").fetchone():
                return False
        if stored is None or not same_model(stored, key):
            self._record_model(connection, key)
        return True

    def forget_other_models(self, key: str) -> int:
        """Delete every vector made by another model than ``key`` (``library reindex`` after a model
        change); returns how many were deleted."""
        stored = self.stored_model()
        if stored is None or same_model(stored, key):
            return 0
        with self.database.transaction() as connection:
            count = connection.execute("DELETE FROM passage_vectors").rowcount
            self._record_model(connection, key)
        return count

    @staticmethod
    def write(connection, passage_ids: list[int], vectors: "np.ndarray") -> None:
        """Inside the caller's transaction: the vectors of these passages (replacing any)."""
        connection.executemany("INSERT OR REPLACE INTO passage_vectors (passage_id, vector) VALUES (?, ?)",
                               list(zip(passage_ids, to_blob(vectors))))

    # -- the index file

    def _load(self) -> IndexFile | None:
        try:
            index = IndexFile(self.index_path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("the vector index %s is unreadable (%s); it is rebuilt from the library", self.index_path, error)
            return None
        return index

    def _current(self, key: str) -> IndexFile | None:
        """The index file for ``key`` as it is on disk now (reloaded when another process replaced
        it; built when missing, unreadable or of another model), or None with no vectors at all."""
        index = self._index
        try:
            stat = os.stat(self.index_path)
            same = index is not None and index.identity == (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except OSError:
            same = False
        if not same:
            index = self._load()
        if index is None or not same_model(index.model, key):
            if not self.database.execute("SELECT 1 FROM passage_vectors LIMIT 1").fetchone():
                self._index = None
                return None
            self.build(key)
            index = self._load()
        if index is not self._index:
            self._index, self._recent = index, None
        return index

    def _since(self, index: IndexFile, dimensions: int) -> tuple["np.ndarray", "np.ndarray"]:
        """The vectors added after the snapshot (read once, then only what is newer)."""
        import numpy as np

        last, seqs, vectors = self._recent or (index.through, np.zeros(0, np.int64),
                                              np.zeros((0, dimensions), np.float32))
        rows = self.database.execute("SELECT seq, vector FROM passage_vectors WHERE seq > ? ORDER BY seq",
                                     (last,)).fetchall()
        if rows:
            seqs = np.concatenate([seqs, np.array([r[0] for r in rows], np.int64)])
            vectors = np.concatenate([vectors, from_blobs((r[1] for r in rows), dimensions)])
            last = int(seqs[-1])
        self._recent = (last, seqs, vectors)
        return seqs, vectors

    def nearest(self, query: "np.ndarray", key: str, limit: int,
                video_ids: list[str] | None = None) -> list[tuple[int, float]]:
        """The ``limit`` passages nearest to ``query`` as (passage id, cosine), best first: of the
        given videos (an exact scan of their vectors), else of the whole library."""
        import numpy as np

        if not self.usable_with(key):
            return []
        dimensions = len(query)
        if video_ids is not None:
            rows = self.database.execute(
                f"SELECT v.passage_id, v.vector FROM passage_vectors v JOIN passages p ON p.id = v.passage_id "
                f"WHERE p.video_id IN ({', '.join('?' * len(video_ids))})", video_ids).fetchall()
            if not rows:
                return []
            ids, scores = _top(np.array([r[0] for r in rows], np.int64),
                               from_blobs((r[1] for r in rows), dimensions) @ query, limit)
            return [(int(i), float(s)) for i, s in zip(ids, scores)]
        with self._lock:
            index = self._current(key)
            if index is None:
                return []
            wanted = limit + 20 + limit // 2  # room for hits whose passage is gone since the snapshot
            seqs, scores = index.search(query, wanted)
            recent_seqs, recent = self._since(index, dimensions)
        if len(recent_seqs):
            seqs = np.concatenate([seqs, recent_seqs])
            scores = np.concatenate([scores, recent @ query])
            seqs, scores = _top(seqs, scores, wanted)
        if not len(seqs):
            return []
        found = dict(self.database.execute(
            f"SELECT seq, passage_id FROM passage_vectors WHERE seq IN ({', '.join('?' * len(seqs))})",
            [int(s) for s in seqs]).fetchall())
        return [(int(found[int(s)]), float(score)) for s, score in zip(seqs, scores) if int(s) in found][:limit]

    def build(self, key: str, progress=None) -> int:
        """Write the index file afresh from SQLite (k-means lists trained on a sample); returns the
        number of vectors in it. The snapshot is read in one read transaction."""
        import numpy as np

        with self.database.snapshot() as connection:
            through = int(connection.execute("SELECT COALESCE(MAX(seq), 0) FROM passage_vectors").fetchone()[0])
            count = int(connection.execute("SELECT COUNT(*) FROM passage_vectors WHERE seq <= ?", (through,)).fetchone()[0])
            seqs = np.empty(count, np.int64)
            scales = np.empty(count, np.float32)
            dimensions = int(key.rsplit(":", 1)[1])
            codes = np.empty((count, dimensions), np.int8)
            cursor = connection.execute("SELECT seq, vector FROM passage_vectors WHERE seq <= ? ORDER BY seq", (through,))
            done = 0
            while True:
                rows = cursor.fetchmany(READ_CHUNK)
                if not rows:
                    break
                part = from_blobs((r[1] for r in rows), dimensions)
                seqs[done:done + len(rows)] = [r[0] for r in rows]
                codes[done:done + len(rows)], scales[done:done + len(rows)] = quantize(part)
                done += len(rows)
                if progress:
                    progress("read vectors", done, count)
        seqs, codes, scales = seqs[:done], codes[:done], scales[:done]
        lists = lists_for(done)
        if lists == 1:
            centroids = np.zeros((1, dimensions), np.float32)
            assignment = np.zeros(done, np.int32)
        else:
            rng = np.random.default_rng(0)
            sample = rng.choice(done, min(done, TRAIN_PER_LIST * lists), replace=False)
            if progress:
                progress("train vector lists", 0, None)
            centroids = train_centroids(dequantize(codes[sample], scales[sample]), lists)
            assignment = np.empty(done, np.int32)
            for start in range(0, done, READ_CHUNK):
                end = min(done, start + READ_CHUNK)
                assignment[start:end] = assign(dequantize(codes[start:end], scales[start:end]), centroids)
                if progress:
                    progress("sort vectors into lists", end, done)
        write_index(self.index_path, model=key, dimensions=dimensions, through=through, trained=done,
                    centroids=centroids, assignment=assignment, seqs=seqs, codes=codes, scales=scales)
        log.info("vector index %s: %d vectors in %d list(s)", self.index_path, done, lists)
        return done

    def maintain(self, key: str) -> None:
        """After vectors were added or removed: merge them into the index file when it is too far
        behind (or build it when it is missing or the library outgrew its lists)."""
        import numpy as np

        index = self._load()
        if index is None or not same_model(index.model, key):
            self.build(key)
            return
        total = int(self.database.execute("SELECT COUNT(*) FROM passage_vectors").fetchone()[0])
        behind = int(self.database.execute("SELECT COUNT(*) FROM passage_vectors WHERE seq > ?",
                                           (index.through,)).fetchone()[0])
        dead = index.count - (total - behind)
        limit = behind_limit(total)
        if behind <= limit and dead <= limit:
            return
        if lists_for(total) != 1 and (len(index.sizes) == 1 or total > 2 * index.trained):
            self.build(key)  # the lists were trained on too few vectors for what the library holds now
            return
        with self.database.snapshot() as connection:
            through = int(connection.execute("SELECT COALESCE(MAX(seq), 0) FROM passage_vectors").fetchone()[0])
            live = np.array([r[0] for r in connection.execute(
                "SELECT seq FROM passage_vectors WHERE seq <= ?", (index.through,))], np.int64)
            rows = connection.execute("SELECT seq, vector FROM passage_vectors WHERE seq > ? AND seq <= ? ORDER BY seq",
                                      (index.through, through)).fetchall()
        old_seqs = np.asarray(index.seqs)
        keep = np.isin(old_seqs, live)
        old_lists = np.repeat(np.arange(len(index.sizes), dtype=np.int32), index.sizes)[keep]
        new_seqs = np.array([r[0] for r in rows], np.int64)
        new_vectors = from_blobs((r[1] for r in rows), index.dimensions)
        new_codes, new_scales = quantize(new_vectors)
        centroids = np.asarray(index.centroids)
        new_lists = assign(new_vectors, centroids) if len(centroids) > 1 else np.zeros(len(rows), np.int32)
        write_index(self.index_path, model=key, dimensions=index.dimensions, through=through, trained=index.trained,
                    centroids=centroids, assignment=np.concatenate([old_lists, new_lists]),
                    seqs=np.concatenate([old_seqs[keep], new_seqs]),
                    codes=np.concatenate([np.asarray(index.codes)[keep], new_codes]),
                    scales=np.concatenate([np.asarray(index.scales)[keep], new_scales]))
        log.info("vector index %s: merged %d new and dropped %d removed vectors", self.index_path, len(rows),
                 int((~keep).sum()))
