"""Real media for tests, made with espeak-ng (speech) and ffmpeg (containers, silence, tones, video)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
TALK_TEXT = (DATA / "talk.txt").read_text(encoding="utf-8")


def require_tools() -> None:
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: scripts/test.sh installs it (apt-get install {tool})")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def speak(text: str, wav: Path, words_per_minute: int = 150) -> Path:
    require_tools()
    subprocess.run(["espeak-ng", "-s", str(words_per_minute), "-w", str(wav), text], check=True)
    return wav


def encode(source: Path, target: Path, *codec_args: str) -> Path:
    ffmpeg("-i", str(source), *codec_args, str(target))
    return target


def silence(target: Path, seconds: float = 20) -> Path:
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", str(seconds), str(target))
    return target


def video_without_audio(target: Path, seconds: float = 3) -> Path:
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=5", "-t", str(seconds), "-an", str(target))
    return target


def normalize_words(text: str) -> str:
    text = text.lower().replace("honeybee", "honey bee")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.replace(",", "")).split())
