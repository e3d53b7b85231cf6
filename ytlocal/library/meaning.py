"""Search by meaning: the passages nearest to the query's sentence vector (through the library's
:class:`~ytlocal.library.vectors.VectorStore`), and the blend that scores bm25's and the vectors'
candidates together (:class:`~ytlocal.library.fusion.Blend`).

:class:`MeaningSearch` is a part of :class:`~ytlocal.library.Library` (a base class of it): it uses the
library's ``vectors``, ``embedding_model()``, ``_query``, ``_coverage`` (:mod:`ytlocal.library.words`)
and ``timings``."""

from __future__ import annotations

import logging
import sqlite3

from ..errors import ModelError
from .fusion import Blend
from .query import QUOTES
from .vectors import from_blobs, model_key

MIN_COSINE = 0.25  # a passage nearer than this in meaning only (not in words) is not a match


class MeaningSearch:
    """The vectors' list of a search, and the blend (see the module text)."""

    def _blended(self, query: str, vector, words: list[tuple[int, float]], nearest: list[tuple[int, float]],
                 blend: Blend) -> list[tuple[int, float]]:
        """bm25's and the vectors' candidates scored by :class:`~ytlocal.library.fusion.Blend`: cosine to the
        passage with its neighbours, plus the rare words of the query it holds."""
        import numpy as np

        candidates = list(dict.fromkeys([i for i, _ in nearest[:blend.depth]] + [i for i, _ in words[:blend.depth]]))
        if not candidates:
            return []
        marks = ", ".join("?" * len(candidates))
        rows = self._query(f"SELECT id, video_id, text FROM passages WHERE id IN ({marks})", candidates)
        texts = {row["id"]: row["text"] for row in rows}
        videos = {row["id"]: row["video_id"] for row in rows}
        around = sorted({i + step for i in candidates for step in (-1, 1)} - set(candidates))
        beside = {row["id"]: row["video_id"] for row in self._query(
            f"SELECT id, video_id FROM passages WHERE id IN ({', '.join('?' * len(around))})", around)} if around else {}
        wanted = candidates + list(beside)
        stored = self._query(f"SELECT passage_id, vector FROM passage_vectors WHERE passage_id IN "
                             f"({', '.join('?' * len(wanted))})", wanted)
        vectors = dict(zip((row["passage_id"] for row in stored),
                           from_blobs((row["vector"] for row in stored), len(vector)))) if stored else {}
        coverage = self._coverage(query, texts)
        width = len(vector)
        mixed = np.zeros((len(candidates), width), np.float32)
        has_vector = np.zeros(len(candidates), bool)
        for row, passage_id in enumerate(candidates):
            own = vectors.get(passage_id)
            if own is None:  # no vector yet (added without the model): its words alone
                continue
            has_vector[row] = True
            mixed[row] = own
            for other in (passage_id - 1, passage_id + 1):
                if blend.context and other in vectors and (beside.get(other) or videos.get(other)) == videos[passage_id]:
                    mixed[row] += blend.context * vectors[other]
        norms = np.linalg.norm(mixed, axis=1)
        cosines = np.where(has_vector, (mixed @ vector) / np.where(norms > 0, norms, 1.0), 0.0)
        scored = [(passage_id, blend.score(float(cosine), coverage.get(passage_id, 0.0)))
                  for passage_id, cosine in zip(candidates, cosines)]
        return sorted(scored, key=lambda item: (-item[1], item[0]))

    def _by_meaning(self, query: str, video_ids: list[str] | None, limit: int,
                    include_skipped: bool, vector_out: list | None = None) -> list[tuple[int, float]] | None:
        """The ``limit`` passages nearest in meaning as (id, cosine), or None without a model
        (``vector_out``: a list that receives the query's vector)."""
        import time

        if self.vectors.stored_model() is None:  # no passage has a vector yet: no query to embed, no model to load
            return None
        model = self.embedding_model()
        if model is None:
            return None
        started = time.perf_counter()
        try:
            vector = model.embed([QUOTES.sub(" ", query).strip()])[0]  # quotes are search syntax, not meaning
        except ModelError as error:
            logging.getLogger(__name__).warning("search by words alone: %s", error)
            return None
        self.timings["embed_ms"] = (time.perf_counter() - started) * 1000
        if vector_out is not None:
            vector_out.append(vector)
        started = time.perf_counter()
        wanted = limit if include_skipped else limit * 2
        try:
            found = self.vectors.nearest(vector, model_key(model), wanted, video_ids)
        except sqlite3.Error as error:
            raise self._error(error) from None
        except (OSError, ValueError, MemoryError) as error:  # the derived file: words alone this time
            logging.getLogger(__name__).warning("search by words alone: the vector index beside %s cannot be "
                                                "used (%s); `ytlocal library reindex` rebuilds it", self.path, error)
            return None
        found = [item for item in found if item[1] >= MIN_COSINE]
        if not include_skipped and found:
            ads = {r[0] for r in self._query(f"SELECT id FROM passages WHERE skipped = 1 AND id IN "
                                             f"({', '.join('?' * len(found))})", [i for i, _ in found])}
            found = [item for item in found if item[0] not in ads]
        self.timings["vectors_ms"] = (time.perf_counter() - started) * 1000
        return found[:limit]
