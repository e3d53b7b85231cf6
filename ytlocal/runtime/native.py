"""llama.cpp on any CPU: how its models are loaded, and a probe that runs them once in a child process.

**One way to load, on every CPU.** llama.cpp's CPU backend may move a model's weights into an "extra
buffer type" chosen by the CPU it runs on: on Intel CPUs with AMX (``amx_int8``/``amx_tile``: Xeon 4th
generation and later) the AMX buffer, whose first matrix product segfaults with llama-cpp-python 0.3.36
(upstream llama.cpp #20824; PR #16315 found wrong results on Q4_0/Q4_1 there even where it runs); on
AVX2, AVX-512 and ARM CPUs the "repack" buffer, which interleaves Q4_0, Q4_K, Q5_K, Q6_K, IQ4_NL and Q8_0
weights for wider SIMD kernels. Measured here (AVX2, SmolLM2-135M): the default Q4_1 model is never
repacked, so nothing changes; the same model rewritten as Q4_0 is repacked (``q4_0_8x8``), its prompts
run 1.3-1.5x faster, and its greedy answer to the same prompt is a *different text*. So which buffer a
model lands in decides what a summary says, and it depends on the CPU. ytlocal turns extra buffer types
off for every model it loads (``llama_model_params.use_extra_bufts = False``), with AMX or without: the
same GGUF then runs the same kernels' arithmetic order wherever the CPU has the same SIMD width, and AMX
machines run at all. :func:`load_policy` is that rule, :func:`policy_applied` applies it to
``llama_cpp.Llama`` (which has no keyword for it), ``ytlocal doctor`` prints it.

**A native crash is one line, never a dead process.** A segfault inside llama.cpp kills the process
that loaded it (a batch, the web server, pytest). Before a process first loads a model file,
:func:`ensure_native_runs` runs one tiny generation (or one embedding) with it in a child process,
with the same loading rule; a crash there becomes a :class:`~ytlocal.errors.ModelError` naming the
signal and the CPU's features. A model that passed is remembered for this process and, on disk, for
this model file, llama.cpp build and CPU, so the probe costs about a second once per machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import ModelError

log = logging.getLogger(__name__)

AMX_FLAGS = ("amx_tile", "amx_int8", "amx_bf16")
# The features that decide which kernels llama.cpp and CTranslate2 run, in the order doctor prints them.
SIMD_FLAGS = ("sse4_2", "avx", "f16c", "fma", "avx2", "avx_vnni", "avx512f", "avx512bw", "avx512vl",
              "avx512_vnni", "avx512_bf16", *AMX_FLAGS, "asimd", "asimddp", "sve", "i8mm")
PROBE_TIMEOUT_SECONDS = 300.0
# Set in the probe's child so that its own load does not probe again.
CHILD_VARIABLE = "YTLOCAL_NATIVE_PROBE_CHILD"


def cpu_flags() -> frozenset[str]:
    """This CPU's feature flags as Linux names them in /proc/cpuinfo (``avx2``, ``amx_int8`` ...);
    empty where the system does not say (the loading rule does not depend on them)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip() in ("flags", "Features"):  # x86 / ARM
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def cpu_features(flags: Iterable[str] | None = None) -> str:
    """The flags that matter for speed and correctness, as one short text (``avx2 fma f16c``)."""
    present = set(cpu_flags() if flags is None else flags)
    shown = [flag for flag in SIMD_FLAGS if flag in present]
    return f"{platform.machine() or 'cpu'}: {' '.join(shown) or 'no SIMD flags reported'}"


@dataclass(frozen=True)
class LoadPolicy:
    """How llama.cpp places a model's weights, and why (one line for ``doctor``)."""

    extra_buffer_types: bool
    note: str


def load_policy(flags: Iterable[str] | None = None) -> LoadPolicy:
    """The loading rule for a CPU with these flags (this CPU's when None): extra buffer types always
    off (see the module text); the note says what that means on this CPU."""
    present = set(cpu_flags() if flags is None else flags)
    if present & set(AMX_FLAGS):
        return LoadPolicy(False, "AMX present, not used (upstream bug: llama.cpp #20824 crashes, #16315 "
                                 "wrong results); weight repacking off, so the output does not depend on the CPU")
    return LoadPolicy(False, "weight repacking off (extra buffer types): the output does not depend on the CPU; "
                             "no AMX on this CPU")


_LOAD_LOCK = threading.Lock()


