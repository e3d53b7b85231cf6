"""Shared by the web tests: a library of small videos (one with a hostile title), the app over it, and a
client signed in the way a browser is (the printed token traded for the cookie)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ytlocal.records import Media, Point, Result, Section, Segment, Summary, Transcript

from conftest import REPO_ROOT

SAMPLE = REPO_ROOT / "scripts" / "sample" / "bees-talk.opus"
TOKEN = "test-token-0123456789"
HOSTILE_TITLE = '<img src=x onerror=alert(1)>'
HOSTILE_CHANNEL = '</script><script>alert(2)</script>'
BEES = [
    (0.0, "Honey bees are small insects with a very large job on farms."),
    (8.0, "They carry pollen from one flower to the next while they collect nectar."),
    (16.0, "This pollination is what lets apple trees, almonds and blueberries set fruit."),
    (24.0, "Without bees, many orchards would produce only a small part of their usual harvest."),
    (32.0, "Beekeepers worry about the varroa mite, which feeds on young bees and spreads viruses."),
    (40.0, "Farmers can help in simple ways."),
    (47.0, "They can plant strips of wild flowers beside their fields."),
    (54.0, "They can spray only in the evening when bees are not flying."),
    (61.0, "Healthy bees mean better harvests for everyone."),
]


def video(key: str, title: str, *, channel: str | None = "Farm Talks", audio: Path | None = None,
          url: str | None = None, lines=BEES, duration: float = 68.0, upload_date: str | None = "20240501",
          summarized: bool = True) -> Result:
    """A transcribed (and summarized) video as the pipeline would hand it to the library."""
    media = Media(key=key, source=url or str(audio or f"/nowhere/{key}.opus"), audio_path=audio, title=title,
                  extractor="generic" if url else "file", video_id=key[-12:], duration=duration, channel=channel,
                  upload_date=upload_date, webpage_url=url)
    segments = [Segment(start, start + 7.5, text) for start, text in lines]
    transcript = Transcript(segments, language="en", duration=duration, model="whisper-tiny.en", media=media)
    summary = None
    if summarized:
        summary = Summary(title=title, tldr="Bees pollinate the crops farmers grow. Farmers can help them.",
                          key_points=[Point("Pollination lets apple trees, almonds and blueberries set fruit.", 16.0),
                                      Point("Farmers can plant strips of wild flowers beside their fields.", 47.0)],
                          sections=[Section("Why bees matter", 0.0, 32.0,
                                            [Point("Bees carry pollen between flowers.", 8.0)]),
                                    Section("What farmers can do", 32.0, 68.0,
                                            [Point("Spraying only in the evening spares the bees.", 54.0)])],
                          has_timings=True, llm={"name": "smollm2-135m-instruct", "sha256": None}, options={})
    return Result(media.source, media=media, transcript=transcript, summary=summary)


GUEST = "Ada Quill"  # named in the podcast's talk only: not in its title, channel or summary
SPONSOR = (723.0, 790.0)  # 12:03-13:10 of the podcast: a sponsor read the summary left out


def podcast(key: str = "transcript-podcast0001", title: str = "Episode 12", lines: int = 230) -> Result:
    """A podcast added as a transcript (an ``.srt``: no audio on this machine, no web address): a 46-minute
    conversation, one line every 12 s, a sponsor read at :data:`SPONSOR` the summary left out."""
    from ytlocal.records import Skipped

    said = []
    for number in range(lines):
        start = number * 12.0
        if SPONSOR[0] <= start < SPONSOR[1]:
            text = f"This part of the show is brought to you by Acme mattresses, line {number}."
        elif number == 100:
            text = f"My guest today is {GUEST}, who studies how rivers carry sediment to the sea."
        else:
            text = f"Line {number} of the conversation about rivers, deltas and the sediment they carry."
        said.append((start, text))
    result = video(key, title, channel="River Talk", lines=said, duration=lines * 12.0)
    result.media = None  # a transcript file: the transcript names its own media (no audio, no address)
    result.transcript.media = Media(key=key, source=f"/nowhere/{key}.srt", audio_path=None, title=title,
                                    extractor="transcript", video_id="transcript", channel="River Talk")
    result.summary.tldr = "Rivers carry sediment to the sea and build deltas."
    result.summary.key_points = [Point("Deltas grow where rivers slow down.", 2486.0),
                                 Point("Sediment is carried in floods.", 120.0)]
    result.summary.sections = []
    result.summary.skipped = [Skipped(*SPONSOR, "ad or call to action")]
    return result


def fill_library(library, folder: Path) -> dict[str, str]:
    """Three videos: the bundled sample's talk with its audio here, a web video without media on this
    machine, and one whose title and channel are hostile. Returns their ids by role."""
    audio = folder / "bees-talk.opus"
    if not audio.exists():
        shutil.copy(SAMPLE, audio)
    from ytlocal.transcript import write_transcript

    playable = video("file-sample0000000001", "Why honey bees matter", audio=audio)
    [transcript] = write_transcript(playable.transcript, folder, "bees-talk", ["json"])  # as the queue writes it
    ids = {
        "playable": library.add(playable, transcript_path=transcript),
        "web": library.add(video("generic-web000000001", "A talk on the web",
                                 url="https://video.example/watch?v=abc", channel="Web Channel")),
        "hostile": library.add(video("file-hostile00000001", HOSTILE_TITLE, channel=HOSTILE_CHANNEL,
                                     lines=[(0.0, "</script><script>alert(3)</script> pollen <b>bold</b>")])),
    }
    return ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RequestLog:
    """Wraps an ASGI app and notes what each HTTP request was and what the server answered: method,
    path, query, ``Sec-Fetch-Site`` and status (the browser tests look at the server's side of an attack)."""

    def __init__(self, app):
        self.app = app
        self.entries: list[dict] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        entry = {"method": scope["method"], "path": scope["path"], "query": scope["query_string"].decode("latin-1"),
                 "site": headers.get("sec-fetch-site"), "status": None}
        self.entries.append(entry)

        async def noting(message):
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        await self.app(scope, receive, noting)

    def of(self, path: str) -> list[dict]:
        return [entry for entry in self.entries if entry["path"] == path]


class ThreadedServer:
    """The app under a real uvicorn on 127.0.0.1 in a thread (what a browser test needs)."""

    def __init__(self, app, port: int):
        import uvicorn

        self.port = port
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    access_log=False, timeout_graceful_shutdown=1, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ThreadedServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def app_state(tmp_path: Path, port: int, **options):
    """(state, ids, allowed folder): the web app's state over a filled library, the queue not running;
    ``options`` go to ServeOptions (``page_size``...)."""
    from ytlocal.api import Session
    from ytlocal.web.app import ServeOptions, build_state

    allowed = tmp_path / "allowed"
    allowed.mkdir()
    session = Session(library_dir=tmp_path / "library", cache_dir=tmp_path / "cache")
    state = build_state(session, ServeOptions(port=port, token=TOKEN, queue_dir=tmp_path / "queue",
                                              allow_dirs=(allowed,), **options))
    try:
        yield state, fill_library(state.library, allowed), allowed
    finally:
        state.queue.close()
        state.library.close()
