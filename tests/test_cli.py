"""The command line as a user meets it: help, version, exit codes, no heavy imports."""

import json
import subprocess
import sys

from ytlocal import __version__
from ytlocal.errors import EXIT_CODES, ConfigError, ModelError

from conftest import REPO_ROOT, run_ytlocal


def test_version_prints_package_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_commands_and_exit_codes(run_cli):
    result = run_cli("--help")
    assert result.exit_code == 0
    for command in ("models", "doctor"):
        assert command in result.output
    assert "Exit codes" in result.output
    assert "4  model error" in result.output


def test_help_does_not_import_heavy_libraries():
    # `ytlocal --help` must stay instant: the ML and download libraries load only when used.
    code = (
        "import sys\n"
        "from ytlocal.cli import cli\n"
        "try:\n"
        "    cli(['--help'], prog_name='ytlocal')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['faster_whisper', 'ctranslate2', 'llama_cpp', 'yt_dlp', 'huggingface_hub', 'tqdm', 'numpy']\n"
        "print('HEAVY=' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY="


def test_console_script_entry_point_runs():
    result = run_ytlocal("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_error_is_one_line_with_documented_exit_code_and_no_traceback():
    result = run_ytlocal("models", "pull", "no-such-model")
    assert result.returncode == ModelError.exit_code
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("ytlocal: error: unknown model 'no-such-model'")


def test_verbose_flag_shows_the_traceback():
    result = run_ytlocal("-v", "models", "pull", "no-such-model")
    assert result.returncode == ModelError.exit_code
    assert "Traceback" in result.stderr


def test_unexpected_error_is_one_line():
    code = ("import sys, ytlocal.doctor\n"
            "def broken(settings):\n    raise ZeroDivisionError('boom\\nsecond line')\n"
            "ytlocal.doctor.run_checks = broken\n"
            "from ytlocal.cli import cli\n"
            "cli(['doctor'], prog_name='ytlocal')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("ytlocal: error: unexpected ZeroDivisionError: boom (run again with -v for the "
                                     "traceback, and please report it)")


def test_every_error_class_has_a_distinct_documented_exit_code():
    from ytlocal.errors import (BatchIncomplete, BatchLocked, DoctorError, OutputError, SourceError, SummaryError,
                                TranscriptionError)
    from ytlocal.files import DiskFullError

    codes = [ConfigError.exit_code, ModelError.exit_code, SourceError.exit_code, TranscriptionError.exit_code,
             SummaryError.exit_code, DoctorError.exit_code, BatchIncomplete.exit_code, BatchLocked.exit_code,
             DiskFullError.exit_code, OutputError.exit_code]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert code in EXIT_CODES


def test_models_list_json_is_machine_readable(run_cli, tmp_path):
    result = run_cli("--models-dir", str(tmp_path), "models", "list", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["models_dir"] == str(tmp_path)
    names = {row["name"] for row in data["models"]}
    assert {"whisper-tiny.en", "whisper-base", "smollm2-135m-instruct"} <= names
    assert all(row["status"] == "not installed" for row in data["models"])
