"""Chat models: a loaded GGUF model run by llama-cpp-python that answers chat messages, reused across
chunks and videos (summaries, ``ask``). :class:`ytlocal.runtime.models.Models` loads and owns them.

Settings follow measurement on a 2-core laptop CPU with SmolLM2-135M (scripts/bench_summarize.py and the
issue notes): a 2048-token context (prompt processing slows as the context grows: ~380 prompt tokens/s
at 2k, ~290 at 4k, ~260 at 8k), flash attention on, batch 512, threads = physical cores. Greedy
decoding with a fixed seed makes the same input give the same output.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import physical_cores
from ..errors import ModelError
from ..offline import offline_model_load
from ..registry import ResolvedModel
from ..files import atomic_write_json, read_json
from .native import ensure_native_runs, policy_applied

log = logging.getLogger(__name__)
DEFAULT_N_CTX = 2048
TEMPLATE_MARGIN_TOKENS = 24  # chat-template tags around each message (measured: SmolLM2 ChatML adds ~5 per message)


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cached: bool = False


@dataclass
class LlmStats:
    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    retries: int = 0
    fallbacks: int = 0

    def add(self, generation: Generation) -> None:
        if generation.cached:
            self.cached_calls += 1
            return
        self.calls += 1
        self.prompt_tokens += generation.prompt_tokens
        self.completion_tokens += generation.completion_tokens
        self.seconds += generation.seconds


@dataclass
class SamplingOptions:
    temperature: float = 0.0
    repeat_penalty: float = 1.1
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    seed: int = 0


def _own_running_threads() -> int:
    """Threads of this process that are running or runnable right now (Linux /proc)."""
    running = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/stat", encoding="ascii", errors="replace") as handle:
                data = handle.read()
        except OSError:  # the thread ended meanwhile
            continue
        if data[data.rindex(")") + 2: data.rindex(")") + 3] == "R":
            running += 1
    return running


def _runnable_elsewhere() -> float | None:
    """How many threads of other processes want a CPU now (None where the system cannot say).

    /proc/loadavg's fourth field counts the runnable threads of the whole machine at this instant;
    this process's own (its OpenMP threads may still spin after a call) are subtracted. It is
    sampled three times a few milliseconds apart and the smallest count wins: a busy process is
    runnable at every instant, a system daemon waking up for a moment is not."""
    try:
        counts = []
        for attempt in range(3):
            if attempt:
                time.sleep(0.003)
            with open("/proc/loadavg", encoding="ascii") as handle:
                total = int(handle.read().split()[3].split("/")[0])
            counts.append(max(0, total - _own_running_threads()))
        return float(min(counts))
    except (OSError, ValueError, IndexError):
        try:
            return max(0.0, os.getloadavg()[0] - 1.0)  # macOS and others: the 1-minute average
        except (OSError, AttributeError):
            return None


class LoadAwareThreads:
    """Threads for the next model call: all of ``threads`` while the cores are free, fewer while other
    processes run on them (a second ytlocal, a batch, a browser).

    llama.cpp's OpenMP threads spin while they wait for each other; when they share cores with another
    busy process they spin away each other's time slices. Measured here (scripts/bench_contention.py,
    2 cores, see the README): two summaries at once took several times their fair share with spinning
    threads; giving each process only the cores nobody else uses keeps both near their fair share,
    while a lone run keeps every core (the passive OpenMP wait policy also avoids the collapse, but made
    a lone run 77 % slower). Once others were seen, fewer threads stay for ``HOLD_SECONDS``, so two
    processes that sample each other's idle moments do not flap back into the collapse."""

    HOLD_SECONDS = 5.0

    def __init__(self, threads: int, cores: int | None = None, adaptive: bool = True):
        self.threads = max(1, threads)
        self.cores = cores or os.cpu_count() or 1
        self.adaptive = adaptive  # False: the user chose the thread count (--threads N); keep it
        self._held: tuple[int, float] | None = None  # (threads, until)

    def for_next_call(self) -> int:
        if not self.adaptive:
            return self.threads
        busy = _runnable_elsewhere()
        if busy is None:
            return self.threads
        wanted = max(1, min(self.threads, int(self.cores - busy + 0.5)))
        now = time.monotonic()
        if wanted < self.threads:
            self._held = (wanted, now + self.HOLD_SECONDS)
        elif self._held is not None and now < self._held[1]:
            return self._held[0]
        return wanted


