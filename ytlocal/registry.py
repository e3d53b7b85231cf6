"""The model store: resolve, pull, import, verify, remove (the catalog is :mod:`ytlocal.catalog`, the
download sources :mod:`ytlocal.model_sources`). The store is a folder (see :func:`ytlocal.config.resolve_models_dir`) holding one
sub-folder per installed model plus a manifest, ``.ytlocal-model.json``, recording each file's sha256.
A model folder appears only complete: it is assembled in a staging folder beside it, verified, and
renamed into place, so an interrupted download never looks installed.

At ~510 lines it is over the 400 we aim at: install, import, verify and remove share the staging
folder and manifest protocol above, which must change together to keep the store's promise.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .catalog import Catalog, ModelSource, ModelSpec, load_catalog, model_kind
from .progress import Progress, no_progress
from .errors import ModelError
from .inputs import user_path
from .model_sources import FETCHERS
from .files import (
    DiskFullError,
    atomic_write_json,
    default_mode,
    disk_full_as_error,
    read_json,
    remove_directory,
    replace_directory,
    sha256_file,
    sha256_file_cached,
    utc_timestamp,
)

if TYPE_CHECKING:
    from .config import Settings

MANIFEST_NAME = ".ytlocal-model.json"
COPY_CHUNK_BYTES = 4 * 1024 * 1024
GGUF_MAGIC = b"GGUF"

log = logging.getLogger(__name__)
__all__ = ["MANIFEST_NAME", "InstalledModel", "ModelStore", "ResolvedModel", "VerifyReport"]




# ------------------------------------------------------------------------------------- store


@dataclass
class InstalledModel:
    """A model folder in the store, as its manifest describes it."""

    name: str
    kind: str
    path: Path
    files: dict[str, dict[str, Any]]
    trust: str
    source: str
    installed_at: str

    @property
    def main_file(self) -> str:
        """The file whose hash names the weights: the GGUF of a GGUF kind, else the kind's main file."""
        kind = model_kind(self.kind)
        if kind.gguf:
            return next(name for name in self.files if name.endswith(".gguf"))
        return kind.main_file or sorted(self.files)[0]

    @property
    def load_path(self) -> Path:
        """What the engine opens: the GGUF file of a GGUF kind (LLM, embedding), else the folder."""
        return self.path / self.main_file if model_kind(self.kind).gguf else self.path

    @property
    def sha256(self) -> str:
        """The main file's hash: names this model's weights in every cache key."""
        return self.files[self.main_file]["sha256"]

    @property
    def size_bytes(self) -> int:
        return sum(int(record["size"]) for record in self.files.values())


@dataclass
class FileCheck:
    name: str
    status: str  # ok, missing, size, hash
    expected: str | None = None
    found: str | None = None

    def describe(self) -> str:
        if self.status == "ok":
            return f"{self.name}: ok"
        if self.status == "missing":
            return f"{self.name}: missing"
        return f"{self.name}: {self.status} mismatch, expected {self.expected}, found {self.found}"


