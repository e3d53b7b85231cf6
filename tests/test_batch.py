"""`ytlocal batch` and `ytlocal fetch` with the real pipeline on loopback: failure isolation, kill -9
and resume, a second concurrent run, and the fetch-now-summarize-offline workflow."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ytlocal.acquire import is_transient
from ytlocal.batch import BatchLock
from ytlocal.errors import BatchIncomplete, BatchLocked
from ytlocal.jobs import JobList

from conftest import REPO_ROOT
from media import encode, speak, video_without_audio

pytestmark = pytest.mark.integration

TALKS = {
    "bees": "Honey bees pollinate apple trees and almonds. A colony can hold 50,000 workers in summer. "
            "Farmers can plant wild flowers to help them.",
    "rivers": "Rivers carry sediment from the mountains to the sea. Floods spread that sediment over the plains. "
              "Dams hold it back and the deltas shrink.",
    "bread": "Bakers mix flour, water, salt and yeast. The dough rises for several hours at room temperature. "
             "A hot oven gives the loaf its crust.",
    "stars": "Stars form inside clouds of gas and dust. Gravity pulls the gas together until fusion begins. "
             "Large stars burn out in a few million years.",
}
TINY = ("--whisper-model", "whisper-tiny.en")


@pytest.fixture(scope="module")
def talk_audio(tmp_path_factory, test_models_store):
    folder = tmp_path_factory.mktemp("batch-talks")
    audio = {name: encode(speak(text, folder / f"{name}.wav"), folder / f"{name}.m4a", "-c:a", "aac", "-b:a", "32k")
             for name, text in TALKS.items()}
    audio["silent"] = video_without_audio(folder / "silent.mp4")
    return audio


@pytest.fixture
def site(loopback_server, talk_audio):
    for name, path in talk_audio.items():
        loopback_server.routes[f"/media/{path.name}"] = path.read_bytes()
        tag = "video" if name == "silent" else "audio"
        loopback_server.routes[f"/{name}.html"] = (
            f"<html><head><title>Talk about {name}</title></head><body>"
            f'<{tag} src="/media/{path.name}"></{tag}></body></html>').encode()
    return loopback_server


def good_sources(site):
    return [f"{site.url}/{name}.html" for name in TALKS]


def summaries(folder: Path) -> dict[str, str]:
    """Summary files by name, without the generated-at line (the only part that differs between runs)."""
    return {p.name: re.sub(r"(?m)^generated_at: .*$", "", p.read_text())
            for p in sorted(folder.glob("*.md")) if p.name != "index.md"}


def assert_same_summaries(left: dict[str, str], right: dict[str, str]) -> None:
    import difflib

    assert sorted(left) == sorted(right)
    for name in left:
        diff = "\n".join(difflib.unified_diff(right[name].splitlines(), left[name].splitlines(), lineterm=""))
        assert not diff, f"{name} differs:\n{diff}"


def media_hits(site) -> dict[str, int]:
    return {path: count for (method, path), count in site.hits.items() if method == "GET" and path.startswith("/media/")}


def test_failures_are_isolated_and_reported(run_cli, site, tmp_path):
    sources = good_sources(site) + [f"{site.url}/missing.html", f"{site.url}/silent.html"]
    result = run_cli("batch", *sources, *TINY, "-o", str(tmp_path), "--retries", "0")
    assert result.exit_code == BatchIncomplete.exit_code, result.output
    assert len(summaries(tmp_path)) == 4
    assert "done 4, failed 2, skipped 0, pending 0" in result.output
    assert re.search(r"FAILED \(permanent\) .*missing\.html.*404", result.output)
    assert re.search(r"FAILED \(permanent\) .*silent.*has no audio stream", result.output)
    assert re.search(r"this run: 4 done in [\d.]+ s wall, [\d.]+x real time", result.output)
    index = (tmp_path / "index.md").read_text()
    for name in TALKS:
        assert f"[Talk about {name}" in index
    assert "## Failed" in index and "404" in index
    status = run_cli("batch", "--status", str(tmp_path))
    assert status.exit_code == 0
    states = re.findall(r"(?m)^\s+\d+\s+(\w+)\s", status.output)
    assert sorted(states) == ["done"] * 4 + ["failed"] * 2
    # A rerun does nothing new: finished videos are skipped, permanent failures are not retried.
    before = media_hits(site)
    again = run_cli("batch", *sources, *TINY, "-o", str(tmp_path), "--retries", "0")
    assert "this run: 0 done" in again.output
    assert media_hits(site) == before


def test_transient_failure_is_retried_on_the_next_run(run_cli, site, tmp_path):
    page = site.routes.pop("/stars.html")

    def unavailable(handler, with_body):
        handler.send_response(503)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    site.routes["/stars.html"] = unavailable
    first = run_cli("batch", f"{site.url}/stars.html", *TINY, "-o", str(tmp_path), "--retries", "0")
    assert first.exit_code == BatchIncomplete.exit_code
    assert "FAILED (transient)" in first.output and "503" in first.output
    site.routes["/stars.html"] = page
    second = run_cli("batch", f"{site.url}/stars.html", *TINY, "-o", str(tmp_path), "--retries", "0")
    assert second.exit_code == 0, second.output
    assert "done 1, failed 0" in second.output


def subprocess_env(cache: Path) -> dict:
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(cache)
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


def batch_command(sources, out_dir: Path) -> list[str]:
    return [sys.executable, "-m", "ytlocal.cli", "batch", *sources, *TINY, "-o", str(out_dir), "--retries", "0"]


def test_kill_9_then_resume_recomputes_nothing_and_matches_an_uninterrupted_run(site, tmp_path):
    sources = good_sources(site)
    # Reference: an uninterrupted run with its own cache.
    reference = subprocess.run(batch_command(sources, tmp_path / "reference"), env=subprocess_env(tmp_path / "cache-ref"),
                               capture_output=True, text=True, timeout=600)
    assert reference.returncode == 0, reference.stderr
    site.hits.clear()

    cache = tmp_path / "cache"
    out = tmp_path / "out"
    transcripts = cache / "ytlocal" / "transcripts"
    process = subprocess.Popen(batch_command(sources, out), env=subprocess_env(cache),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and len(list(transcripts.glob("*.json"))) < 2 and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before the test could kill it"
    process.send_signal(signal.SIGKILL)  # no cleanup of any kind
    process.wait()
    finished = {p: p.stat().st_mtime_ns for p in transcripts.glob("*.json")}
    assert len(finished) >= 2
    hits_before = media_hits(site)

    resumed = subprocess.run(batch_command(sources, out), env=subprocess_env(cache), capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    # Nothing finished was recomputed: transcripts untouched, media downloaded once in all.
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime
    hits_after = media_hits(site)
    for path, count in hits_before.items():
        if count:
            assert hits_after[path] == count, f"{path} was downloaded again"
    assert all(count == 1 for count in hits_after.values()), hits_after
    # The outputs equal those of the uninterrupted run, and nothing is torn.
    assert_same_summaries(summaries(out), summaries(tmp_path / "reference"))
    for path in out.glob("*.md"):
        if path.name != "index.md":
            yaml.safe_load(path.read_text().split("---\n")[1])
    leftovers = [p for p in list(out.rglob("*")) + list(cache.rglob("*")) if p.name.endswith((".tmp", ".part"))]
    assert leftovers == []
    jobs = JobList(out)
    assert {row["state"] for row in jobs.rows()} == {"done"}
    jobs.close()


def test_a_second_run_on_the_same_folder_is_refused(site, tmp_path):
    with BatchLock(tmp_path):
        second = subprocess.run(batch_command(good_sources(site)[:1], tmp_path), env=subprocess_env(tmp_path / "c"),
                                capture_output=True, text=True, timeout=120)
    assert second.returncode == BatchLocked.exit_code
    assert f"another ytlocal batch is working on {tmp_path} (pid {os.getpid()})" in second.stderr
    assert sum(site.hits.values()) == 0


def test_fetch_then_offline_batch_equals_an_online_run(run_cli, site, tmp_path, monkeypatch):
    sources = good_sources(site)[:2]
    fetched = run_cli("fetch", *sources, "-o", str(tmp_path / "usb"))
    assert fetched.exit_code == 0, fetched.output
    manifest = json.loads((tmp_path / "usb" / "ytlocal-fetch.json").read_text())
    assert [item["label"] for item in manifest["items"]] == sources
    # Carry the folder "to another machine": move it, and start with an empty cache there.
    moved = tmp_path / "elsewhere" / "usb"
    moved.parent.mkdir()
    (tmp_path / "usb").rename(moved)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "offline-cache"))
    hits = sum(site.hits.values())
    offline = run_cli("batch", str(moved), "--offline", *TINY, "-o", str(tmp_path / "offline"))
    assert offline.exit_code == 0, offline.output
    assert sum(site.hits.values()) == hits  # not one request
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "online-cache"))
    online = run_cli("batch", *sources, *TINY, "-o", str(tmp_path / "online"))
    assert online.exit_code == 0, online.output
    assert_same_summaries(summaries(tmp_path / "offline"), summaries(tmp_path / "online"))
    assert len(summaries(tmp_path / "online")) == 2


@pytest.mark.parametrize("message, transient", [
    ("unable to download webpage: HTTP Error 503: Service Unavailable", True),
    ("HTTP Error 429: Too Many Requests", True),
    ("<urlopen error [Errno 111] Connection refused>", True),
    ("Read timed out.", True),
    ("HTTP Error 404: Not Found", False),
    ("Private video. Sign in if you've been granted access", False),
    ("/x/y.mp4 has no audio stream", False),
])
def test_error_classification(message, transient):
    assert is_transient(message) is transient


def test_playlist_sync_processes_only_new_videos(run_cli, site, talk_audio, tmp_path):
    media = {name: f"/media/{path.name}" for name, path in talk_audio.items()}
    site.routes["/channel.html"] = (
        f'<html><head><title>Channel</title></head><body><audio src="{media["bees"]}"></audio>'
        f'<audio src="{media["rivers"]}"></audio></body></html>').encode()
    first = run_cli("batch", f"{site.url}/channel.html", *TINY, "-o", str(tmp_path))
    assert first.exit_code == 0, first.output
    assert "this run: 2 done" in first.output
    # A new upload appears on the channel: only it is downloaded and summarized.
    site.routes["/channel.html"] = (
        f'<html><head><title>Channel</title></head><body><audio src="{media["bees"]}"></audio>'
        f'<audio src="{media["rivers"]}"></audio><audio src="{media["bread"]}"></audio></body></html>').encode()
    before = media_hits(site)
    second = run_cli("batch", f"{site.url}/channel.html", *TINY, "-o", str(tmp_path))
    assert second.exit_code == 0, second.output
    assert "this run: 1 done" in second.output and "done 3, failed 0" in second.output
    new_hits = {path: count - before.get(path, 0) for path, count in media_hits(site).items()}
    assert {path for path, count in new_hits.items() if count} == {media["bread"]}


def test_two_processes_sharing_a_cache_download_once_and_both_succeed(site, tmp_path):
    env = subprocess_env(tmp_path / "shared-cache")
    command = [sys.executable, "-m", "ytlocal.cli", "transcribe", f"{site.url}/bees.html", *TINY]
    first = subprocess.Popen([*command, "-o", str(tmp_path / "a")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen([*command, "-o", str(tmp_path / "b")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert second.wait(timeout=300) == 0, second.stderr.read()
    assert (next((tmp_path / "a").glob("*.txt")).read_text() == next((tmp_path / "b").glob("*.txt")).read_text())
    assert media_hits(site) == {"/media/bees.m4a": 1}
