"""The library and `ytlocal search`: SQLite FTS5 on real transcripts, ranking, links, query text that
looks like FTS syntax, replacement on re-adding, one transaction per video, and the real pipeline
adding what it summarizes."""

import json
import sqlite3

import pytest

from ytlocal.errors import LibraryError
from ytlocal.library import Library, fts_query, passages
from ytlocal.records import Media, Result, Segment, Transcript

from test_batch import site, talk_audio  # noqa: F401  (the loopback video site of the batch tests)

TALKS = {
    "bees": ["Honey bees pollinate apple trees and almonds.", "A colony can hold fifty thousand workers in summer.",
             "Farmers plant wild flowers to help them."],
    "rivers": ["Rivers carry sediment from the mountains to the sea.", "Floods spread that sediment over the plains.",
               "Dams hold the sediment back and the deltas shrink."],
    "bread": ["Bakers mix flour, water, salt and yeast.", "The dough rises for several hours.",
              "A hot oven gives the loaf its crust."],
}


def talk(name: str, url: str | None = None) -> Result:
    segments = [Segment(10.0 * i + 5, 10.0 * i + 14, text) for i, text in enumerate(TALKS[name])]
    media = Media(key=f"youtube-{name}", source=url or name, audio_path=None, title=f"Talk about {name}",
                  extractor="youtube", video_id=name, duration=40.0,
                  webpage_url=url or f"https://www.youtube.com/watch?v={name}")
    return Result(media.source, media=media, transcript=Transcript(segments, language="en", model="whisper-base"))


@pytest.fixture
def library(tmp_path):
    with Library(tmp_path / "library") as opened:
        for name in TALKS:
            opened.add(talk(name))
        yield opened


def test_search_ranks_the_right_passage_first_with_highlights_and_a_time_link(library):
    hits = library.search("sediment floods")
    assert [hit.video_id for hit in hits] == ["youtube-rivers"]
    assert "**sediment**" in hits[0].marked("**", "**") and "**Floods**" in hits[0].marked("**", "**")
    assert {hits[0].text[start:end] for start, end in hits[0].spans} >= {"sediment", "Floods"}
    assert hits[0].link == "[00:05](https://www.youtube.com/watch?v=rivers&t=5)"
    ranked = library.search("oven crust bees")
    assert ranked[0].video_id == "youtube-bread"  # two rare words beat one
    assert {hit.video_id for hit in ranked} == {"youtube-bread", "youtube-bees"}
    assert library.search("bees", video="Talk about bread") == []
    assert [h.video_id for h in library.search("bees", video="https://www.youtube.com/watch?v=bees")] == ["youtube-bees"]


@pytest.mark.parametrize("query", ['"', "*", "NEAR(bees hive)", "-bees", "bees OR", "text:bees", "'", ")(",
                                   "bees AND NOT", "^bees", "", "   ", "\u00a0", "🐝"])
def test_query_text_is_never_fts_syntax(library, query):
    hits = library.search(query)
    assert all(hit.video_id.startswith("youtube-") for hit in hits)
    if "bees" in query:
        assert hits and hits[0].video_id == "youtube-bees"
    assert fts_query('NEAR "x" -y*') == '"near" OR "x" OR "y"'


def test_adding_again_replaces_and_removing_forgets(library):
    before = {row["id"]: row["passages"] for row in library.videos()}
    library.add(talk("bees"))
    assert {row["id"]: row["passages"] for row in library.videos()} == before
    assert len(library.search("pollinate")) == 1
    library.remove("youtube-bees")
    assert library.search("pollinate") == []
    assert library.rebuild_index() == sum(before.values()) - before["youtube-bees"]


def test_a_failure_while_indexing_leaves_the_previous_state(library, monkeypatch):
    """One transaction per video: a failure half-way (here a NOT NULL violation on the third passage,
    as a kill would leave it) changes nothing."""
    import ytlocal.library.store as module

    before = library.search("pollinate")
    monkeypatch.setattr(module, "passages", lambda segments: [(0.0, 1.0, "new text")] * 2 + [(0.0, 1.0, None)])
    with pytest.raises(LibraryError):
        library.add(talk("bees"))
    assert library.search("pollinate")[0].text == before[0].text
    assert library.search("new text") == []


def test_passages_keep_sentences_whole_and_times(library):
    rows = passages([Segment(float(i), float(i) + 1, f"Sentence number {i} has six words.") for i in range(40)],
                    words=30)
    assert all(text.endswith(".") for _start, _end, text in rows)
    assert rows[0][0] == 0.0 and rows[-1][1] == 40.0
    untimed = passages([Segment(0.0, 0.0, "No times here.")])
    assert untimed == [(None, None, "No times here.")]


