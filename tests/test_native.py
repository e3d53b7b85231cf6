"""llama.cpp on any CPU (ytlocal/runtime/native.py): one loading rule whatever the CPU's features, and a
native crash reported in one line by the child-process probe, never a dead process.

The crash tests make llama.cpp really segfault: a ``sitecustomize`` put on the child's PYTHONPATH makes
its first ``llama_decode`` read address 0 (a SIGSEGV in native code, as the AMX buffer type gave on
4th-generation Xeons), so what is checked is how ytlocal survives and reports a real crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_ytlocal
from ytlocal.errors import ModelError
from ytlocal.runtime import native
from ytlocal.runtime.native import LoadPolicy, cpu_features, ensure_native_runs, load_policy, policy_applied, probe

AVX2 = {"sse4_2", "avx", "f16c", "fma", "avx2"}
AVX512 = AVX2 | {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"}
AMX = AVX512 | {"avx512_bf16", "amx_tile", "amx_int8", "amx_bf16"}

CRASHING_SITECUSTOMIZE = '''
import os
if os.environ.get("YTLOCAL_NATIVE_PROBE_CHILD"):
    import ctypes
    import llama_cpp
    import llama_cpp.llama_cpp as bindings

    def segfault(*args, **kwargs):
        ctypes.string_at(0)  # reads address 0: SIGSEGV inside native code

    bindings.llama_decode = segfault
    llama_cpp.llama_decode = segfault
'''


@pytest.mark.parametrize("flags", [set(), AVX2, AVX512, AMX], ids=["none", "avx2", "avx512", "amx"])
def test_every_cpu_loads_without_extra_buffer_types(flags):
    policy = load_policy(flags)
    assert policy.extra_buffer_types is False  # the same weights' layout, so the same output, everywhere
    assert ("AMX present, not used" in policy.note) == ("amx_int8" in flags)


def test_the_policy_reaches_the_parameters_llama_loads_with_and_is_undone_after():
    import llama_cpp.llama_cpp as bindings

    assert bindings.llama_model_default_params().use_extra_bufts is True  # llama.cpp's own default
    with policy_applied(LoadPolicy(False, "test")):
        assert bindings.llama_model_default_params().use_extra_bufts is False
    assert bindings.llama_model_default_params().use_extra_bufts is True


def test_cpu_features_name_the_simd_flags_in_order():
    assert cpu_features(AMX).endswith("avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16 amx_tile amx_int8 amx_bf16")
    assert cpu_features(set()).endswith("no SIMD flags reported")


@pytest.mark.integration
def test_chat_and_embedding_models_load_under_the_policy_and_run_here(test_models_store):
    from ytlocal.runtime.embedding import LlamaEmbedder
    from ytlocal.runtime.llm import LlamaBackend, SamplingOptions

    backend = LlamaBackend(test_models_store.resolve("smollm2-135m-instruct", "llm"), n_ctx=512, threads=1)
    embedder = LlamaEmbedder(test_models_store.resolve("minilm-l6-v2", "embedding"), threads=1)
    try:
        assert backend.llama.model_params.use_extra_bufts is False
        assert embedder._llama.model_params.use_extra_bufts is False
        answer = backend.chat([{"role": "user", "content": "Name a colour."}], 8, SamplingOptions())
        assert answer.completion_tokens > 0 and answer.text.strip()
        assert embedder.embed(["A sentence."]).shape == (1, 384)
    finally:
        backend.close()
        embedder.close()


@pytest.mark.integration
def test_the_probe_runs_both_models_in_a_child_process(test_models_store):
    result = probe(test_models_store.resolve("smollm2-135m-instruct", "llm").path,
                   test_models_store.resolve("minilm-l6-v2", "embedding").path)
    assert result.ok and not result.crashed, result.detail
    assert "generated 2 tokens" in result.detail and "384 dimensions" in result.detail


@pytest.fixture
def crashing_llama(tmp_path, monkeypatch):
    """Every llama.cpp decode in a probe's child segfaults (see the module text)."""
    folder = tmp_path / "crash"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(CRASHING_SITECUSTOMIZE)
    monkeypatch.setenv("PYTHONPATH", str(folder))
    monkeypatch.setattr(native, "_PASSED", set())
    return folder


@pytest.mark.integration
def test_a_segfault_in_the_child_is_one_line_with_the_signal_and_the_cpu(test_models_store, crashing_llama):
    chat = test_models_store.resolve("smollm2-135m-instruct", "llm").path
    result = probe(chat)
    assert not result.ok and result.crashed
    assert "llama.cpp crashed (SIGSEGV) generating with SmolLM2" in result.detail
    assert cpu_features() in result.detail and "\n" not in result.detail


@pytest.mark.integration
def test_a_model_that_would_crash_is_refused_with_a_model_error_and_this_process_lives(test_models_store,
                                                                                      crashing_llama):
    embedding = test_models_store.resolve("minilm-l6-v2", "embedding").path
    with pytest.raises(ModelError, match=r"crashed \(SIGSEGV\) embedding with all-MiniLM"):
        ensure_native_runs(embedding, "embedding")


@pytest.mark.integration
def test_a_passed_probe_is_remembered_on_disk_and_in_memory(test_models_store, monkeypatch, tmp_path):
    monkeypatch.setattr(native, "_PASSED", set())
    monkeypatch.setenv("YTLOCAL_CACHE_DIR", str(tmp_path / "cache"))
    embedding = test_models_store.resolve("minilm-l6-v2", "embedding").path
    ensure_native_runs(embedding, "embedding")
    assert len(list((tmp_path / "cache" / "native-probes").glob("*.json"))) == 1

    def no_probe(*args, **kwargs):
        raise AssertionError("probed again")

    monkeypatch.setattr(native, "probe", no_probe)
    ensure_native_runs(embedding, "embedding")  # in memory
    monkeypatch.setattr(native, "_PASSED", set())
    ensure_native_runs(embedding, "embedding")  # on disk


@pytest.mark.integration
def test_summarize_reports_a_native_crash_in_one_line_instead_of_dying(test_models_store, crashing_llama, tmp_path):
    transcript = tmp_path / "talk.txt"
    transcript.write_text("Bees dance to tell each other where flowers are. " * 20)
    done = run_ytlocal("summarize", str(transcript), "-o", str(tmp_path / "out"),
                       env={"PYTHONPATH": f"{crashing_llama}:{Path(__file__).resolve().parent.parent}"})
    assert done.returncode > 0, (done.returncode, done.stderr)  # an exit status, not a signal
    errors = [line for line in done.stderr.splitlines() if line.startswith("ytlocal: error:")]
    assert len(errors) == 1 and "llama.cpp crashed (SIGSEGV)" in errors[0], done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.integration
def test_doctor_reports_a_native_crash_as_a_failed_check(test_models_store, crashing_llama):
    done = run_ytlocal("doctor", env={"PYTHONPATH": f"{crashing_llama}:{Path(__file__).resolve().parent.parent}"})
    line = next(line for line in done.stdout.splitlines() if "llama.cpp run" in line)
    assert line.startswith("FAIL") and "crashed (SIGSEGV)" in line and cpu_features() in line
    assert done.returncode > 0 and "failed" in done.stderr, done.stderr  # an exit status, not a signal


def test_the_child_is_importable_without_loading_anything():
    done = subprocess.run([sys.executable, "-m", "ytlocal.runtime.smoke"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and '"done": []' in done.stdout
