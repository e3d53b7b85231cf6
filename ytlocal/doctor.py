"""``ytlocal doctor``: one line per check, OK / WARN / FAIL, with the fix for anything not OK."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .config import Settings, effective_threads, resolve_cache_dir, resolve_models_dir
from .errors import YtlocalError
from .registry import ModelStore
from .sizes import human_size

OK, WARN, FAIL = "OK", "WARN", "FAIL"
LIBRARIES = ("yt-dlp", "faster-whisper", "ctranslate2", "av", "llama-cpp-python", "huggingface-hub",
             "click", "tqdm", "platformdirs")
MIN_FREE_BYTES = 2_000_000_000
CRITICAL_FREE_BYTES = 200_000_000


@dataclass
class Check:
    status: str
    label: str
    detail: str
    fix: str = ""


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < (3, 11):
        return Check(FAIL, "python", f"{version} at {sys.executable}", "ytlocal needs Python 3.11 or newer")
    return Check(OK, "python", f"{version} at {sys.executable}")


def _ffmpeg() -> Check:
    path = shutil.which("ffmpeg")
    if path is None:
        return Check(WARN, "ffmpeg", "not on PATH (audio decoding uses PyAV's own FFmpeg; yt-dlp "
                     "needs ffmpeg for some sites' formats)", "install it: apt-get install ffmpeg / brew install ffmpeg")
    try:
        first = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=10).stdout.splitlines()[0]
        version = first.split(" Copyright")[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        version = "version unknown"
    return Check(OK, "ffmpeg", f"{version} at {path}")


def _libraries() -> list[Check]:
    checks = []
    for name in LIBRARIES:
        try:
            checks.append(Check(OK, name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            checks.append(Check(FAIL, name, "not installed", f"pip install {name} (or run scripts/demo.sh)"))
    return checks


def _llama_cpp() -> Check:
    try:
        import llama_cpp
    except Exception as error:  # a broken native build raises OSError, ImportError, ...
        return Check(FAIL, "llama.cpp", f"cannot load llama_cpp ({error})",
                     "reinstall: pip install --force-reinstall --no-cache-dir llama-cpp-python")
    info = llama_cpp.llama_print_system_info()
    info = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    features = sorted(set(re.findall(r"([A-Z][A-Z0-9_]+) = 1", info)))
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    from .runtime.native import load_policy

    detail = (f"CPU features: {', '.join(features) or 'none reported'}; GPU offload: {'yes' if gpu else 'no'}; "
              f"{load_policy().note}")
    return Check(OK, "llama.cpp", detail)


def _llama_cpp_runs(settings: Settings, store: ModelStore, llm_name: str) -> Check:
    """One tiny generation and one embedding with the models in use, in a child process, so that a
    native crash (llama.cpp on a CPU it mishandles) shows here as a failed check, not a dead doctor."""
    from .runtime.llm import gpu_layers
    from .runtime.native import cpu_features, probe

    paths = {}
    for kind, name in (("chat", llm_name), ("embedding", settings.embedding_model)):
        try:
            paths[kind] = store.resolve(name, "llm" if kind == "chat" else "embedding").path
        except YtlocalError:
            pass  # reported by the model checks
    if not paths:
        return Check(WARN, "llama.cpp run", f"no model installed to run ({cpu_features()})",
                     "ytlocal models pull smollm2-135m-instruct minilm-l6-v2")
    result = probe(paths.get("chat"), paths.get("embedding"), n_gpu_layers=gpu_layers(settings.llm_gpu_layers))
    if result.ok:
        return Check(OK, "llama.cpp run", result.detail)
    fix = ("report this line with `ytlocal --version`; meanwhile another llama-cpp-python build may run here: "
           "pip install --force-reinstall --no-cache-dir llama-cpp-python") if result.crashed else \
        "reinstall: pip install --force-reinstall --no-cache-dir llama-cpp-python"
    return Check(FAIL, "llama.cpp run", result.detail, fix)


def _ctranslate2(settings: Settings) -> Check:
    try:
        import ctranslate2
    except Exception as error:
        return Check(FAIL, "ctranslate2", f"cannot load ({error})", "pip install --force-reinstall ctranslate2")
    from .transcription import CUDA_FIX, cuda_problem

    cpu_types = ", ".join(sorted(ctranslate2.get_supported_compute_types("cpu")))
    threads = effective_threads(settings)
    problem = cuda_problem()
    if problem is None:
        if settings.device == "cpu":
            return Check(OK, "whisper device", "cpu (device = cpu), though a CUDA GPU could be used")
        return Check(OK, "whisper device", f"cuda, float16 (the GPU works: CUDA 12 cuBLAS and cuDNN 9 load); "
                                           f"CPU types {cpu_types}")
    if settings.device == "cuda":
        return Check(FAIL, "whisper device", f"device = cuda, but {problem}", f"{CUDA_FIX}, or set device = auto")
    if "no CUDA GPU" in problem:
        return Check(OK, "whisper device", f"cpu, int8 with {threads} threads ({problem}; CPU types: {cpu_types})")
    return Check(WARN, "whisper device", f"cpu, int8 with {threads} threads: {problem}", CUDA_FIX)


def _llm_offload(settings: Settings) -> Check:
    from .runtime.llm import gpu_layers

    try:
        import llama_cpp

        supported = bool(llama_cpp.llama_supports_gpu_offload())
    except Exception as error:
        return Check(WARN, "llm offload", f"cannot ask llama.cpp ({error})")
    layers = gpu_layers(settings.llm_gpu_layers)
    if not supported:
        detail = "none: this llama-cpp-python build runs on the CPU only"
        fix = ("for a GPU, reinstall llama-cpp-python with CUDA or Metal (see the README)"
               if settings.llm_gpu_layers else "")
        return Check(OK if not settings.llm_gpu_layers else WARN, "llm offload", detail, fix)
    count = "all layers" if layers < 0 else f"{layers} layers"
    why = "llm_gpu_layers" if settings.llm_gpu_layers is not None else "default: all, since the build can offload"
    return Check(OK, "llm offload", f"{count} on the GPU ({why})")


def _disk(label: str, path: Path) -> Check:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as error:
        return Check(WARN, label, f"cannot measure free space at {path} ({error})")
    detail = f"{human_size(free)} free at {path}"
    if free < CRITICAL_FREE_BYTES:
        return Check(FAIL, label, detail, "free some disk space or point ytlocal at another disk")
    if free < MIN_FREE_BYTES:
        return Check(WARN, label, detail, "less than 2 GB free: larger models and long videos may not fit")
    return Check(OK, label, detail)


def _models(settings: Settings, store: ModelStore, reason: str) -> list[Check]:
    checks = []
    root = store.root
    writable = os.access(root if root.exists() else root.parent, os.W_OK)
    checks.append(Check(OK if writable else WARN, "models dir", f"{root} ({reason})",
                        "" if writable else "read-only: pulls and imports will fail; set --models-dir"))
    explicit = settings.origins.get("llm_model", "default") != "default"
    llm_name, llm_reason = store.choose_llm(settings.llm_model if explicit else None, settings.llm_model)
    for kind, name in (("whisper", settings.whisper_model), ("llm", llm_name)):
        label = f"{kind} model"
        try:
            resolved = store.resolve(name, kind)
        except YtlocalError as error:
            checks.append(Check(FAIL, label, str(error), f"ytlocal models pull {name}"))
            continue
        trust = resolved.installed.trust if resolved.installed else "a path"
        why = f"; {llm_reason}" if kind == "llm" else ""
        checks.append(Check(OK, label, f"{resolved.name} installed and verified ({trust}{why}) at {resolved.path}"))
    checks.append(_embedding_model(store, settings.embedding_model))
    checks.append(_llama_cpp_runs(settings, store, llm_name))
    checks.append(_llm_recommendation(store, llm_name))
    return checks


def _embedding_model(store: ModelStore, name: str) -> Check:
    """The sentence-embedding model: optional, so its absence is a WARN that says what is lost."""
    label = "embedding model"
    without = "summaries and search work without it, but without sentence meaning"
    spec = store.catalog.find(name)
    if spec is not None and store.installed(spec.name) is None:
        return Check(WARN, label, f"{spec.name} is not installed in {store.root}: {without}",
                     f"ytlocal models pull {spec.name}")
    try:
        resolved = store.resolve(name, "embedding")
    except YtlocalError as error:
        fix = f"ytlocal models pull {spec.name} --force" if spec is not None else "set embedding_model to a catalog name"
        return Check(WARN, label, f"{error} ({without})", fix)
    trust = resolved.installed.trust if resolved.installed else "a path"
    return Check(OK, label, f"{resolved.name} installed and verified ({trust}) at {resolved.path}")


def total_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not on every platform
        return None


def _llm_recommendation(store: ModelStore, in_use: str) -> Check:
    """The strongest catalog LLM that fits in half this machine's memory (whisper and the rest need
    the other half), with the command that installs it."""
    total = total_memory_bytes()
    specs = sorted((s for s in store.catalog.models.values() if s.kind_properties.summarizes), key=lambda s: -s.strength)
    budget_gb = total / 2 / 1e9 if total else None
    fitting = [s for s in specs if s.memory_gb is not None and (budget_gb is None or s.memory_gb <= budget_gb)]
    if not fitting:
        return Check(WARN, "llm advice", "no catalog LLM fits in half of this machine's memory",
                     "summaries need at least ~0.4 GB free; close other programs")
    best = fitting[0]
    memory = f"{total / 1e9:.1f} GB RAM here" if total else "memory unknown"
    current = store.catalog.find(in_use)
    if store.installed(best.name) is not None:
        return Check(OK, "llm advice", f"{best.name} is the strongest that fits ({memory}) and is installed")
    if current is not None and current.strength >= best.strength:
        return Check(OK, "llm advice", f"{in_use} is as strong as any that fits ({memory})")
    return Check(WARN, "llm advice", f"{best.name} (needs ~{best.memory_gb:g} GB; {memory}) writes better summaries "
                 f"than {in_use}", f"ytlocal models pull {best.name}")


def _privacy(settings: Settings) -> Check:
    """The offline guarantees, checked where a check is possible (see SECURITY.md)."""
    from .offline import SWITCHES, offline_model_load

    with offline_model_load():  # what every model load runs around importing the ML libraries
        flags_ok = all(os.environ.get(key) == value for key, value in SWITCHES.items())
    mode = "on: network sources are refused" if settings.offline else "off: URLs are downloaded with yt-dlp"
    detail = (f"network only for downloads (yt-dlp) and `models pull`; models load with HF_HUB_OFFLINE=1; "
              f"no telemetry, update checks or remote catalog; offline mode {mode}")
    if not flags_ok:
        return Check(FAIL, "privacy", detail, "the Hugging Face offline switches could not be set")
    return Check(OK, "privacy", detail)


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order printed. Never raises for a broken environment: reports it."""
    checks = [_python()]
    if settings.config_found:
        checks.append(Check(OK, "config", f"read {settings.config_path}"))
    else:
        checks.append(Check(OK, "config", f"no file at {settings.config_path}; using defaults"))
    checks.append(_ffmpeg())
    checks.extend(_libraries())
    checks.append(_llama_cpp())
    checks.append(_ctranslate2(settings))
    checks.append(_llm_offload(settings))
    models_dir, reason = resolve_models_dir(settings)
    try:
        store = ModelStore(models_dir)
        checks.extend(_models(settings, store, reason))
    except YtlocalError as error:
        checks.append(Check(FAIL, "models", str(error)))
    checks.append(_privacy(settings))
    checks.append(_disk("disk (models)", models_dir))
    checks.append(_disk("disk (cache)", resolve_cache_dir(settings)))
    return checks
