"""Topical sections: cut a transcript where its subject changes (TextTiling, Hearst 1997).

The sentences are grouped into blocks of about ``BLOCK_WORDS`` words; at every gap between blocks the
vocabulary of the blocks before it is compared with that of the blocks after it (cosine of weighted
word counts). Where the subject changes, the similarity dips; the depth of each dip (how far it lies
below the peaks on either side) ranks the candidate boundaries, and the deepest ones that leave every
section a reasonable length become the cuts. Works the same with or without timings: it only needs
the order of the sentences.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

BLOCK_WORDS = 60
WINDOW_BLOCKS = 4
MIN_SECTION_SHARE = 0.4  # every section at least this share of the average section ...
MAX_SECTION_SHARE = 2.0  # ... and at most this multiple of it
WORDS_PER_MINUTE = 150  # speech rate used when a transcript has no timings
MINUTES_PER_SECTION = 7
COMBINE = True


def section_count(minutes: float) -> int:
    """How many sections a piece of this length gets: about one per seven minutes, 1 to 20."""
    return max(1, min(20, round(minutes / MINUTES_PER_SECTION)))


def _cosine(left: Counter, right: Counter) -> float:
    if not left or not right:
        return 0.0
    dot = sum(value * right.get(key, 0.0) for key, value in left.items())
    norm = math.sqrt(sum(v * v for v in left.values())) * math.sqrt(sum(v * v for v in right.values()))
    return dot / norm if norm else 0.0


def _blocks(stems: Sequence[Sequence[str]], lengths: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last + 1) sentence index of each block of about BLOCK_WORDS words."""
    blocks, start, size = [], 0, 0
    for index, length in enumerate(lengths):
        size += max(1, length)
        if size >= BLOCK_WORDS:
            blocks.append((start, index + 1))
            start, size = index + 1, 0
    if start < len(lengths):
        if blocks and size < BLOCK_WORDS / 2:
            blocks[-1] = (blocks[-1][0], len(lengths))
        else:
            blocks.append((start, len(lengths)))
    return blocks


def _smooth(values: list[float]) -> list[float]:
    if len(values) < 3:
        return values
    return [values[0]] + [(values[i - 1] + 2 * values[i] + values[i + 1]) / 4 for i in range(1, len(values) - 1)] \
        + [values[-1]]


def _word_similarities(stems: Sequence[Sequence[str]], blocks: list[tuple[int, int]], window: int) -> list[float]:
    """TextTiling's: cosine of the weighted word counts of the blocks before and after each gap."""
    block_counts = [Counter(word for sentence in stems[a:b] for word in sentence) for a, b in blocks]
    # Words spread over the whole piece say nothing about where a topic changes: weight by rarity
    # across blocks (inverse block frequency).
    frequency = Counter(word for counts in block_counts for word in counts)
    total = len(block_counts)
    weight = {word: math.log(1 + total / count) for word, count in frequency.items()}
    weighted = [Counter({w: c * weight[w] for w, c in counts.items()}) for counts in block_counts]
    similarities = []
    for gap in range(1, total):
        left, right = Counter(), Counter()
        for counts in weighted[max(0, gap - window): gap]:
            left.update(counts)
        for counts in weighted[gap: gap + window]:
            right.update(counts)
        similarities.append(_cosine(left, right))
    return similarities


def _meaning_similarities(vectors, blocks: list[tuple[int, int]], window: int) -> list[float]:
    """The same with sentence meaning: cosine of the mean sentence vectors before and after each gap
    (the piece's own mean removed first, so what every block shares does not hide the changes)."""
    import numpy as np

    centered = vectors - vectors.mean(axis=0)
    block_means = np.stack([centered[a:b].mean(axis=0) for a, b in blocks])
    similarities = []
    for gap in range(1, len(blocks)):
        left = block_means[max(0, gap - window): gap].mean(axis=0)
        right = block_means[gap: gap + window].mean(axis=0)
        norm = float(np.linalg.norm(left) * np.linalg.norm(right))
        similarities.append(float(left @ right) / norm if norm else 0.0)
    return similarities


