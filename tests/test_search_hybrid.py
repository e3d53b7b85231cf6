"""Search by words and meaning: the real embedding model (minilm-l6-v2) and real SQLite, on a few short
talks. Vectors find a paraphrase that shares no word; exact words stay on top for a quoted phrase or a
name; `library reindex` embeds an old library and resumes after a kill; ad reads are marked and never
reach `ask`; without the model everything works by words."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ytlocal.library import Library, ad_flags
from ytlocal.records import Media, Result, Segment, Skipped, Summary, Transcript

TALKS = {
    "bees": "Honey bees pollinate apple trees and almonds. A colony can hold fifty thousand workers in summer. "
            "Farmers plant wild flowers to help them.",
    "rivers": "Rivers carry sediment from the mountains to the sea. Floods spread that sediment over the plains. "
              "Dams hold the sediment back and the deltas shrink.",
    "bread": "Bakers mix flour, water, salt and yeast. The dough rises for several hours. A hot oven gives the "
             "loaf its crust.",
    "chess": "The grandmaster sacrificed a knight to open the king's file. Twenty moves later the attack won the game.",
    "radium": "Radioactivity was studied in Paris around 1900. A Polish physicist discovered polonium and radium "
              "and won two Nobel prizes.",
}
PARAPHRASE = "insects that fertilize orchards"  # the bees talk, without one word of it


def talk(name: str, text: str | None = None, summary: Summary | None = None) -> Result:
    sentences = [s.strip().rstrip(".") + "." for s in (text or TALKS[name]).split(". ") if s.strip()]
    segments = [Segment(10.0 * i, 10.0 * i + 9, sentence) for i, sentence in enumerate(sentences)]
    media = Media(key=f"youtube-{name}", source=name, audio_path=None, title=f"Talk about {name}",
                  extractor="youtube", video_id=name, duration=10.0 * len(segments),
                  webpage_url=f"https://www.youtube.com/watch?v={name}")
    return Result(media.source, media=media, transcript=Transcript(segments, language="en"), summary=summary)


@pytest.fixture(scope="module")
def embedder(test_models_store):
    from ytlocal.runtime.embedding import LlamaEmbedder

    with LlamaEmbedder(test_models_store.resolve("minilm-l6-v2", "embedding"), threads=1) as model:
        yield model


def test_a_paraphrase_with_no_shared_word_is_found_by_meaning(tmp_path, embedder):
    with Library(tmp_path / "library", embedder=embedder) as library:
        for name in TALKS:
            library.add(talk(name))
        assert library.stats()["vectors"] == library.stats()["passages"] == len(TALKS)
        assert library.search(PARAPHRASE, method="bm25") == []  # bm25 alone: no word in common
        hits = library.search(PARAPHRASE)
        assert hits[0].video_id == "youtube-bees" and not hits[0].spans
        assert library.search("zyzzyva quokka") == []  # nothing near in meaning is not a match
        assert [h.video_id for h in library.search("dough", video="Talk about bees")] in ([], ["youtube-bees"])
        library.remove("youtube-bees")  # its vectors go with it, though the index file still holds them
        assert all(hit.video_id != "youtube-bees" for hit in library.search(PARAPHRASE))


def test_exact_words_stay_on_top_for_a_quoted_phrase_and_a_name(tmp_path, embedder):
    """Vectors and the fusion alone put meadows above two long passages that only name a company
    "Wild Flowers"; when the phrase is quoted, or the query is a name, every passage that holds the
    words comes first, whatever it is about."""
    meadows = {f"meadow{i}": text for i, text in enumerate([
        "In spring the meadow is full of poppies, daisies and cornflowers. Butterflies visit the blossoms all day.",
        "Blossoms cover the hillside in May: buttercups, clover and bluebells grow untended along the hedges.",
        "Untamed blooms like foxgloves and primroses spread over the field every summer.",
        "Bluebells and cowslips carpet the woodland floor where nobody planted them."])}
    holders = {
        "ship": "The cargo ship Wild Flowers docked in the harbour at dawn. Cranes unloaded steel containers.",
        "album": "The band's third record, Wild Flowers, sold a million copies on vinyl and cassette.",
        "horse": "The racehorse Wild Flowers won the derby by two lengths on a muddy track.",
        "perfume": "Wild Flowers is a perfume sold in glass bottles at airport shops for forty euros.",
        "tax": "The appeal concerned value added tax on imported machine parts. The tribunal held that the invoices, "
               "issued by the supplier Wild Flowers Limited, did not meet the formal requirements, and the deduction "
               "was refused for the third quarter of the fiscal year.",
        "court": "Quarterly revenue rose eight percent while operating costs fell. The board approved a dividend, "
                 "refinanced the bonds maturing next year and sold the subsidiary Wild Flowers Logistics to a "
                 "private equity fund for an undisclosed sum.",
        "bees": TALKS["bees"]}
    with Library(tmp_path / "library", embedder=embedder) as library:
        for name, text in {**meadows, **holders}.items():
            library.add(talk(name, text))
        video_of = dict(library.database.execute("SELECT id, video_id FROM passages").fetchall())
        expected = {f"youtube-{name}" for name in holders}
        for query in ('"wild flowers"', "Wild Flowers"):
            plain, _ = library._fused(query, None, 50)
            assert {video_of[i] for i, _ in plain[:len(expected)]} != expected  # the fusion alone would not
            hits = library.search(query, limit=10)
            assert {hit.video_id for hit in hits[:len(expected)]} == expected, query
            assert hits[len(expected)].video_id.startswith("youtube-meadow")
        # A question that names things is not a name: it is fused as it comes.
        assert not {hit.video_id for hit in library.search("which wild flowers grow in meadows?", limit=3)} <= expected


def _old_library(folder, embedder_free_talks) -> None:
    """A library as ytlocal wrote it before vectors (schema version 2), with its passages."""
    from ytlocal.db import Database, Schema
    from ytlocal.library import LIBRARY_SCHEMA

    old = Database(folder / "library.sqlite", Schema("library", LIBRARY_SCHEMA.migrations[:2]))
    with old.transaction() as connection:
        for name, text in embedder_free_talks.items():
            connection.execute("INSERT INTO videos (id, title, indexed) VALUES (?, ?, '2024-01-01T00:00:00')",
                               (f"youtube-{name}", f"Talk about {name}"))
            connection.execute("INSERT INTO passages (video_id, start, end, text) VALUES (?, 0, 30, ?)",
                               (f"youtube-{name}", text))
    assert old.version == 2
    old.close()


def test_reindex_gives_an_old_library_its_vectors(tmp_path, embedder, run_cli):
    folder = tmp_path / "old"
    _old_library(folder, TALKS)
    with Library(folder, embedder=embedder) as library:  # migrated on opening: no vectors yet
        assert library.database.version == 3 and library.missing_vectors() == len(TALKS)
        assert library.search(PARAPHRASE) == []
        steps = []
        done = library.reindex(progress=lambda stage, count, total: steps.append((stage, count, total)))
        assert done["embedded"] == len(TALKS) and done["missing"] == 0 and done["model"].startswith("minilm-l6-v2:")
        assert ("embed passages", len(TALKS), len(TALKS)) in steps
        assert library.search(PARAPHRASE)[0].video_id == "youtube-bees"
        # written like every file ytlocal writes (not mkstemp's 0600): a shared library stays readable
        from ytlocal.files import default_mode

        assert (folder / "library.vectors").stat().st_mode & 0o777 == default_mode()
    (folder / "library.vectors").unlink()  # the index file is derived: rebuilt from SQLite when missing
    with Library(folder, embedder=embedder) as library:
        assert library.search(PARAPHRASE)[0].video_id == "youtube-bees"
    result = run_cli("library", "reindex", "--library", str(folder))
    assert result.exit_code == 0 and "embedded 0 passage(s) with minilm-l6-v2; 0 without a vector" in result.output


def test_a_killed_reindex_keeps_what_it_embedded_and_resumes(tmp_path, embedder, test_models_store):
    """SIGKILL right after the first batch is committed: those vectors stay, the next reindex embeds
    only the rest."""
    import signal
    import subprocess
    import sys

    from conftest import REPO_ROOT

    folder = tmp_path / "old"
    many = {f"{name}{copy}": text.replace(".", f" ({copy}).", 1) for copy in range(3) for name, text in TALKS.items()}
    _old_library(folder, many)
    script = f"""