@dataclass
class VerifyReport:
    name: str
    installed: bool
    checks: list[FileCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.installed and all(check.status == "ok" for check in self.checks)

    def problems(self) -> str:
        if not self.installed:
            return "not installed"
        return "; ".join(check.describe() for check in self.checks if check.status != "ok")


@dataclass
class ModelStatus:
    spec: ModelSpec
    installed: InstalledModel | None
    state: str  # installed, not installed, incomplete


@dataclass
class ResolvedModel:
    """A model ready to load: what to open and what names it in cache keys."""

    name: str
    kind: str
    path: Path
    sha256: str
    installed: InstalledModel | None = None



def _stat_key(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


class ModelStore:
    """One folder of installed models. Methods never print; they report through ``progress``."""

    def __init__(self, root: Path, catalog: Catalog | None = None):
        self.root = Path(root)
        self.catalog = catalog or load_catalog()

    # -- reading

    def model_dir(self, name: str) -> Path:
        return self.root / name

    def strongest_installed(self, kind: str | None = None) -> ModelSpec | None:
        """The installed catalog model with the highest strength among those that write summaries
        (or of ``kind``, when given): an embedding model is never chosen to summarize."""
        candidates = (s for s in self.catalog.models.values()
                      if (s.kind == kind if kind else s.kind_properties.summarizes))
        for spec in sorted(candidates, key=lambda s: -s.strength):
            if self.installed(spec.name) is not None:
                return spec
        return None

    def choose_llm(self, requested: str | None, default: str) -> tuple[str, str]:
        """(LLM to use, why): the one asked for (``--llm``, config, environment), else the strongest
        installed catalog LLM, else ``default`` (whose absence then says how to pull it)."""
        if requested:
            return requested, "chosen"
        strongest = self.strongest_installed()
        if strongest is not None:
            return strongest.name, "the strongest installed; choose another with --llm"
        return default, "the default"

    def default_model_names(self, settings: "Settings") -> list[str]:
        """The catalog models the settings name for each role (``whisper_model``, ``llm_model``,
        ``embedding_model``), canonical and without repeats: what ``models pull`` with no names
        installs. A setting that names a file instead of a catalog model has nothing to pull."""
        names: list[str] = []
        for requested in (settings.whisper_model, settings.llm_model, settings.embedding_model):
            spec = self.catalog.find(requested) if requested else None
            if spec is not None and spec.name not in names:
                names.append(spec.name)
        return names

    def installed(self, name: str) -> InstalledModel | None:
        spec = self.catalog.find(name)
        canonical = spec.name if spec else name
        manifest_path = self.model_dir(canonical) / MANIFEST_NAME
        if not manifest_path.is_file():
            return None
        try:
            data = read_json(manifest_path)
            return InstalledModel(
                name=data["name"], kind=data["kind"], path=self.model_dir(canonical),
                files=data["files"], trust=data.get("trust", "first-use"),
                source=data.get("source", "?"), installed_at=data.get("installed_at", "?"),
            )
        except (OSError, ValueError, KeyError) as error:
            raise ModelError(
                f"the manifest {manifest_path} is unreadable ({error}); run `ytlocal models pull "
                f"{canonical} --force` to reinstall"
            ) from error

    def statuses(self) -> list[ModelStatus]:
        result = []
        for spec in self.catalog.models.values():
            installed = self.installed(spec.name)
            if installed is None:
                state = "not installed"
            elif all((installed.path / name).is_file() and (installed.path / name).stat().st_size == int(rec["size"])
                     for name, rec in installed.files.items()):
                state = "installed"
            else:
                state = "incomplete"
            result.append(ModelStatus(spec, installed, state))
        return result

    # -- verification

    def verify(self, name: str, *, full: bool = True, progress: Progress = no_progress) -> VerifyReport:
        """Compare each file against its recorded sha256.

        ``full=False`` trusts files whose size, mtime and inode are unchanged since their last
        verification (so a multi-GB model is not re-hashed on every run); ``full=True`` re-hashes all.
        """
        spec = self.catalog.get(name)
        installed = self.installed(spec.name)
        report = VerifyReport(spec.name, installed is not None)
        if installed is None:
            return report
        manifest_path = installed.path / MANIFEST_NAME
        manifest = read_json(manifest_path)
        verified = manifest.get("verified", {})
        changed = False
        for file_name, record in installed.files.items():
            path = installed.path / file_name
            if not path.is_file():
                report.checks.append(FileCheck(file_name, "missing"))
                continue
            stat_key = _stat_key(path)
            if stat_key[0] != int(record["size"]):
                report.checks.append(FileCheck(file_name, "size", str(record["size"]), str(stat_key[0])))
                continue
            if not full and verified.get(file_name) == stat_key:
                log.debug("%s/%s: size, mtime and inode as at the last full hash; hash skipped", name, file_name)
                report.checks.append(FileCheck(file_name, "ok"))
                continue
            log.debug("%s/%s: hashing (%s)", name, file_name, "asked for" if full else "changed since the last hash")
            found = sha256_file(path, lambda done, total, f=file_name: progress(f"verify {f}", done, total))
            if found != record["sha256"]:
                report.checks.append(FileCheck(file_name, "hash", record["sha256"], found))
                if file_name in verified:
                    del verified[file_name]
                    changed = True
            else:
                report.checks.append(FileCheck(file_name, "ok"))
                if verified.get(file_name) != stat_key:
                    verified[file_name] = stat_key
                    changed = True
        if changed:
            manifest["verified"] = verified
            try:
                atomic_write_json(manifest_path, manifest)
            except OSError:
                pass  # a read-only store still verifies; it just re-hashes next time
        return report

    def resolve(self, name_or_path: str, kind: str) -> ResolvedModel:
        """The model to load for ``name_or_path``: a catalog name/alias, or a file/folder path.

        A catalog model must be installed and must verify (cheaply, see :meth:`verify`).
        """
        spec = self.catalog.find(name_or_path)
        if spec is None:
            candidate = user_path(name_or_path)
            looks_like_path = os.sep in name_or_path or candidate.suffix.lower() == ".gguf" or candidate.exists()
            if looks_like_path:
                return _resolve_path(candidate, kind)
        spec = self.catalog.get(name_or_path, kind)
        installed = self.installed(spec.name)
        if installed is None:
            raise ModelError(
                f"model {spec.name} is not installed in {self.root}; run `ytlocal models pull "
                f"{spec.name}` (air-gapped: `ytlocal models import {spec.name} PATH`)"
            )
        report = self.verify(spec.name, full=False)
        if not report.ok:
            raise ModelError(
                f"model {spec.name} in {installed.path} failed verification ({report.problems()}); "
                f"run `ytlocal models pull {spec.name} --force` to reinstall it"
            )
        return ResolvedModel(spec.name, spec.kind, installed.load_path, installed.sha256, installed)

    # -- changing

    def _lock(self, name: str):
        from filelock import FileLock

        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / f".{name}.lock"))

    def _staging_dir(self, name: str) -> Path:
        for stale in self.root.glob(f".staging-{name}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed run; we hold the lock
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=self.root))
        os.chmod(staging, default_mode(directory=True))
        return staging

    def pull(self, name: str, *, force: bool = False, offline: bool = False,
             progress: Progress = no_progress) -> InstalledModel:
        """Install ``name`` from the first source that works; a no-op when it is installed and verifies."""
        spec = self.catalog.get(name)
        if offline:
            raise ModelError(
                f"offline mode: not downloading {spec.name}; copy its files here and run "
                f"`ytlocal models import {spec.name} PATH`"
            )
        with self._lock(spec.name):
            if not force and self.installed(spec.name) is not None and self.verify(spec.name, full=False).ok:
                return self.installed(spec.name)
            failures = []
            for source in spec.sources:
                staging = self._staging_dir(spec.name)
                try:
                    with disk_full_as_error(self.root):
                        FETCHERS[source.type](source, staging, progress)
                        records = _hash_and_check(spec, source, staging, progress, trust_new=False)
                        return self._commit(spec, staging, records, source, trust=_trust(source))
                except DiskFullError:
                    raise
                except ModelError as error:
                    failures.append(f"{source.describe()}: {error}")
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
            raise ModelError(
                f"could not pull {spec.name}: " + "; ".join(failures)
                + f". Nothing was installed. Without network, copy the files over and run "
                f"`ytlocal models import {spec.name} PATH`"
            )

    def import_model(self, name: str, path: Path, *, trust_new: bool = False,
                     progress: Progress = no_progress) -> InstalledModel:
        """Install ``name`` from a file or folder the user carried in, verifying what the catalog knows."""
        spec = self.catalog.get(name)
        path = user_path(path)
        if not path.exists():
            raise ModelError(f"cannot import {spec.name}: no such file or folder {path}")
        picked, source = _pick_import_files(spec, path)
        with self._lock(spec.name):
            staging = self._staging_dir(spec.name)
            try:
                with disk_full_as_error(self.root):
                    for target_name, origin in picked.items():
                        _copy_with_progress(origin, staging / target_name, progress)
                    records = _hash_and_check(spec, source, staging, progress, trust_new=trust_new)
                    trust = _trust(source) if source and source.has_checksums and not trust_new else "first-use"
                    if source is not None and source.has_checksums and trust_new:
                        # The user vouched for files that differ from the catalog: say so in the manifest.
                        trust = "first-use (user vouched)"
                    return self._commit(spec, staging, records, source, trust=trust,
                                        origin=f"imported from {path}")
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def remove(self, name: str) -> Path:
        spec = self.catalog.get(name)
        folder = self.model_dir(spec.name)
        if not folder.exists():
            raise ModelError(f"model {spec.name} is not installed in {self.root}")
        with self._lock(spec.name):
            remove_directory(folder)
        return folder

    def _commit(self, spec: ModelSpec, staging: Path, records: dict[str, dict[str, Any]],
                source: ModelSource | None, *, trust: str, origin: str | None = None) -> InstalledModel:
        kind = spec.kind_properties
        if kind.gguf:
            ggufs = [n for n in records if n.endswith(".gguf")]
            if len(ggufs) != 1:
                raise ModelError(f"{spec.name}: {kind.describe()}, got {len(ggufs)} .gguf files")
            _check_gguf(staging / ggufs[0])
        else:
            missing = [n for n in kind.required_files if n not in records]
            if missing:
                raise ModelError(f"{spec.name}: {kind.describe()}; missing {', '.join(missing)}")
        manifest = {
            "name": spec.name,
            "kind": spec.kind,
            "files": records,
            "trust": trust,
            "source": origin or (source.describe() if source else "?"),
            "installed_at": utc_timestamp(),
            "verified": {name: _stat_key(staging / name) for name in records},
        }
        atomic_write_json(staging / MANIFEST_NAME, manifest)
        final = self.model_dir(spec.name)
        replace_directory(staging, final)
        # Renaming keeps inode and mtime, so the stat cache written above stays valid.
        installed = self.installed(spec.name)
        assert installed is not None
        return installed