def gpu_layers(requested: int | None) -> int:
    """Layers to offload: as asked (``--llm-gpu-layers``, config), else all (-1) when this
    llama-cpp-python build can offload to a GPU (CUDA, Metal, Vulkan ...), else none."""
    if requested is not None:
        return requested
    try:
        import llama_cpp

        return -1 if llama_cpp.llama_supports_gpu_offload() else 0
    except Exception:  # an import problem shows up where the model loads
        return 0


# Prompts are evaluated in blocks of this many tokens, aligned to the prompt's start (see
# LlamaBackend._eval_in_blocks); also llama.cpp's n_batch. Flash attention stays off: over a prompt
# evaluated in blocks its results depend on the thread count (1 and 2 threads wrote different
# answers; threads follow the load and differ between machines). Cost: lex018 summarize 24.5 -> 27.5 s.
PROMPT_BLOCK = 32


class LlamaBackend:
    """One loaded GGUF chat model (get it from :class:`ytlocal.runtime.models.Models`, which shares it)."""

    def __init__(self, model: ResolvedModel, n_ctx: int | None = None, threads: int = 0,
                 n_gpu_layers: int | None = None):
        self.n_gpu_layers = gpu_layers(n_gpu_layers)
        with offline_model_load():
            try:
                self._load(model, n_ctx, threads)
            except ModelError:
                if not self.n_gpu_layers or n_gpu_layers is not None:
                    raise
                # The GPU was only the default: a model that does not load there still runs on the CPU.
                log.warning("llm %s did not load on the GPU; it runs on the CPU (--llm-gpu-layers 0 to silence "
                            "this)", model.name)
                self.n_gpu_layers = 0
                self._load(model, n_ctx, threads)
        log.debug("llm %s loaded: n_ctx %d (trained %d), %s threads", model.name, self.n_ctx, self.n_ctx_train,
                  threads or "default")

    def _load(self, model: ResolvedModel, n_ctx: int | None, threads: int) -> None:
        import llama_cpp

        self.model = model
        requested = n_ctx or DEFAULT_N_CTX
        threads_used = threads or physical_cores()

        def open_model(context: int):
            with policy_applied():  # the same weights' layout on every CPU (see runtime/native.py)
                return llama_cpp.Llama(model_path=str(model.path), n_ctx=context, n_threads=threads_used,
                                       n_threads_batch=threads_used, n_batch=PROMPT_BLOCK,
                                       n_gpu_layers=self.n_gpu_layers, flash_attn=False, seed=0, verbose=False)

        ensure_native_runs(model.path, "chat", self.n_gpu_layers)  # a crash is an error here, not a dead process

        try:
            self.llama = open_model(requested)
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(f"llama.cpp cannot load {model.path}: {error}") from error
        trained = self.llama._model.n_ctx_train()  # llama-cpp-python has no public accessor
        if n_ctx is None and trained < requested:
            # A model trained on a shorter context: never run it past what it was trained for.
            self.llama = open_model(trained)
        self.n_ctx = self.llama.n_ctx()
        self.n_ctx_train = trained
        self.threads = LoadAwareThreads(self.llama.n_threads, adaptive=not threads)
        self.current_threads = self.llama.n_threads
        self._evaluate = self.llama.eval
        self.llama.eval = self._eval_in_blocks  # generate() calls self.eval: this instance's wins
        self._prompt_pending = False
        self._canonical = 0  # context tokens computed as whole blocks from the start

    def _eval_in_blocks(self, tokens) -> None:
        """Evaluate a prompt the same way whatever came before it, so that the same call always gives
        the same answer. llama-cpp-python keeps the part of the context the new prompt shares with the
        previous one and evaluates only the rest; but evaluating tokens in different pieces changes
        the floating point results, so after different earlier calls (a batch on a cluster runs its
        videos in another order than a local run) the same prompt could answer differently. Here the
        prompt is always evaluated in blocks of PROMPT_BLOCK tokens aligned to its start: only whole
        blocks computed that way are kept from the previous call, the rest is evaluated again."""
        llama = self.llama
        if not self._prompt_pending:  # a generated token: one at a time, always the same way
            self._evaluate(tokens)
            return
        self._prompt_pending = False
        start = min(llama.n_tokens, self._canonical)
        start -= start % PROMPT_BLOCK
        if start < llama.n_tokens:
            tokens = [int(t) for t in llama.input_ids[start:llama.n_tokens]] + list(tokens)
            llama.n_tokens = start
        self._evaluate(tokens)
        self._canonical = llama.n_tokens - llama.n_tokens % PROMPT_BLOCK

    def close(self) -> None:
        """Free the model now; left to interpreter shutdown, llama.cpp's destructor can fail noisily."""
        try:
            self.llama.close()
        except Exception:  # already half torn down: nothing useful to report
            pass

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        return sum(self.count_tokens(m["content"]) for m in messages) + TEMPLATE_MARGIN_TOKENS

    def chat(self, messages: list[dict[str, str]], max_tokens: int, sampling: SamplingOptions,
             stop: list[str] | None = None) -> Generation:
        needed = self.prompt_tokens(messages) + max_tokens
        if needed > self.n_ctx:
            # llama-cpp-python would silently shorten max_tokens; refuse instead (a chunking bug).
            raise ModelError(f"prompt of {needed - max_tokens} tokens + {max_tokens} output tokens does not "
                               f"fit the {self.n_ctx}-token context")
        threads = self.threads.for_next_call()
        if threads != self.current_threads:
            import llama_cpp

            log.debug("llm threads: %d -> %d (other processes want %d of %d cores)", self.current_threads, threads,
                      self.threads.threads - threads, self.threads.cores)
            llama_cpp.llama_set_n_threads(self.llama.ctx, threads, threads)
            self.current_threads = threads
        started = time.perf_counter()
        self._prompt_pending = True  # the next eval is this call's prompt (see _eval_in_blocks)
        try:
            result = self.llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=sampling.temperature,
                top_k=1 if sampling.temperature == 0 else 40,
                repeat_penalty=sampling.repeat_penalty, frequency_penalty=sampling.frequency_penalty,
                presence_penalty=sampling.presence_penalty, seed=sampling.seed, stop=stop,
            )
        finally:
            self._prompt_pending = False
        usage = result.get("usage", {})
        return Generation(
            text=result["choices"][0]["message"]["content"] or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=time.perf_counter() - started,
        )


