"""`ytlocal transcribe` end to end: loopback server -> yt-dlp -> faster-whisper -> files, and bad input."""

import json

import pytest

from ytlocal.errors import SourceError

from conftest import closed_loopback_port
from media import silence, video_without_audio

pytestmark = pytest.mark.integration

TINY = ("--whisper-model", "whisper-tiny.en")


@pytest.fixture
def site(loopback_server, talk_m4a):
    loopback_server.routes["/media/talk.m4a"] = talk_m4a.read_bytes()
    page = '<html><head><title>{title}</title></head><body><audio src="/media/talk.m4a">{track}</audio></body></html>'
    loopback_server.routes["/talk.html"] = page.format(title="Bees and Farmers", track="").encode()
    loopback_server.routes["/same-title.html"] = page.format(title="Bees and Farmers", track="").encode()
    loopback_server.routes["/captions.html"] = page.format(
        title="Captioned", track='<track kind="subtitles" src="/media/c.en.vtt" srclang="en">').encode()
    loopback_server.routes["/media/c.en.vtt"] = (
        b"WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nCaptions written by the creator.\n\n"
        b"00:00:04.000 --> 00:00:08.000\nThey replace speech recognition.\n")
    loopback_server.routes["/playlist.html"] = (
        b'<html><head><title>List</title></head><body><audio src="/media/talk.m4a"></audio>'
        b'<audio src="/media/gone.m4a"></audio></body></html>')
    return loopback_server


def test_transcribe_url_writes_every_format(run_cli, site, tmp_path):
    result = run_cli("transcribe", f"{site.url}/talk.html", *TINY, "-o", str(tmp_path), "-f", "all")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 4 and all(name.startswith("Bees and Farmers") for name in files)
    data = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert data["media"]["webpage_url"] == f"{site.url}/talk.html"
    assert data["model"] == "whisper-tiny.en" and data["language"] == "en"
    assert "honey" in next(tmp_path.glob("*.txt")).read_text().lower()


def test_rerun_makes_no_request_and_reuses_the_transcript(run_cli, site, tmp_path):
    run_cli("transcribe", f"{site.url}/talk.html", *TINY, "-o", str(tmp_path / "a"))
    hits = sum(site.hits.values())
    result = run_cli("transcribe", f"{site.url}/talk.html", *TINY, "-o", str(tmp_path / "b"))
    assert result.exit_code == 0
    assert sum(site.hits.values()) == hits
    assert [p.read_text() for p in (tmp_path / "a").iterdir()] == [p.read_text() for p in (tmp_path / "b").iterdir()]


def test_two_videos_with_the_same_title_do_not_overwrite_each_other(run_cli, site, tmp_path):
    result = run_cli("transcribe", f"{site.url}/talk.html", f"{site.url}/same-title.html", *TINY, "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("Bees and Farmers*.txt"))) == 2


def test_creator_captions_replace_asr_when_preferred(run_cli, site, tmp_path):
    result = run_cli("transcribe", f"{site.url}/captions.html", *TINY, "--captions", "prefer", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "captions:manual" in result.output
    assert next(tmp_path.glob("*.txt")).read_text() == (
        "Captions written by the creator.\nThey replace speech recognition.\n")
    # The default never uses captions: the same page goes through ASR.
    asr = run_cli("transcribe", f"{site.url}/captions.html", *TINY, "-o", str(tmp_path / "asr"))
    assert "whisper whisper-tiny.en" in asr.output


def test_playlist_with_one_failing_item(run_cli, site, tmp_path):
    result = run_cli("transcribe", f"{site.url}/playlist.html", *TINY, "-o", str(tmp_path))
    assert result.exit_code == SourceError.exit_code
    assert len(list(tmp_path.glob("*.txt"))) == 1
    assert "404" in result.output and "1 of 2 sources failed; the others completed" in result.output


def test_sources_from_stdin(run_cli, talk_m4a, tmp_path):
    result = run_cli("transcribe", "-", *TINY, "-o", str(tmp_path), input=f"# from a script\n{talk_m4a}\n")
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("talk *.txt"))) == 1


def test_silent_file_gives_an_empty_transcript_and_a_message(run_cli, tmp_path):
    quiet = silence(tmp_path / "quiet.wav", 20)
    result = run_cli("transcribe", str(quiet), *TINY, "-o", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert "no speech found in 'quiet'" in result.output
    assert next((tmp_path / "out").glob("*.txt")).read_text() == ""


@pytest.mark.parametrize("make_source, message", [
    (lambda tmp, url: "https://", "malformed URL"),
    (lambda tmp, url: f"{url}/missing.html", "HTTP Error 404"),
    (lambda tmp, url: f"{url}/nothing.html", "Unsupported URL"),
    (lambda tmp, url: f"http://127.0.0.1:{closed_loopback_port()}/v.html", "cannot reach 127.0.0.1"),
    (lambda tmp, url: str(video_without_audio(tmp / "film.mp4")), "has no audio stream"),
    (lambda tmp, url: (tmp / "zero.mp3").write_bytes(b"") or str(tmp / "zero.mp3"), "empty file"),
    (lambda tmp, url: (tmp / "notes.mp3").write_text("hello " * 100) and str(tmp / "notes.mp3"), "not a media file"),
    (lambda tmp, url: str(tmp / "does-not-exist.wav"), "no such file, folder or URL"),
    (lambda tmp, url: (tmp / "empty-folder").mkdir() or str(tmp / "empty-folder"), "holds no media files"),
])
def test_bad_input_is_one_line_and_exit_code_5(run_cli, site, tmp_path, make_source, message):
    site.routes["/nothing.html"] = b"<html><head><title>No media</title></head><body>hi</body></html>"
    source = make_source(tmp_path, site.url)
    result = run_cli("transcribe", source, *TINY, "-o", str(tmp_path / "out"))
    assert result.exit_code == SourceError.exit_code
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ytlocal: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_offline_refuses_uncached_urls_without_a_request(run_cli, site, tmp_path):
    result = run_cli("transcribe", f"{site.url}/talk.html", *TINY, "--offline", "-o", str(tmp_path))
    assert result.exit_code == SourceError.exit_code
    assert "offline mode" in result.output
    assert sum(site.hits.values()) == 0


def test_missing_whisper_model_says_how_to_pull_it(run_cli, talk_m4a, tmp_path):
    result = run_cli("--models-dir", str(tmp_path), "transcribe", str(talk_m4a))
    assert result.exit_code == 4
    assert "ytlocal models pull whisper-base" in result.output