def _trust(source: ModelSource | None) -> str:
    return "catalog" if source is not None and source.has_checksums else "first-use"


def _hash_index() -> Path:
    import platformdirs

    root = os.environ.get("YTLOCAL_CACHE_DIR") or platformdirs.user_cache_dir("ytlocal", appauthor=False)
    return Path(root).expanduser() / "model-hashes.json"


def _resolve_path(path: Path, kind: str) -> ResolvedModel:
    properties = model_kind(kind)
    if not path.exists():
        raise ModelError(f"no such model file or folder: {path}")
    if properties.gguf:
        if path.is_dir():
            ggufs = sorted(path.glob("*.gguf"))
            if len(ggufs) != 1:
                raise ModelError(f"{path} is a folder; give the .gguf file itself")
            path = ggufs[0]
        _check_gguf(path)
        return ResolvedModel(path.stem, kind, path, sha256_file_cached(path, _hash_index()))
    if path.is_file():
        raise ModelError(f"{path} is a file; {properties.describe()}")
    missing = [name for name in properties.required_files if not (path / name).is_file()]
    if missing:
        raise ModelError(f"{path} is not a {properties.engine} model folder (missing {', '.join(missing)})")
    main = properties.main_file or properties.required_files[0]
    return ResolvedModel(path.name, kind, path, sha256_file_cached(path / main, _hash_index()))


