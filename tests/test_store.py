"""Atomic writes and folder swaps: a reader never sees a torn file or a half-made folder."""

import errno
import os

import pytest

from ytlocal.files import (
    DiskFullError,
    atomic_write_json,
    atomic_write_text,
    disk_full_as_error,
    read_json,
    remove_directory,
    replace_directory,
    sha256_file,
)


def test_atomic_write_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "out.json"
    atomic_write_json(target, {"a": 1})
    atomic_write_json(target, {"a": 2})
    assert read_json(target) == {"a": 2}
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_atomic_write_uses_normal_file_permissions(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old")

    def broken_replace(*args):
        raise OSError(errno.EIO, "simulated failure at rename")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_enospc_becomes_an_error_naming_the_path(tmp_path):
    with pytest.raises(DiskFullError) as caught:
        with disk_full_as_error(tmp_path / "models"):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert str(tmp_path / "models") in str(caught.value)
    assert "no space left" in str(caught.value)


def test_replace_directory_swaps_whole_folders(tmp_path):
    final = tmp_path / "model"
    final.mkdir()
    (final / "old.bin").write_text("old")
    staged = tmp_path / ".staging"
    staged.mkdir()
    (staged / "new.bin").write_text("new")
    replace_directory(staged, final)
    assert sorted(p.name for p in final.iterdir()) == ["new.bin"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_remove_directory(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "f").write_text("x")
    remove_directory(folder)
    assert list(tmp_path.iterdir()) == []


def test_sha256_file_matches_hashlib_and_reports_progress(tmp_path):
    import hashlib

    data = os.urandom(9 * 1024 * 1024 + 7)
    path = tmp_path / "blob"
    path.write_bytes(data)
    seen = []
    assert sha256_file(path, lambda done, total: seen.append((done, total))) == hashlib.sha256(data).hexdigest()
    assert seen[-1] == (len(data), len(data))


def test_cached_hash_is_reused_until_the_file_changes(tmp_path, monkeypatch):
    import ytlocal.files as store

    blob = tmp_path / "model.gguf"
    blob.write_bytes(b"GGUF" + b"x" * 1000)
    index = tmp_path / "hashes.json"
    calls = []
    real = store.sha256_file
    monkeypatch.setattr(store, "sha256_file", lambda path, progress=None: calls.append(path) or real(path))
    first = store.sha256_file_cached(blob, index)
    assert store.sha256_file_cached(blob, index) == first and len(calls) == 1
    blob.write_bytes(b"GGUF" + b"y" * 1000)
    assert store.sha256_file_cached(blob, index) != first and len(calls) == 2
