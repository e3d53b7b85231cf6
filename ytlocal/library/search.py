"""Search: what one passage found is (:class:`Hit`, with the spans of the words that match), and how the
lists are put together: bm25's (:mod:`ytlocal.library.words`) and the vectors' (:mod:`ytlocal.library.meaning`)
fused (:mod:`ytlocal.library.fusion`), with the passages that hold a quoted phrase or every word of a
name first (:mod:`ytlocal.library.query`).

:class:`Search` is a part of :class:`~ytlocal.library.Library` (a base class of it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import STOPWORDS
from .fusion import FUSION, Blend, Fusion
from .meaning import MeaningSearch
from .query import fts_query, is_name, match_spans, quoted_phrases
from .words import WordSearch

CANDIDATES = 50  # passages each of bm25 and the vectors bring to the fusion


@dataclass
class Hit:
    """One passage that matches a search: its text as it is in the library, and where in it the words
    that match the query are (``spans``: (start, end) character offsets). Whoever shows it marks
    them its own way (:meth:`marked`)."""

    video_id: str
    title: str
    start: float | None
    end: float | None
    text: str
    url: str | None
    path: str | None
    score: float
    passage_id: int = 0
    skipped: bool = False  # inside an ad read or call to action the summary left out (ask never uses it)
    spans: tuple[tuple[int, int], ...] = ()  # the matched words, in order, never overlapping

    @property
    def link(self) -> str:
        """``[mm:ss](URL?t=S)`` for a web video, else ``path mm:ss`` (or the path alone without times)."""
        from ..clock import clock
        from ..render import timestamp_link

        if self.url:
            return timestamp_link(self.start, self.url) if self.start is not None else self.url
        where = self.path or self.video_id
        return f"{where} {clock(self.start)}" if self.start is not None else where

    def marked(self, before: str, after: str) -> str:
        """The text with each matched word between ``before`` and ``after`` (``**`` and ``**``: bold in
        Markdown), nothing escaped."""
        out, last = [], 0
        for start, end in self.spans:
            out.append(self.text[last:start] + before + self.text[start:end] + after)
            last = end
        return "".join(out) + self.text[last:]

    def to_dict(self) -> dict:
        """The hit as JSON shows it: ``text`` with the matched words in ``**bold**``."""
        return {"video_id": self.video_id, "title": self.title, "start": self.start, "end": self.end,
                "text": self.marked("**", "**"), "url": self.url, "path": self.path, "score": self.score,
                "link": self.link, "skipped": self.skipped}


class Search(WordSearch, MeaningSearch):
    """Search in one library (see the module text), with the library's ``find`` (a video named by id,
    URL, path or title) and ``_query``; ``timings`` holds the last search's parts in ms (for
    scripts/bench_ask.py)."""

    def _start_search(self) -> None:
        self.timings: dict[str, float] = {}
        self._start_word_search()

    def _exact(self, query: str, video_ids: list[str] | None, include_skipped: bool) -> set[int]:
        """Passages that hold a quoted phrase of the query, or every word of a query that is a name:
        what the user asked for word for word, kept above what is only near in meaning."""
        phrases = quoted_phrases(query)
        if phrases:
            match = " AND ".join('"' + " ".join(re.findall(r"\w+", phrase.lower(), flags=re.UNICODE)) + '"'
                                 for phrase in phrases)
        elif is_name(query, STOPWORDS):
            match = fts_query(query, every=True)
        else:
            return set()
        return {passage_id for passage_id, _rank in self._ranked(match, video_ids, CANDIDATES, include_skipped)}

    def ranked(self, query: str, *, video: str | None = None, limit: int = 10, include_skipped: bool = True,
               method: str = "hybrid", fusion: Fusion | Blend | None = None) -> list[tuple[int, float]]:
        """(passage id, score) of the ``limit`` best passages, best first. ``method``: ``hybrid`` (bm25
        and vectors fused by ``fusion``, :data:`FUSION` unless given; bm25 alone where there are no
        vectors), ``bm25`` or ``vectors``. A quoted phrase or a name puts the passages holding those
        exact words first (see :meth:`_exact`)."""
        if fts_query(query) is None:
            return []
        video_ids = (self.find(video) or [video]) if video is not None else None
        fused, was_fused = self._fused(query, video_ids, limit, include_skipped, method, fusion)
        if was_fused:
            exact = self._exact(query, video_ids, include_skipped)
            if exact:
                fused = [item for item in fused if item[0] in exact] + [item for item in fused if item[0] not in exact]
        return fused[:limit]

    def _fused(self, query: str, video_ids: list[str] | None, limit: int, include_skipped: bool = True,
               method: str = "hybrid", fusion: Fusion | Blend | None = None) -> tuple[list[tuple[int, float]], bool]:
        """The ranking of ``method`` before exact words are put first, and whether two lists were fused."""
        import time

        self.timings = {}
        nearest, vector = None, []
        if method != "bm25":
            nearest = self._by_meaning(query, video_ids, max(limit, CANDIDATES), include_skipped, vector)
        if method == "vectors":
            return (nearest or [])[:limit], False
        started = time.perf_counter()
        depth = limit if not nearest else max(limit, CANDIDATES)
        words = self._by_words(query, video_ids, depth, include_skipped, any_common_word=not nearest)
        self.timings["bm25_ms"] = (time.perf_counter() - started) * 1000
        if not nearest:  # no model, or no vectors here: as bm25 ranks
            return [(passage_id, -rank) for passage_id, rank in words[:limit]], False
        fusion = fusion or FUSION
        started = time.perf_counter()
        if isinstance(fusion, Blend):
            fused = self._blended(query, vector[0], words, nearest, fusion)
        else:
            fused = fusion([i for i, _ in words], [i for i, _ in nearest])
        self.timings["fusion_ms"] = (time.perf_counter() - started) * 1000
        return fused, True

    def search(self, query: str, *, video: str | None = None, limit: int = 10, include_skipped: bool = True,
               method: str = "hybrid") -> list[Hit]:
        """The ``limit`` best passages for ``query``, optionally of one video (id, URL, path, title):
        bm25 fused with the passages nearest in meaning when the library has vectors (see
        :meth:`ranked`), with the spans of the query's words. ``include_skipped=False`` leaves out the
        passages inside ad reads (as ``ask`` does); otherwise they come as ranked, ``skipped`` set."""
        chosen = self.ranked(query, video=video, limit=limit, include_skipped=include_skipped, method=method)
        if not chosen:
            return []
        rows = {row["id"]: row for row in self._query(
            f"SELECT p.id, p.video_id, v.title, p.start, p.end, v.url, v.path, p.text, p.skipped FROM passages p "
            f"JOIN videos v ON v.id = p.video_id WHERE p.id IN ({', '.join('?' * len(chosen))})",
            [passage_id for passage_id, _score in chosen])}
        spans = match_spans(query)
        return [Hit(row["video_id"], row["title"], row["start"], row["end"], row["text"], row["url"], row["path"],
                    float(score), row["id"], bool(row["skipped"]), spans(row["text"]))
                for passage_id, score in chosen if (row := rows.get(passage_id)) is not None]
