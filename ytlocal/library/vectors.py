"""The passages' sentence vectors in the library's SQLite, and the derived index file kept beside it.

**SQLite is the one source of truth.** Each passage's vector (all-MiniLM-L6-v2: 384 numbers, unit
length) is a float16 BLOB in the library's ``passage_vectors`` table (see
:mod:`ytlocal.library.schema`), written in the same transaction as the passage, under a ``seq`` that
SQLite never hands out twice (AUTOINCREMENT). The model that made them is recorded once per library;
vectors of another model are never compared with a query.

**The index file is derived** (its format: :mod:`ytlocal.library.vector_index`): a snapshot of every
vector up to some ``seq``. A query reads the snapshot's nearest lists, and then, exactly, the vectors
added since the snapshot (``seq`` above it, read from SQLite and kept in memory). A hit whose ``seq``
is no longer in SQLite (its video was removed or added again) is dropped, so a stale file is never
wrong, only slower; it is merged or rebuilt from SQLite when it is missing, of another model, or too
far behind.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .vector_index import (READ_CHUNK, TRAIN_PER_LIST, IndexFile, assign, dequantize, lists_for, quantize, top,
                           train_centroids, write_index)

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


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
            ids, scores = top(np.array([r[0] for r in rows], np.int64),
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
            seqs, scores = top(seqs, scores, wanted)
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
