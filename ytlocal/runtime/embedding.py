"""Sentence embeddings: a BERT GGUF (all-MiniLM-L6-v2, see :mod:`ytlocal.runtime.bert_gguf`) run by
llama.cpp in embedding mode, the engine that already runs the LLM, so the meaning of a sentence costs
no new runtime.

Each text is one vector of the model's width (384 for MiniLM), float32, L2-normalized, so that a dot
product is the cosine similarity. The vector of a text depends on that text alone:

- **Not on the rest of the call.** llama.cpp can decode several sequences in one batch, but the bits
  of a sequence's vector then depend on its neighbours and on its place in the batch (measured here:
  up to 6e-4 apart in the unnormalized vector, f16 and f32 weights alike). A library whose vectors
  change with how passages happened to be grouped cannot be cached or compared exactly, so every
  text is decoded on its own. It costs nothing here (``scripts/bench_embed.py``, 2 CPU cores): the
  batched way was no faster at 1-8 sentences per call and 3-10x slower at 32-128 (every token of
  the batch attends over all of the batch's tokens, masked), in 7x the memory (an 8192-token context).
- **Not on the thread count** (1 or 2 threads give the same bits; llama.cpp splits a matrix product
  by rows, each row summed by one thread) **nor on n_ctx / n_batch / n_ubatch** (checked 256 to 2048).
  So the thread count can follow the machine's load: by default each call uses the cores no other
  process keeps busy (:class:`ytlocal.runtime.llm.LoadAwareThreads`, as the LLM does). Measured with
  scripts/bench_embed.py on 2 cores: with both cores free, 2 threads embed ~1.4x what 1 thread does;
  while another process keeps them busy, llama.cpp's spinning OpenMP threads collapse, and 2 threads
  embedded 5-20 sentences/s where 1 thread embedded 55-110.
- **Not on the text's length past the model's limit.** The model was trained on at most 256 word
  pieces (sentence-transformers' ``max_seq_length``); a longer text keeps its first 255 pieces and
  the closing ``[SEP]``, exactly as sentence-transformers truncates, and is never an error.

Tokens are llama.cpp's WordPiece tokenizer's, equal to the Hugging Face tokenizer's for the same
vocabulary, with two differences closed here: special tokens written in the text (``[SEP]``) are
parsed as special tokens, as Hugging Face does, and a word of more than 100 characters is one
``[UNK]``, as Hugging Face's WordPiece gives up on such words (llama.cpp would split it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..errors import ModelError
from .native import ensure_native_runs, policy_applied

if TYPE_CHECKING:
    import numpy as np

    from ..registry import ResolvedModel

log = logging.getLogger(__name__)

# sentence-transformers' max_seq_length for all-MiniLM-L6-v2 (its position table has 512 rows, but
# it was trained on 256): texts are truncated to this many word pieces, [CLS] and [SEP] included.
DEFAULT_MAX_TOKENS = 256
# Hugging Face's WordPiece turns a longer word into [UNK] (max_input_chars_per_word).
MAX_WORD_CHARACTERS = 100
UNKNOWN_TOKEN_TEXT = "[UNK]"
# How often a long stream of calls looks at the load again (a look costs ~6 ms; a sentence ~10 ms).
LOAD_CHECK_SECONDS = 1.0


class LlamaEmbedder:
    """One loaded embedding GGUF. ``embed`` may be called from several threads (calls take turns).

    ``threads``: llama.cpp threads; 0 (the default): the physical cores, fewer while other processes
    keep cores busy (checked at most once a second). The vectors do not depend on it.
    ``max_tokens``: word pieces per text, [CLS] and [SEP] included (default 256, at most the model's
    trained context). ``n_gpu_layers``: 0 keeps the model on the CPU (the default: it is small, and
    vectors computed on a GPU differ in their last bits from the CPU's)."""

    def __init__(self, model: "ResolvedModel | str | os.PathLike[str]", *, threads: int = 0,
                 max_tokens: int | None = None, n_gpu_layers: int = 0):
        from ..config import physical_cores
        from ..offline import offline_model_load
        from ..registry import ResolvedModel

        if not isinstance(model, ResolvedModel):
            path = Path(model)
            if not path.is_file():
                raise ModelError(f"no embedding model file at {path}; run `ytlocal models pull minilm-l6-v2`")
            from ..files import sha256_file

            model = ResolvedModel(path.stem, "embedding", path, sha256_file(path))
        self.model = model
        self.name = model.name
        path = Path(model.path)
        if not path.is_file():
            raise ModelError(f"no embedding model file at {path}; run `ytlocal models pull {model.name}`")
        self.threads = threads or physical_cores()
        self._adaptive = not threads
        self._load_aware = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        try:
            import llama_cpp
        except Exception as error:  # a broken native build raises OSError, ImportError, ...
            raise ModelError(f"cannot load llama.cpp ({error}); reinstall llama-cpp-python") from error
        self._llama_cpp = llama_cpp
        requested = max_tokens or DEFAULT_MAX_TOKENS
        if requested < 3:
            raise ModelError(f"max_tokens must leave room for a word between [CLS] and [SEP], got {requested}")
        # Never past what the model was trained on (its position table): a longer context does not
        # even load (llama.cpp aborts the process), so the GGUF's header is read first.
        trained = gguf_context_length(path)
        self.max_tokens = min(requested, trained) if trained else requested
        ensure_native_runs(path, "embedding", n_gpu_layers)  # a crash is an error here, not a dead process
        with offline_model_load():
            self._llama = self._open(path, self.max_tokens, n_gpu_layers)
        pooling = self._llama.pooling_type()
        if pooling not in (llama_cpp.LLAMA_POOLING_TYPE_MEAN, llama_cpp.LLAMA_POOLING_TYPE_CLS):
            self.close()
            raise ModelError(f"{path} does not pool its tokens into one sentence vector (pooling type "
                             f"{pooling}); it is not a sentence-embedding GGUF")
        self.dimensions = self._llama.n_embd()
        self.current_threads = self.threads
        self._batch = llama_cpp.llama_batch_init(self.max_tokens, 0, 1)
        log.debug("embedding model %s loaded: %d dimensions, %d tokens, %d threads", self.name, self.dimensions,
                  self.max_tokens, self.threads)

    def _open(self, path: Path, tokens: int, n_gpu_layers: int):
        try:
            # A non-causal model needs the whole sequence in one micro-batch: all three sizes are the
            # longest sequence. flash_attn off, as for the LLM: results independent of the thread count.
            with policy_applied():  # the same weights' layout on every CPU (see runtime/native.py)
                return self._llama_cpp.Llama(
                    model_path=str(path), embedding=True, n_ctx=tokens, n_batch=tokens, n_ubatch=tokens,
                    n_threads=self.threads, n_threads_batch=self.threads, n_gpu_layers=n_gpu_layers,
                    flash_attn=False, verbose=False)
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(f"llama.cpp cannot load {path} as an embedding model ({error}); check it "
                             f"with `ytlocal models verify`, or pull it again") from error

    # -- tokens

    def tokenize(self, text: str) -> list[int]:
        """The token ids the model reads for ``text``: [CLS], the word pieces, [SEP], truncated to
        ``max_tokens`` the way sentence-transformers truncates (the last piece kept is [SEP])."""
        tokens = self._llama.tokenize(_unknown_long_words(text).encode("utf-8"), add_bos=True, special=True)
        if len(tokens) > self.max_tokens:
            tokens = tokens[:self.max_tokens - 1] + tokens[-1:]
        return tokens

    # -- vectors

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """One L2-normalized float32 row per text, in the order given; shape ``(len(texts), dimensions)``
        (``(0, dimensions)`` for no texts). A row depends on its text only (see the module docstring)."""
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("embed() takes a list of texts; wrap a single text in a list")
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        first_row: dict[str, int] = {}  # a text said twice is embedded once (its vector is its text's alone)
        for row, text in enumerate(texts):
            if text in first_row:
                result[row] = result[first_row[text]]
                continue
            first_row[text] = row
            # One text at a time holds the model: another thread's single text (a server's search query)
            # waits for one text of a long list (a summary's sentences), not for the whole list.
            with self._lock:
                if self._llama is None:
                    raise ModelError(f"the embedding model {self.name} was closed")
                if row == 0:
                    self._follow_the_load()
                result[row] = self._embed_one(self.tokenize(text))
        return result

    def _follow_the_load(self) -> None:
        """With ``threads=0``, use only the cores other processes leave free (see the module text)."""
        if not self._adaptive or time.monotonic() - self._checked_at < LOAD_CHECK_SECONDS:
            return
        if self._load_aware is None:
            from .llm import LoadAwareThreads

            self._load_aware = LoadAwareThreads(self.threads)
        self._checked_at = time.monotonic()
        threads = self._load_aware.for_next_call()
        if threads != self.current_threads:
            log.debug("embedding threads: %d -> %d", self.current_threads, threads)
            self._llama_cpp.llama_set_n_threads(self._llama.ctx, threads, threads)
            self.current_threads = threads

    def _embed_one(self, tokens: list[int]) -> "np.ndarray":
        import numpy as np

        llama_cpp = self._llama_cpp
        batch = self._batch
        batch.n_tokens = len(tokens)
        for position, token in enumerate(tokens):
            batch.token[position] = token
            batch.pos[position] = position
            batch.n_seq_id[position] = 1
            batch.seq_id[position][0] = 0
            batch.logits[position] = True
        code = llama_cpp.llama_decode(self._llama.ctx, batch)
        if code != 0:
            raise ModelError(f"llama.cpp could not embed a text of {len(tokens)} tokens with {self.name} "
                             f"(llama_decode returned {code})")
        pointer = llama_cpp.llama_get_embeddings_seq(self._llama.ctx, 0)
        if not pointer:
            raise ModelError(f"llama.cpp returned no sentence vector from {self.name}")
        vector = np.ctypeslib.as_array(pointer, shape=(self.dimensions,)).astype(np.float64)
        norm = float(np.sqrt(vector @ vector))
        return (vector / norm if norm > 0 else vector).astype(np.float32)

    # -- lifetime

    def close(self) -> None:
        """Free the model now (left to the interpreter's exit, llama.cpp's destructor can fail noisily)."""
        batch, self._batch = getattr(self, "_batch", None), None
        if batch is not None:
            self._llama_cpp.llama_batch_free(batch)
        llama, self._llama = getattr(self, "_llama", None), None
        if llama is not None:
            llama.close()

    def __enter__(self) -> "LlamaEmbedder":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
                 12: "<d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_context_length(path: Path) -> int | None:
    """``{architecture}.context_length`` from a GGUF's header, read without loading the model (the
    keys before it are skipped; reading stops there). None when the file does not say or is not a
    GGUF llama.cpp would read: its own load then reports the problem.

    Read here rather than with ``gguf.GGUFReader`` (the ``gguf`` package is a dependency, for the
    conversion): the reader parses every key and tensor of the file, the vocabulary's strings one by
    one, which took 2.2 s of CPU for MiniLM's GGUF and 5.5 s for SmolLM2's (2 cores, gguf 0.19) where
    this takes about a millisecond, and loading the whole embedder 0.6 s."""
    import struct

    def read(handle, size: int) -> bytes:
        data = handle.read(size)
        if len(data) != size:
            raise EOFError
        return data

    def string(handle) -> str:
        (length,) = struct.unpack("<Q", read(handle, 8))
        return read(handle, length).decode("utf-8", "replace")

    def skip(handle, value_type: int) -> None:
        if value_type == _GGUF_STRING:
            (length,) = struct.unpack("<Q", read(handle, 8))
            handle.seek(length, 1)
        elif value_type == _GGUF_ARRAY:
            element_type, count = struct.unpack("<IQ", read(handle, 12))
            if element_type in _GGUF_SCALARS:
                handle.seek(struct.calcsize(_GGUF_SCALARS[element_type]) * count, 1)
            else:
                for _ in range(count):
                    skip(handle, element_type)
        else:
            handle.seek(struct.calcsize(_GGUF_SCALARS[value_type]), 1)

    try:
        with open(path, "rb") as handle:
            if read(handle, 4) != b"GGUF":
                return None
            _version, _tensors, keys = struct.unpack("<IQQ", read(handle, 20))
            architecture = None
            for _ in range(keys):
                key = string(handle)
                (value_type,) = struct.unpack("<I", read(handle, 4))
                if key == "general.architecture" and value_type == _GGUF_STRING:
                    architecture = string(handle)
                elif architecture and key == f"{architecture}.context_length" and value_type in _GGUF_SCALARS:
                    fmt = _GGUF_SCALARS[value_type]
                    return int(struct.unpack(fmt, read(handle, struct.calcsize(fmt)))[0])
                else:
                    skip(handle, value_type)
    except (OSError, EOFError, KeyError, struct.error) as error:
        log.debug("cannot read the context length of %s (%s)", path, error)
    return None


def _is_punctuation(character: str) -> bool:
    code = ord(character)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(character).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


def _unknown_long_words(text: str) -> str:
    """``text`` with every word of more than 100 characters (after BERT's normalization: accents
    removed, lower case) replaced by [UNK], which is what Hugging Face's WordPiece makes of it. Words
    are split as BERT splits them: at white space, punctuation and CJK characters."""
    if len(text) <= MAX_WORD_CHARACTERS:
        return text
    pieces: list[str] = []
    word: list[str] = []

    def flush() -> None:
        if not word:
            return
        spelled = "".join(word)
        normalized = "".join(c for c in unicodedata.normalize("NFD", spelled)
                             if unicodedata.category(c) != "Mn").lower()
        counted = sum(1 for c in normalized if unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cn", "Cs"))
        pieces.append(f" {UNKNOWN_TOKEN_TEXT} " if counted > MAX_WORD_CHARACTERS else spelled)
        word.clear()

    for character in text:
        if character.isspace() or _is_punctuation(character) or _is_cjk(ord(character)):
            flush()
            pieces.append(character)
        else:
            word.append(character)
    flush()
    return "".join(pieces)
