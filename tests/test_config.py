"""Settings precedence, the model store location, and config file errors that name file, line, key."""

from pathlib import Path

import pytest

from ytlocal.config import checkout_models_dir, load_settings, resolve_models_dir
from ytlocal.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_config_file():
    settings = load_settings()
    assert settings.whisper_model == "whisper-base"
    assert settings.llm_model == "smollm2-135m-instruct"
    assert settings.device == "auto"
    assert not settings.config_found
    assert settings.config_path.name == "config.toml"


def test_the_embedding_model_is_a_setting_like_the_other_models(tmp_path, monkeypatch):
    assert load_settings().embedding_model == "minilm-l6-v2"
    config = write(tmp_path / "c.toml", 'embedding_model = "~/models/other-embedder.gguf"\n')
    assert load_settings(config).embedding_model == "~/models/other-embedder.gguf"
    monkeypatch.setenv("YTLOCAL_EMBEDDING_MODEL", "all-minilm-l6-v2")
    settings = load_settings(config)
    assert settings.embedding_model == "all-minilm-l6-v2"
    assert settings.origins["embedding_model"] == "environment YTLOCAL_EMBEDDING_MODEL"
    with pytest.raises(ConfigError, match=r"line 1, key 'embedding_model': expected str, got int"):
        load_settings(write(tmp_path / "bad.toml", "embedding_model = 3\n"))


def test_default_config_file_in_platform_config_dir_is_read(isolated_user_dirs):
    path = isolated_user_dirs / "config" / "ytlocal" / "config.toml"
    path.parent.mkdir(parents=True)
    write(path, 'whisper_model = "whisper-tiny.en"\n')
    settings = load_settings()
    assert settings.config_found and settings.config_path == path
    assert settings.whisper_model == "whisper-tiny.en"


def test_precedence_flag_over_environment_over_file(tmp_path, monkeypatch):
    config = write(tmp_path / "c.toml", 'threads = 3\ndevice = "cpu"\nllm_model = "from-file"\n')
    monkeypatch.setenv("YTLOCAL_THREADS", "5")
    settings = load_settings(config, device="cuda")
    assert settings.threads == 5  # environment beats the file
    assert settings.device == "cuda"  # the flag beats both
    assert settings.llm_model == "from-file"
    assert settings.origins["threads"] == "environment YTLOCAL_THREADS"
    assert settings.origins["device"] == "command line"


def test_ytlocal_config_variable_names_the_file(tmp_path, monkeypatch):
    config = write(tmp_path / "other.toml", "offline = true\n")
    monkeypatch.setenv("YTLOCAL_CONFIG", str(config))
    settings = load_settings()
    assert settings.offline is True
    assert settings.config_path == config


def test_named_config_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "missing.toml")


def test_syntax_error_names_file_line_and_key(tmp_path):
    config = write(tmp_path / "bad.toml", 'device = "cpu"\nthreads = = 4\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert str(config) in message
    assert "line 2" in message
    assert "key 'threads'" in message


def test_wrong_type_names_file_line_and_key(tmp_path):
    config = write(tmp_path / "bad.toml", '# comment\n\nthreads = "four"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml, line 3, key 'threads': expected int, got str"):
        load_settings(config)


def test_boolean_is_not_accepted_as_a_number(tmp_path):
    config = write(tmp_path / "bad.toml", "threads = true\n")
    with pytest.raises(ConfigError, match="key 'threads'"):
        load_settings(config)


def test_unknown_key_is_named_with_the_known_ones(tmp_path):
    config = write(tmp_path / "bad.toml", 'whsiper_model = "x"\n')
    with pytest.raises(ConfigError, match=r"line 1, key 'whsiper_model': unknown key; known keys: .*whisper_model"):
        load_settings(config)


def test_bad_device_value_is_refused(tmp_path):
    config = write(tmp_path / "bad.toml", 'device = "tpu"\n')
    with pytest.raises(ConfigError, match="expected one of auto, cpu, cuda"):
        load_settings(config)


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("YTLOCAL_OFFLINE", "maybe")
    with pytest.raises(ConfigError, match="YTLOCAL_OFFLINE"):
        load_settings()


def test_models_dir_order_flag_env_config_checkout(tmp_path, monkeypatch):
    config = write(tmp_path / "c.toml", f'models_dir = "{tmp_path / "from-config"}"\n')
    # The config file beats the checkout default.
    assert resolve_models_dir(load_settings(config))[0] == tmp_path / "from-config"
    # The environment beats the config file.
    monkeypatch.setenv("YTLOCAL_MODELS_DIR", str(tmp_path / "from-env"))
    assert resolve_models_dir(load_settings(config))[0] == tmp_path / "from-env"
    # The flag beats the environment.
    flagged = load_settings(config, models_dir=str(tmp_path / "from-flag"))
    assert resolve_models_dir(flagged) == (tmp_path / "from-flag", "command line")


def test_models_dir_defaults_to_checkout_models_folder():
    path, reason = resolve_models_dir(load_settings())
    assert path == checkout_models_dir()
    assert reason == "source checkout"


def test_cli_reports_config_errors_with_exit_code_3(run_cli, tmp_path):
    config = write(tmp_path / "bad.toml", "threads = [\n")
    result = run_cli("--config", str(config), "doctor")
    assert result.exit_code == 3
    assert "bad.toml" in result.output and "line" in result.output
