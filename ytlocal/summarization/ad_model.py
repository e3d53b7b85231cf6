"""The fitted ad-read models and the span step they feed (:mod:`.ads` explains the whole): three
logistic regressions over named features (:class:`LinearModel`, :class:`Detector`), the shipped pair
of detectors with and without sentence meaning and their loading (:class:`AdModel`,
:func:`load_model`, weights in ``data/ads_model.json`` from ``scripts/train_ads.py``), and the Viterbi
path through talk and read that turns their log-odds into whole reads (:func:`read_spans`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import numpy as np

    from .meaning import Meaning

MODEL_FILE = Path(__file__).resolve().parent / "data" / "ads_model.json"


def _column(features: dict[str, "np.ndarray"], name: str) -> "np.ndarray":
    """A feature by name; "previous:x" and "next:x" are feature x of the sentence before or after."""
    import numpy as np

    if name.startswith("previous:"):
        column = np.asarray(features[name[9:]], dtype=float)
        return np.concatenate([np.zeros((1,) + column.shape[1:]), column[:-1]])
    if name.startswith("next:"):
        column = np.asarray(features[name[5:]], dtype=float)
        return np.concatenate([column[1:], np.zeros((1,) + column.shape[1:])])
    return np.asarray(features[name], dtype=float)


def feature_matrix(features: dict[str, "np.ndarray"], names: Sequence[str]) -> "np.ndarray":
    """The columns ``names`` of ``features`` side by side (a block such as "vector" adds all its columns)."""
    import numpy as np

    count = len(next(iter(features.values())))
    return np.hstack([_column(features, name).reshape(count, -1) for name in names])


@dataclass(frozen=True)
class LinearModel:
    """A logistic regression over named features; the weights apply to raw feature values (training's
    standardization is folded into them)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def log_odds(self, features: dict[str, "np.ndarray"]) -> "np.ndarray":
        import numpy as np

        return feature_matrix(features, self.features) @ np.asarray(self.weights) + self.bias

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "bias": self.bias, "weights": list(self.weights)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LinearModel":
        return cls(tuple(data["features"]), tuple(float(w) for w in data["weights"]), float(data["bias"]))


@dataclass(frozen=True)
class Detector:
    """Three logistic regressions and how the span step weighs them: ``sentence`` gives the log-odds
    that a sentence belongs to a read, ``start`` and ``end`` that a read starts or ends at it (fitted
    on the sentences around labelled reads' edges); ``shift`` and ``edge_weight`` are the span
    step's (:func:`read_spans`), chosen by leave-one-show-out within the training shows."""

    sentence: LinearModel
    start: LinearModel
    end: LinearModel
    shift: float
    edge_weight: float

    def spans(self, features: dict[str, "np.ndarray"]) -> list[tuple[int, int, float]]:
        return read_spans(self.sentence.log_odds(features), self.start.log_odds(features),
                          self.end.log_odds(features), self.shift, self.edge_weight)

    def to_dict(self) -> dict[str, Any]:
        return {"shift": self.shift, "edge_weight": self.edge_weight, "sentence": self.sentence.to_dict(),
                "start": self.start.to_dict(), "end": self.end.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Detector":
        return cls(LinearModel.from_dict(data["sentence"]), LinearModel.from_dict(data["start"]),
                   LinearModel.from_dict(data["end"]), float(data["shift"]), float(data["edge_weight"]))


@dataclass(frozen=True)
class AdModel:
    """The shipped detector: one with sentence meaning, one from the words alone."""

    meaning: Detector | None
    words: Detector
    about: dict[str, Any] = field(default_factory=dict)  # what it was trained on, its embedding model

    def compatible(self, meaning: "Meaning", prototypes: "np.ndarray") -> bool:
        """Whether ``meaning`` comes from the embedding model the weights were fitted for: same width,
        and the ad-copy prototypes lie to each other as they did in training (another model's vectors
        would be read as noise)."""
        import numpy as np

        expected = self.about.get("prototype_cosines")
        if self.meaning is None or not expected or meaning.vectors.shape[1] != self.about.get("dimensions"):
            return False
        found = np.asarray(prototype_cosines(prototypes))
        return len(found) == len(expected) and float(np.max(np.abs(found - np.asarray(expected)))) < 0.02

    def to_dict(self) -> dict[str, Any]:
        models = {"words": self.words.to_dict()}
        if self.meaning is not None:
            models = {"meaning": self.meaning.to_dict(), **models}
        return {"format": 1, "about": self.about, "models": models}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AdModel":
        models = data["models"]
        return cls(Detector.from_dict(models["meaning"]) if "meaning" in models else None,
                   Detector.from_dict(models["words"]), dict(data.get("about") or {}))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> AdModel:
    return AdModel.from_dict(json.loads(Path(path).read_text()))


def prototype_cosines(prototypes: "np.ndarray") -> list[float]:
    import numpy as np

    prototypes = np.asarray(prototypes, dtype=float)
    return [float(x) for x in (prototypes @ prototypes.T)[np.triu_indices(len(prototypes), 1)]]


# ------------------------------------------------------------------------------------ the span step


def _log_sigmoid(values: "np.ndarray") -> "np.ndarray":
    import numpy as np

    return -np.logaddexp(0.0, -np.asarray(values, dtype=float))


def read_spans(sentence: "np.ndarray", start: "np.ndarray", end: "np.ndarray", shift: float,
               edge_weight: float) -> list[tuple[int, int, float]]:
    """The reads as (first, last, evidence): the best path through talk and read (Viterbi). Each
    sentence inside a read scores its log-odds over the transcript's median sentence's (the talk:
    reads are a small share of any transcript) plus ``shift`` (negative: a sentence must be clearly
    more read than talk); entering a read at a sentence costs ``edge_weight`` x -log P(a read starts
    here), leaving it after one ``edge_weight`` x -log P(a read ends here). So a read runs from a
    sentence that opens reads to one that closes them, and takes the uncued sentences between."""
    import numpy as np

    count = len(sentence)
    if not count:
        return []
    odds = np.asarray(sentence, dtype=float)
    gain = odds - float(np.median(odds)) + shift
    enter = edge_weight * _log_sigmoid(start)
    leave = edge_weight * _log_sigmoid(end)
    talk, read = 0.0, enter[0] + gain[0]
    back = np.zeros((count, 2), dtype=np.int8)
    for index in range(1, count):
        closed = read + leave[index - 1]
        back[index, 0] = 1 if closed > talk else 0
        opened = talk + enter[index]
        back[index, 1] = 0 if opened > read else 1
        talk, read = max(talk, closed), max(opened, read) + gain[index]
    state = 1 if read + leave[-1] > talk else 0
    path = np.zeros(count, dtype=np.int8)
    for index in range(count - 1, -1, -1):
        path[index] = state
        state = back[index, state]
    spans, first = [], None
    for index in range(count + 1):
        inside = index < count and path[index] == 1
        if inside and first is None:
            first = index
        elif not inside and first is not None:
            spans.append((first, index - 1, round(float(gain[first:index].sum()), 3)))
            first = None
    return spans
