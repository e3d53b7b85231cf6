"""Acquire with the real yt-dlp against a loopback HTTP server, and local media checks."""

import io
import json

import pytest

from ytlocal.acquire import AcquireOptions, acquire, describe_download_error, probe_audio
from ytlocal.inputs import Failure, expand_sources
from ytlocal.records import Media
from ytlocal.errors import SourceError

from conftest import closed_loopback_port
from media import TALK_TEXT, encode, silence, speak, video_without_audio

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def talk_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("talk")
    wav = speak(TALK_TEXT, folder / "talk.wav")
    return {
        "wav": wav,
        "m4a": encode(wav, folder / "talk.m4a", "-c:a", "aac", "-b:a", "48k"),
        "mp3": encode(wav, folder / "talk.mp3", "-c:a", "libmp3lame", "-b:a", "48k"),
    }


PAGE = """<html><head><title>Bees and Farmers</title>
<meta property="og:title" content="Bees and Farmers"></head>
<body><audio controls src="/media/talk.m4a">{track}</audio></body></html>"""
PLAYLIST = """<html><head><title>Two talks</title></head><body>
<audio src="/media/talk.m4a"></audio><audio src="/media/missing.m4a"></audio><audio src="/media/talk.mp3"></audio>
</body></html>"""


@pytest.fixture
def site(loopback_server, talk_files):
    loopback_server.routes["/media/talk.m4a"] = talk_files["m4a"].read_bytes()
    loopback_server.routes["/media/talk.mp3"] = talk_files["mp3"].read_bytes()
    loopback_server.routes["/talk.html"] = PAGE.format(track="").encode()
    loopback_server.routes["/playlist.html"] = PLAYLIST.encode()
    loopback_server.routes["/nomedia.html"] = b"<html><head><title>Nothing</title></head><body>text</body></html>"
    return loopback_server


def options(tmp_path, **extra) -> AcquireOptions:
    return AcquireOptions(cache_dir=tmp_path / "cache", retries=0, **extra)


def only(results) -> Media:
    results = list(results)
    assert len(results) == 1, results
    if isinstance(results[0], Failure):
        raise results[0].error
    return results[0]


def test_page_download_keeps_metadata_and_caches_audio(site, tmp_path):
    media = only(acquire([f"{site.url}/talk.html"], options(tmp_path)))
    assert media.title.startswith("Bees and Farmers")
    assert media.webpage_url == f"{site.url}/talk.html"
    assert media.extractor and media.video_id
    assert media.audio_path.is_file() and media.audio_path.suffix == ".m4a"
    assert media.audio_path.is_relative_to(tmp_path / "cache" / "media" / media.key)
    assert 40 < media.duration < 120
    saved = json.loads((media.audio_path.parent / "info.json").read_text())
    assert saved["webpage_url"] == f"{site.url}/talk.html"
    assert "requested_downloads" in saved  # sanitize_info keeps yt-dlp's own record
    assert not list(media.audio_path.parent.glob("*.part"))


def test_second_run_makes_no_request(site, tmp_path):
    first = only(acquire([f"{site.url}/talk.html"], options(tmp_path)))
    hits_after_first = sum(site.hits.values())
    second = only(acquire([f"{site.url}/talk.html"], options(tmp_path)))
    assert sum(site.hits.values()) == hits_after_first
    assert second.audio_path == first.audio_path and second.title == first.title


def test_offline_serves_cached_items_and_refuses_the_rest(site, tmp_path):
    only(acquire([f"{site.url}/talk.html"], options(tmp_path)))
    hits = sum(site.hits.values())
    cached = only(acquire([f"{site.url}/talk.html"], options(tmp_path, offline=True)))
    assert cached.title.startswith("Bees")
    with pytest.raises(SourceError, match="offline mode: .*not in the cache"):
        only(acquire([f"{site.url}/media/talk.mp3"], options(tmp_path, offline=True)))
    assert sum(site.hits.values()) == hits


def test_direct_media_url_downloads(site, tmp_path):
    media = only(acquire([f"{site.url}/media/talk.mp3"], options(tmp_path)))
    assert media.audio_path.suffix == ".mp3"


def test_playlist_item_failure_does_not_stop_the_others(site, tmp_path):
    results = list(acquire([f"{site.url}/playlist.html"], options(tmp_path)))
    assert len(results) == 3
    good = [r for r in results if isinstance(r, Media)]
    bad = [r for r in results if isinstance(r, Failure)]
    assert len(good) == 2 and len(bad) == 1
    assert "404" in str(bad[0].error)
    assert [m.audio_path.suffix for m in good] == [".m4a", ".mp3"]  # playlist order is kept


def test_playlist_limit(site, tmp_path):
    results = list(acquire([f"{site.url}/playlist.html"], options(tmp_path, limit=1)))
    assert len(results) == 1 and isinstance(results[0], Media)


