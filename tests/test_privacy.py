"""The privacy claim, proven: after the download, nothing leaves the machine.

Every outbound connection is made to fail (socket.socket.connect/connect_ex and
socket.create_connection are replaced by a guard that records the attempt and raises) and the Hugging
Face offline switches are set; then the real pipeline runs. It must succeed with zero attempts."""

import socket

import pytest

from ytlocal.errors import SourceError


pytestmark = pytest.mark.integration

TINY = ("--whisper-model", "whisper-tiny.en")


def install_guard(monkeypatch) -> list:
    """From now on every connection attempt is recorded and fails; returns the record."""
    attempts = []

    def refuse(address):
        attempts.append(address)
        raise OSError(f"network access attempted during an offline test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", lambda self, address: refuse(address))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(address))
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(address))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return attempts


@pytest.fixture
def network_guard(monkeypatch):
    return install_guard(monkeypatch)


def test_guard_really_blocks_connections(network_guard):
    with pytest.raises(OSError, match="network access attempted"):
        socket.create_connection(("127.0.0.1", 9))
    assert network_guard == [("127.0.0.1", 9)]


def test_transcribe_and_summarize_a_local_file_make_no_connection(run_cli, talk_m4a, network_guard, tmp_path):
    result = run_cli("summarize", str(talk_m4a), *TINY, "-o", str(tmp_path), "--with-transcript")
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("*.md"))) == 1 and len(list(tmp_path.glob("*.srt"))) == 1
    assert network_guard == []


@pytest.fixture
def site(loopback_server, talk_m4a):
    loopback_server.routes["/media/talk.m4a"] = talk_m4a.read_bytes()
    loopback_server.routes["/talk.html"] = (b"<html><head><title>Bees</title></head><body>"
                                            b'<audio src="/media/talk.m4a"></audio></body></html>')
    return loopback_server


def test_cached_video_summarized_offline_makes_no_connection(run_cli, site, tmp_path, monkeypatch):
    url = f"{site.url}/talk.html"
    assert run_cli("transcribe", url, *TINY, "-o", str(tmp_path / "t")).exit_code == 0  # downloaded online
    attempts = install_guard(monkeypatch)
    result = run_cli("summarize", url, *TINY, "--offline", "-o", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert attempts == []


def test_fetch_then_offline_batch_makes_no_connection(run_cli, site, tmp_path, monkeypatch):
    assert run_cli("fetch", f"{site.url}/talk.html", "-o", str(tmp_path / "usb")).exit_code == 0  # online
    attempts = install_guard(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh-cache"))  # as on another machine
    result = run_cli("batch", str(tmp_path / "usb"), "--offline", *TINY, "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "done 1, failed 0" in result.output
    assert attempts == []


@pytest.mark.parametrize("how", ["flag", "config"])
def test_offline_refuses_network_sources_before_any_connection(run_cli, network_guard, tmp_path, how):
    args = ["transcribe", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", *TINY, "-o", str(tmp_path)]
    if how == "flag":
        result = run_cli(*args, "--offline")
    else:
        config = tmp_path / "config.toml"
        config.write_text("offline = true\n")
        result = run_cli("--config", str(config), *args)
    assert result.exit_code == SourceError.exit_code
    assert "offline mode" in result.output and "not in the cache" in result.output
    assert network_guard == []


def test_models_pull_refuses_in_offline_mode_without_connecting(run_cli, network_guard, tmp_path, monkeypatch):
    monkeypatch.setenv("YTLOCAL_OFFLINE", "1")
    result = run_cli("--models-dir", str(tmp_path), "models", "pull", "whisper-small")
    assert result.exit_code == 4
    assert "offline mode: not downloading whisper-small" in result.output
    assert network_guard == []


def test_doctor_states_the_offline_guarantees(run_cli, tmp_path):
    result = run_cli("--models-dir", str(tmp_path), "doctor")
    line = next(line for line in result.output.splitlines() if "privacy" in line)
    assert line.startswith("OK") and "HF_HUB_OFFLINE=1" in line and "no telemetry" in line
