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

from web_fixtures import (HOSTILE_CHANNEL, HOSTILE_TITLE, SAMPLE, TOKEN, RequestLog, ThreadedServer, fill_library,
                          free_port)

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
    context = browser.new_context(viewport={"width": 1280, "height": 860})
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
    assert set(titles) == {"Why honey bees matter", "A talk on the web", HOSTILE_TITLE}
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


def test_no_request_left_127_0_0_1(server, browser_context):
    assert browser_context.requests, "the tests above made requests"
    outside = [url for url in browser_context.requests if not url.startswith(f"{server.url}/")]
    assert outside == []


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
