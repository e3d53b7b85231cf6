"""`ytlocal serve` as a user runs it: the printed URL with its token, listening on 127.0.0.1 only, a
warning for another address, one clear line for a port in use, and a queued video that survives a
kill -9 of the server in the middle of its summary and finishes after the restart."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ytlocal.jobs import JobList

from conftest import REPO_ROOT
from web_fixtures import SAMPLE

pytestmark = pytest.mark.integration
TOKEN = "serve-test-token-abcdefghijkl"


def serve_env(home: Path, models_root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YTLOCAL_", "HF_HUB_OFFLINE"))}
    env.update(PYTHONPATH=str(REPO_ROOT), PYTHONUNBUFFERED="1", YTLOCAL_SERVE_TOKEN=TOKEN,
               YTLOCAL_MODELS_DIR=str(models_root), YTLOCAL_WHISPER_MODEL="whisper-tiny.en",
               YTLOCAL_LLM_MODEL="smollm2-135m-instruct", XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))
    return env


class Served:
    """A `ytlocal serve` subprocess and the URL it printed."""

    def __init__(self, args: list[str], env: dict, cwd: Path):
        self.process = subprocess.Popen([sys.executable, "-m", "ytlocal.cli", "serve", "--no-browser", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
        line = self.process.stdout.readline()
        match = re.match(r"ytlocal serve: (http://127\.0\.0\.1:(\d+)/\?token=(\S+))$", line.strip())
        if match is None:
            self.stop()
            raise AssertionError(f"no URL printed: {line!r} {self.process.stderr.read()}")
        self.url, self.port, self.token = match.group(1), int(match.group(2)), match.group(3)
        self.base = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.base, timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.get(f"/?token={self.token}").status_code in (200, 303):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError("the server did not answer")
            time.sleep(0.2)

    def post(self, path: str, data: dict) -> httpx.Response:
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get("/queue").text).group(1)
        return self.client.post(path, data={**data, "csrf": csrf}, headers={"Origin": self.base})

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def own_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_serve_prints_a_token_url_and_listens_on_loopback_only(tmp_path, test_models_store):
    served = Served(["--port", "0"], serve_env(tmp_path, test_models_store.root), tmp_path)
    try:
        assert served.token == TOKEN  # serve_token from the environment (a configured token)
        assert httpx.get(f"{served.base}/").status_code == 403  # no cookie, no token
        assert served.client.get("/").status_code == 200
        address = own_address()
        if address is not None:
            with pytest.raises(OSError):
                socket.create_connection((address, served.port), timeout=2).close()
    finally:
        served.stop()
    assert served.process.returncode in (0, -signal.SIGTERM)


def test_a_random_token_per_launch_and_a_warning_for_another_host(tmp_path, test_models_store):
    env = serve_env(tmp_path, test_models_store.root)
    del env["YTLOCAL_SERVE_TOKEN"]
    first = Served(["--port", "0", "--host", "0.0.0.0"], env, tmp_path)
    try:
        assert first.token != TOKEN and len(first.token) >= 24
        assert httpx.get(f"{first.base}/").status_code == 403  # the token is still required
    finally:
        first.stop()
    assert "warning: listening on 0.0.0.0: other machines can reach this server" in first.process.stderr.read()
    second = Served(["--port", "0"], env, tmp_path)
    second.stop()
    assert second.token != first.token


def test_a_port_in_use_is_one_line_and_an_exit_code(tmp_path, test_models_store):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "ytlocal.cli", "serve", "--no-browser", "--port", str(port)],
                                capture_output=True, text=True, env=serve_env(tmp_path, test_models_store.root),
                                timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"ytlocal: error: cannot listen on 127.0.0.1:{port} (Address already in use); another program may use the "
        f"port: choose another with --port (or serve_port in the config)"]


def job(queue: Path) -> dict:
    with JobList(queue) as jobs:
        views = [view.to_dict() for view in jobs.views()]
    return views[0] if views else {}


def test_a_queued_video_survives_a_kill_of_the_server_and_finishes_after_the_restart(tmp_path, test_models_store):
    talks, queue = tmp_path / "talks", tmp_path / "queue"
    talks.mkdir()
    shutil.copy(SAMPLE, talks / "bees-talk.opus")
    env = serve_env(tmp_path / "home", test_models_store.root)
    args = ["--port", "0", "--allow-dir", str(talks), "--queue-dir", str(queue), "--library", str(tmp_path / "lib")]
    first = Served(args, env, tmp_path)
    try:
        assert first.post("/queue", {"sources": str(talks / "bees-talk.opus")}).status_code == 303
        deadline = time.monotonic() + 300
        while not (job(queue).get("state") == "transcribed" and job(queue).get("step") == "write"
                   and (job(queue).get("done") or 0) >= 1):
            assert time.monotonic() < deadline, job(queue)
            assert job(queue).get("state") != "done", "finished before the kill"
            time.sleep(0.1)
    finally:
        first.stop(signal.SIGKILL)  # a crash in the middle of the summary
    killed = job(queue)
    assert killed["state"] == "transcribed" and killed["stage"] == "summarize"

    second = Served(args, env, tmp_path)
    try:
        started = time.monotonic()
        seen: list[dict] = []
        with second.client.stream("GET", "/queue/events", timeout=None) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: ") and '"label"' in line:
                    seen.append(json.loads(line[len("data: "):]))
                    if len(seen) == 1:
                        assert time.monotonic() - started < 1.0  # the state at once, not at the next change
                        # a resumed job is acquired again (from the cache) before its transcript is read back
                        assert seen[0]["state"] in ("acquired", "transcribed", "summarized", "done")
                    if seen[-1]["state"] in ("done", "failed", "cancelled"):
                        break
                assert time.monotonic() - started < 300
        finished = seen[-1]
        assert finished["state"] == "done", finished
        assert finished["attempts"] == 2 and finished["tldr"]
        page = second.client.get(f"/video/{finished['library_id']}")
        assert page.status_code == 200 and "Key points" in page.text
    finally:
        second.stop()
    torn = [p for p in list(queue.rglob("*")) + list((tmp_path / "home").rglob("*"))
            if p.name.endswith((".tmp", ".part"))]
    assert torn == []
    assert len(list(queue.glob("*.md"))) == 2  # the summary and index.md
