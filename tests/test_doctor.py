"""`ytlocal doctor`: one OK/WARN/FAIL line per check; non-zero exit when the default pipeline can't run."""

import pytest

from ytlocal.errors import DoctorError

pytestmark = pytest.mark.integration


def lines_by_label(output: str) -> dict[str, str]:
    rows = {}
    for line in output.splitlines():
        status, _, rest = line.partition("  ")
        if status.strip() in ("OK", "WARN", "FAIL"):
            label = rest.strip().split("  ")[0]
            rows[label] = line
    return rows


def test_doctor_passes_with_the_default_models_installed(run_cli, test_models_store, tmp_path):
    config = tmp_path / "config.toml"
    # Point the defaults at the test models, which the suite installs in the checkout store.
    config.write_text('whisper_model = "whisper-tiny.en"\nllm_model = "smollm2-135m-instruct"\n')
    result = run_cli("--config", str(config), "doctor")
    assert result.exit_code == 0, result.output
    rows = lines_by_label(result.output)
    for label in ("python", "config", "ffmpeg", "yt-dlp", "faster-whisper", "ctranslate2",
                  "llama-cpp-python", "llama.cpp", "whisper device", "models dir", "whisper model",
                  "llm model", "embedding model", "disk (models)", "disk (cache)"):
        assert label in rows, f"doctor has no '{label}' line"
    assert f"read {config}" in rows["config"]
    assert "GPU offload" in rows["llama.cpp"] and "CPU features" in rows["llama.cpp"]
    assert "whisper-tiny.en installed and verified (catalog)" in rows["whisper model"]
    assert str(test_models_store.root) in rows["models dir"]


def test_doctor_fails_with_the_fix_when_a_default_model_is_missing(run_cli, tmp_path):
    result = run_cli("--models-dir", str(tmp_path / "empty"), "doctor")
    assert result.exit_code == DoctorError.exit_code
    rows = lines_by_label(result.output)
    assert rows["whisper model"].startswith("FAIL")
    assert "ytlocal models pull whisper-base" in rows["whisper model"]
    assert rows["llm model"].startswith("FAIL")
    # The embedding model is optional: missing, it is a warning that says what is lost and how to pull it.
    assert rows["embedding model"].startswith("WARN")
    assert "minilm-l6-v2 is not installed" in rows["embedding model"]
    assert "summaries and search work without it, but without sentence meaning" in rows["embedding model"]
    assert "-> ytlocal models pull minilm-l6-v2" in rows["embedding model"]
    assert "ytlocal: error: 2 check(s) failed: whisper model, llm model" in result.output


def test_doctor_names_the_config_file_it_would_read(run_cli, isolated_user_dirs, tmp_path):
    result = run_cli("--models-dir", str(tmp_path), "doctor")
    expected = isolated_user_dirs / "config" / "ytlocal" / "config.toml"
    assert f"no file at {expected}; using defaults" in result.output


def test_doctor_recommends_the_strongest_llm_that_fits_with_its_pull_command(run_cli, test_models_store):
    result = run_cli("doctor")
    advice = lines_by_label(result.output)["llm advice"]
    assert advice.startswith("WARN") and "GB RAM here" in advice
    assert "-> ytlocal models pull qwen2.5-3b-instruct" in advice  # strongest in the catalog; fits in 24 GB
