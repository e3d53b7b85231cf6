"""GPUs only ever help: simulated CUDA failures fall back to the CPU with one warning (or fail at once
when --device cuda asks for the GPU), and the LLM offloads to a GPU when its build can. CI has no GPU:
CTranslate2 and llama.cpp are made to say what they say on a machine with one."""

import logging

import pytest

import ytlocal.transcription as transcription
from ytlocal.config import load_settings
from ytlocal.errors import ConfigError, TranscriptionError
from ytlocal.transcription import TranscribeOptions, WhisperEngine, pick_device

pytestmark = pytest.mark.integration
CUBLAS_ERROR = "Library libcublas.so.12 is not found or cannot be loaded"


@pytest.fixture
def one_gpu(monkeypatch):
    """CTranslate2 reports one CUDA device (as on the H200 machine with only CUDA 13 libraries)."""
    import ctranslate2

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 1)
    transcription._WARNED.clear()


def test_auto_uses_the_cpu_with_one_warning_when_cuda_libraries_are_missing(one_gpu, monkeypatch, caplog):
    def missing():
        raise OSError("libcublas.so.12: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(transcription, "_load_cuda_libraries", missing)
    with caplog.at_level(logging.WARNING, logger="ytlocal"):
        assert pick_device("auto") == ("cpu", "int8")
        assert pick_device("auto") == ("cpu", "int8")
    warnings = [r.getMessage() for r in caplog.records if "whisper runs on the CPU" in r.getMessage()]
    assert len(warnings) == 1
    assert "libcublas.so.12 cannot be loaded" in warnings[0] and "nvidia-cublas-cu12" in warnings[0]
    with pytest.raises(TranscriptionError, match=r"--device cuda: a CUDA GPU is there, but libcublas.so.12"):
        pick_device("cuda")


def test_device_cuda_fails_at_once_before_any_download(one_gpu, monkeypatch, run_cli, loopback_server, talk_m4a, tmp_path):
    monkeypatch.setattr(transcription, "_load_cuda_libraries",
                        lambda: (_ for _ in ()).throw(OSError("libcudnn.so.9: cannot open shared object file")))
    loopback_server.routes["/talk.m4a"] = talk_m4a.read_bytes()
    result = run_cli("transcribe", f"{loopback_server.url}/talk.m4a", "--whisper-model", "whisper-tiny.en",
                     "--device", "cuda", "-o", str(tmp_path))
    assert result.exit_code == TranscriptionError.exit_code
    assert "--device cuda: a CUDA GPU is there, but libcudnn.so.9 cannot be loaded" in result.output
    assert "nvidia-cudnn-cu12" in result.output and "Traceback" not in result.output
    assert sum(loopback_server.hits.values()) == 0


def test_gpu_failing_at_first_use_falls_back_to_the_cpu(one_gpu, monkeypatch, test_models_store, talk_m4a, caplog):
    """The libraries load, but CTranslate2 fails on the GPU exactly as reported (CUDA 13 machine)."""
    import faster_whisper

    real = faster_whisper.WhisperModel
    monkeypatch.setattr(transcription, "_load_cuda_libraries", lambda: None)

    def whisper_model(path, device="cpu", **kwargs):
        if device == "cuda":
            raise RuntimeError(CUBLAS_ERROR)
        return real(path, device=device, **kwargs)

    monkeypatch.setattr(faster_whisper, "WhisperModel", whisper_model)
    with caplog.at_level(logging.WARNING, logger="ytlocal"):
        engine = WhisperEngine(test_models_store.resolve("whisper-tiny.en", "whisper"), device="auto", threads=2)
    assert (engine.device, engine.compute_type) == ("cpu", "int8")
    assert any(CUBLAS_ERROR in r.getMessage() for r in caplog.records)
    transcript = engine.transcribe(talk_m4a, TranscribeOptions(language="en"))
    assert "bees" in transcript.text.lower()
    with pytest.raises(TranscriptionError, match="--device cuda: the GPU failed"):
        WhisperEngine(test_models_store.resolve("whisper-tiny.en", "whisper"), device="cuda", threads=2)


def test_doctor_reports_the_device_and_why(one_gpu, monkeypatch, run_cli):
    monkeypatch.setattr(transcription, "_load_cuda_libraries",
                        lambda: (_ for _ in ()).throw(OSError("libcublas.so.12: cannot open")))
    result = run_cli("doctor")
    line = next(l for l in result.output.splitlines() if "whisper device" in l)
    assert line.startswith("WARN") and "cpu, int8" in line and "libcublas.so.12 cannot be loaded" in line


def test_llm_offloads_every_layer_when_the_build_can(monkeypatch, test_models_store, run_cli):
    import llama_cpp

    from ytlocal.runtime.llm import LlamaBackend, SamplingOptions

    model = test_models_store.resolve("smollm2-135m-instruct", "llm")
    assert LlamaBackend(model, n_ctx=256).n_gpu_layers == 0  # this CPU build
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: True)
    offloaded = LlamaBackend(model, n_ctx=256)
    assert offloaded.n_gpu_layers == -1
    assert offloaded.chat([{"role": "user", "content": "Say hello."}], 8, SamplingOptions()).text is not None
    assert LlamaBackend(model, n_ctx=256, n_gpu_layers=0).n_gpu_layers == 0
    line = next(l for l in run_cli("doctor").output.splitlines() if "llm offload" in l)
    assert "all layers on the GPU (default: all, since the build can offload)" in line


def test_llm_gpu_layers_setting_is_checked(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("llm_gpu_layers = -2\n")
    with pytest.raises(ConfigError, match="llm_gpu_layers"):
        load_settings(config)
    config.write_text("llm_gpu_layers = 20\n")
    assert load_settings(config).llm_gpu_layers == 20


def test_cuda_libraries_from_the_nvidia_wheels_are_found_without_ld_library_path(tmp_path, monkeypatch):
    """`pip install nvidia-cublas-cu12 nvidia-cudnn-cu12` puts the libraries in site-packages/nvidia/*/lib,
    outside the loader's path: ytlocal loads them from there, after which CTranslate2's own dlopen by
    name finds them. Stand-ins are real shared libraries with the real sonames."""
    import ctypes
    import shutil
    import subprocess
    import sys

    if not shutil.which("cc"):
        pytest.skip("needs a C compiler to build the stand-in libraries")
    source = tmp_path / "empty.c"
    source.write_text("int ytlocal_stand_in(void) { return 1; }\n")
    for package, name in (("cublas", "libcublasLt.so.12"), ("cublas", "libcublas.so.12"), ("cudnn", "libcudnn.so.9")):
        folder = tmp_path / "site" / "nvidia" / package / "lib"
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cc", "-shared", "-fPIC", f"-Wl,-soname,{name}", "-o", str(folder / name), str(source)],
                       check=True)
    try:
        ctypes.CDLL("libcublas.so.12")
        pytest.skip("this machine has a real libcublas.so.12")
    except OSError:
        pass
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for module in [m for m in sys.modules if m == "nvidia" or m.startswith("nvidia.")]:
        monkeypatch.delitem(sys.modules, module)
    transcription._load_cuda_libraries()
    for name in transcription.CUDA_LIBRARIES:
        ctypes.CDLL(name)  # by name, as CTranslate2 does: already loaded, so found
