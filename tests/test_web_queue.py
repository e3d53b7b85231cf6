"""The queue behind `ytlocal serve` with the real pipeline: a cancel in the middle of a summary and a
cancel of a waiting video leave no torn file and no output; progress is durable in the job list that
`ytlocal batch --status` reads."""

from __future__ import annotations

import shutil
import time

import pytest
from starlette.testclient import TestClient

from ytlocal.api import Session
from ytlocal.jobs import JobList
from ytlocal.report import report_from
from ytlocal.web.app import ServeOptions, build_state, create_app

from web_fixtures import SAMPLE, TOKEN

pytestmark = pytest.mark.integration
PORT = 8767
BASE = f"http://127.0.0.1:{PORT}"


def wait_for(condition, what: str, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def test_cancel_in_the_middle_of_a_summary_and_before_the_start_leaves_nothing_torn(tmp_path, test_models_store,
                                                                                   run_cli):
    talks, queue, cache = tmp_path / "talks", tmp_path / "queue", tmp_path / "cache"
    talks.mkdir()
    shutil.copy(SAMPLE, talks / "first.opus")
    (talks / "second.opus").write_bytes(SAMPLE.read_bytes() + b"")  # same audio: another file, another job
    session = Session(library_dir=tmp_path / "library", cache_dir=cache, models_dir=test_models_store.root,
                      whisper_model="whisper-tiny.en", llm="smollm2-135m-instruct")
    state = build_state(session, ServeOptions(port=PORT, token=TOKEN, queue_dir=queue, allow_dirs=(talks,)))
    csrf = {"csrf": state.guard.csrf_token}
    with TestClient(create_app(state), base_url=BASE, follow_redirects=False) as client:  # the queue runs
        client.get(f"/?token={TOKEN}")
        lines = f"{talks / 'first.opus'}\n{talks / 'second.opus'}"
        assert client.post("/queue", data={"sources": lines, **csrf}, headers={"Origin": BASE}).status_code == 303

        def views():
            return {view.label.rsplit("/", 1)[-1]: view for view in state.queue.snapshot().jobs}

        second = wait_for(lambda: views().get("second.opus"), "the plan")
        assert second.state == "pending"
        assert client.post(f"/queue/jobs/{second.id}/cancel", data=csrf, headers={"Origin": BASE}).status_code == 303
        assert views()["second.opus"].state == "cancelled"  # waiting: cancelled at once, not "cancelling" until its turn
        first = wait_for(lambda: (lambda v: v if v and v.stage == "summarize" and (v.done or 0) >= 1 else None)(
            views().get("first.opus")), "the summary to be written")
        assert first.state == "transcribed" and first.total and first.eta_s is not None
        assert client.post(f"/queue/jobs/{first.id}/cancel", data=csrf, headers={"Origin": BASE}).status_code == 303
        wait_for(lambda: all(v.state == "cancelled" for v in views().values()), "both cancelled", 120)
        assert client.post(f"/queue/jobs/{first.id}/cancel", data=csrf, headers={"Origin": BASE}).status_code == 404
        page = client.get("/queue").text
        assert page.count('data-state="cancelled"') == 2
    state.queue.close()
    state.library.close()
    session.close()
    outputs = [p.name for p in queue.iterdir() if p.suffix in (".md", ".json", ".srt", ".txt") and p.name != "index.md"]
    assert outputs == []
    torn = [p for p in list(queue.rglob("*")) + list(cache.rglob("*")) if p.name.endswith((".tmp", ".part"))]
    assert torn == []
    with JobList(queue) as jobs:
        report = report_from(jobs)
    assert report.cancelled == 2 and report.done == 0 and report.pending == 0
    status = run_cli("batch", "--status", str(queue))  # the same job list `ytlocal batch` keeps
    assert status.exit_code == 0 and status.output.count("cancelled") >= 2


def test_a_queued_file_is_read_only_as_the_file_checked_never_through_a_link_put_there_later(tmp_path,
                                                                                          test_models_store):
    talks, outside, queue = tmp_path / "talks", tmp_path / "outside", tmp_path / "queue"
    talks.mkdir()
    outside.mkdir()
    for name in ("first.opus", "second.opus"):
        shutil.copy(SAMPLE, talks / name)
    shutil.copy(SAMPLE, outside / "private-recording.opus")  # audio someone else may not read
    (outside / "id_rsa.opus").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    session = Session(library_dir=tmp_path / "library", cache_dir=tmp_path / "cache", models_dir=test_models_store.root,
                      whisper_model="whisper-tiny.en", llm="smollm2-135m-instruct")
    state = build_state(session, ServeOptions(port=PORT, token=TOKEN, queue_dir=queue, allow_dirs=(talks,)))
    csrf = {"csrf": state.guard.csrf_token}
    try:
        with TestClient(create_app(state, start_queue=False), base_url=BASE, follow_redirects=False) as client:
            client.cookies.set(state.guard.cookie_name, state.guard.cookie_value)
            lines = f"{talks / 'first.opus'}\n{talks / 'second.opus'}"
            assert client.post("/queue", data={"sources": lines, **csrf}, headers={"Origin": BASE}).status_code == 303
            # Queued from the allowed folder; then, before its turn, replaced by a link to a file elsewhere.
            (talks / "first.opus").unlink()
            (talks / "first.opus").symlink_to(outside / "private-recording.opus")
            state.queue.start()

            def views():
                return state.queue.snapshot().jobs

            second = wait_for(lambda: next((v for v in views() if v.label.endswith("second.opus")
                                            and v.stage in ("transcribe", "summarize")), None), "the second video")
            # Being read: moved away, a link to a private file put in its place.
            (talks / "second.opus").rename(talks / "moved.opus")
            (talks / "second.opus").symlink_to(outside / "id_rsa.opus")
            wait_for(lambda: all(v.final for v in views()) and len(views()) == 2, "both jobs")
            first = next(v for v in views() if v.id != second.id)
            assert first.state == "failed" and "outside the folders" in first.error, first
            second = next(v for v in views() if v.id == second.id)
            assert second.state == "done", second
            entry = state.library.video(second.library_id)
            assert entry.path == str(talks / "moved.opus")  # where the file read is, not where the name leads
            media = client.get(f"/media/{second.library_id}")
            assert media.status_code == 200 and media.content == SAMPLE.read_bytes()
            recorded = [video.path for video in state.library.page(limit=50).videos]
            assert not any(str(outside) in (path or "") for path in recorded), recorded
    finally:
        state.queue.close()
        state.library.close()
        session.close()