class CallCache:
    """Every LLM call's result on disk, keyed by model hash, messages, limits and prompt version, so a
    killed run resumes without redoing finished calls (map chunks first of all)."""

    def __init__(self, cache_dir: Path | None):
        self.root = Path(cache_dir) / "llm" if cache_dir else None

    @staticmethod
    def key(model_sha256: str, messages: list[dict[str, str]], max_tokens: int, sampling: SamplingOptions,
            n_ctx: int, version: int) -> str:
        material = json.dumps({"model": model_sha256, "messages": messages, "max_tokens": max_tokens,
                               "sampling": sampling.__dict__, "n_ctx": n_ctx, "version": version}, sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()[:40]

    def get(self, key: str) -> Generation | None:
        if self.root is None:
            return None
        path = self.root / key[:2] / f"{key}.json"
        if not path.is_file():
            return None
        try:
            data = read_json(path)
            return Generation(data["text"], data["prompt_tokens"], data["completion_tokens"], data["seconds"], True)
        except (OSError, ValueError, KeyError):
            return None

    def put(self, key: str, generation: Generation) -> None:
        if self.root is None:
            return
        atomic_write_json(self.root / key[:2] / f"{key}.json", {
            "text": generation.text, "prompt_tokens": generation.prompt_tokens,
            "completion_tokens": generation.completion_tokens, "seconds": generation.seconds,
        })


@dataclass
class LlmSession:
    """A backend plus the call cache and the statistics of one summary."""

    backend: Any
    cache: CallCache
    version: int
    stats: LlmStats = field(default_factory=LlmStats)

    def chat(self, messages: list[dict[str, str]], max_tokens: int, sampling: SamplingOptions,
             stop: list[str] | None = None) -> Generation:
        key = CallCache.key(self.backend.model.sha256, messages, max_tokens, sampling, self.backend.n_ctx, self.version)
        generation = self.cache.get(key)
        if generation is None:
            log.debug("llm call %s: not cached, generating", key[:12])
            generation = self.backend.chat(messages, max_tokens, sampling, stop)
            self.cache.put(key, generation)
        self.stats.add(generation)
        return generation
