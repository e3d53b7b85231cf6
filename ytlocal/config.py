"""Settings: defaults < TOML config file < ``YTLOCAL_*`` environment < command-line flags.

The config file is ``config.toml`` in the platform config folder (``ytlocal doctor`` prints it), or the
file named by ``--config`` / ``YTLOCAL_CONFIG``. Every key can be overridden by the environment
variable ``YTLOCAL_<KEY>`` (upper case), e.g. ``YTLOCAL_MODELS_DIR``.

The model store is resolved in exactly one place, :func:`resolve_models_dir`:

1. ``--models-dir`` on the command line,
2. ``YTLOCAL_MODELS_DIR``,
3. ``models_dir`` in the config file,
4. the checkout's ``models/`` folder when ytlocal runs from a source checkout,
5. ``<platform data dir>/models`` (e.g. ``~/.local/share/ytlocal/models`` on Linux).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from .errors import ConfigError

APP_NAME = "ytlocal"
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class Settings:
    """Every user-settable default. ``None`` means "decide at run time"."""

    models_dir: str | None = None
    cache_dir: str | None = None
    output_dir: str = "."
    whisper_model: str = "whisper-base"
    llm_model: str = "smollm2-135m-instruct"
    embedding_model: str = "minilm-l6-v2"  # sentence meaning (catalog name or a .gguf file)
    device: str = "auto"
    threads: int = 0
    language: str | None = None
    offline: bool = False
    llm_gpu_layers: int | None = None  # None: all layers when llama.cpp can offload to a GPU, else 0
    cluster: str | None = None  # batch: a Dask scheduler address or local:N
    library_dir: str | None = None  # where library.sqlite lives (default: the platform data dir)
    serve_port: int = 8765  # `ytlocal serve`: the port on 127.0.0.1 (0: any free port)
    serve_token: str | None = None  # `ytlocal serve`: a fixed token instead of a new one per launch
    serve_queue_dir: str | None = None  # `ytlocal serve`: where queued videos' summaries go (default: <library>/queue)

    # Not settable: where the values came from, for `ytlocal doctor` and error messages.
    config_path: Path | None = field(default=None, compare=False)
    config_found: bool = field(default=False, compare=False)
    origins: dict[str, str] = field(default_factory=dict, compare=False)


_SETTABLE = {f.name: f for f in dataclasses.fields(Settings) if f.name not in ("config_path", "config_found", "origins")}
_TYPES: dict[str, tuple[type, ...]] = {
    "models_dir": (str,),
    "cache_dir": (str,),
    "output_dir": (str,),
    "whisper_model": (str,),
    "llm_model": (str,),
    "embedding_model": (str,),
    "device": (str,),
    "threads": (int,),
    "language": (str,),
    "offline": (bool,),
    "llm_gpu_layers": (int,),
    "cluster": (str,),
    "library_dir": (str,),
    "serve_port": (int,),
    "serve_token": (str,),
    "serve_queue_dir": (str,),
}


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def config_path_from_environment(explicit: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """The config file to read and whether the user named it (a named file must exist)."""
    if explicit:
        return Path(explicit).expanduser(), True
    env = os.environ.get("YTLOCAL_CONFIG")
    if env:
        return Path(env).expanduser(), True
    return default_config_path(), False


def _line_of_key(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _key_on_line(text: str, line_number: int) -> str | None:
    lines = text.splitlines()
    if 1 <= line_number <= len(lines):
        match = re.match(r"^\s*[\"']?([A-Za-z0-9_.-]+)[\"']?\s*=", lines[line_number - 1])
        if match:
            return match.group(1)
    return None


def _where(path: Path, text: str, key: str) -> str:
    line = _line_of_key(text, key)
    return f"{path}, line {line}, key '{key}'" if line else f"{path}, key '{key}'"


def _check_value(key: str, value: Any, where: str) -> Any:
    expected = _TYPES[key]
    # TOML booleans are ints in Python; refuse `threads = true`.
    if isinstance(value, bool) and bool not in expected:
        value_ok = False
    else:
        value_ok = isinstance(value, expected)
    if not value_ok:
        names = " or ".join(t.__name__ for t in expected)
        raise ConfigError(f"config {where}: expected {names}, got {type(value).__name__} {value!r}")
    if key == "device" and value not in DEVICES:
        raise ConfigError(f"config {where}: expected one of {', '.join(DEVICES)}, got {value!r}")
    if key == "threads" and value < 0:
        raise ConfigError(f"config {where}: expected 0 (auto) or a positive number, got {value}")
    if key == "serve_port" and not 0 <= value <= 65535:
        raise ConfigError(f"config {where}: expected a port from 0 to 65535, got {value}")
    if key == "llm_gpu_layers" and value < -1:
        raise ConfigError(f"config {where}: expected -1 (all layers), 0 (CPU) or a number of layers, got {value}")
    return value


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse and check a config file; every problem names the file, the line and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"config {path}: not UTF-8 text ({error})") from error
    except OSError as error:
        raise ConfigError(f"config {path}: cannot read it ({error.strerror})") from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        at_end = "(at end of document)" in message
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message) or "syntax error"
        if match or at_end:
            if match:
                line = int(match.group(1))
            else:  # an unclosed value: point at the last line that has content
                line = max((n for n, t in enumerate(text.splitlines(), 1) if t.strip()), default=1)
            key = _key_on_line(text, line)
            key_text = f", key '{key}'" if key else ""
            raise ConfigError(
                f"config {path}, line {line}{key_text}: {reason} (TOML syntax error; fix that line)"
            ) from error
        raise ConfigError(f"config {path}: {reason} (TOML syntax error)") from error
    for key, value in data.items():
        if key not in _SETTABLE:
            known = ", ".join(sorted(_SETTABLE))
            raise ConfigError(f"config {_where(path, text, key)}: unknown key; known keys: {known}")
        _check_value(key, value, _where(path, text, key))
    return data


def _from_environment(key: str, raw: str) -> Any:
    where = f"environment variable YTLOCAL_{key.upper()}"
    expected = _TYPES[key]
    if bool in expected:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{where}: expected true or false, got {raw!r}")
    if int in expected:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{where}: expected a whole number, got {raw!r}") from None
        return _check_value(key, value, where)
    return _check_value(key, raw, where)


def load_settings(config: str | os.PathLike | None = None, **overrides: Any) -> Settings:
    """Build the settings from defaults, the config file, the environment and ``overrides``.

    ``overrides`` are command-line values; ``None`` means "not given" and is skipped.
    """
    path, named = config_path_from_environment(config)
    settings = Settings(config_path=path)
    origins = {key: "default" for key in _SETTABLE}
    if path.is_file():
        for key, value in read_config_file(path).items():
            setattr(settings, key, value)
            origins[key] = f"config {path}"
        settings.config_found = True
    elif named:
        raise ConfigError(f"config {path}: no such file (named by --config or YTLOCAL_CONFIG)")
    for key in _SETTABLE:
        raw = os.environ.get(f"YTLOCAL_{key.upper()}")
        if raw is not None and raw != "":
            setattr(settings, key, _from_environment(key, raw))
            origins[key] = f"environment YTLOCAL_{key.upper()}"
    for key, value in overrides.items():
        if key not in _SETTABLE:
            raise TypeError(f"unknown setting {key!r}")
        if value is not None:
            setattr(settings, key, _check_value(key, value, f"option --{key.replace('_', '-')}"))
            origins[key] = "command line"
    settings.origins = origins
    return settings


def checkout_models_dir() -> Path | None:
    """The ``models/`` folder of the source checkout ytlocal runs from, if it does."""
    root = Path(__file__).resolve().parent.parent
    candidate = root / "models"
    if (root / "pyproject.toml").is_file() and (candidate / "README.md").is_file():
        return candidate
    return None


def resolve_models_dir(settings: Settings) -> tuple[Path, str]:
    """The model store folder and a few words on why it was chosen (see the module docstring)."""
    if settings.models_dir:
        return Path(settings.models_dir).expanduser(), settings.origins.get("models_dir", "setting")
    checkout = checkout_models_dir()
    if checkout is not None:
        return checkout, "source checkout"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "models", "platform data dir"


def resolve_cache_dir(settings: Settings) -> Path:
    if settings.cache_dir:
        return Path(settings.cache_dir).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def physical_cores() -> int:
    """Physical cores (not hyper-threads) this process may run on: what CTranslate2 and llama.cpp scale
    with. ``psutil`` counts them (None where the platform does not say: then two hyper-threads per core
    are assumed on machines with more than two logical CPUs)."""
    import psutil

    physical = psutil.cpu_count(logical=False)
    if physical:
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else physical
        return max(1, min(physical, available))
    logical = os.cpu_count() or 1
    return max(1, logical // 2 if logical > 2 else logical)


def effective_threads(settings: Settings) -> int:
    return settings.threads if settings.threads > 0 else physical_cores()
