"""The vector index file beside the library (``library.vectors``): its format (an inverted file, IVF),
the k-means that groups its vectors into lists, and their int8 quantisation. Nothing here knows
SQLite: :mod:`ytlocal.library.vectors` reads the vectors from the library and writes this file.

The file holds a snapshot of every vector up to some ``seq``: int8 with one scale per row (388 bytes
a passage), grouped into lists around k-means centroids. A query scores the centroids, then scans the
nearest lists until about :data:`SCAN_BUDGET` vectors are read. Below :data:`EXACT_BELOW` vectors
there is one list: an exact scan.

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
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import atomic_writer

if TYPE_CHECKING:
    import numpy as np

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


def quantize(vectors: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """int8 rows and one float32 scale per row (max |x| / 127): a dot product keeps ~3 digits."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    return np.round(vectors / scales[:, None]).astype(np.int8), scales


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
        return top(np.asarray(self.seqs)[rows], scores, limit)


def top(seqs: "np.ndarray", scores: "np.ndarray", limit: int) -> tuple["np.ndarray", "np.ndarray"]:
    """The ``limit`` best (seqs, scores), best first (ties in the order given)."""
    import numpy as np

    if len(scores) > limit:
        keep = np.argpartition(-scores, limit)[:limit]
        seqs, scores = seqs[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")
    return seqs[order], scores[order]


def write_index(path: Path, *, model: str, dimensions: int, through: int, trained: int,
                centroids: "np.ndarray", assignment: "np.ndarray", seqs: "np.ndarray", codes: "np.ndarray",
                scales: "np.ndarray") -> None:
    """Write the file atomically (see :func:`ytlocal.files.atomic_writer`)."""
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