import os, signal, sys
sys.path.insert(0, {str(REPO_ROOT)!r})
import ytlocal.library.store as module
from ytlocal.runtime.embedding import LlamaEmbedder
module.REINDEX_BATCH = 4
def progress(stage, done, total):
    if stage == "embed passages" and done >= 4:
        print("killing", done, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
with module.Library({str(folder)!r}, embedder=LlamaEmbedder({str(embedder.model.path)!r}, threads=1)) as library:
    library.reindex(progress=progress)
print("finished", flush=True)
"""
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert process.stdout.strip() == "killing 4"
    with Library(folder, embedder=embedder) as library:
        assert library.missing_vectors() == len(many) - 4
        done = library.reindex()
        assert done["embedded"] == len(many) - 4 and done["missing"] == 0
        assert library.search(PARAPHRASE)[0].video_id.startswith("youtube-bees")


AD = ("This episode is brought to you by Acme mattresses. Use the code SLEEP for ten percent off your first "
      "mattress order today.")


def _with_ad(library) -> None:
    text = TALKS["bees"] + " " + AD
    summary = Summary(title="Bees", tldr="", key_points=[], sections=[], has_timings=True, llm={}, options={},
                      skipped=[Skipped(30.0, 50.0, "ad or call to action")])
    result = talk("bees", text, summary)
    result.transcript.segments = [Segment(0.0, 29.0, TALKS["bees"]), Segment(30.0, 49.0, AD)]
    library.add(result)


def test_ad_reads_are_marked_in_search_and_never_reach_ask(tmp_path, embedder, monkeypatch):
    import ytlocal.library.store as module
    from ytlocal.answer import ask_library
    from ytlocal.runtime.llm import Generation

    monkeypatch.setattr(module, "passages", lambda segments, words=60: [
        (s.start, s.end, s.text) for s in segments])  # a passage per segment: the talk, then the ad
    with Library(tmp_path / "library", embedder=embedder) as library:
        _with_ad(library)
        library.add(talk("bread"))
        hits = library.search("mattress discount code")
        assert hits[0].skipped and "Acme" in hits[0].text and hits[0].to_dict()["skipped"] is True
        assert all(not hit.skipped for hit in library.search("mattress discount code", include_skipped=False))

        class Backend:
            model = type("M", (), {"sha256": "0" * 64, "name": "scripted"})()
            n_ctx = 2048
            prompts: list[str] = []

            def chat(self, messages, max_tokens, sampling, stop=None):
                self.prompts.append(messages[1]["content"])
                return Generation("Acme sells mattresses with ten percent off [1].", 10, 10, 0.01)

        backend = Backend()
        pipeline = type("P", (), {"cache_dir": None, "chat_model": lambda self: backend})()
        answer = ask_library(library, "Which mattress company sponsors the show and what is the discount code?",
                             pipeline)
        assert all(not hit.skipped and "Acme" not in hit.text for hit in answer.passages)
        assert all("Acme" not in prompt for prompt in backend.prompts)
        assert not any("Acme" in sentence for sentence, _cited in answer.sentences)
        # Added again without its summary (a transcript file): the stored summary's spans still mark the ad.
        again = talk("bees", TALKS["bees"] + " " + AD)
        again.transcript.segments = [Segment(0.0, 29.0, TALKS["bees"]), Segment(30.0, 49.0, AD)]
        library.add(again)
        assert library.search("mattress discount code")[0].skipped


def test_search_shows_ads_as_such_in_the_cli(tmp_path, embedder, run_cli, monkeypatch):
    import ytlocal.library.store as module

    monkeypatch.setattr(module, "passages", lambda segments, words=60: [(s.start, s.end, s.text) for s in segments])
    folder = tmp_path / "library"
    with Library(folder) as library:
        _with_ad(library)
    shown = run_cli("search", "mattress code", "--library", str(folder))
    assert shown.exit_code == 0 and "Talk about bees  [00:30](https://www.youtube.com/watch?v=bees&t=30)  [ad]" in shown.output
    assert json.loads(run_cli("search", "mattress code", "--json", "--library", str(folder)).stdout)[0]["skipped"]


def test_ad_flags_need_most_of_a_passage_inside_a_span():
    rows = [(0.0, 10.0, "a"), (10.0, 20.0, "b"), (20.0, 30.0, "c"), (None, None, "untimed")]
    spans = [Skipped(8.0, 24.0, "ad"), Skipped(0.0, 0.0, "untimed span")]
    assert ad_flags(rows, spans) == [False, True, False, False]
    assert ad_flags(rows, []) == [False] * 4


def test_without_the_model_search_works_by_words_and_reindex_says_how_to_get_vectors(tmp_path, run_cli,
                                                                                         monkeypatch):
    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setenv("YTLOCAL_MODELS_DIR", str(empty))
    subtitles = tmp_path / "talk.srt"
    subtitles.write_text("1\n00:00:01,000 --> 00:00:05,000\nHoney bees pollinate apple trees and almonds.\n\n"
                         "2\n00:00:06,000 --> 00:00:09,000\nFarmers plant wild flowers to help them.\n", encoding="utf-8")
    library = str(tmp_path / "library")
    assert run_cli("library", "add", str(subtitles), "--library", library).exit_code == 0
    found = json.loads(run_cli("search", "pollinate", "--json", "--library", library).stdout)
    assert found and "**pollinate**" in found[0]["text"]
    assert json.loads(run_cli("search", PARAPHRASE, "--json", "--library", library).stdout) == []
    reindexed = run_cli("library", "reindex", "--library", library)
    assert reindexed.exit_code == 0 and "no embedding model: 1 passage(s) have no vector" in reindexed.output
    with sqlite3.connect(tmp_path / "library" / "library.sqlite") as connection:
        assert connection.execute("SELECT COUNT(*) FROM passage_vectors").fetchone()[0] == 0


def test_library_add_embeds_when_the_model_is_installed(tmp_path, run_cli, test_models_store):
    subtitles = tmp_path / "talk.srt"
    subtitles.write_text("1\n00:00:01,000 --> 00:00:05,000\nHoney bees pollinate apple trees and almonds.\n\n"
                         "2\n00:00:06,000 --> 00:00:09,000\nFarmers plant wild flowers to help them.\n", encoding="utf-8")
    library = str(tmp_path / "library")
    assert run_cli("library", "add", str(subtitles), "--library", library).exit_code == 0
    found = json.loads(run_cli("search", PARAPHRASE, "--json", "--library", library).stdout)
    assert found and found[0]["link"].endswith("talk.srt 00:01")


def test_the_index_file_follows_sqlite_through_adds_removals_and_rebuilds(tmp_path, monkeypatch):
    """The derived file with several lists (small limits here): what was added after it is found, what
    was removed never comes back, a merge and a rebuild keep the same answers as an exact scan."""
    import numpy as np

    import ytlocal.library.vector_index as index_file
    import ytlocal.library.vectors as vectors

    monkeypatch.setattr(index_file, "EXACT_BELOW", 200)
    monkeypatch.setattr(vectors, "behind_limit", lambda count: 100)
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((12, 16)).astype(np.float32)
    key = "fake:0123456789abcdef:16"

    def unit(rows):
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    added: list[str] = []

    def add_videos(library, first, count):
        for number in range(first, first + count):
            words = [f"word{number}_{i}." for i in range(40)]
            added.append(library.add(Result(f"v{number}", transcript=Transcript(
                [Segment(i * 5.0, i * 5.0 + 5, " ".join(words[i:i + 1] * 61)) for i in range(40)], language="en"))))
        ids = [r[0] for r in library.database.execute(
            "SELECT id FROM passages p WHERE NOT EXISTS (SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id)")]
        with library.database.transaction() as connection:
            assert library.vectors.claim(connection, key)
            library.vectors.write(connection, ids, unit(centers[rng.integers(12, size=len(ids))]
                                                        + 0.3 * rng.standard_normal((len(ids), 16))))

    def same(found, right):  # int8 scores may swap near ties
        return len({i for i, _ in found} & set(right)) >= 8

    def exact(library, query, limit=10):
        rows = library.database.execute("SELECT passage_id, vector FROM passage_vectors").fetchall()
        scores = vectors.from_blobs((r[1] for r in rows), 16) @ query
        return [rows[i][0] for i in np.argsort(-scores)[:limit]]

    with Library(tmp_path / "library") as library:
        add_videos(library, 0, 30)  # 1,200 passages
        library.vectors.build(key)
        index = index_file.IndexFile(library.vectors.index_path)
        assert len(index.sizes) == index_file.lists_for(1200) > 1 and index.count == 1200
        queries = unit(centers + 0.2 * rng.standard_normal(centers.shape))
        monkeypatch.setattr(index_file, "SCAN_BUDGET", 10_000)  # every list: the same answers as an exact scan
        for query in queries[:3]:
            assert same(library.vectors.nearest(query, key, 10), exact(library, query))
        add_videos(library, 30, 5)  # 200 more: behind the file, found from SQLite
        for query in queries[3:6]:
            assert same(library.vectors.nearest(query, key, 10), exact(library, query))
        for video_id in added[0:30:2]:
            library.remove(video_id)
        assert library.stats()["videos"] == 20
        library.vectors.maintain(key)  # 600 removed, 200 added: more than the limit (100), merged
        merged = index_file.IndexFile(library.vectors.index_path)
        assert merged.count == 800 == library.stats()["vectors"] and merged.trained == 1200
        for query in queries[6:]:
            assert same(library.vectors.nearest(query, key, 10), exact(library, query))
        monkeypatch.setattr(index_file, "SCAN_BUDGET", 100)  # a few lists only: most of the exact top 10
        found = [len(set(i for i, _ in library.vectors.nearest(q, key, 10)) & set(exact(library, q))) for q in queries]
        assert sum(found) >= 0.8 * 10 * len(queries)


def test_vectors_of_another_model_are_never_compared_until_reindex(tmp_path, embedder, caplog):
    class Renamed:  # the same network under another file hash: to the library, another model
        dimensions = embedder.dimensions
        model = type("Model", (), {"name": "other-model", "sha256": "f" * 64})()

        def embed(self, texts):
            return embedder.embed(texts)

        def close(self):
            pass

    folder = tmp_path / "library"
    with Library(folder, embedder=embedder) as library:
        for name in ("bees", "rivers", "bread"):
            library.add(talk(name))
    with Library(folder, embedder=Renamed()) as library:
        assert library.search(PARAPHRASE) == []  # by words alone
        assert "made by minilm-l6-v2" in caplog.text and "library reindex" in caplog.text
        library.add(talk("chess"))
        assert library.stats()["vectors"] == 3  # left for reindex
        done = library.reindex()
        assert done["embedded"] == 4 and done["model"].startswith("other-model:")
        assert library.search(PARAPHRASE)[0].video_id == "youtube-bees"


def _timed(name: str, sentences: list[str]) -> Result:
    segments = [Segment(6.0 * i, 6.0 * i + 5.5, sentence) for i, sentence in enumerate(sentences)]
    media = Media(key=f"file-{name}", source=f"/talks/{name}.srt", audio_path=None, title=name, extractor="file",
                  video_id=name, duration=6.0 * len(segments))
    return Result(media.source, media=media, transcript=Transcript(segments, language="en"))


def test_a_transcript_added_without_a_summary_has_its_ad_read_found(tmp_path, embedder, monkeypatch):
    """No summary says where the ads are (a transcript file, a transcribe-only run): the library finds
    the read itself, with meaning, and ``ask`` leaves it out; a lecture about advertising loses nothing."""
    import ytlocal.library.store as module
    from data.ads_and_talks import MARKETING_LECTURE, MID_ROLL, VOLCANO_TALK
    from ytlocal.summarization.ads import ad_reads

    monkeypatch.setattr(module, "passages", lambda segments, words=60: [(s.start, s.end, s.text) for s in segments])
    with Library(tmp_path / "library", embedder=embedder, find_ads=ad_reads) as library:
        with_read = library.add(_timed("volcanoes", VOLCANO_TALK[:15] + MID_ROLL + VOLCANO_TALK[15:]))
        lecture = library.add(_timed("marketing", MARKETING_LECTURE))
        rows = library._query("SELECT video_id, text, skipped FROM passages ORDER BY id")
        marked = [row["text"] for row in rows if row["video_id"] == with_read and row["skipped"]]
        assert marked and set(marked) <= set(MID_ROLL) and len(marked) >= len(MID_ROLL) - 1
        assert not any(row["skipped"] for row in rows if row["video_id"] == lecture)
        asked = library.search(MID_ROLL[1], include_skipped=False)
        assert all(hit.text not in MID_ROLL for hit in asked)


def _long_talk(name: str, paragraphs: list[str]) -> Result:
    """A talk whose paragraphs are passages of their own (each longer than a passage's words)."""
    segments = [Segment(60.0 * i, 60.0 * i + 59, text) for i, text in enumerate(paragraphs)]
    media = Media(key=f"youtube-{name}", source=name, audio_path=None, title=f"Talk about {name}",
                  extractor="youtube", video_id=name, duration=60.0 * len(segments),
                  webpage_url=f"https://www.youtube.com/watch?v={name}")
    return Result(media.source, media=media, transcript=Transcript(segments, language="en"))


SAILING = [
    "Thanks for coming on the show today. Before we get to the research, I always ask my guests the same thing. "
    "When you are not working, when the laptop is closed and the weekend comes around, what do you actually do to "
    "relax and switch off from everything? People are always curious about the person behind the papers and the "
    "conference talks, so tell us a little about that side of your life.",
    "Oh, that is easy. I spend almost every Saturday on the water with my old wooden boat. I rebuilt the hull "
    "myself over three winters, plank by plank, and now I take her out on the lake whenever the wind is right. "
    "There is something about trimming the sails and listening to the water that empties my head completely. My "
    "kids come along sometimes, and they have started to learn the knots.",
    "Let us turn to the paper now. Your group measured how quickly glaciers in the southern Alps are retreating, "
    "using photographs from the last century and drones flown every summer since. The numbers surprised a lot of "
    "people in the field, and I want to understand how you made sure the old photographs were comparable with "
    "the new images before you drew any conclusion from them.",
]


def test_the_blend_scores_cosine_with_the_neighbours_plus_the_rare_words_held(tmp_path, embedder):
    """Each candidate's score is its cosine to the query, its vector taken with a share of the vectors
    of the passages just before and after it in the same video, plus the weight times the share of
    the query's rarity (idf) that its words hold."""
    import numpy as np

    from ytlocal.library import Blend
    from ytlocal.library.vectors import from_blobs

    blend = Blend(context=0.25, words=0.2)
    question = "what does the guest do on weekends to unwind"
    with Library(tmp_path / "library", embedder=embedder) as library:
        library.add(_long_talk("sailing", SAILING))
        for name in TALKS:
            library.add(talk(name))
        ranked = dict(library.ranked(question, limit=20, fusion=blend))
        rows = library.database.execute("SELECT p.id, p.video_id, p.text, v.vector FROM passages p JOIN "
                                        "passage_vectors v ON v.passage_id = p.id ORDER BY p.id").fetchall()
        vectors = dict(zip((r["id"] for r in rows), from_blobs((r["vector"] for r in rows), embedder.dimensions)))
        video = {r["id"]: r["video_id"] for r in rows}
        coverage = library._coverage(question, {r["id"]: r["text"] for r in rows})
        query = embedder.embed([question])[0]
        assert ranked
        for passage_id, score in ranked.items():
            mixed = vectors[passage_id].copy()
            for other in (passage_id - 1, passage_id + 1):
                if video.get(other) == video[passage_id]:
                    mixed += 0.25 * vectors[other]
            expected = float(mixed @ query / np.linalg.norm(mixed)) + 0.2 * coverage.get(passage_id, 0.0)
            assert score == pytest.approx(expected, abs=2e-3)
        # The answer sits after the host's question: with its neighbours it is the sailing talk's best passage.
        sailing = sorted(i for i, v in video.items() if v == "youtube-sailing")
        assert max(sailing, key=lambda i: ranked.get(i, -1)) in sailing[:2]


def test_rare_words_of_the_query_count_more_than_common_ones(tmp_path):
    """The words part of the blend: a passage holding the query's rare word gets more than one holding
    only its common word, and a passage holding neither gets nothing (words alone: no model needed)."""
    common = "People talk about the weather. People like the summer."
    texts = {f"filler{i}": common for i in range(8)}
    texts["airship"] = "The zeppelin crossed the ocean in three days."
    texts["both"] = "People watched the zeppelin land in the field."
    texts["none"] = "Bakers mix flour and water before dawn."
    with Library(tmp_path / "library") as library:
        for name, text in texts.items():
            library.add(talk(name, text))
        rows = library.database.execute("SELECT id, video_id, text FROM passages").fetchall()
        by_video = {r["video_id"]: r["id"] for r in rows}
        coverage = library._coverage("people and the zeppelin", {r["id"]: r["text"] for r in rows})
    assert coverage[by_video["youtube-both"]] == pytest.approx(1.0)
    assert coverage[by_video["youtube-airship"]] > 0.5 > coverage[by_video["youtube-filler0"]] > 0
    assert by_video["youtube-none"] not in coverage


def test_a_question_in_the_transcripts_own_words_finds_its_passage_first(tmp_path, embedder):
    with Library(tmp_path / "library", embedder=embedder) as library:
        for name in TALKS:
            library.add(talk(name))
        assert library.search("a colony can hold fifty thousand workers")[0].video_id == "youtube-bees"
        assert library.search("which Polish physicist discovered polonium")[0].video_id == "youtube-radium"
