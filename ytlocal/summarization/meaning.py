"""What each sentence means, as a vector from a sentence-embedding model (see
:class:`ytlocal.runtime.models.EmbeddingModel`): two sentences that say the same thing lie close
together whatever their words, and a sentence about the talk's subject lies close to the talk.

:class:`Meaning` is computed once per transcript and read by every step that uses it: the ad-read
finder (:mod:`.ads`), the selection's signals and coverage (:mod:`.select`), sections
(:mod:`.segment`). Without an embedding model it is *unavailable*, and every step falls back to
what the words alone say, as before.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import numpy as np

    from ..runtime.models import EmbeddingModel

log = logging.getLogger(__name__)

MAX_CHARACTERS = 1200  # a run-on "sentence" of a caption file: its start says what it is about


class Meaning:
    """Unit vectors for a list of texts (sentences), or nothing when no embedding model is installed."""

    def __init__(self, texts: Sequence[str], embedder: "EmbeddingModel | None", weights: Sequence[float] | None = None):
        import numpy as np

        self.embedder = embedder
        self.count = len(texts)
        self.vectors: "np.ndarray | None" = None
        if embedder is None or not texts:
            return
        self.vectors = embedder.embed([text[:MAX_CHARACTERS] for text in texts]).astype(np.float32)
        weights = np.asarray(weights if weights is not None else [1.0] * len(texts), dtype=np.float32)
        centroid = (self.vectors * weights[:, None]).sum(axis=0)
        norm = float(np.linalg.norm(centroid))
        self.centroid = centroid / norm if norm else centroid

    @property
    def available(self) -> bool:
        return self.vectors is not None

    def similarity_to_piece(self) -> "np.ndarray":
        """Each sentence's cosine with the whole piece (the weighted mean of its sentences)."""
        return self.vectors @ self.centroid

    def similarity_to_texts(self, texts: Sequence[str]) -> "np.ndarray":
        """Cosines of every sentence (rows) with each of ``texts`` (columns)."""
        return self.vectors @ self.embedder.embed(list(texts)).T

    def similarity(self, first: int, second: int) -> float:
        return float(self.vectors[first] @ self.vectors[second])

    def centroid_of(self, indices: Sequence[int]) -> "np.ndarray":
        import numpy as np

        if not len(indices):
            return np.zeros(self.vectors.shape[1], dtype=np.float32)
        mean = self.vectors[list(indices)].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm else mean
