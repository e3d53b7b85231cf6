"""ytlocal as users install it: a wheel built from the checkout, installed (not editable) into a fresh
virtualenv, then the command line and the README's Python API example run from outside the checkout."""

import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from ytlocal.records import Media, Segment, Transcript
from ytlocal.transcript import write_transcript

from media import TALK_TEXT

pytestmark = pytest.mark.integration
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(REPO_ROOT)], check=True, capture_output=True, timeout=300)
    [built] = out.glob("ytlocal-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; its dependencies come from the test environment's
    site-packages through a .pth path line (no download, and no editable install leaks in: .pth files
    of that folder are not processed)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return venv


def test_the_wheel_holds_every_subpackage_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packaged = {name for name in names if name.startswith("ytlocal/")}
    in_checkout = {str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "ytlocal").rglob("*")
                   if p.is_file() and p.suffix in (".py", ".toml", ".json", ".npy") and "__pycache__" not in p.parts}
    assert in_checkout <= packaged, sorted(in_checkout - packaged)
    assert "ytlocal/summarization/summarizer.py" in packaged and "ytlocal/catalog.toml" in packaged
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = zipfile.ZipFile(wheel).read(metadata).decode()
    for dependency in ("yt-dlp", "faster-whisper", "llama-cpp-python", "wordfreq", "lemminflect"):
        assert re.search(rf"^Requires-Dist: {dependency}\b", requires, re.M | re.I), dependency


def _talk_files(folder: Path, talk_m4a: Path) -> None:
    transcript = Transcript(segments=[Segment(i * 5.0, i * 5.0 + 5, line)
                                      for i, line in enumerate(TALK_TEXT.splitlines())], language="en")
    write_transcript(transcript, folder, "talk", ["srt"])
    (folder / "talk.m4a").write_bytes(talk_m4a.read_bytes())


def _env(test_models_store, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YTLOCAL_", "PYTHON", "HF_HUB_OFFLINE"))}
    env.update(YTLOCAL_MODELS_DIR=str(test_models_store.root), YTLOCAL_WHISPER_MODEL="whisper-tiny.en",
               XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_DATA_HOME=str(home / "data"))
    return env


def test_installed_command_summarizes_a_transcript(installed, test_models_store, talk_m4a, tmp_path):
    _talk_files(tmp_path, talk_m4a)
    env = _env(test_models_store, tmp_path / "home")
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import ytlocal; print(ytlocal.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(installed)), where  # the wheel, not the checkout
    result = subprocess.run([str(installed / "bin" / "ytlocal"), "summarize", "talk.srt", "-o", "out", "-f", "all"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "talk [transcript].hashnode.md", "talk [transcript].md", "talk [transcript].summary.json",
        "talk [transcript].summary.txt"]


def test_readme_python_api_example_runs_from_the_wheel(installed, test_models_store, talk_m4a, tmp_path):
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    _talk_files(tmp_path, talk_m4a)
    result = subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path, timeout=600,
                            env=_env(test_models_store, tmp_path / "home"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Talk" and re.match(r"\[\d+ s\] \S", lines[1])
    assert sorted(p.name for p in (tmp_path / "summaries").iterdir()) == ["talk [transcript].md",
                                                                          "talk [transcript].summary.json"]
    assert any(line.startswith("en ") for line in lines)
    failed = [line for line in lines if line.startswith("no-such-file")]
    assert len(failed) == 1 and "no-such-file.mp3" in failed[0]
    assert sum(1 for line in lines if line.startswith(("Talk ", "talk "))) >= 2

    # The second example: search and ask, in the same folder and home.
    search_code = re.findall(r"```python\n(.*?)```", section, re.S)[1]
    result = subprocess.run([str(installed / "bin" / "python"), "-c", search_code], cwd=tmp_path, timeout=600,
                            env=_env(test_models_store, tmp_path / "home"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()  # the answer, or the links of the passages it would rest on


def test_api_errors_are_the_documented_classes(test_models_store, tmp_path):
    import ytlocal
    from ytlocal.errors import ModelError, SourceError

    with pytest.raises(SourceError):
        ytlocal.summarize(str(tmp_path / "missing.srt"))
    (tmp_path / "t.srt").write_text("1\n00:00:00,000 --> 00:00:05,000\nBees carry pollen between the blossoms of apple trees.\n")
    with pytest.raises(ModelError, match="ytlocal models pull"):
        ytlocal.summarize(str(tmp_path / "t.srt"), llm="qwen2.5-3b-instruct")
    assert isinstance(Media.for_transcript_file(tmp_path / "t.srt"), ytlocal.Media)