def test_damaged_or_busy_libraries_are_one_clear_error(tmp_path, run_cli):
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / "library.sqlite").write_bytes(b"this is not a database" * 200)
    result = run_cli("search", "bees", "--library", str(folder))
    assert result.exit_code == LibraryError.exit_code
    assert "is damaged" in result.output and "library add" in result.output
    busy = Library(tmp_path / "busy")
    busy.add(talk("bees"))
    holder = sqlite3.connect(busy.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    import ytlocal.library.store as module

    module.BUSY_TIMEOUT_S, saved = 0.2, module.BUSY_TIMEOUT_S
    try:
        with pytest.raises(LibraryError, match="is busy"):
            Library(tmp_path / "busy").add(talk("rivers"))
    finally:
        module.BUSY_TIMEOUT_S = saved
        holder.execute("ROLLBACK")
        holder.close()
        busy.close()


def test_library_add_folders_and_other_languages(run_cli, tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "vortrag.srt").write_text(
        "1\n00:00:01,000 --> 00:00:04,000\nDie Straße führt über den Übergang zum Bahnhof.\n\n"
        "2\n00:01:05,000 --> 00:01:09,000\nDort wartet der Zug nach München.\n", encoding="utf-8")
    (folder / "vortrag.txt").write_text("Die Straße führt über den Übergang zum Bahnhof.", encoding="utf-8")
    (folder / "notes.summary.json").write_text("{}")
    (folder / "settings.json").write_text('{"not": "a transcript"}')
    library = str(tmp_path / "library")
    added = run_cli("library", "add", str(folder), "--library", library)
    assert added.exit_code == 0, added.output
    assert "added 1 transcript(s) or summaries" in added.output and "skipped 1 file(s)" in added.output
    found = json.loads(run_cli("search", "Straße", "--json", "--library", library).stdout)
    assert len(found) == 1 and found[0]["link"].endswith("vortrag.srt 00:01")
    assert json.loads(run_cli("search", "ubergang", "--json", "--library", library).stdout)  # diacritics folded
    assert "Bahnhof" in run_cli("search", "bahnhof", "--library", library).output
    listed = run_cli("library", "list", "--library", library)
    assert "vortrag" in listed.output and "1:09" in listed.output
    bad = run_cli("library", "add", str(tmp_path / "missing.srt"), "--library", library)
    assert bad.exit_code == 9 and "not a transcript file or folder" in bad.output


def test_empty_library_says_how_to_fill_it(run_cli, tmp_path):
    result = run_cli("search", "anything", "--library", str(tmp_path / "empty"))
    assert result.exit_code == 0
    assert "is empty" in result.output and "ytlocal library add" in result.output


@pytest.mark.integration
def test_summarize_adds_the_video_and_search_finds_it(run_cli, talk_m4a, tmp_path):
    summarized = run_cli("summarize", str(talk_m4a), "--whisper-model", "whisper-tiny.en", "-o", str(tmp_path / "out"))
    assert summarized.exit_code == 0, summarized.output
    hits = json.loads(run_cli("search", "honey bees", "--json").stdout)
    assert hits and hits[0]["path"] == str(talk_m4a) and hits[0]["start"] is not None
    assert "**" in hits[0]["text"]
    listed = run_cli("library", "list", "--json")
    [video] = json.loads(listed.stdout)
    assert video["summary_path"].endswith(".md") and video["llm_model"] == "smollm2-135m-instruct"
    removed = run_cli("library", "rm", video["id"])
    assert removed.exit_code == 0 and json.loads(run_cli("search", "bees", "--json").stdout) == []
    # A folder of summaries only (a batch run without --with-transcript): its timed statements are indexed.
    other = str(tmp_path / "summaries-only")
    added = run_cli("library", "add", str(tmp_path / "out"), "--library", other)
    assert "added 1 transcript(s) or summaries" in added.output, added.output
    [entry] = json.loads(run_cli("library", "list", "--json", "--library", other).stdout)
    assert entry["title"] == video["title"] and entry["passages"] >= 1
    hits = json.loads(run_cli("search", "bees", "--json", "--library", other).stdout)
    assert hits and hits[0]["start"] is not None


def test_a_kill_during_indexing_leaves_the_previous_entry_whole(tmp_path):
    """A process killed (SIGKILL) in the middle of indexing a long transcript: the library still has
    the previous entry of that video, complete, and nothing of the new one."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO_ROOT

    folder = tmp_path / "library"
    with Library(folder) as library:
        library.add(talk("bees"))
    script = f"""
import sys
sys.path.insert(0, {str(REPO_ROOT)!r})
sys.path.insert(0, {str(REPO_ROOT / "tests")!r})
import ytlocal.library.store as module
from test_library import talk
rows = [(float(i), float(i) + 1, f"replacement passage number {{i}} about hives") for i in range(2_000_000)]
module.passages = lambda segments: rows
print("indexing", flush=True)
module.Library({str(folder)!r}).add(talk("bees"))
print("finished", flush=True)
"""
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "indexing"
    time.sleep(1.5)
    assert process.poll() is None, "indexing finished before the kill"
    process.send_signal(signal.SIGKILL)
    process.wait()
    with Library(folder) as library:
        assert library.rebuild_index() == 1  # the integrity check passes; the old passage only
        assert library.search("replacement hives") == []
        assert "pollinate" in library.search("pollinate")[0].text


@pytest.mark.integration
def test_a_batch_adds_its_videos_and_library_add_takes_a_batch_folder(site, run_cli, tmp_path):  # noqa: F811
    from test_batch import good_sources

    out = tmp_path / "batch"
    result = run_cli("batch", *good_sources(site)[:2], "--whisper-model", "whisper-tiny.en", "-o", str(out),
                     "--with-transcript", "-f", "md", "-f", "json")
    assert result.exit_code == 0, result.output
    hits = json.loads(run_cli("search", "sediment mountains", "--json").stdout)
    assert hits and hits[0]["url"].endswith("/rivers.html") and hits[0]["link"].startswith("[00:")
    other = str(tmp_path / "other-library")
    added = run_cli("library", "add", str(out), "--library", other)
    assert added.exit_code == 0 and "added 2 transcript(s) or summaries" in added.output, added.output
    listed = json.loads(run_cli("library", "list", "--json", "--library", other).stdout)
    titles = sorted(row["title"] for row in listed)
    assert len(titles) == 2 and titles[0].startswith("Talk about bees") and titles[1].startswith("Talk about rivers")
    assert json.loads(run_cli("search", "sediment", "--json", "--library", other).stdout)