def _check_gguf(path: Path) -> None:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF file (it starts with {magic!r}, not b'GGUF')")


def _copy_with_progress(origin: Path, target: Path, progress: Progress) -> None:
    total = origin.stat().st_size
    done = 0
    with open(origin, "rb") as source, open(target, "wb") as sink:
        while chunk := source.read(COPY_CHUNK_BYTES):
            sink.write(chunk)
            done += len(chunk)
            progress(f"copy {target.name}", done, total)


def _pick_import_files(spec: ModelSpec, path: Path) -> tuple[dict[str, Path], ModelSource | None]:
    """Which files to take from ``path`` and the catalog source whose file set they match."""
    kind = spec.kind_properties
    if path.is_file():
        if not kind.gguf:
            raise ModelError(f"cannot import {spec.name} from the file {path}: {kind.describe()}")
        for source in spec.sources:
            ggufs = [f for f in source.files if f.name.endswith(".gguf")]
            if len(source.files) == 1 and ggufs and ggufs[0].name == path.name and ggufs[0].sha256:
                return {path.name: path}, source
        # A renamed copy of a file the catalog has a checksum for (a size that matches is worth a hash).
        known = [(f, source) for source in spec.sources for f in source.files if f.sha256 and f.size]
        if any(f.size == path.stat().st_size for f, _ in known):
            digest = sha256_file(path)
            for catalog_file, source in known:
                if catalog_file.sha256 == digest:
                    return {catalog_file.name: path}, source
        # A renamed file: store it under the catalog's name when the catalog has exactly one.
        names = {f.name for source in spec.sources for f in source.files}
        target = names.pop() if len(names) == 1 else path.name
        hashed = next((s for s in spec.sources if target in s.file_names and s.has_checksums), None)
        return {target: path}, hashed
    # A folder: prefer a checksummed source whose files are all there.
    ordered = sorted(spec.sources, key=lambda s: not s.has_checksums)
    for source in ordered:
        if all((path / name).is_file() for name in source.file_names):
            return {name: path / name for name in sorted(source.file_names)}, source
    if kind.gguf:
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return _pick_import_files(spec, ggufs[0])
        raise ModelError(f"cannot import {spec.name}: {path} holds {len(ggufs)} .gguf files; name the file")
    present = {name: path / name for name in kind.folder_files if (path / name).is_file()}
    missing = [name for name in kind.required_files if name not in present]
    if missing:
        raise ModelError(f"cannot import {spec.name}: {path} is not a {kind.engine} model folder "
                         f"(missing {', '.join(missing)})")
    return present, None


def _hash_and_check(spec: ModelSpec, source: ModelSource | None, staging: Path,
                    progress: Progress, *, trust_new: bool) -> dict[str, dict[str, Any]]:
    """Hash every staged file and compare with the catalog's checksums (when it has them)."""
    expected = {f.name: f for f in source.files} if source is not None else {}
    records: dict[str, dict[str, Any]] = {}
    mismatches = []
    for path in sorted(p for p in staging.iterdir() if p.is_file() and not p.name.startswith(".")):
        digest = sha256_file(path, lambda done, total, n=path.name: progress(f"hash {n}", done, total))
        records[path.name] = {"sha256": digest, "size": path.stat().st_size}
        want = expected.get(path.name)
        if want is not None and want.sha256 and want.sha256 != digest:
            mismatches.append(f"{path.name}: expected sha256 {want.sha256}, found {digest}")
    if mismatches and not trust_new:
        raise ModelError(
            f"checksum mismatch for {spec.name}: " + "; ".join(mismatches)
            + " (a damaged or different file; fetch it again, or pass --trust-new-hash if you know it is genuine)"
        )
    missing = sorted(set(expected) - set(records))
    if missing:
        raise ModelError(f"{spec.name}: the source did not deliver {', '.join(missing)}")
    return records

