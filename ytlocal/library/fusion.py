"""How bm25's list and the vectors' list become one ranking: a rank fusion or a blend of scores, and
the setting search uses (chosen held out by ``scripts/bench_ask.py``; the README's table)."""

from __future__ import annotations

from dataclasses import dataclass


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

# How bm25 and the vectors are fused: a blend of scores (see Blend), the setting and the family that won
# held out in scripts/bench_ask.py (chosen on one group of shows, judged on the other; the README's table).
FUSION: Fusion | Blend = Blend(context=0.25, words=0.2)
RANK_FUSION = Fusion(bm25=1.0, vectors=1.0, k=5.0)  # the default until issue 27: reciprocal rank fusion
