"""`ytlocal serve`'s pages at the HTTP level: the library (sorted, filtered, paginated), a video (summary,
transcript, times that seek or open the source, downloads), search, ask, the queue and its report,
models and health."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ytlocal.web.app import create_app

from web_fixtures import GUEST, TOKEN, app_state, podcast, video

PORT = 8766
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def site(tmp_path):
    """(client signed in, state, ids)"""
    with app_state(tmp_path, PORT, page_size=10) as (state, ids, _allowed):
        client = TestClient(create_app(state, start_queue=False), base_url=BASE, follow_redirects=False)
        assert client.get(f"/?token={TOKEN}").status_code == 303
        yield client, state, ids


def titles(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/video/[^"]+"><bdi>([^<]+)</bdi></a>', html)


def test_the_library_lists_every_video_with_channel_duration_date_and_summary_line(site):
    client, _state, ids = site
    html = client.get("/").text
    assert set(titles(html)) == {"Why honey bees matter", "A talk on the web", "&lt;img src=x onerror=alert(1)&gt;"}
    assert "Farm Talks" in html and "01:08" in html and "2024-05-01" in html
    assert "Bees pollinate the crops farmers grow." in html
    assert f'href="/video/{ids["playable"]}"' in html


def test_the_library_sorts_filters_and_pages(site):
    client, state, _ids = site
    for number in range(25):
        state.library.add(video(f"file-many{number:012d}", f"Talk {number:02d}", channel="Manyfold",
                                duration=100.0 + number, upload_date=f"2023{number % 12 + 1:02d}01"))
    first = client.get("/?sort=title&order=asc").text
    assert titles(first)[:3] == ["&lt;img src=x onerror=alert(1)&gt;", "A talk on the web", "Talk 00"]
    assert "Page 1 of 3" in first and 'rel="next"' in first
    third = client.get("/?sort=title&order=asc&page=3").text
    assert titles(third) == [f"Talk {n}" for n in range(18, 25)] + ["Why honey bees matter"]
    assert 'rel="next"' not in third and 'rel="prev"' in third
    longest = client.get("/?sort=duration&order=desc").text
    assert titles(longest)[0] == "Talk 24"
    filtered = client.get("/?filter=talk+1&sort=title&order=asc").text
    assert titles(filtered) == [f"Talk {n}" for n in range(10, 20)] and "<small>10 videos matching" in filtered
    assert titles(client.get("/?filter=manyfold&sort=title&order=asc&page=2").text)[0] == "Talk 10"
    assert client.get("/?filter=%25&sort=nonsense&order=up&page=-3").status_code == 200  # LIKE's % is text
    assert titles(client.get("/?filter=%25").text) == []


def test_a_video_page_shows_summary_beside_transcript_with_times_that_seek_the_player(site):
    client, _state, ids = site
    html = client.get(f"/video/{ids['playable']}").text
    assert '<audio id="player" controls preload="metadata" src="/media/' in html
    assert "Bees pollinate the crops farmers grow." in html  # TL;DR
    assert "Pollination lets apple trees" in html and "What farmers can do" in html
    assert f'<a class="t" href="/video/{ids["playable"]}?t=47" data-t="47.00">00:47</a>' in html
    assert html.count('data-t="') >= 9 + 2 + 2 + 2  # every segment, key point, section and bullet
    at = client.get(f"/video/{ids['playable']}?t=50").text
    assert f'src="/media/{ids["playable"]}#t=50.00" data-start="50.0"' in at
    assert '<li id="s6" data-t="47.00" class="current">' in at  # the line spoken at 0:50


def test_a_video_without_media_here_links_its_times_to_the_source(site):
    client, _state, ids = site
    html = client.get(f"/video/{ids['web']}").text
    assert "<audio" not in html and "not on this machine" in html
    assert '<a class="t" href="https://video.example/watch?v=abc&amp;t=47" rel="noopener noreferrer">00:47</a>' in html


def test_each_output_format_downloads(site):
    client, _state, ids = site
    for fmt in ("md", "hashnode", "json", "txt"):
        response = client.get(f"/video/{ids['playable']}/summary.{fmt}")
        assert response.status_code == 200, fmt
        assert "attachment; filename*=UTF-8''Why%20honey%20bees%20matter" in response.headers["content-disposition"]
        assert "Farmers can plant strips of wild flowers" in response.text
    assert json.loads(client.get(f"/video/{ids['playable']}/summary.json").text)["summary"]["key_points"][0]["start"] == 16.0
    srt = client.get(f"/video/{ids['playable']}/transcript.srt").text
    assert srt.startswith("1\n00:00:00,000 --> 00:00:07,500\nHoney bees")
    assert client.get(f"/video/{ids['playable']}/transcript.vtt").text.startswith("WEBVTT")
    assert client.get(f"/video/{ids['playable']}/summary.exe").status_code == 404
    assert client.get("/video/no-such-video").status_code == 404


def test_search_shows_highlighted_passages_each_opening_its_video_at_that_moment(site):
    client, _state, ids = site
    html = client.get("/search?q=wild+flowers").text
    assert "<mark>wild</mark> <mark>flowers</mark>" in html
    assert f'href="/video/{ids["playable"]}?t=' in html  # playable here: this page at that moment
    assert 'href="https://video.example/watch?v=abc&amp;t=' in html  # not here: the source at that moment
    assert "Nothing in the library matches" in client.get("/search?q=zeppelin").text
    one = client.get(f"/search?q=bees&video={ids['web']}").text
    assert "A talk on the web" in one and "Why honey bees matter" not in one


def test_search_marks_passages_inside_an_ad_read(site):
    from ytlocal.records import Skipped

    client, state, _ids = site
    talk = " ".join(["Honey bees pollinate the orchards in spring and the growers count on them."] * 6)
    ad = " ".join(["This hour of orchard talk is brought to you by Acme mattresses, use the code SLEEP."] * 6)
    read = [(0.0, talk), (300.0, ad)]  # two passages of over 60 words each
    result = video("file-adread000000001", "Orchards and an ad", lines=read, duration=320.0)
    result.summary.skipped = [Skipped(300.0, 320.0, "ad or call to action")]
    state.library.add(result)
    html = client.get("/search?q=orchard").text
    hits = re.findall(r"<li>.*?</li>", html, flags=re.S)
    marked = [h for h in hits if '<span class="ad"' in h]
    assert len(marked) == 1 and "Acme" in marked[0]
    assert any("pollinate" in h and '<span class="ad"' not in h for h in hits)


def test_queue_page_adds_waiting_sources_removes_them_and_reports(site):
    client, state, _ids = site
    csrf = state.guard.csrf_token
    page = client.get("/queue").text
    assert f'name="csrf" value="{csrf}"' in page and 'data-events="/queue/events"' in page
    added = client.post("/queue", data={"sources": "https://video.example/watch?v=1\n\n# a comment\n", "csrf": csrf},
                        headers={"Origin": BASE})
    assert added.status_code == 303
    waiting = state.queue.snapshot().waiting
    assert [s.source for s in waiting] == ["https://video.example/watch?v=1"]
    assert "https://video.example/watch?v=1" in client.get("/queue").text
    removed = client.post(f"/queue/sources/{waiting[0].id}/cancel", data={"csrf": csrf}, headers={"Origin": BASE})
    assert removed.status_code == 303 and state.queue.snapshot().waiting == []
    assert client.post("/queue/jobs/nope/cancel", data={"csrf": csrf}, headers={"Origin": BASE}).status_code == 404
    empty = client.post("/queue", data={"sources": "  \n", "csrf": csrf}, headers={"Origin": BASE})
    assert empty.status_code == 400 and "nothing to add" in empty.text
    report = client.get("/queue/report").text
    assert "Batch report" in report and "None yet." in report


def test_models_and_health_names_the_llm_the_checks_and_disk_use(site, test_models_store):
    client, state, _ids = site
    html = client.get("/models").text
    assert "Summaries are written by <strong>" in html
    for name in ("whisper-tiny.en", "smollm2-135m-instruct", "whisper-base"):
        assert name in html
    assert "ffmpeg" in html and "library (3 videos" in html and "queue outputs" in html


def test_ask_answers_or_refuses_with_the_passages_it_rests_on(site, test_models_store):
    client, _state, ids = site  # the checkout's model store: SmolLM2-135M answers
    html = client.get("/ask?q=How+can+farmers+help+bees%3F").text
    assert ("<h2>Answer</h2>" in html) or ("No answer the passages support" in html)
    assert f'href="/video/{ids["playable"]}?t=' in html  # the passages, each a link to its moment
    assert "Nothing in the library is about this" in client.get("/ask?q=zeppelin+airships").text


def test_a_transcript_without_audio_links_each_time_to_its_line(site):
    client, state, _ids = site
    podcast_id = state.library.add(podcast())
    html = client.get(f"/video/{podcast_id}").text
    assert "<audio" not in html and "a time shows its line in the transcript" in html
    assert f'<a class="t" href="/video/{podcast_id}?t=2486" data-t="2486.00">41:26</a>' in html  # a key point
    lines = re.findall(r'<li id="s\d+" data-t="([\d.]+)"[^>]*><a class="t" href="/video/[^"]+\?t=\d+" data-t', html)
    assert len(lines) > 40 and len(lines) == html.count('<li id="s') and '<span class="t">' not in html
    at = client.get(f"/video/{podcast_id}?t=2486").text
    spoken = max(float(start) for start in lines if float(start) <= 2486)
    assert re.search(rf'<li id="s\d+" data-t="{spoken:.2f}" class="current">', at)  # the line spoken then


def test_the_stretches_left_out_as_sponsor_reads_are_listed_with_links_to_them(site):
    client, state, ids = site
    podcast_id = state.library.add(podcast())
    html = client.get(f"/video/{podcast_id}").text
    listed = re.search(r'<p class="left-out">(.*?)</p>', html, flags=re.S).group(1)
    assert "Left out as sponsor reads:" in listed
    assert f'<a class="t" href="/video/{podcast_id}?t=723" data-t="723.00">12:03–13:10</a>' in listed
    assert 'title="ad or call to action"' in listed
    marked_lines = re.findall(r'<li id="s\d+" data-t="([\d.]+)" class="sponsor" title="Left out of the summary as a '
                              r'sponsor read"><a[^>]*>[^<]*</a> <span>([^<]*)</span>', html)
    assert marked_lines and all(float(start) < 790 and "Acme" in text for start, text in marked_lines)
    assert "Acme" not in "".join(re.findall(r'<li id="s\d+" data-t="[\d.]+"><a[^>]*>[^<]*</a> <span>([^<]*)</span>', html))
    # With the audio here, the same list seeks the player (the link is this page at that moment).
    playable = video("file-sponsored000001", "Bees and a sponsor", audio=state.library.media_file(ids["playable"]))
    from ytlocal.records import Skipped

    playable.summary.skipped = [Skipped(24.0, 40.0, "ad or call to action")]
    sponsored = state.library.add(playable)
    html = client.get(f"/video/{sponsored}").text
    assert '<audio id="player"' in html and f'href="/video/{sponsored}?t=24" data-t="24.00">00:24–00:40</a>' in html
    assert "Left out as sponsor reads" not in client.get(f"/video/{ids['playable']}").text  # none left out there


def test_videos_whose_ids_are_dot_dot_or_hold_a_slash_open(site):
    client, state, _ids = site
    for key in ("..", "a/b", ".", "~tilde", "x y"):
        state.library.add(video(key, f"Video {key}"))
    html = client.get("/?sort=title&order=asc").text
    links = dict(re.findall(r'<a class="title" href="(/video/[^"]+)"><bdi>(Video [^<]+)</bdi></a>', html))
    assert len(links) == 5
    for href, title in links.items():
        assert "/." not in href and href.count("/") == 2, href
        page = client.get(href)
        assert page.status_code == 200 and f"<h1 class=\"video-title\"><bdi>{title}</bdi></h1>" in page.text, href
        assert client.get(f"{href}/summary.md").status_code == 200 and client.get(f"{href}/transcript.srt").status_code == 200


def test_only_the_words_the_library_matched_are_highlighted(site):
    from types import SimpleNamespace

    from ytlocal.web.templating import marked

    assert str(marked(SimpleNamespace(text="a ** b **** c", spans=()))) == "a ** b **** c"  # no empty <mark>
    hit = SimpleNamespace(text="bees and *bees* or **not marked** <b>", spans=((0, 4), (10, 14)))
    assert str(marked(hit)) == "<mark>bees</mark> and *<mark>bees</mark>* or **not marked** &lt;b&gt;"
    client, state, _ids = site
    state.library.add(video("file-stars0000000001", "Stars", lines=[(0.0, "Pollen ** is **** gold, says ** the pollen maker.")]))
    html = client.get("/search?q=pollen").text
    assert "<mark></mark>" not in html and "<mark>Pollen</mark> ** is **** gold" in html


def test_the_library_filter_finds_what_the_summary_and_the_talk_say(site, monkeypatch):
    client, state, _ids = site
    state.library.add(podcast())
    said_by_bees = {"Why honey bees matter", "A talk on the web"}  # the third video's transcript is other text
    for text, wanted in ((GUEST, {"Episode 12"}), ("ada quill", {"Episode 12"}), ("varroa mite", said_by_bees),
                         ("build deltas", {"Episode 12"}), ("River Talk", {"Episode 12"}),
                         ("on the", {"A talk on the web"})):  # stopwords alone: said in every talk, not searched there
        found = set(titles(client.get("/", params={"filter": text}).text))
        assert found == wanted, (text, found)
    assert "No video’s title, channel, summary or transcript has “zeppelin”" in client.get("/?filter=zeppelin").text
    assert "is said in too many talks" in client.get("/?filter=on+the").text  # says why the talks were not searched
    assert set(titles(client.get("/?filter=conversation").text)) == {"Episode 12"}
    import ytlocal.library.store

    monkeypatch.setattr(ytlocal.library.store, "FILTER_PASSAGES", 3)  # "conversation" is in more passages than that
    common = client.get("/?filter=conversation").text
    assert titles(common) == [] and "is said in too many talks" in common


def test_search_and_ask_say_when_the_library_is_empty(tmp_path):
    from ytlocal.api import Session
    from ytlocal.web.app import ServeOptions, build_state

    session = Session(library_dir=tmp_path / "library", cache_dir=tmp_path / "cache")
    state = build_state(session, ServeOptions(port=PORT, token=TOKEN, queue_dir=tmp_path / "queue"))
    try:
        client = TestClient(create_app(state, start_queue=False), base_url=BASE)
        client.cookies.set(state.guard.cookie_name, state.guard.cookie_value)
        assert "The library is empty: there is nothing to search yet" in client.get("/search?q=bees").text
        asked = client.get("/ask?q=How+do+bees+help%3F").text
        assert "The library is empty:" in asked and "Nothing in the library is about this" not in asked
        assert "The library is empty" in client.get("/").text and "There is no page" not in client.get("/?page=5").text
    finally:
        state.queue.close()
        state.library.close()
        session.close()


def test_queue_rows_name_their_source_and_only_running_jobs_have_a_bar(site):
    client, state, _ids = site
    from ytlocal.acquire import Planned
    from ytlocal.records import Media

    jobs = state.queue.jobs
    for position, (name, job_state) in enumerate((("first/talk.opus", "done"), ("second/talk.opus", "failed"),
                                                  ("third/talk.opus", "cancelled"), ("fourth/talk.opus", "transcribed"))):
        planned = Planned(f"/talks/{name}", "file", Path(f"/talks/{name}"), f"/talks/{name}")
        jobs.add(planned, position)
        jobs.update(planned.job_id, state=job_state, title="Same title", error="boom" if job_state == "failed" else None,
                    stage="transcribe" if job_state == "transcribed" else None)
    html = client.get("/queue").text
    rows = re.findall(r'<tr class="job" id="job-.*?</tr>', html, flags=re.S)  # not the script's empty row
    assert len(rows) == 4 and all("<bdi>Same title</bdi>" in row for row in rows)
    for name in ("first", "second", "third", "fourth"):
        assert sum(f"<bdi>/talks/{name}/talk.opus</bdi>" in row for row in rows) == 1  # told apart by their source
    by_state = {re.search(r'data-state="(\w+)"', row).group(1): row for row in rows}
    assert re.search(r"<progress[^>]* hidden>", by_state["failed"]) and re.search(r"<progress[^>]* hidden>", by_state["cancelled"])
    assert not re.search(r"<progress[^>]* hidden>", by_state["transcribed"]) and 'value="1"' in by_state["done"]
    assert rows[0] == by_state["transcribed"]  # the running job first, and named at the top of the page
    assert re.search(r'<p class="now" id="now" >.*?<bdi>Same title</bdi>.*?transcribe', html, flags=re.S)
