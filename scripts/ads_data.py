"""The ad-read cases as the detector sees them, shared by scripts/train_ads.py and scripts/bench_ads.py.

For every case of ../shared/data with an ``ads.json`` and each of its two transcript files (.txt, .srt):
ytlocal's own sentences (:func:`ytlocal.summarization.sentences.transcript_sentences`), where each
sentence lies in the transcript's lines (by its words, :func:`ytlocal.summarization.ads.sentence_lines`),
and each sentence's label: the share of its words inside a labelled read. Sentence vectors come from
the embedding model through a cache on disk (``--cache``, default /tmp/ads-cache), so that experiments
never embed a sentence twice; the model loads only when a text is missing from the cache.

Nothing here is read by ``ytlocal/``: this is benchmark and training material.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import DATA, Case, all_cases  # noqa: E402

DEFAULT_CACHE = Path(os.environ.get("YTLOCAL_ADS_CACHE", "/tmp/ads-cache"))
EMBEDDING_MODEL = "minilm-l6-v2"

# The Changelog's shows share one network and its sponsors: held out together as well as one by one.
NETWORKS = {"The Changelog": "Changelog network", "Practical AI": "Changelog network", "JS Party": "Changelog network"}


def network(show: str) -> str:
    return NETWORKS.get(show, show)


class CachedEmbedder:
    """An embedding model behind a cache on disk (text -> vector), keyed by the model file's hash."""

    def __init__(self, cache: Path = DEFAULT_CACHE, name: str = EMBEDDING_MODEL):
        from ytlocal.config import checkout_models_dir
        from ytlocal.registry import ModelStore

        self.resolved = ModelStore(checkout_models_dir()).resolve(name, "embedding")
        self.key = (self.resolved.sha256 or name)[:16]
        self.path = Path(cache) / f"vectors-{name}-{self.key}.npz"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.texts: dict[str, int] = {}
        self.rows = np.zeros((0, 384), dtype=np.float32)
        if self.path.is_file():
            data = np.load(self.path, allow_pickle=False)
            self.rows = data["rows"]
            self.texts = {text: i for i, text in enumerate(json.loads(str(data["texts"])))}
        self._model = None
        self.dimensions = self.rows.shape[1]

    def embed(self, texts):
        missing = list(dict.fromkeys(t for t in texts if t not in self.texts))
        if missing:
            if self._model is None:
                from ytlocal.runtime.models import Models

                self._models = Models()
                self._model = self._models.embedder(self.resolved, 1)
            print(f"embedding {len(missing)} texts", file=sys.stderr)
            new = self._model.embed(missing).astype(np.float32)
            start = len(self.texts)
            self.rows = np.vstack([self.rows, new]) if len(self.rows) else new
            for i, text in enumerate(missing):
                self.texts[text] = start + i
            self.save()
        return self.rows[[self.texts[t] for t in texts]] if texts else np.zeros((0, self.dimensions), np.float32)

    def save(self) -> None:
        ordered = sorted(self.texts, key=self.texts.get)
        temporary = self.path.with_suffix(".tmp.npz")
        np.savez(temporary, rows=self.rows, texts=np.array(json.dumps(ordered)))
        temporary.replace(self.path)


@dataclass
class Transcribed:
    """One case read from one of its transcript files, as the detector sees it."""

    case: Case
    suffix: str  # txt or srt
    segments: list
    sentences: list
    lines: list  # per sentence: (first, last) 0-based transcript lines it has words in
    ad_share: np.ndarray  # per sentence: the share of its words inside a labelled read
    reads: list  # [[first, last], ...] 1-based, inclusive (ads.json)
    line_count: int
    meaning: object = None
    features: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return (self.ad_share >= 0.5).astype(float)

    @property
    def show(self) -> str:
        return self.case.show


def ad_cases(data: Path = DATA) -> list[Case]:
    return [case for case in all_cases(data) if case.has_ads]


def load(case: Case, suffix: str, embedder=None) -> Transcribed:
    from ytlocal.summarization.ads import sentence_lines
    from ytlocal.summarization.meaning import Meaning
    from ytlocal.summarization.sentences import transcript_sentences
    from ytlocal.transcript import read_transcript

    segments = read_transcript(case.path / f"transcript.{suffix}").segments
    sentences = transcript_sentences(segments)
    reads = json.loads((case.path / "ads.json").read_text())["lines"]
    ad_lines = {i - 1 for a, b in reads for i in range(a, b + 1)}
    words_in = sentence_lines(segments, sentences, per_word=True)
    share = np.array([np.mean([line in ad_lines for line in wl]) if wl else 0.0 for wl in words_in])
    lines = [(min(wl), max(wl)) if wl else (0, 0) for wl in words_in]
    meaning = Meaning([s.raw for s in sentences], embedder) if embedder is not None else None
    line_count = len((case.path / "transcript.txt").read_text().splitlines())
    return Transcribed(case, suffix, segments, sentences, lines, share, reads, line_count, meaning)


def load_all(embedder=None, suffixes=("txt", "srt"), data: Path = DATA) -> list[Transcribed]:
    return [load(case, suffix, embedder) for case in ad_cases(data) for suffix in suffixes]


def fingerprint(items) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:12]