def test_manual_captions_are_fetched_when_preferred(site, tmp_path):
    site.routes["/captions.html"] = PAGE.format(
        track='<track kind="subtitles" src="/media/talk.en.vtt" srclang="en" label="English">').encode()
    site.routes["/media/talk.en.vtt"] = b"WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nWelcome to this short talk.\n"
    media = only(acquire([f"{site.url}/captions.html"], options(tmp_path, captions="prefer")))
    assert media.captions_kind == "manual"
    assert media.captions_path.read_text().startswith("WEBVTT")


@pytest.mark.parametrize("path, message", [
    ("/missing.html", "404"),
    ("/nomedia.html", "Unsupported URL"),
])
def test_web_errors_are_source_errors(site, tmp_path, path, message):
    with pytest.raises(SourceError, match=message):
        only(acquire([f"{site.url}{path}"], options(tmp_path)))


def test_unreachable_site_says_what_to_do(tmp_path):
    with pytest.raises(SourceError) as raised:
        only(acquire([f"http://127.0.0.1:{closed_loopback_port()}/talk.html"], options(tmp_path)))
    message = str(raised.value)
    assert "cannot reach 127.0.0.1 (no network connection, or the site is down)" in message
    assert "--offline" in message and "ytlocal fetch" in message and raised.value.transient


def test_no_network_error_text_becomes_a_sentence():
    raw = ("Unable to download API page: [Errno -2] Name or service not known (caused by "
           "TransportError('[Errno -2] Name or service not known'))")
    text = describe_download_error("https://www.youtube.com/watch?v=abc", raw)
    assert text.startswith("https://www.youtube.com/watch?v=abc: cannot reach www.youtube.com")
    assert "Errno" not in text and "TransportError" not in text
    assert describe_download_error("https://x.org/v", "HTTP Error 404: Not Found") == "https://x.org/v: HTTP Error 404: Not Found"


def test_malformed_url_is_refused_before_any_request(tmp_path):
    with pytest.raises(SourceError, match="malformed URL"):
        only(acquire(["https:///watch?v=x"], options(tmp_path)))


def test_local_file_is_used_in_place(talk_files, tmp_path):
    media = only(acquire([str(talk_files["mp3"])], options(tmp_path)))
    assert media.audio_path == talk_files["mp3"].resolve()
    assert media.extractor == "file" and media.key.startswith("file-")
    assert not (tmp_path / "cache").exists()  # nothing copied


@pytest.mark.parametrize("content, message", [
    (b"", "is an empty file"),
    (b"just some text, not audio\n" * 20, "is not a media file ffmpeg can read"),
    (bytes(range(256)) * 64, "is not a media file ffmpeg can read"),
])
def test_bad_local_files(tmp_path, content, message):
    path = tmp_path / "bad.mp3"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        only(acquire([str(path)], options(tmp_path)))


def test_media_without_audio_stream(tmp_path):
    video = video_without_audio(tmp_path / "silent-film.mp4")
    with pytest.raises(SourceError, match="has no audio stream"):
        only(acquire([str(video)], options(tmp_path)))


def test_folder_expands_to_its_media_files_in_name_order(talk_files, tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    for name in ("b.mp3", "a.m4a"):
        (folder / name).write_bytes(talk_files[name.split(".")[1]].read_bytes())
    (folder / "notes.md").write_text("not media")
    items = expand_sources([str(folder)])
    assert [item.value.rsplit("/", 1)[1] for item in items] == ["a.m4a", "b.mp3"]


def test_folder_without_media_is_a_failure(tmp_path):
    (tmp_path / "notes.md").write_text("x")
    [failure] = expand_sources([str(tmp_path)])
    assert isinstance(failure, Failure) and "holds no media files" in str(failure.error)


def test_missing_path_is_a_failure(tmp_path):
    [failure] = expand_sources([str(tmp_path / "nope.mp3")])
    assert "no such file, folder or URL" in str(failure.error)


def test_source_list_file_with_comments_and_relative_paths(talk_files, tmp_path):
    (tmp_path / "talk.mp3").write_bytes(talk_files["mp3"].read_bytes())
    sources = tmp_path / "sources.txt"
    sources.write_text("# my list\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ  \n\ntalk.mp3   # local\n")
    items = expand_sources([str(sources)])
    assert [(item.kind, item.value) for item in items] == [
        ("url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("file", str((tmp_path / "talk.mp3").resolve())),
    ]


def test_sources_from_stdin(talk_files):
    items = expand_sources(["-"], io.StringIO(f"# comment\n{talk_files['wav']}\nhttps://example.org/v\n"))
    assert [item.kind for item in items] == ["file", "url"]


def test_silence_is_acceptable_media(tmp_path):
    assert 19 < probe_audio(silence(tmp_path / "quiet.wav")) < 21
