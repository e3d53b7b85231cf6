#!/usr/bin/env python3
"""Fit the ad-read detector's weights (ytlocal/summarization/data/ads_model.json) on the labelled cases.

    .venv/bin/python scripts/train_ads.py            # retrain on every show and write the shipped file
    .venv/bin/python scripts/train_ads.py --check    # retrain and say whether it equals the shipped file

The detector (:mod:`ytlocal.summarization.ads`) is two of the same kind: one with sentence meaning, one
from the words alone. Each is three logistic regressions (L2, Newton's method, numpy only: the same
data give the same weights) over the features of :func:`ytlocal.summarization.ad_features.sentence_features`:

- **sentence**: does this sentence belong to a read? Labels are the share of each sentence's words
  inside a labelled read (``ads.json`` line ranges mapped onto ytlocal's sentences by their words).
  Talk within :data:`HARD_NEGATIVE_WORDS` words of a read weighs :data:`HARD_NEGATIVE_WEIGHT` times
  more: it is what a read's edges must be told from, and far talk is easy;
- **start** / **end**: is this the first / last sentence of the read? Fitted on the sentences within
  :data:`EDGE_WORDS` words of each labelled read's first / last sentence.

The span step's two numbers (``shift``, ``edge_weight``; see
:func:`ytlocal.summarization.ad_model.read_spans`) are chosen by leave-one-show-out *within the training
shows* (nested): each show's transcripts are decoded with models fitted on the other training shows,
and the pair with the best mean line recall of reads minus :data:`TALK_COST` x mean share of talk lines
removed wins. Nothing is chosen on a show the model is judged on: scripts/bench_ads.py retrains this
way with one show (or network) held out. The other constants here (penalties, windows, weights of
hard negatives) were set while developing, looking at leave-one-show-out figures, and are not tuned
per fold.

Sentence vectors come from a cache on disk (see scripts/ads_data.py); the first run embeds every
case (minutes). Vectors from another CPU can differ in their last bits; the weights are written with
five significant digits, so a retrain elsewhere gives the same file or one that differs there only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ads_data  # noqa: E402

from ytlocal.summarization import ad_features, ad_model, ads  # noqa: E402

WORD_FEATURES = tuple(ad_features.CUES) + tuple(f"{n}_{side}" for n in ad_features.WINDOWED_CUES for side in ("before", "after")) + (
    "break_open", "break_closing", "selling_anchor", "selling_anchor_between", "selling_anchor_close",
    "selling_anchor_wide", "words", "burst", "burst_near")
MEANING_SCALARS = ("prototype", "prototype_z", "centre_z", "near_cos", "far_cos", "contrast_z",
                   "prototype_z_near", "centre_z_near", "contrast_z_near")
EDGE_COMMON = ("selling_anchor_close_after", "selling_anchor_close_before", "words")
START_WORDS = ("announcement", "break_in", "friends", "sponsor", "greeting", "question", "address_path",
               "overlap_before") + tuple(f"previous:{n}" for n in (
                   "announcement", "break_in", "break_out", "greeting", "question", "address_path", "call_to_action",
                   "show_plug", "selling_anchor")) + EDGE_COMMON
END_WORDS = ("break_out", "address", "address_path", "call_to_action", "question", "greeting", "offer",
             "overlap_after") + tuple(f"next:{n}" for n in (
                 "announcement", "break_in", "break_out", "greeting", "question", "address_path", "show_plug",
                 "sponsor", "selling_anchor")) + EDGE_COMMON
FEATURES = {
    "words": {"sentence": WORD_FEATURES, "start": START_WORDS, "end": END_WORDS},
    "meaning": {"sentence": WORD_FEATURES + MEANING_SCALARS + ("vector",),
                "start": START_WORDS + ("cos_before_z", "prototype_z"),
                "end": END_WORDS + ("cos_after_z", "prototype_z")},
}

SENTENCE_PENALTY = 1000.0  # L2 penalty on standardized weights: strong, or a show's own cues dominate
EDGE_PENALTY = 3.0
HARD_NEGATIVE_WORDS = 200
HARD_NEGATIVE_WEIGHT = 5.0
EDGE_WORDS = 200
SHIFTS = tuple(np.round(np.arange(-7.0, -0.49, 0.5), 2))
EDGE_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 3.0)
TALK_COST = 10.0
SIGNIFICANT = 5


@dataclass
class Prepared:
    """One transcript's features (name -> column), labels and what line-level scoring needs."""

    item: ads_data.Transcribed
    features: dict
    lengths: np.ndarray
    per_word: list

    @property
    def show(self) -> str:
        return self.item.show

    @property
    def centres(self) -> np.ndarray:
        return np.cumsum(self.lengths) - self.lengths / 2

    def reads(self) -> list[tuple[int, int]]:
        """The labelled reads as runs of sentences (first, last)."""
        inside = self.item.ad_share >= 0.5
        runs, first = [], None
        for index in range(len(inside) + 1):
            flag = index < len(inside) and bool(inside[index])
            if flag and first is None:
                first = index
            elif not flag and first is not None:
                runs.append((first, index - 1))
                first = None
        return runs