def gap_depths(stems: Sequence[Sequence[str]], lengths: Sequence[int], vectors=None) -> list[tuple[int, float]]:
    """(sentence index where a new block starts, depth of the similarity dip there) for every gap;
    ``vectors`` (one unit vector per sentence): compare meaning instead of words."""
    blocks = _blocks(stems, lengths)
    if len(blocks) < 2:
        return []
    total = len(blocks)
    window = max(1, min(WINDOW_BLOCKS, total // 4 or 1))
    similarities = _word_similarities(stems, blocks, window)
    if vectors is not None:
        meaning = _meaning_similarities(vectors, blocks, window)
        similarities = [(a + b) / 2 for a, b in zip(similarities, meaning)] if COMBINE else meaning
    similarities = _smooth(similarities)
    depths = []
    for position, value in enumerate(similarities):
        left_peak = value
        for other in reversed(similarities[:position]):
            if other < left_peak:
                break
            left_peak = other
        right_peak = value
        for other in similarities[position + 1:]:
            if other < right_peak:
                break
            right_peak = other
        depths.append((blocks[position + 1][0], (left_peak - value) + (right_peak - value)))
    return depths


def topical_boundaries(stems: Sequence[Sequence[str]], lengths: Sequence[int], count: int, vectors=None) -> list[int]:
    """Sentence indices where each of ``count`` sections starts (the first is always 0).

    ``stems`` are the content words of each sentence, ``lengths`` its word count. The cuts are the
    set of ``count - 1`` gaps with the deepest dips in total, chosen by dynamic programming under the
    condition that every section is between ``MIN_SECTION_SHARE`` and ``MAX_SECTION_SHARE`` times the
    average length: the deepest dips win, but no section swallows half the piece."""
    total_words = sum(max(1, n) for n in lengths)
    if count <= 1 or total_words < 2 * BLOCK_WORDS:
        return [0]
    cumulative = [0]
    for length in lengths:
        cumulative.append(cumulative[-1] + max(1, length))
    gaps = gap_depths(stems, lengths, vectors)
    count = min(count, len(gaps) + 1)
    if count <= 1:
        return [0]
    average = total_words / count
    low, high = MIN_SECTION_SHARE * average, MAX_SECTION_SHARE * average
    # Nodes: the start, every gap, the end. best[j][b] = (total depth, previous node) of the best way
    # to place j cuts with the last one at node b.
    positions = [0] + [cumulative[index] for index, _ in gaps] + [total_words]
    depths = [0.0] + [depth for _, depth in gaps] + [0.0]
    nodes = len(positions)
    minus = float("-inf")
    best = [[minus] * nodes for _ in range(count + 1)]
    back = [[-1] * nodes for _ in range(count + 1)]
    best[0][0] = 0.0
    for cuts in range(1, count + 1):
        last_layer = cuts == count
        for node in range(1, nodes):
            if last_layer != (node == nodes - 1):
                continue
            for previous in range(node - 1, -1, -1):
                length = positions[node] - positions[previous]
                if length > high and not last_layer:
                    break
                if length > high * 1.5:
                    break
                if length < low or best[cuts - 1][previous] == minus:
                    continue
                value = best[cuts - 1][previous] + depths[node]
                if value > best[cuts][node]:
                    best[cuts][node], back[cuts][node] = value, previous
    if best[count][nodes - 1] == minus:  # no layout fits the bounds: cut at the deepest gaps
        chosen = sorted(gaps, key=lambda item: -item[1])[: count - 1]
        return [0] + sorted(index for index, _ in chosen)
    cuts_at, node = [], nodes - 1
    for cuts in range(count, 0, -1):
        node = back[cuts][node]
        if node > 0:
            cuts_at.append(gaps[node - 1][0])
    return [0] + sorted(cuts_at)
