"""Loaded models and who owns them.

A :class:`Models` holds the llama.cpp models one owner has loaded (a :class:`ytlocal.api.Session`
through its pipeline, a Dask worker process, a benchmark): each is loaded on first use and shared by
every later caller with the same file and settings, and :meth:`Models.close` frees only that owner's
models, never another session's. Two seams, in the manner of simonw/llm's ``Model`` and
``EmbeddingModel``:

- :meth:`Models.chat` gives a :class:`ChatModel` (``chat(messages, max_tokens, sampling)``), used by
  the summarizer and ``ask``;
- :meth:`Models.embedder` gives an :class:`EmbeddingModel` (``embed(texts) -> vectors``), used for
  sentence meaning (selection, ad reads, sections, hybrid search).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from typing import TYPE_CHECKING, Any, Protocol, Sequence, runtime_checkable

from ..registry import ResolvedModel

if TYPE_CHECKING:
    import numpy as np

    from .llm import Generation, SamplingOptions

log = logging.getLogger(__name__)


class ChatModel(Protocol):
    """A model that answers chat messages (llama.cpp's chat template applied)."""

    model: ResolvedModel
    n_ctx: int
    n_ctx_train: int

    def chat(self, messages: list[dict[str, str]], max_tokens: int, sampling: "SamplingOptions",
             stop: list[str] | None = None) -> "Generation": ...

    def count_tokens(self, text: str) -> int: ...

    def prompt_tokens(self, messages: list[dict[str, str]]) -> int: ...

    def close(self) -> None: ...


@runtime_checkable
class EmbeddingModel(Protocol):
    """A model that turns texts into unit-length vectors; similar meaning, nearby vectors (checkable with
    ``isinstance``: the library tells a model from a loader of one that way)."""

    model: ResolvedModel
    dimensions: int

    def embed(self, texts: Sequence[str]) -> "np.ndarray": ...

    def close(self) -> None: ...


_LIVE: "weakref.WeakSet[Models]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Free what is still loaded before interpreter shutdown (llama.cpp's destructors can fail noisily
    when left to it)."""
    for owner in list(_LIVE):
        owner.close()


class Models:
    """The models one owner has loaded (see the module text). Thread-safe: a model loads once even
    when two threads ask for it at the same moment, and one loading does not hold up the use of those
    already loaded (a server's search embeds its query while a question loads the LLM)."""

    def __init__(self) -> None:
        self._loaded: dict[tuple, Any] = {}
        self._lock = threading.Lock()
        _LIVE.add(self)

    def _get(self, key: tuple, load) -> Any:
        loaded = self._loaded.get(key)  # a model already here is handed out without waiting for another's load
        if loaded is not None:
            return loaded
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = load()
            return self._loaded[key]

    def chat(self, model: ResolvedModel, n_ctx: int | None = None, threads: int = 0,
             n_gpu_layers: int | None = None) -> ChatModel:
        """The chat model in ``model`` (a GGUF file), loaded on first use with this context, thread
        count and GPU placement."""
        from .llm import LlamaBackend

        key = ("chat", str(model.path), model.sha256, n_ctx, threads, n_gpu_layers)
        return self._get(key, lambda: LlamaBackend(model, n_ctx, threads, n_gpu_layers))

    def embedder(self, model: ResolvedModel, threads: int = 0) -> EmbeddingModel:
        """The sentence-embedding model in ``model`` (a BERT-family GGUF), loaded on first use."""
        from .embedding import LlamaEmbedder

        key = ("embed", str(model.path), model.sha256, threads)
        return self._get(key, lambda: LlamaEmbedder(model, threads=threads))

    def __getstate__(self) -> dict:
        return {}  # no loaded model travels (a pipeline sent to a Dask worker loads its own there)

    def __setstate__(self, state: dict) -> None:
        self.__init__()

    @property
    def loaded(self) -> list[Any]:
        return list(self._loaded.values())

    def close(self) -> None:
        """Free this owner's models now (they load again on the next request)."""
        with self._lock:
            loaded, self._loaded = list(self._loaded.values()), {}
        for model in loaded:
            model.close()