def prepare(items, prototypes) -> list[Prepared]:
    result = []
    for item in items:
        features = ad_features.sentence_features(item.sentences, item.meaning, prototypes)
        lengths, _c, _t = ad_features._word_positions(item.sentences)
        per_word = ads.sentence_lines(item.segments, item.sentences, per_word=True)
        result.append(Prepared(item, features, lengths, per_word))
    return result


# ------------------------------------------------------------------------------ logistic regression


def fit_logistic(matrix: np.ndarray, targets: np.ndarray, penalty: float, row_weights: np.ndarray | None = None,
                 iterations: int = 50):
    """L2-regularized logistic regression by Newton's method on standardized columns; returns weights
    and bias on the raw columns. ``targets`` may be fractional (a sentence half inside a read)."""
    centre = matrix.mean(axis=0)
    spread = matrix.std(axis=0)
    # A column that hardly varies (the embedding model has dimensions that are zero but for rounding)
    # carries no signal: standardizing it would blow its rounding noise up into a feature.
    dead = spread < 1e-6
    spread[dead] = 1.0
    x = np.hstack([np.where(dead, 0.0, (matrix - centre) / spread), np.ones((len(matrix), 1))])
    rows = np.ones(len(x)) if row_weights is None else row_weights
    weights = np.zeros(x.shape[1])
    ridge = np.append(np.broadcast_to(np.asarray(penalty, dtype=float), (x.shape[1] - 1,)), 0.0)
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(x @ weights, -30, 30)))
        gradient = x.T @ (rows * (p - targets)) + ridge * weights
        hessian = (x * (rows * p * (1 - p))[:, None]).T @ x + np.diag(ridge + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    raw = np.where(dead, 0.0, weights[:-1] / spread)
    return raw, float(weights[-1] - raw @ centre)


def rounded(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def linear_model(names, matrix, targets, penalty, row_weights=None) -> ad_model.LinearModel:
    weights, bias = fit_logistic(matrix, targets, penalty, row_weights)
    return ad_model.LinearModel(tuple(names), tuple(rounded(w) for w in weights), rounded(bias))


def sentence_rows(p: Prepared, names) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    inside = p.item.ad_share >= 0.5
    near = np.zeros(len(inside), dtype=bool)
    centres = p.centres
    for index in np.nonzero(inside)[0]:
        near |= np.abs(centres - centres[index]) <= HARD_NEGATIVE_WORDS
    weights = 1.0 + HARD_NEGATIVE_WEIGHT * (near & ~inside)
    return ad_model.feature_matrix(p.features, names), p.item.ad_share, weights


def edge_rows(p: Prepared, names, which: str) -> tuple[np.ndarray, np.ndarray]:
    """The sentences around each labelled read's first (``which`` = "start") or last sentence, on the
    read's side, labelled 1 at the edge itself."""
    matrix = ad_model.feature_matrix(p.features, names)
    centres = p.centres
    rows, targets = [], []
    for first, last in p.reads():
        edge = first if which == "start" else last
        near = np.nonzero(np.abs(centres - centres[edge]) <= EDGE_WORDS)[0]
        near = near[near <= last] if which == "start" else near[near >= first]
        rows.append(matrix[near])
        targets.append((near == edge).astype(float))
    if not rows:
        return np.zeros((0, matrix.shape[1])), np.zeros(0)
    return np.vstack(rows), np.concatenate(targets)


def fit_models(prepared: list[Prepared], kind: str) -> tuple[ad_model.LinearModel, ad_model.LinearModel, ad_model.LinearModel]:
    names = FEATURES[kind]
    matrices, targets, weights = zip(*(sentence_rows(p, names["sentence"]) for p in prepared))
    sentence = linear_model(names["sentence"], np.vstack(matrices), np.concatenate(targets), SENTENCE_PENALTY,
                            np.concatenate(weights))
    edges = []
    for which in ("start", "end"):
        matrices, targets = zip(*(edge_rows(p, names[which], which) for p in prepared))
        edges.append(linear_model(names[which], np.vstack(matrices), np.concatenate(targets), EDGE_PENALTY))
    return sentence, edges[0], edges[1]


# ------------------------------------------------------------------------------------ the span step


def marked_lines(p: Prepared, spans) -> set[int]:
    """0-based lines most of whose words lie in the spans' sentences (what bench_ads scores for .txt)."""
    totals: dict[int, int] = {}
    inside: dict[int, int] = {}
    chosen = {i for first, last, *_ in spans for i in range(first, last + 1)}
    for index, owners in enumerate(p.per_word):
        for line in owners:
            totals[line] = totals.get(line, 0) + 1
            if index in chosen:
                inside[line] = inside.get(line, 0) + 1
    return {line for line, count in inside.items() if 2 * count >= totals[line]}


def line_scores(p: Prepared, spans) -> tuple[float | None, float]:
    ad = {i - 1 for a, b in p.item.reads for i in range(a, b + 1)}
    got = marked_lines(p, spans)
    recall = len(got & ad) / len(ad) if ad else None
    talk = p.item.line_count - len(ad)
    return recall, len(got - ad) / talk if talk else 0.0


def objective(scores: list[tuple[float | None, float]]) -> float:
    recalls = [recall for recall, _talk in scores if recall is not None]
    return float(np.mean(recalls) if recalls else 0.0) - TALK_COST * float(np.mean([talk for _r, talk in scores]))


def choose_span_step(prepared: list[Prepared], kind: str, log=print) -> tuple[float, float]:
    """(shift, edge_weight) by leave-one-show-out within ``prepared``."""
    outputs = []
    for show in sorted({p.show for p in prepared}):
        sentence, start, end = fit_models([p for p in prepared if p.show != show], kind)
        for p in prepared:
            if p.show == show:
                outputs.append((p, sentence.log_odds(p.features), start.log_odds(p.features), end.log_odds(p.features)))
    best = None
    for shift, edge_weight in itertools.product(SHIFTS, EDGE_WEIGHTS):
        value = objective([line_scores(p, ad_model.read_spans(o, s, e, float(shift), edge_weight)) for p, o, s, e in outputs])
        if best is None or value > best[0] + 1e-9:
            best = (value, float(shift), edge_weight)
    log(f"  {kind}: within {len({p.show for p in prepared})} shows, shift {best[1]}, edge weight {best[2]} "
        f"(objective {best[0]:.3f})")
    return best[1], best[2]


def train_detector(prepared: list[Prepared], kind: str, log=print) -> ad_model.Detector:
    shift, edge_weight = choose_span_step(prepared, kind, log)
    sentence, start, end = fit_models(prepared, kind)
    return ad_model.Detector(sentence, start, end, shift, edge_weight)


def train(prepared: list[Prepared], prototypes: np.ndarray, kinds=("meaning", "words"), log=print) -> ad_model.AdModel:
    detectors = {kind: train_detector(prepared, kind, log) for kind in kinds}
    # A benchmark of the detector with meaning alone may skip the words-only one (never used there).
    detectors.setdefault("words", detectors.get("meaning"))
    about = {"trained_on": sorted({p.show for p in prepared}), "cases": sorted({p.item.case.name for p in prepared}),
             "sentences": int(sum(len(p.lengths) for p in prepared)), "embedding_model": ads_data.EMBEDDING_MODEL,
             "dimensions": int(prototypes.shape[1]),
             "prototype_cosines": [round(c, 4) for c in ad_model.prototype_cosines(prototypes)]}
    return ad_model.AdModel(detectors.get("meaning"), detectors["words"], about)


def model_json(model: ad_model.AdModel) -> str:
    return json.dumps(model.to_dict(), separators=(",", ":")) + "\n"


def load_prepared(cache: Path = ads_data.DEFAULT_CACHE) -> tuple[list[Prepared], np.ndarray]:
    """Every labelled case (its .txt: the .srt gives the same sentences), with meaning, prepared."""
    embedder = ads_data.CachedEmbedder(cache)
    prototypes = embedder.embed(list(ad_features.AD_PROTOTYPES)).astype(float)
    items = ads_data.load_all(embedder, suffixes=("txt",))
    return prepare(items, prototypes), prototypes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=ads_data.DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=ad_model.MODEL_FILE)
    parser.add_argument("--check", action="store_true", help="retrain and compare with the shipped file")
    args = parser.parse_args()
    if not ads_data.DATA.is_dir():
        print(f"needs the labelled cases in {ads_data.DATA}", file=sys.stderr)
        return 2
    prepared, prototypes = load_prepared(args.cache)
    text = model_json(train(prepared, prototypes, log=lambda m: print(m, file=sys.stderr)))
    if args.check:
        same = args.out.is_file() and args.out.read_text() == text
        print("the shipped weights are reproduced exactly" if same else f"{args.out} differs from a retrain")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
