"""The local library: every transcript ytlocal writes (and any added with ``ytlocal library add``),
searchable offline.

One SQLite database (``library.sqlite``): a row per video and passage rows of a few sentences each
with their times, indexed with SQLite's FTS5 and ranked by bm25; with a sentence-embedding model,
each passage also gets a vector, and search fuses bm25 with the passages nearest in meaning.

One job per module:

- :mod:`~ytlocal.library.schema`: the tables and their migrations (vectors and the ``skipped`` mark too).
- :mod:`~ytlocal.library.store`: :class:`Library`, which adds, removes, pages and reindexes videos.
- :mod:`~ytlocal.library.videos`: a video as a page shows it, read back from the library.
- :mod:`~ytlocal.library.cutting`: a transcript cut into passages, and those an ad read covers.
- :mod:`~ytlocal.library.importing`: transcript files and the summaries ytlocal wrote, read for the library.
- :mod:`~ytlocal.library.search`: :class:`Hit` and the ranking, from :mod:`~ytlocal.library.query`
  (what a query means), :mod:`~ytlocal.library.words` (bm25), :mod:`~ytlocal.library.meaning`
  (vectors) and :mod:`~ytlocal.library.fusion` (the two lists made one).
- :mod:`~ytlocal.library.vectors`: the vectors in SQLite; :mod:`~ytlocal.library.vector_index`: the
  index file derived from them.

SQLite itself (connections, pragmas, schema versions) is :mod:`ytlocal.db`'s. The library knows no
stage above it: the ad finder for transcripts added without a summary is given by its caller.
"""

from .cutting import ad_flags, passages
from .fusion import FUSION, RANK_FUSION, Blend, Fusion
from .importing import SUMMARY_SUFFIXES, read_summary_markdown, transcript_files
from .query import fts_query
from .schema import LIBRARY_SCHEMA, SORTS
from .search import Hit
from .store import DB_NAME, Library, library_dir, embedder_loader, video_id_of
from .videos import PLAYABLE, VideoDetails, VideoEntry, VideoPage

__all__ = ["DB_NAME", "FUSION", "LIBRARY_SCHEMA", "PLAYABLE", "RANK_FUSION", "SORTS", "SUMMARY_SUFFIXES", "Blend",
           "Fusion", "Hit", "Library", "VideoDetails", "VideoEntry", "VideoPage", "ad_flags", "fts_query", "library_dir",
           "passages", "read_summary_markdown", "embedder_loader", "transcript_files", "video_id_of"]
