"""Search by words: bm25's best passages from the FTS5 index, the query cut into the library's own
terms (stemmed, accents folded) to find its rarest words, and the share of those words a passage holds
(what the blend of :mod:`ytlocal.library.fusion` weighs with meaning).

:class:`WordSearch` is a part of :class:`~ytlocal.library.Library` (a base class of it): it uses the
library's ``database`` and ``_query``, and keeps per library the passages each term is in and, per
thread, that thread's temporary tables."""

from __future__ import annotations

import logging
import sqlite3
import threading

from .query import fts_query

ANY_WORD_POSTINGS = 10_000  # passages the any-word query may rank (its rarest words first)


class WordSearch:
    """The word lists of a search (see the module text)."""

    def _start_word_search(self) -> None:
        self._term_counts: dict[str, int] = {}  # FTS5 term -> passages holding it (see _rarest_words)
        self._term_counts_at = 0
        self._thread = threading.local()  # .scratched: this thread's connection, once it has its temp tables

    def _ranked(self, match: str, video_ids: list[str] | None, limit: int,
                include_skipped: bool = True) -> list[tuple[int, float]]:
        """(passage id, bm25 rank) of the ``limit`` best matches of an FTS5 ``match``."""
        # FTS5 ranks and cuts first (its own fast path).
        sql = "SELECT rowid, rank FROM passages_fts WHERE passages_fts MATCH ?"
        arguments: list = [match]
        if video_ids is not None:
            sql += f" AND rowid IN (SELECT id FROM passages WHERE video_id IN ({', '.join('?' * len(video_ids))}))"
            arguments += video_ids
        if not include_skipped:
            sql += " AND rowid NOT IN (SELECT id FROM passages WHERE skipped = 1)"
        arguments.append(limit)
        return [(row[0], float(row[1])) for row in self._query(sql + " ORDER BY rank LIMIT ?", arguments)]

    def _by_words(self, query: str, video_ids: list[str] | None, limit: int, include_skipped: bool,
                  any_common_word: bool = True) -> list[tuple[int, float]]:
        """bm25's ``limit`` best passages: those with every word first (an intersection: fast in a
        large library), then, if too few, those with any of them; bm25 orders each group. (Narrowing
        from all words to the rarest alone was tried: recall@1 0.73 -> 0.57 on scripts/bench_ask.py.)"""
        found: list[tuple[int, float]] = []
        seen: set[int] = set()
        for match in (fts_query(query, every=True), self._rarest_words(query, any_common_word)):
            if match is None:
                continue
            for passage_id, rank in self._ranked(match, video_ids, limit, include_skipped):
                if passage_id not in seen:
                    seen.add(passage_id)
                    found.append((passage_id, rank))
            if len(found) >= limit:
                break
        return found[:limit]

    def _rarest_words(self, query: str, keep_one: bool = True) -> str | None:
        """The any-word query over the query's rarest words, as many as fit :data:`ANY_WORD_POSTINGS`
        passages in all (at least the rarest one, unless ``keep_one`` is False: with vectors, a word
        in too many passages adds nothing but time). bm25 ranks every passage an any-word query matches: in 1.44
        million passages a question's common words ("like", "people", "thinking") match hundreds of
        thousands, which took 0.1-1 s a query, and they weigh little in bm25 anyway (a small library
        keeps every word). How many passages hold each word comes from FTS5's own vocabulary, the
        words cut into terms by a temporary FTS5 table with the library's tokenizer."""
        match = fts_query(query)
        if match is None:
            return None
        words = [word.strip('"') for word in match.split(" OR ")]
        terms = self._query_terms(words)
        if terms is None:
            return match
        counts: dict[int, int] = {}
        for index, _term, count in terms:
            counts[index] = max(counts.get(index, 0), count)
        chosen, total = [], 0
        for index in sorted(counts, key=lambda i: counts[i]):
            if counts[index] == 0:
                continue  # in no passage
            if (chosen or not keep_one) and total + counts[index] > ANY_WORD_POSTINGS:
                break
            chosen.append(words[index])
            total += counts[index]
        return " OR ".join(f'"{word}"' for word in chosen) if chosen else None

    def _scratch(self, connection: sqlite3.Connection) -> None:
        if getattr(self._thread, "scratched", None) is not connection:
            _scratch_tables(connection)
            self._thread.scratched = connection

    def _query_terms(self, words: list[str]) -> list[tuple[int, str, int]] | None:
        """Each word's FTS5 terms (the library's tokenizer: stemmed, accents folded) as (word index,
        term, passages holding it), or None when SQLite cannot say. How many passages hold a term
        comes from FTS5's own vocabulary, cut into terms by a temporary FTS5 table."""
        last = getattr(self._thread, "terms", None)  # the same words again within one search
        if last is not None and last[0] == words and last[1] == self._term_counts_at:
            return last[2]
        connection = self.database.connection
        try:
            self._scratch(connection)
            _temporary_rows(connection, "temp.query_words", "word", list(enumerate(words)))
            terms = connection.execute("SELECT doc, term FROM temp.query_terms").fetchall()
            # Counting a term's passages reads its whole list: remembered while the library grows < 5 %.
            size = int(connection.execute("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0])
            if not self._term_counts_at or abs(size - self._term_counts_at) > 0.05 * self._term_counts_at:
                self._term_counts, self._term_counts_at = {}, size
            found = []
            for index, term in terms:
                if term not in self._term_counts:
                    row = connection.execute("SELECT doc FROM temp.library_terms WHERE term = ?", (term,)).fetchone()
                    if len(self._term_counts) > 50_000:
                        self._term_counts.clear()
                    self._term_counts[term] = int(row[0]) if row else 0
                found.append((int(index), term, self._term_counts[term]))
        except sqlite3.Error as error:
            logging.getLogger(__name__).debug("every word of the query kept: %s", error)
            return None
        self._thread.terms = (list(words), self._term_counts_at, found)
        return found

    def _coverage(self, query: str, texts: dict[int, str]) -> dict[int, float]:
        """For each passage (id -> text): the share of the query's words it holds, each weighted by
        its rarity in the library (log of passages per passage holding it). The passages are cut into
        terms by a temporary FTS5 table with the library's tokenizer, so a word counts as bm25 counts it
        (a regular expression over the words' stems, 1.5x faster, lost a paraphrased question of 28 on
        the new cases of scripts/bench_ask.py)."""
        import math

        match = fts_query(query)
        words = [word.strip('"') for word in match.split(" OR ")] if match else []
        terms = self._query_terms(words) if words else None
        if not terms or not texts:
            return {}
        size = max(1, self._term_counts_at)
        weights = {term: math.log((size + 1) / (count + 0.5)) for _index, term, count in terms}
        total = sum(weights.values())
        connection = self.database.connection
        try:
            self._scratch(connection)
            _temporary_rows(connection, "temp.candidate_text", "text", list(texts.items()))
            held = []  # (passage, term): a MATCH per word reads its short list (the vocabulary is slower)
            for term, word in {term: words[index] for index, term, _count in terms}.items():
                held += [(row[0], term) for row in connection.execute(
                    "SELECT rowid FROM temp.candidate_text WHERE candidate_text MATCH ?", (f'"{word}"',))]
        except sqlite3.Error as error:
            logging.getLogger(__name__).debug("no word coverage: %s", error)
            return {}
        coverage: dict[int, float] = {}
        for doc, term in held:
            coverage[int(doc)] = coverage.get(int(doc), 0.0) + weights[term] / total
        return coverage


def _scratch_tables(connection: sqlite3.Connection) -> None:
    """This connection's temporary tables that cut a query's words, and the candidate passages, into
    the library's terms (in memory: they are rewritten at every search)."""
    if connection.execute("PRAGMA temp_store").fetchone()[0] != 2:
        connection.execute("PRAGMA temp_store = MEMORY")  # before any temporary table (it drops them)
    # Contentless (content=''): only their terms are read, and 'delete-all' empties them at once.
    for sql in ("CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_words USING fts5(word, content='', tokenize="
                "'porter unicode61 remove_diacritics 2')",
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_terms USING fts5vocab(temp, query_words, instance)",
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.library_terms USING fts5vocab(main, passages_fts, row)",
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.candidate_text USING fts5(text, content='', tokenize="
                "'porter unicode61 remove_diacritics 2')"):
        connection.execute(sql)


def _temporary_rows(connection: sqlite3.Connection, table: str, column: str, rows: list[tuple[int, str]]) -> None:
    """Replace the rows of a temporary contentless FTS5 table in one transaction (row by row in
    autocommit, each row is an FTS5 segment of its own: 100 passages took ~30 ms instead of ~1 ms)."""
    own = not connection.in_transaction
    if own:
        connection.execute("BEGIN")
    try:
        name = table.split(".")[-1]
        connection.execute(f"INSERT INTO {table} ({name}) VALUES ('delete-all')")
        connection.executemany(f"INSERT INTO {table} (rowid, {column}) VALUES (?, ?)", rows)
    except BaseException:
        if own:
            connection.execute("ROLLBACK")
        raise
    if own:
        connection.execute("COMMIT")
