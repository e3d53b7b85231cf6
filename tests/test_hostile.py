"""Hostile and broken input: titles, transcripts, media, disks and options that try to break ytlocal."""

import re
from pathlib import Path

import pytest
import yaml

from ytlocal.acquire import AcquireOptions, _QuietLogger, _ydl_options
from ytlocal.errors import SourceError
from ytlocal.records import Media, Segment, Transcript
from ytlocal.transcript import write_transcript

from media import TALK_TEXT, ffmpeg

pytestmark = pytest.mark.integration

TINY = ("--whisper-model", "whisper-tiny.en")
HOSTILE_TITLE = ("../../etc/passwd\u202e; rm -rf ~ `id` $(reboot) | > x < y "
                 "<script>alert(1)</script> \"quoted\" 'single' --- # heading [link](javascript:alert(1)) 🐝"
                 + " long" * 100)


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_hostile_video_title_gives_a_safe_file_and_valid_front_matter(run_cli, loopback_server, talk_m4a, tmp_path):
    import html

    loopback_server.routes["/media/talk.m4a"] = talk_m4a.read_bytes()
    loopback_server.routes["/evil.html"] = (
        f"<html><head><title>{html.escape(HOSTILE_TITLE)}</title></head><body>"
        f'<audio src="/media/talk.m4a"></audio></body></html>').encode()
    work = tmp_path / "work"
    out = work / "out"
    out.mkdir(parents=True)
    result = run_cli("summarize", f"{loopback_server.url}/evil.html", *TINY, "-o", str(out), "--with-transcript")
    assert result.exit_code == 0, result.output
    written = files_under(work)
    assert written and all(path.parent == out for path in written)  # nothing outside the output folder
    [summary] = [p for p in written if p.suffix == ".md"]
    name = summary.name
    assert "/" not in name and "\n" not in name and "\u202e" not in name and not name.startswith(".")
    assert len(name.encode()) < 255
    front, body = summary.read_text().split("---\n", 2)[1:]
    data = yaml.safe_load(front)
    assert data["title"].startswith("../../etc/passwd") and "<script>" in data["title"]  # kept, as data
    assert "<script>" not in body and "&lt;script&gt;" in body  # no raw HTML in the Markdown
    assert not re.search(r"(?<!\\)\]\(javascript:", body)  # brackets escaped: no live link
    heading = body.lstrip().splitlines()[0]
    assert heading.startswith("# ") and heading.count("\n") == 0


def test_markdown_and_html_in_a_transcript_cannot_break_the_output(run_cli, tmp_path):
    lines = TALK_TEXT.splitlines()
    lines[2] = "Workers visit <b>flowers</b> and <script>steal()</script> nectar, see [here](javascript:x) and `code`."
    lines[5] = "---"
    lines[6] = "# Not a heading: beekeepers have reported heavy winter losses for *many* years."
    transcript = Transcript(segments=[Segment(i * 5.0, i * 5.0 + 5, line) for i, line in enumerate(lines)],
                            language="en", media=Media.from_description({"title": 'Bees: "a talk"\ntitle: injected'}))
    [path] = write_transcript(transcript, tmp_path, "t", ["json"])
    result = run_cli("summarize", str(path), "-o", "-")
    assert result.exit_code == 0, result.output
    front, body = result.output.split("---\n", 2)[1:]
    data = yaml.safe_load(front)
    assert data["title"] == 'Bees: "a talk"\ntitle: injected' and "injected" not in data  # no injected key
    assert "<script>" not in body and "<b>" not in body
    assert not re.search(r"(?<!\\)\]\(javascript:", body)
    assert [line for line in body.splitlines() if line.startswith("#")] == [
        line for line in body.splitlines() if line.startswith(("# ", "## ", "### "))]
    assert not any(line.strip() == "---" for line in body.splitlines())


def test_ytdlp_options_can_never_run_commands(tmp_path):
    dangerous = AcquireOptions(cache_dir=tmp_path, cookies="cookies.txt; rm -rf ~", rate_limit="1M",
                               cookies_from_browser="firefox", captions="auto", since="20240101")
    options = _ydl_options(dangerous, tmp_path, lambda *a: None, "t", _QuietLogger())
    assert options["postprocessors"] == []
    assert not {"exec_cmd", "exec", "external_downloader", "external_downloader_args", "postprocessor_args",
                "download_archive", "batchfile"} & set(options)
    assert options["cookiefile"] == "cookies.txt; rm -rf ~"  # a file name, never a command line
    assert options["cookiesfrombrowser"] == ("firefox",)


