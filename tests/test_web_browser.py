"""`ytlocal serve` in a real browser: Playwright driving Debian's Chromium (installed by
`scripts/setup.sh --test`; Playwright's own browser download is not used) against a real uvicorn on
127.0.0.1, with the real pipeline (whisper-tiny.en, SmolLM2-135M) behind the queue.

One browser and one server for the module. Screenshots go to a temporary folder, or to
``$YTLOCAL_SCREENSHOTS`` (the README's come from ``YTLOCAL_SCREENSHOTS=docs/screenshots``).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from ytlocal.api import Session
from ytlocal.web.app import ServeOptions, build_state, create_app

from web_fixtures import (GUEST, HOSTILE_CHANNEL, HOSTILE_TITLE, SAMPLE, SPONSOR, TOKEN, RequestLog, ThreadedServer,
                          fill_library, free_port, podcast, video)

pytestmark = pytest.mark.integration
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra (pip install -e '.[test]')")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh --test installs it)", allow_module_level=True)
# Root needs --no-sandbox; the rest keeps Chromium from calling Google's hosts on its own.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--disable-default-apps", "--disable-extensions",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"]
WAIT_MS = 240_000  # the queue's video: model loads, transcription and summary on a slow 2-core machine
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("YTLOCAL_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Site:
    """The server of the module, which a test may restart (same port, token and folders)."""

    def __init__(self, root: Path, models_root: Path):
        self.allowed = root / "talks"
        self.allowed.mkdir()
        self.session = Session(library_dir=root / "library", cache_dir=root / "cache", models_dir=models_root,
                               whisper_model="whisper-tiny.en", llm="smollm2-135m-instruct")
        self.port = free_port()
        self.options = ServeOptions(port=self.port, token=TOKEN, queue_dir=root / "queue", allow_dirs=(self.allowed,))
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = build_state(self.session, self.options)
        self.ids = fill_library(self.state.library, self.allowed)
        shutil.copy(SAMPLE, self.allowed / "bees-talk-queued.opus")
        self.log = RequestLog(create_app(self.state))  # what the server was asked and answered
        self.running = ThreadedServer(self.log, self.port).__enter__()

    def stop(self) -> None:
        self.running.__exit__(None, None, None)  # the queue stops its video at the next progress step
        self.state.queue.close()
        self.state.library.close()

    def restart(self) -> None:
        self.stop()
        self.state = build_state(self.session, self.options)
        self.log.app = create_app(self.state)
        self.running = ThreadedServer(self.log, self.port).__enter__()


@pytest.fixture(scope="module")
def server(tmp_path_factory, test_models_store):
    site = Site(tmp_path_factory.mktemp("serve"), test_models_store.root)
    yield site
    site.stop()
    site.session.close()


@pytest.fixture(scope="module")
def playwright():
    with playwright_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser_context(server, playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport=DESKTOP)
    context.requests = []  # every request any page of the module makes
    context.on("request", lambda request: context.requests.append(request.url))
    page = context.new_page()
    page.goto(f"{server.url}/?token={TOKEN}")  # signs the context in (the cookie)
    assert page.url == f"{server.url}/"
    page.close()
    yield context
    context.close()
    browser.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    assert page.dialogs == [], "a page ran script from a title or a transcript"
    page.close()


def current_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_the_library_opens_and_a_hostile_title_renders_as_text(server, page, shots):
    page.goto(f"{server.url}/")
    page.wait_for_selector("table.videos")
    titles = page.locator("a.title").all_inner_texts()
    assert set(titles) >= {"Why honey bees matter", "A talk on the web", HOSTILE_TITLE}
    assert page.locator(f"text={HOSTILE_TITLE}").count() == 1
    assert page.locator("img").count() == 0
    page.screenshot(path=str(shots / "library.png"))
    page.goto(f"{server.url}/video/{server.ids['hostile']}")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert HOSTILE_CHANNEL in page.locator(".meta").inner_text()
    assert "</script><script>alert(3)</script> pollen <b>bold</b>" in page.locator("#transcript").inner_text()


def test_clicking_a_key_points_time_seeks_the_player_there(server, page, shots):
    page.goto(f"{server.url}/video/{server.ids['playable']}")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    link = page.locator("ul.points a.t", has_text="00:47").first
    link.click()
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 47) < 1.5")
    assert page.url.endswith("?t=47")  # the address says where we are, for a reload or a bookmark
    assert "wild flowers" in page.locator("#transcript li.current").inner_text()
    page.locator(".points a.t", has_text="00:16").first.press("Enter")  # the keyboard does the same
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 16) < 1.5")
    page.evaluate("document.getElementById('player').pause()")
    page.screenshot(path=str(shots / "video.png"))


def test_search_lands_on_the_moment(server, page, shots):
    page.goto(f"{server.url}/")
    page.keyboard.press("/")  # the search box, without a mouse
    page.keyboard.type("wild flowers")
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.hits")
    assert page.locator("ol.hits mark").first.inner_text().lower() == "wild"
    page.screenshot(path=str(shots / "search.png"))
    hit = page.locator("ol.hits li", has_text="Why honey bees matter").first
    passage = hit.locator("p").inner_text()
    assert "wild flowers" in passage
    hit.locator("a.hit").click()
    page.wait_for_url("**/video/*?t=*")
    seconds = float(page.url.rsplit("t=", 1)[1])
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {seconds}) < 1.5")
    line = page.locator("#transcript li.current span:not(.t)").inner_text()
    assert line in passage  # the player and the transcript at the passage's first sentence


def test_ask_shows_an_answer_or_the_honest_refusal_with_its_passages(server, page, shots):
    page.goto(f"{server.url}/ask")
    page.fill("#question", "How can farmers help bees?")
    page.keyboard.press("Enter")
    page.wait_for_selector("section.answer, p.refusal", timeout=WAIT_MS)
    passages = page.locator("ol.hits a.hit")
    assert passages.count() >= 1
    assert any("/video/" in (passages.nth(i).get_attribute("href") or "") for i in range(passages.count()))
    page.screenshot(path=str(shots / "ask.png"))


def test_a_sample_added_to_the_queue_reaches_done_through_a_reload_and_a_restart(server, page, shots):
    page.goto(f"{server.url}/queue")
    page.fill("#sources", str(server.allowed / "bees-talk-queued.opus"))
    page.click("form.add button[type=submit]")
    page.wait_for_url(f"{server.url}/queue")
    row = page.locator("tr.job").filter(has_text="bees-talk-queued").or_(
        page.locator("tr.job").filter(has_text="Why honey bees matter to farmers"))
    # Running: a stage shows (from the event stream; the row was added by the script or the server).
    page.wait_for_function("""() => [...document.querySelectorAll('tr.job')].some(row =>
        ['transcribe', 'summarize'].some(stage => row.querySelector('[data-field=stage]').textContent.startsWith(stage)))""",
                           timeout=WAIT_MS)
    page.screenshot(path=str(shots / "queue-running.png"))
    started = time.monotonic()
    page.reload()
    # After the reload the stream's first burst shows the running job at once, and it goes on.
    page.wait_for_function("""() => {
        const row = document.querySelector('tr.job');
        return row && (row.dataset.state === 'done' || row.querySelector('[data-field=stage]').textContent !== '');
    }""", timeout=5_000)
    assert time.monotonic() - started < 5
    page.wait_for_selector('#jobs[data-live="open"]')
    if page.locator('tr.job[data-state="done"]').count() == 0:
        # The server restarts in the middle: the page's stream reconnects by itself and the video resumes.
        server.restart()
        # The stream dropped (counted, so a quick reconnect cannot slip between two looks) and is back.
        page.wait_for_function("() => Number(document.querySelector('#jobs').dataset.drops) >= 1", timeout=30_000)
        page.wait_for_selector('#jobs[data-live="open"]', timeout=30_000)
    page.wait_for_selector('tr.job[data-state="done"]', timeout=WAIT_MS)
    assert row.count() == 1
    done = page.locator('tr.job[data-state="done"]')
    assert done.locator("[data-field=tldr]").inner_text().strip() != ""  # the summary's TL;DR appears
    assert not done.locator("form[data-field=cancel]").is_visible()  # nothing left to cancel
    page.screenshot(path=str(shots / "queue-done.png"))
    done.locator("a[data-field=open]").click()
    page.wait_for_url("**/video/file-*")
    assert page.locator("ul.points li").count() >= 2 and page.locator("#transcript li").count() >= 3
    assert page.locator("h1").inner_text() == "Why honey bees matter to farmers"
    page.screenshot(path=str(shots / "queued-video.png"))


@pytest.fixture(scope="module")
def other_site(tmp_path_factory):
    """A plain web server on another port of 127.0.0.1 (a local dev server, a page someone left there),
    serving the files of a folder."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    folder = tmp_path_factory.mktemp("other-site")
    handler = functools.partial(Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.folder, httpd.url = folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_a_page_on_another_port_of_this_machine_gets_nothing_with_the_cookie(server, page, other_site):
    """SameSite=Strict ignores ports: the browser sends the cookie with these requests; the server must not
    honour it (Sec-Fetch-Site says "same-site", not "same-origin")."""
    playable = server.ids["playable"]
    (other_site.folder / "attack.html").write_text(
        f'<!doctype html><title>a local dev server</title>'
        f'<img id="ask" src="{server.url}/ask?q=How+can+farmers+help+bees%3F+attack">'
        f'<img id="media" src="{server.url}/media/{playable}">'
        f'<form id="f" method="post" action="{server.url}/queue" target="_blank">'
        f'<input name="sources" value="https://video.example/watch?v=attack"></form>'
        f'<script>window.open("{server.url}/queue", "_blank");</script>')
    with page.context.expect_page() as opened:
        page.goto(f"{other_site.url}/attack.html")
    popup = opened.value
    popup.wait_for_load_state()
    assert "Queue" not in popup.title() and "403" in popup.locator("h1").inner_text()
    assert "Jobs" not in popup.content() and "csrf" not in popup.content()
    popup.close()
    with page.context.expect_page() as posted:
        page.evaluate("document.getElementById('f').submit()")
    posted.value.wait_for_load_state()
    assert "403" in posted.value.locator("h1").inner_text()
    posted.value.close()
    page.wait_for_function("document.getElementById('ask').complete")
    asked = [entry for entry in server.log.of("/ask") if "attack" in entry["query"]]
    assert asked and all(entry["status"] == 403 and entry["site"] == "same-site" for entry in asked)
    for path in (f"/media/{playable}", "/queue"):
        foreign = [entry for entry in server.log.of(path) if entry["site"] == "same-site"]
        assert foreign and all(entry["status"] == 403 for entry in foreign), path
    assert all(s.source != "https://video.example/watch?v=attack" for s in server.state.queue.snapshot().waiting)
    # The same requests from the app's own pages still work.
    page.goto(f"{server.url}/queue")
    assert page.locator("h1").inner_text() == "Queue"


def test_the_sign_in_link_stays_off_command_lines_and_out_of_the_history(tmp_path, test_models_store, playwright):
    """`ytlocal serve` opens the browser on a private file that posts the token: the browser's command
    line (which `ps` shows everyone) and its history never hold the token, which then works no more."""
    import re
    import sqlite3
    import subprocess
    import sys

    from conftest import REPO_ROOT

    argv_file, browser = tmp_path / "argv.txt", tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {argv_file}\n')
    browser.chmod(0o755)
    token = "history-test-token-0123456789"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTLOCAL_")}
    env.update(PYTHONPATH=str(REPO_ROOT), PYTHONUNBUFFERED="1", YTLOCAL_SERVE_TOKEN=token, BROWSER=f"{browser} %s",
               YTLOCAL_MODELS_DIR=str(test_models_store.root))
    process = subprocess.Popen([sys.executable, "-m", "ytlocal.cli", "serve", "--port", "0", "--library",
                                str(tmp_path / "library"), "--queue-dir", str(tmp_path / "queue")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = process.stdout.readline()
        base = re.match(r"ytlocal serve: (http://127\.0\.0\.1:\d+)/", line).group(1)
        deadline = time.monotonic() + 30
        while not argv_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        argv = argv_file.read_text()
        assert token not in argv and token not in line
        sign_in = Path(argv.strip().removeprefix("file://"))
        assert argv.startswith("file:///") and (sign_in.stat().st_mode & 0o777) == 0o600
        assert (sign_in.parent.stat().st_mode & 0o777) == 0o700
        profile = tmp_path / "profile"
        context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM,
                                                                args=CHROMIUM_ARGS)
        visit = context.new_page()
        visit.goto(argv.strip())
        visit.wait_for_url(f"{base}/")
        assert visit.locator("h1").inner_text().startswith("Library")  # signed in
        context.close()
        history = sqlite3.connect(profile / "Default" / "History")
        urls = [row[0] for row in history.execute("SELECT url FROM urls")]
        history.close()
        assert f"{base}/" in urls and [url for url in urls if token in url] == []
        again = httpx.get(f"{base}/?token={token}")  # whoever finds the token later: it is used up
        assert again.status_code == 403 and "used already" in again.text
    finally:
        process.terminate()
        process.wait(30)
    assert not sign_in.exists()  # the private file goes with the server


# ------------------------------------------------------------------------------ what a reader needs


def shoot(page, shots: Path, name: str) -> None:
    """The page as it is now, at desktop width and at a phone's 390 px (``name``.png, ``name``-390.png)."""
    page.screenshot(path=str(shots / f"{name}.png"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(shots / f"{name}-390.png"))
    page.set_viewport_size(DESKTOP)


def line_in_view(page) -> bool:
    """Whether the transcript's current line is inside the transcript's box as the reader sees it."""
    return page.evaluate("""() => {
        const box = document.getElementById('transcript').getBoundingClientRect();
        const line = document.querySelector('#transcript li.current');
        if (!line) return false;
        const rect = line.getBoundingClientRect();
        return rect.top >= box.top - 1 && rect.bottom <= box.bottom + 1;
    }""")


def test_a_podcast_added_as_a_transcript_shows_each_time_on_its_line(server, page, shots):
    podcast_id = server.state.library.add(podcast())
    page.goto(f"{server.url}/video/{podcast_id}")
    assert page.locator("#player").count() == 0
    assert page.locator("#transcript li a.t").count() == page.locator("#transcript li").count() > 40
    # A key point's time: the line spoken then, highlighted and scrolled into the transcript's box.
    page.locator("ul.points a.t", has_text="41:26").click()
    assert page.url.endswith("?t=2486")
    current = page.locator("#transcript li.current")
    assert float(current.get_attribute("data-t")) <= 2486 and line_in_view(page)
    assert page.locator("#transcript").evaluate("box => box.scrollTop") > 1000
    # The sponsor read the summary left out: listed, and a click shows where it is.
    left_out = page.locator("p.left-out")
    assert left_out.inner_text().startswith("Left out as sponsor reads:") and "12:03–13:10" in left_out.inner_text()
    left_out.locator("a.t").click()
    assert "Acme" in current.inner_text() and line_in_view(page)
    assert float(current.get_attribute("data-t")) <= SPONSOR[0]  # the line being said at 12:03
    assert page.locator("#transcript li.sponsor").count() >= 1
    # Opened at a moment (a search hit, a bookmark): the box is scrolled there, not left at 00:00.
    page.goto(f"{server.url}/video/{podcast_id}?t=2486")
    assert line_in_view(page) and page.locator("#transcript").evaluate("box => box.scrollTop") > 1000
    shoot(page, shots, "transcript-only")
    page.goto(f"{server.url}/video/{podcast_id}?t=730")
    page.locator("p.left-out").scroll_into_view_if_needed()
    shoot(page, shots, "sponsor-reads")


def test_the_sponsor_reads_of_a_talk_with_audio_seek_the_player(server, page):
    from ytlocal.records import Skipped

    talk = video("file-sponsored000001", "Bees, and a word from a sponsor", audio=server.allowed / "bees-talk.opus")
    talk.summary.skipped = [Skipped(24.0, 40.0, "ad or call to action")]
    video_id = server.state.library.add(talk)
    page.goto(f"{server.url}/video/{video_id}")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.locator("p.left-out a.t", has_text="00:24–00:40").click()
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 24) < 1.5")
    assert "Without bees" in page.locator("#transcript li.current").inner_text()


def ensure_a_done_job(server) -> None:
    """At least one video transcribed by the queue before (the speed a new video's ETA is first made from):
    the queue test above leaves one; run alone, this test queues the sample itself."""
    if not any(job.state == "done" for job in server.state.queue.snapshot().jobs):
        server.state.queue.add([str(server.allowed / "bees-talk-queued.opus")])
        deadline = time.monotonic() + WAIT_MS / 1000
        while not any(job.state == "done" for job in server.state.queue.snapshot().jobs):
            assert time.monotonic() < deadline, "the sample did not finish"
            time.sleep(0.5)


def test_the_queue_names_what_runs_tells_sources_apart_takes_transcripts_and_cancels_at_once(
        server, page, shots, tmp_path):
    from media import encode, speak

    ensure_a_done_job(server)
    talks = server.allowed
    # A short clip never transcribed here: real work with an ETA, short enough that a cancel, which takes
    # effect when the transcription reports (after its window), comes soon.
    encode(speak("Honey bees carry pollen from flower to flower. Farmers plant wild flowers to help them.",
                 tmp_path / "clip.wav"), talks / "espeak-talk.m4a", "-c:a", "aac", "-b:a", "48k")
    for name in ("copy-a.opus", "copy-b.opus", "later.opus"):  # the sample again: same title, work cached
        shutil.copy(SAMPLE, talks / name)
    shutil.copy(next(Path(server.options.queue_dir).glob("*.srt")), talks / "bees-talk.srt")  # a transcript file
    page.goto(f"{server.url}/queue")
    names = ("espeak-talk.m4a", "copy-a.opus", "copy-b.opus", "bees-talk.srt", "later.opus")
    page.fill("#sources", "\n".join(str(talks / name) for name in names))
    page.click("form.add button[type=submit]")
    page.wait_for_url(f"{server.url}/queue")

    def row(name: str):
        return page.locator("tr.job").filter(has_text=name)

    def shown(name: str, state: str, timeout: float) -> None:
        """Wait until the page shows the job of ``name`` in ``state`` (the job list's view if it does not)."""
        try:
            page.wait_for_function(f"""() => [...document.querySelectorAll('tr.job')].some(r =>
                r.textContent.includes('{name}') && r.dataset.state === '{state}')""", timeout=timeout)
        except playwright_api.TimeoutError:
            views = [(v.label, v.state, v.stage, v.error) for v in server.state.queue.snapshot().jobs]
            raise AssertionError(f"{name} not shown {state}; the job list: {views}") from None

    # Transcribing: named at the top of the page with how long it should take, first in the table.
    page.wait_for_function("""() => {
        const now = document.getElementById('now');
        return !now.hidden && now.textContent.includes('transcribe')
            && now.querySelector('[data-field=eta]').textContent.includes('left');
    }""", timeout=WAIT_MS)
    assert "espeak-talk" in page.locator("tr.job").first.inner_text()
    assert row("espeak-talk.m4a").locator("[data-field=eta]").inner_text().strip() != ""
    page.set_viewport_size(PHONE)
    now = page.locator("#now").bounding_box()
    assert now is not None and now["y"] + now["height"] <= PHONE["height"]  # in view without scrolling
    page.set_viewport_size(DESKTOP)
    shoot(page, shots, "queue-transcribing")
    # A video still waiting: cancelled at once, and no bar for it.
    page.wait_for_function("() => [...document.querySelectorAll('tr.job')].some(r => r.textContent.includes('later.opus'))")
    assert row("later.opus").get_attribute("data-state") == "pending"
    row("later.opus").locator("button", has_text="Cancel").click()
    page.wait_for_url(f"{server.url}/queue")
    assert row("later.opus").get_attribute("data-state") == "cancelled"
    assert "cancelling" not in row("later.opus").inner_text()
    assert not row("later.opus").locator("progress").is_visible()
    # The running one cancelled: it ends cancelled, without a bar.
    row("espeak-talk.m4a").locator("button", has_text="Cancel").click()
    page.wait_for_url(f"{server.url}/queue")
    shown("espeak-talk.m4a", "cancelled", WAIT_MS)  # at its next step: a transcription reports after each window
    assert not row("espeak-talk.m4a").locator("progress").is_visible()
    # The rest finishes: two files of the same title told apart, the transcript file summarized.
    for name in ("copy-a.opus", "copy-b.opus", "bees-talk.srt"):
        shown(name, "done", WAIT_MS)
    a, b = row("copy-a.opus"), row("copy-b.opus")
    assert a.locator("[data-field=title]").inner_text() == b.locator("[data-field=title]").inner_text()
    assert "copy-a.opus" in a.locator("[data-field=label]").inner_text()
    assert "copy-b.opus" in b.locator("[data-field=label]").inner_text()
    assert page.locator("#now").is_hidden()
    shoot(page, shots, "queue-done")
    # The transcript file's video: no audio here, every time a link to its line.
    row("bees-talk.srt").locator("a[data-field=open]").click()
    page.wait_for_url("**/video/*")
    assert page.locator("#player").count() == 0 and page.locator("ul.points a.t").count() >= 2
    page.locator("ul.points a.t").first.click()
    assert page.locator("#transcript li.current").count() == 1 and line_in_view(page)


PAGES = ("/", "/video/{playable}", "/video/{podcast}", "/search?q=bees", "/ask", "/queue", "/queue/report", "/models")


def test_every_page_fits_a_phone(server, page, shots):
    podcast_id = server.state.library.add(podcast())
    page.set_viewport_size(PHONE)
    try:
        for number, path in enumerate(PAGES):
            url = server.url + path.format(playable=server.ids["playable"], podcast=podcast_id)
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)
            name = path.split("?")[0].strip("/").replace("/", "-").replace("{", "").replace("}", "") or "library"
            page.screenshot(path=str(shots / f"phone-{number}-{name}.png"), full_page=True)
    finally:
        page.set_viewport_size(DESKTOP)


def visual_order(page, selector: str) -> list[float]:
    """The left edge of each letter of the element's text as drawn (right-to-left text would decrease)."""
    return page.locator(selector).first.evaluate("""element => {
        const lefts = [];
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.data.length; i++) {
                if (!/[A-Za-z]/.test(node.data[i])) continue;
                const range = document.createRange();
                range.setStart(node, i); range.setEnd(node, i + 1);
                lefts.push(range.getBoundingClientRect().left);
            }
        }
        return lefts;
    }""")


def test_hostile_text_neither_stretches_nor_reorders_the_pages(server, page, shots):
    word = "pollinationpollination" * 1820  # one 40,000-character word
    spoof = "Quarterly report \u202eSRT.exe"  # shows as "Quarterly report exe.TRS" unless isolated
    ids = {
        "long": server.state.library.add(video("file-longword0000001", f"A long {word[:400]}",
                                               lines=[(0.0, f"Hives and {word} everywhere.")])),
        "spoof": server.state.library.add(video("file-spoofed00000001", spoof, channel="\u202eevil channel")),
        "stars": server.state.library.add(video("file-stars000000001", "Stars in a transcript",
                                                lines=[(0.0, "Hives ** are **** **bold** hives.")])),
        "dots": server.state.library.add(video("..", "A video whose id is two dots")),
        "slash": server.state.library.add(video("a/b", "A video whose id has a slash")),
    }
    for path in (f"/search?q={word[:40]}", "/search?q=hives", "/", f"/video/{ids['long']}"):
        page.goto(server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"], path
    page.goto(f"{server.url}/search?q=hives")
    assert page.locator("ol.hits mark").count() >= 2
    assert all(text.strip() for text in page.locator("ol.hits mark").all_inner_texts())  # no empty <mark>
    shoot(page, shots, "search-hostile")
    page.goto(f"{server.url}/?filter=quarterly")
    title = page.locator("a.title", has_text="Quarterly")
    assert title.inner_text() == "Quarterly report SRT.exe"
    lefts = visual_order(page, "a.title >> text=Quarterly")
    assert lefts == sorted(lefts), "the title is drawn in another order than it reads"
    page.goto(f"{server.url}/search?q=bees+quarterly")
    hit = page.locator("ol.hits li", has_text="Quarterly").first
    title_box, time_box = hit.locator(".hit-title").bounding_box(), hit.locator("span.t").bounding_box()
    assert time_box["x"] > title_box["x"] + title_box["width"] - 1  # the time stays after the title
    for key, heading in (("dots", "A video whose id is two dots"), ("slash", "A video whose id has a slash")):
        page.goto(f"{server.url}/?filter={heading.replace(' ', '+')}")
        page.locator("a.title", has_text=heading).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == heading, key


def test_the_library_finds_a_guest_named_only_in_the_talk_and_says_what_is_empty(server, page, shots, tmp_path):
    server.state.library.add(podcast())
    page.goto(f"{server.url}/")
    page.fill("input[name=filter]", GUEST)
    page.keyboard.press("Enter")
    page.wait_for_url("**filter=*")
    assert page.locator("a.title").all_inner_texts() == ["Episode 12"]
    shoot(page, shots, "library-filter")
    page.goto(f"{server.url}/?page=5")
    assert "There is no page 5" in page.locator("p.empty").inner_text()
    assert "The library is empty" not in page.content()
    # A library with nothing in it says so on the search and ask pages too.
    port = free_port()
    session = Session(library_dir=tmp_path / "library", cache_dir=tmp_path / "cache")
    state = build_state(session, ServeOptions(port=port, token=TOKEN, queue_dir=tmp_path / "queue"))
    try:
        with ThreadedServer(create_app(state, start_queue=False), port) as empty:
            page.goto(f"{empty.url}/?token={TOKEN}")
            page.goto(f"{empty.url}/search?q=bees")
            assert "The library is empty" in page.locator("p.empty").inner_text()
            page.goto(f"{empty.url}/ask?q=How+do+bees+help%3F")
            assert "The library is empty" in page.locator("p.refusal").inner_text()
            shoot(page, shots, "ask-empty")
    finally:
        state.queue.close()
        state.library.close()
        session.close()


def test_no_request_left_127_0_0_1(server, browser_context):
    """Last in the module: every request of every page above stayed on this machine (the attack page and
    the empty library's server are other ports of 127.0.0.1)."""
    import urllib.parse

    assert browser_context.requests, "the tests above made requests"
    outside = [url for url in browser_context.requests if urllib.parse.urlsplit(url).hostname != "127.0.0.1"]
    assert outside == []
