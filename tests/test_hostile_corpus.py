"""No traceback without -v, ever: a corpus of hostile and malformed inputs, generated here (no committed
binaries), each run through the command line. Every case must end with a documented exit code; a
failure is one line on stderr ("ytlocal: error: ..."); nothing hangs (a bound proportional to size)."""

import json
import re
import struct
import time
import zlib
from pathlib import Path

import pytest

from ytlocal.errors import EXIT_CODES

from media import TALK_TEXT, ffmpeg

pytestmark = pytest.mark.integration

TINY = ["--whisper-model", "whisper-tiny.en"]
WORDS = ("river mountain engine harvest library signal copper lantern orbit pepper canyon violin glacier "
         "compass meadow thunder").split()


def _prose(words: int, sentence_words: int = 14) -> str:
    out = []
    for i in range(words):
        token = WORDS[(i * 7 + i // 5) % len(WORDS)]
        out.append(token.capitalize() if i % sentence_words == 0 else token)
        if i % sentence_words == sentence_words - 1:
            out[-1] += "."
    return " ".join(out)


def _srt(cues) -> str:
    def clock(t):
        return f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}:{int(t % 60):02d},{int(t * 1000 % 1000):03d}"
    return "".join(f"{i}\n{clock(a)} --> {clock(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1))


TALK_LINES = TALK_TEXT.splitlines()


def _png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _tone(path: Path, *args: str) -> Path:
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", *args, str(path))
    return path


# Each case: (id, make(folder) -> command-line arguments, the exit codes it may end with).
# Transcripts go through `summarize`, media and source lists through `transcribe` with the tiny model.
CASES = [
    # ---- transcripts
    ("txt-100k-words-one-line", lambda d: _file(d, "one.txt", _prose(100_000)), {0}),
    ("txt-no-punctuation", lambda d: _file(d, "flat.txt", " ".join(WORDS * 300)), {0}),
    ("txt-only-punctuation", lambda d: _file(d, "punct.txt", ".,;:!?-- ... !!! ???\n" * 50), {7}),
    ("txt-nul-bytes", lambda d: _file(d, "nul.txt", "\x00".join(TALK_LINES) + "\x00\x00"), {0}),
    ("txt-utf16-bom", lambda d: _bytes(d, "utf16.txt", TALK_TEXT.encode("utf-16")), {0}),
    ("txt-mixed-line-endings", lambda d: _bytes(d, "mixed.txt",
                                                "\r\n".join(TALK_LINES[:4]).encode() + b"\r" + b"\n".join(
                                                    l.encode() for l in TALK_LINES[4:])), {0}),
    ("txt-1mb-single-line", lambda d: _file(d, "mega.txt", _prose(160_000)), {0}),
    ("txt-whitespace-only", lambda d: _file(d, "blank.txt", " \n\t\n   \n"), {7}),
    ("txt-one-huge-word", lambda d: _file(d, "word.txt", "x" * 100_000), {0, 7}),
    ("txt-german", lambda d: _file(d, "de.txt", "Die Rakete verwendet flüssigen Sauerstoff und Kerosin. " * 200), {0}),
    ("txt-chinese", lambda d: _file(d, "zh.txt", "蜜蜂为苹果树授粉。没有蜜蜂，果园的收成会很少。" * 100), {0, 7}),
    ("txt-binary-garbage", lambda d: _bytes(d, "garbage.txt", bytes(range(256)) * 40), {5}),
    ("srt-crlf", lambda d: _bytes(d, "crlf.srt", _srt([(i * 5, i * 5 + 5, l) for i, l in enumerate(TALK_LINES)])
                                  .replace("\n", "\r\n").encode()), {0}),
    ("srt-overlapping-cues", lambda d: _file(d, "overlap.srt", _srt([(i * 3, i * 3 + 9, l) for i, l in enumerate(TALK_LINES)])), {0}),
    ("srt-reversed-cues", lambda d: _file(d, "reversed.srt", _srt([(60 - i * 5, 55 - i * 5, l) for i, l in enumerate(TALK_LINES)])), {0}),
    ("srt-empty-cues", lambda d: _file(d, "empty.srt", _srt([(i, i + 1, "") for i in range(20)])), {7}),
    ("srt-bad-timings", lambda d: _file(d, "badtime.srt", "1\n99:99:99,999 --> 00:00:01,000\nHello there.\n\n"), {0, 5, 7}),
    ("srt-binary", lambda d: _bytes(d, "binary.srt", b"\x00\xff\xfe" * 1000), {5}),
    ("vtt-styles-regions-notes", lambda d: _file(d, "styled.vtt", "WEBVTT\n\nSTYLE\n::cue { color: red }\n\n"
                                                  "REGION\nid:left width:40%\n\nNOTE a comment\nwith two lines\n\n"
                                                  + "".join(f"00:00:{i * 4:02d}.000 --> 00:00:{i * 4 + 4:02d}.000 region:left\n"
                                                            f"<v Speaker>{l}</v>\n\n" for i, l in enumerate(TALK_LINES))), {0}),
    ("vtt-header-only", lambda d: _file(d, "header.vtt", "WEBVTT\n\n"), {5}),
    ("json-of-another-tool", lambda d: _file(d, "whisper.json", json.dumps({"text": TALK_TEXT, "segments": [{"text": "x"}]})), {5}),
    ("json-invalid", lambda d: _file(d, "broken.json", '{"ytlocal_transcript": 1, "segments": ['), {5}),
    ("json-list", lambda d: _file(d, "list.json", "[1, 2, 3]"), {5}),
    ("json-damaged-transcript", lambda d: _file(d, "damaged.json", json.dumps({"ytlocal_transcript": 1, "segments": [{"start": "x"}]})), {5}),
    # ---- outputs
    ("output-is-a-file", lambda d: _file(d, "t.txt", TALK_TEXT) + ["-o", str(_file(d, "afile", "x")[0])], {12}),
    ("output-under-a-file", lambda d: _file(d, "t.txt", TALK_TEXT) + ["-o", str(_file(d, "afile", "x")[0]) + "/sub"], {12}),
    ("title-with-slashes-and-dots", lambda d: _file(d, "t.json", json.dumps({
        "ytlocal_transcript": 1, "segments": [{"start": i * 5.0, "end": i * 5.0 + 5, "text": l} for i, l in enumerate(TALK_LINES)],
        "media": {"title": "../../etc/../passwd / x", "video_id": "../id"}})), {0}),
    # ---- options
    ("option-threads-negative", lambda d: _file(d, "t.txt", TALK_TEXT) + ["--threads", "-1"], {2}),
    ("option-n-ctx-1", lambda d: _file(d, "t.txt", TALK_TEXT) + ["--n-ctx", "1"], {2}),
    ("option-length-huge", lambda d: _file(d, "t.txt", TALK_TEXT) + ["--length", "huge"], {2}),
    ("option-format-bogus", lambda d: _file(d, "t.txt", TALK_TEXT) + ["-f", "docx"], {2}),
    ("option-llm-missing-file", lambda d: _file(d, "t.txt", TALK_TEXT) + ["--llm", str(d / "none.gguf")], {4}),
    ("option-llm-not-gguf", lambda d: _file(d, "t.txt", TALK_TEXT) + ["--llm", str(_file(d, "fake.gguf", "no")[0])], {4}),
    ("option-n-ctx-too-small", lambda d: _file(d, "t.txt", TALK_TEXT) + ["--n-ctx", "64"], {7}),
]

# `transcribe` cases: media and source lists.
TRANSCRIBE_CASES = [
    ("media-zero-bytes", lambda d: _bytes(d, "zero.mp3", b""), {5}),
    ("media-text-named-mp3", lambda d: _file(d, "text.mp3", "this is not audio\n" * 100), {5}),
    ("media-png-named-opus", lambda d: _bytes(d, "image.opus", _png()), {5}),
    ("media-one-second", lambda d: [str(_tone(d / "one.wav"))], {0}),
    ("media-8-channels", lambda d: [str(_tone(d / "eight.wav", "-ac", "8"))], {0}),
    ("media-192-khz", lambda d: [str(_tone(d / "hires.wav", "-ar", "192000"))], {0}),
    ("media-folder-without-media", lambda d: [str(_folder(d, "empty-folder"))], {5}),
    ("source-missing-path", lambda d: [str(d / "no-such-file.mp3")], {5}),
    ("source-url-with-spaces", lambda d: ["http://exa mple.com/video"], {5}),
    ("source-unsupported-scheme", lambda d: ["ftp://127.0.0.1:9/video.mp3"], {5}),
    ("source-list-mixed", lambda d: _list(d, "mixed.txt", [
        "# a comment", str(_tone(d / "ok.wav")), "http://127.0.0.1:9/closed-port", str(d / "missing.mp3"),
        str(_folder(d, "dir-without-media")), "   ", "http://127.0.0.1:9/other # trailing comment"]), {5}),
    ("source-list-names-itself", lambda d: _self_list(d), {5}),
    ("source-two-lists-name-each-other", lambda d: _mutual_lists(d), {5}),
]


def _file(folder: Path, name: str, text: str) -> list[str]:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return [str(path)]


def _bytes(folder: Path, name: str, data: bytes) -> list[str]:
    path = folder / name
    path.write_bytes(data)
    return [str(path)]


def _folder(folder: Path, name: str) -> Path:
    path = folder / name
    path.mkdir(exist_ok=True)
    (path / "notes.md").write_text("not media")
    return path


def _list(folder: Path, name: str, lines: list[str]) -> list[str]:
    return _file(folder, name, "\n".join(lines) + "\n")


def _self_list(folder: Path) -> list[str]:
    path = folder / "self.txt"
    path.write_text(f"{path}\n{_tone(folder / 'a.wav')}\n")
    return [str(path)]


def _mutual_lists(folder: Path) -> list[str]:
    first, second = folder / "first.txt", folder / "second.txt"
    first.write_text(f"{second}\n{_tone(folder / 'b.wav')}\n")
    second.write_text(f"{first}\n")
    return [str(first)]


def _check(result, expected: set[int], elapsed: float, size_bytes: int) -> None:
    output = result.output
    assert "Traceback" not in output, output[-2000:]
    assert result.exit_code in EXIT_CODES, f"undocumented exit code {result.exit_code}: {output[-500:]}"
    assert result.exit_code in expected, f"exit {result.exit_code}, expected {expected}: {output[-800:]}"
    if result.exit_code != 0:
        errors = [line for line in output.splitlines() if line.startswith(("ytlocal: error:", "Error:"))]
        assert errors, output[-800:]
        for line in errors:  # one line each: no message runs over several lines
            assert len(line) < 1000
    # Generous: a hang or a quadratic blow-up fails, an ordinary slow machine does not.
    assert elapsed < 120 + 240 * size_bytes / 1e6, f"took {elapsed:.0f} s"


def _size(args: list[str]) -> int:
    return sum(Path(a).stat().st_size for a in args if Path(a).is_file())


@pytest.mark.parametrize("name, make, expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_to_summarize(run_cli, test_models_store, tmp_path, name, make, expected):
    args = make(tmp_path)
    sources = [a for a in args if not a.startswith("-")][:1]
    options = args[len(sources):]
    if "-o" not in options:
        options += ["-o", str(tmp_path / "out")]
    started = time.perf_counter()
    result = run_cli("summarize", *sources, *options)
    _check(result, expected, time.perf_counter() - started, _size(sources))
    if result.exit_code == 0:
        written = list((tmp_path / "out").rglob("*.md"))
        assert written and all(tmp_path / "out" in p.parents for p in written)


@pytest.mark.parametrize("name, make, expected", TRANSCRIBE_CASES, ids=[c[0] for c in TRANSCRIBE_CASES])
def test_hostile_input_to_transcribe(run_cli, test_models_store, tmp_path, name, make, expected):
    args = make(tmp_path)
    started = time.perf_counter()
    result = run_cli("transcribe", *args, *TINY, "-o", str(tmp_path / "out"))
    _check(result, expected, time.perf_counter() - started, _size(args))


def test_the_corpus_is_big_enough():
    assert len(CASES) + len(TRANSCRIBE_CASES) >= 40


def test_mixed_source_list_processes_the_good_entries(run_cli, test_models_store, tmp_path):
    args = _list(tmp_path, "mixed.txt", ["# comment", str(_tone(tmp_path / "ok.wav")), str(tmp_path / "missing.mp3")])
    result = run_cli("transcribe", *args, *TINY, "-o", str(tmp_path / "out"))
    assert result.exit_code == 5
    assert (tmp_path / "out").is_dir() and list((tmp_path / "out").glob("*.txt"))
    assert re.search(r"no such file, folder or URL: .*missing\.mp3", result.output)