@pytest.mark.parametrize("make, message", [
    ("truncated", "is not a media file ffmpeg can read"),
    ("random", "is not a media file ffmpeg can read|has no decodable audio stream"),
    ("sparse", "starts with 1024 KiB of zero bytes"),
])
def test_corrupt_media_is_refused_with_a_clear_message(run_cli, talk_m4a, tmp_path, make, message):
    path = tmp_path / ("talk.mp3" if make != "truncated" else "talk.m4a")
    if make == "truncated":
        data = talk_m4a.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif make == "random":
        import random

        path.write_bytes(random.Random(0).randbytes(300_000))
    else:
        with open(path, "wb") as handle:  # 10 GB, sparse: must be refused without reading it
            handle.truncate(10 * 1024 ** 3)
    result = run_cli("summarize", str(path), *TINY, "-o", str(tmp_path / "out"))
    assert result.exit_code == SourceError.exit_code
    assert re.search(message, result.output)
    assert not (tmp_path / "out").exists()


def test_music_without_speech_gives_no_invented_text(run_cli, tmp_path):
    music = tmp_path / "music.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=20", "-f", "lavfi", "-i", "sine=frequency=554:duration=20",
           "-f", "lavfi", "-i", "sine=frequency=659:duration=20", "-filter_complex", "amix=inputs=3,tremolo=f=3",
           str(music))
    result = run_cli("transcribe", str(music), *TINY, "-o", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert "no speech found" in result.output
    assert next((tmp_path / "out").glob("*.txt")).read_text() == ""
    summary = run_cli("summarize", str(music), *TINY, "-o", str(tmp_path / "out"))
    assert summary.exit_code == 7 and "transcript is empty" in summary.output


def test_full_disk_keeps_the_previous_output_and_names_the_path(run_cli, tmpfs, tmp_path):
    tiny_disk = tmpfs("1m")
    transcript = Transcript(segments=[Segment(i * 5.0, i * 5.0 + 5, line)
                                      for i, line in enumerate(TALK_TEXT.splitlines())], language="en")
    [path] = write_transcript(transcript, tmp_path, "talk", ["json"])
    first = run_cli("summarize", str(path), "-o", str(tiny_disk), "--length", "short")
    assert first.exit_code == 0, first.output
    [summary] = tiny_disk.glob("*.md")
    before = summary.read_text()
    filler = tiny_disk / "filler.bin"
    with open(filler, "wb", buffering=0) as handle:  # fill the disk to the last byte
        try:
            while True:
                handle.write(b"x" * 4096)
        except OSError:
            pass
    second = run_cli("summarize", str(path), "-o", str(tiny_disk), "--length", "long")
    assert second.exit_code == 11
    assert f"no space left on the device holding {summary}" in second.output
    assert summary.read_text() == before
    assert sorted(p.name for p in tiny_disk.iterdir()) == sorted([summary.name, "filler.bin"])


def test_six_hour_transcript_is_summarized_whole_in_bounded_memory(test_models_store):
    """Real tokenizer and context checks, canned answers (scripts/bench_summarize.py --repeat 3 measures
    real generation over six hours)."""
    import tracemalloc

    from ytlocal.summarization import SummarizeOptions, summarize_transcript
    from ytlocal.runtime.models import Models

    from test_summarize import TokenizerOnlyBackend

    model = test_models_store.resolve("smollm2-135m-instruct", "llm")
    backend = TokenizerOnlyBackend(Models().chat(model))
    words = ["soil", "river", "forest", "harbor", "meadow", "canyon", "island", "valley"]
    segments = [Segment(i * 7.2, i * 7.2 + 7, f"Part {i}: the {words[i % 8]} survey of day {i // 8} noted item {i}.")
                for i in range(3000)]  # 3000 x 7.2 s = 6 hours
    tracemalloc.start()
    summary = summarize_transcript(Transcript(segments=segments, language="en", duration=21600), backend,
                                   SummarizeOptions(), cache_dir=None)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert summary.stats["sentences"] == len(segments)
    assert summary.sections[-1].end == 21600 and summary.key_points  # the stated duration
    assert max(p.start for p in summary.points) > 5 * 3600
    print(f"summarizer data peak: {peak / 1e6:.1f} MB")
    assert peak < 150 * 1024 * 1024, f"summarizer data peaked at {peak / 1e6:.0f} MB"


def test_listing_options_come_from_the_same_place(tmp_path):
    options = AcquireOptions(cache_dir=tmp_path, cookies="cookies.txt", retries=5)
    listing = _ydl_options(options, listing=True)
    assert listing["cookiefile"] == "cookies.txt" and listing["retries"] == 5 and listing["skip_download"]
    assert "postprocessors" not in listing and "format" not in listing