@contextlib.contextmanager
def policy_applied(policy: LoadPolicy | None = None) -> Iterator[None]:
    """Within this block, ``llama_cpp.Llama(...)`` loads its model under ``policy`` (this CPU's rule
    when None). ``Llama`` takes its model parameters from ``llama_model_default_params()`` and has no
    keyword for ``use_extra_bufts``, so that function is wrapped for the duration of the block; loads
    take turns, so no other thread sees the wrapper or loads around it."""
    import llama_cpp.llama_cpp as bindings

    policy = policy or load_policy()
    with _LOAD_LOCK:
        original = bindings.llama_model_default_params

        def default_params():
            params = original()
            params.use_extra_bufts = policy.extra_buffer_types
            return params

        bindings.llama_model_default_params = default_params
        try:
            yield
        finally:
            bindings.llama_model_default_params = original


# -- the probe

@dataclass
class ProbeResult:
    ok: bool
    detail: str  # one line: what ran, or how it failed
    crashed: bool = False  # the child died from a signal or hung: the in-process load would too


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def probe(chat: Path | None = None, embedding: Path | None = None, *, n_gpu_layers: int = 0,
          timeout: float = PROBE_TIMEOUT_SECONDS) -> ProbeResult:
    """Load ``chat`` (a chat GGUF: 2 tokens generated) and ``embedding`` (an embedding GGUF: one
    sentence embedded) in a child Python process, as ytlocal loads them, and say how it went."""
    what = " and ".join(f"{kind} {Path(path).name}" for kind, path in (("generating with", chat),
                                                                         ("embedding with", embedding)) if path)
    command = [sys.executable, "-m", "ytlocal.runtime.smoke", "--gpu-layers", str(n_gpu_layers)]
    if chat:
        command += ["--chat", str(chat)]
    if embedding:
        command += ["--embedding", str(embedding)]
    env = {**os.environ, CHILD_VARIABLE: "1", "PYTHONFAULTHANDLER": "1"}
    package_root = str(Path(__file__).resolve().parents[2])  # ytlocal importable in the child as here
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    features = cpu_features()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return ProbeResult(False, f"llama.cpp did not finish {what} within {timeout:.0f} s in a child process "
                                  f"({features})", crashed=True)
    except OSError as error:
        return ProbeResult(False, f"cannot start a child Python to check llama.cpp ({error})")
    if done.returncode < 0:
        return ProbeResult(False, f"llama.cpp crashed ({_signal_name(done.returncode)}) {what} in a child process "
                                  f"on this CPU ({features}; {load_policy().note})", crashed=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return ProbeResult(False, f"llama.cpp failed {what} in a child process: {last}")
    report = json.loads(lines[-1])
    return ProbeResult(True, f"{'; '.join(report['done'])} in a child process ({features})")


_PASSED: set[str] = set()
_PASSED_LOCK = threading.Lock()


def _verdict_path(model: Path, kind: str, n_gpu_layers: int) -> Path:
    """Where a passed probe is remembered: keyed by the model file, llama.cpp's build, the CPU and
    the loading rule, so a new build, another CPU or a changed file probes again."""
    import llama_cpp
    import platformdirs

    stat = model.stat()
    library = Path(llama_cpp.__file__).parent
    builds = sorted(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in library.rglob("*.so*"))
    material = json.dumps([str(model.resolve()), stat.st_size, stat.st_mtime_ns, kind, n_gpu_layers,
                           getattr(llama_cpp, "__version__", "?"), builds, sorted(cpu_flags()),
                           load_policy().extra_buffer_types])
    key = hashlib.sha256(material.encode()).hexdigest()[:32]
    base = os.environ.get("YTLOCAL_CACHE_DIR") or platformdirs.user_cache_dir("ytlocal", appauthor=False)
    return Path(base) / "native-probes" / f"{key}.json"


def ensure_native_runs(model: Path, kind: str, n_gpu_layers: int = 0) -> None:
    """Raise :class:`ModelError` when loading ``model`` (``kind`` "chat" or "embedding") would crash
    this process; see the module text. Cheap after the first time: a probe that passed is
    remembered in memory and on disk."""
    if os.environ.get(CHILD_VARIABLE):
        return
    model = Path(model)
    key = f"{model.resolve()}|{kind}|{n_gpu_layers}"
    with _PASSED_LOCK:
        if key in _PASSED:
            return
        try:
            verdict = _verdict_path(model, kind, n_gpu_layers)
        except (OSError, ImportError):  # the load itself will say what is wrong
            return
        if not verdict.is_file():
            log.debug("probing llama.cpp with %s in a child process", model.name)
            result = probe(**{kind: model}, n_gpu_layers=n_gpu_layers)
            if result.crashed:
                raise ModelError(f"{result.detail}. ytlocal did not load it here, so this process goes on; run "
                                 f"`ytlocal doctor` and report this line")
            if not result.ok:  # not a crash: loading in-process reports the real error, with its fix
                log.debug("llama.cpp probe: %s", result.detail)
                return
            try:
                from ..files import atomic_write_json

                atomic_write_json(verdict, {"model": str(model), "kind": kind, "detail": result.detail})
            except OSError:
                pass  # a read-only cache: probe again next time
        _PASSED.add(key)
