"""`ytlocal batch --cluster` on real Dask clusters on loopback: a LocalCluster of worker processes and
`dask scheduler` / `dask worker` processes. The same videos and checks as tests/test_batch.py."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ytlocal.jobs import JobList

from test_batch import (TALKS, assert_same_summaries, batch_command, good_sources, site, subprocess_env,  # noqa: F401
                        summaries, talk_audio)

pytestmark = pytest.mark.integration
distributed = pytest.importorskip("distributed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_batch(sources, out: Path, cache: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(batch_command(sources, out) + ["--threads", "1", *extra], capture_output=True, text=True,
                          env=env or subprocess_env(cache), timeout=600)


def states(out: Path) -> dict[str, str]:
    jobs = JobList(out)
    try:
        return {row["label"]: row["state"] for row in jobs.rows()}
    finally:
        jobs.close()


_REFERENCE: dict[str, dict[str, str]] = {}


def portless(found: dict[str, str]) -> dict[str, str]:
    """Summaries with the loopback server's port left out (each test has its own server)."""
    return {name: re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text) for name, text in found.items()}


@pytest.fixture
def reference(site, tmp_path_factory):  # noqa: F811
    """The local run every cluster run is compared with (one worker's worth of threads), made once."""
    if "summaries" not in _REFERENCE:
        folder = tmp_path_factory.mktemp("local-run")
        done = run_batch(good_sources(site), folder / "out", folder / "cache")
        assert done.returncode == 0, done.stderr
        _REFERENCE["summaries"] = portless(summaries(folder / "out"))
    return _REFERENCE["summaries"]


@pytest.fixture
def dask_processes(tmp_path):
    """Start ``dask scheduler`` / ``dask worker`` processes on loopback as a user would; stopped after."""
    started: list[subprocess.Popen] = []

    def start(*args: str, env: dict | None = None) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
                                   env=env or dict(os.environ), stdout=subprocess.DEVNULL,
                                   stderr=open(tmp_path / f"dask-{len(started)}.log", "w"))
        started.append(process)
        return process

    yield start
    for process in started:
        process.send_signal(signal.SIGINT)
    for process in started:
        try:
            process.wait(timeout=3)  # a graceful Dask shutdown takes ~8 s; the test is over
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_workers(address: str, count: int, timeout: float = 60) -> None:
    with distributed.Client(address, timeout="20s") as client:
        client.wait_for_workers(count, timeout=timeout)


def test_a_local_cluster_batch_equals_the_local_run(site, reference, tmp_path):  # noqa: F811
    done = run_batch(good_sources(site), tmp_path / "out", tmp_path / "cache", "--cluster", "local:2")
    assert done.returncode == 0, done.stderr
    assert_same_summaries(portless(summaries(tmp_path / "out")), reference)
    assert set(states(tmp_path / "out").values()) == {"done"}
    # The report gives each worker's share; both workers of the LocalCluster got videos.
    worker_lines = [line for line in done.stdout.splitlines() if line.startswith("worker tcp://127.0.0.1:")]
    assert len(worker_lines) == 2, done.stdout
    assert sum(int(line.split(": ")[1].split(" video")[0]) for line in worker_lines) == len(TALKS)
    assert all("x real time" in line for line in worker_lines)

    # A rerun finds everything done: nothing is submitted, nothing downloaded again.
    site.hits.clear()
    again = run_batch(good_sources(site), tmp_path / "out", tmp_path / "cache", "--cluster", "local:2")
    assert again.returncode == 0, again.stderr
    assert "this run: 0 done" in again.stdout
    assert not [path for (_method, path) in site.hits if path.startswith("/media/")]


def test_a_worker_killed_mid_task_gets_its_video_run_again(site, reference, tmp_path):  # noqa: F811
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        pids = client.run(os.getpid)
        batch = subprocess.Popen(batch_command(good_sources(site), tmp_path / "out") +
                                 ["--threads", "1", "--cluster", cluster.scheduler_address],
                                 env=subprocess_env(tmp_path / "cache"), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        victim = None
        deadline = time.time() + 120
        while victim is None and time.time() < deadline and batch.poll() is None:
            busy = {worker: keys for worker, keys in client.processing().items()
                    if any(str(key).startswith("ytlocal-") for key in keys)}
            if busy:
                victim = sorted(busy)[0]
            time.sleep(0.05)
        assert victim is not None, "no task started"
        time.sleep(0.5)  # inside the task: loading the models or transcribing
        os.kill(pids[victim], signal.SIGKILL)
        stdout, stderr = batch.communicate(timeout=600)
        assert batch.returncode == 0, stderr
        assert set(states(tmp_path / "out").values()) == {"done"}
        assert_same_summaries(portless(summaries(tmp_path / "out")), reference)
        assert victim not in client.scheduler_info()["workers"]  # it really died (the nanny started a new one)
    finally:
        client.close()
        cluster.close()


def test_killed_client_resumes_without_redoing_finished_videos(site, dask_processes, tmp_path):  # noqa: F811
    address = f"tcp://127.0.0.1:{free_port()}"
    dask_processes("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")
    dask_processes("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                   env=subprocess_env(tmp_path / "cache"))
    wait_for_workers(address, 1)
    out = tmp_path / "out"
    command = batch_command(good_sources(site), out) + ["--threads", "1", "--cluster", address]
    batch = subprocess.Popen(command, env=subprocess_env(tmp_path / "client-cache"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and batch.poll() is None:
        if (out / ".ytlocal" / "jobs.sqlite").is_file() and "done" in states(out).values():
            break
        time.sleep(0.1)
    assert batch.poll() is None, "the batch ended before the test could kill it"
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    finished = {label for label, state in states(out).items() if state == "done"}
    outputs = {path: path.stat().st_mtime_ns for path in out.glob("*.md") if path.name != "index.md"}
    assert finished and outputs

    resumed = subprocess.run(command, env=subprocess_env(tmp_path / "client-cache"), capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert set(states(out).values()) == {"done"}
    assert f"this run: {len(TALKS) - len(finished)} done" in resumed.stdout
    for path, mtime in outputs.items():
        assert path.stat().st_mtime_ns == mtime, f"{path.name} was written again"


def test_a_worker_without_the_models_fails_its_videos_clearly_and_the_others_complete(site, dask_processes,  # noqa: F811
                                                                                      test_models_store, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    dask_processes("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")
    good = subprocess_env(tmp_path / "cache-good")
    good["YTLOCAL_MODELS_DIR"] = str(test_models_store.root)
    bare = subprocess_env(tmp_path / "cache-bare")
    bare["YTLOCAL_MODELS_DIR"] = str(tmp_path / "no-models")
    dask_processes("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", env=good)
    dask_processes("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", env=bare)
    wait_for_workers(address, 2)
    out = tmp_path / "out"
    command = batch_command(good_sources(site), out) + ["--threads", "1", "--cluster", address]
    first = subprocess.run(command, env=subprocess_env(tmp_path / "client"), capture_output=True, text=True,
                           timeout=600)
    assert "cannot summarize: model whisper-tiny.en is not installed in" in first.stderr
    assert "ytlocal models pull whisper-tiny.en" in first.stderr
    outcome = states(out)
    assert "done" in outcome.values()  # the good worker's videos complete
    jobs = JobList(out)
    failed = [row for row in jobs.rows() if row["state"] == "failed"]
    jobs.close()
    for row in failed:
        assert row["error_kind"] == "transient"
        assert row["error"].startswith("on worker tcp://127.0.0.1:") and "ytlocal models pull" in row["error"]
    assert first.returncode == (9 if failed else 0), first.stderr

    # Only the bare worker left: the batch refuses at once, naming the model and the fix.
    with distributed.Client(address, timeout="20s") as client:
        good_workers = [w for w, d in client.run(lambda: os.environ.get("YTLOCAL_MODELS_DIR")).items()
                        if d == str(test_models_store.root)]
        client.retire_workers(good_workers, close_workers=True)
        deadline = time.time() + 30
        while len(client.scheduler_info()["workers"]) != 1 and time.time() < deadline:
            time.sleep(0.1)
    refused = subprocess.run(batch_command(good_sources(site), tmp_path / "out2") + ["--cluster", address],
                             env=subprocess_env(tmp_path / "client"), capture_output=True, text=True, timeout=300)
    assert refused.returncode == 4, refused.stderr
    assert "no worker of the cluster has the models this batch needs" in refused.stderr


def test_bad_addresses_and_unreachable_schedulers_are_one_clear_line(site, tmp_path):  # noqa: F811
    bad = run_batch(good_sources(site), tmp_path / "out", tmp_path / "cache", "--cluster", "local:none")
    assert bad.returncode == 13 and "local:N needs a number of workers" in bad.stderr
    port = free_port()
    unreachable = run_batch(good_sources(site), tmp_path / "out", tmp_path / "cache",
                            "--cluster", f"tcp://127.0.0.1:{port}")
    assert unreachable.returncode == 13, unreachable.stderr
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


def test_doctor_checks_every_worker(run_cli, monkeypatch):
    monkeypatch.setenv("YTLOCAL_WHISPER_MODEL", "whisper-tiny.en")  # the workers' own settings: the test models
    result = run_cli("doctor", "--cluster", "local:2")
    assert "cluster" in result.output and "local:2: 2 worker(s)" in result.output
    for label in ("ytlocal", "whisper model", "llm model", "disk (cache)"):
        rows = re.findall(rf"(?m)^OK +tcp://127\.0\.0\.1:\d+ {re.escape(label)}  ", result.output)
        assert len(rows) == 2, result.output


GUARD = '''
import ipaddress, os, socket

def _refuse_beyond_loopback(address):
    host = address[0] if isinstance(address, tuple) else None
    try:
        loopback = host is None or host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        with open(os.environ["YTLOCAL_TEST_GUARD_LOG"], "a") as log:
            log.write(f"{os.getpid()} {address!r}\\n")
        raise OSError(f"non-loopback connection attempted: {address!r}")

_connect, _connect_ex, _create = socket.socket.connect, socket.socket.connect_ex, socket.create_connection
def connect(self, address):
    _refuse_beyond_loopback(address)
    return _connect(self, address)
def connect_ex(self, address):
    _refuse_beyond_loopback(address)
    return _connect_ex(self, address)
def create_connection(address, *args, **kwargs):
    _refuse_beyond_loopback(address)
    return _create(address, *args, **kwargs)
socket.socket.connect, socket.socket.connect_ex, socket.create_connection = connect, connect_ex, create_connection
'''


def test_offline_cluster_batch_of_a_fetched_folder_makes_no_connection_beyond_loopback(site, dask_processes,  # noqa: F811
                                                                                         run_cli, tmp_path):
    """Every process (client, scheduler, workers) runs with a guard that records and refuses any
    connection that is not to loopback (Dask's own traffic is loopback here)."""
    sources = good_sources(site)[:2]
    assert run_cli("fetch", *sources, "-o", str(tmp_path / "shared" / "talks")).exit_code == 0
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    attempts = tmp_path / "attempts.log"
    attempts.write_text("")

    def guarded(cache: Path) -> dict:
        env = subprocess_env(cache)
        env["PYTHONPATH"] = f"{guard}{os.pathsep}{env['PYTHONPATH']}"
        env["YTLOCAL_TEST_GUARD_LOG"] = str(attempts)
        return env

    proof = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 80), 1)"],
                           env=guarded(tmp_path / "c0"), capture_output=True, text=True)
    assert "non-loopback connection attempted" in proof.stderr and "192.0.2.1" in attempts.read_text()
    attempts.write_text("")

    address = f"tcp://127.0.0.1:{free_port()}"
    dask_processes("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard",
                   env=guarded(tmp_path / "c1"))
    dask_processes("worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                   "--host", "127.0.0.1", env=guarded(tmp_path / "c2"))
    wait_for_workers(address, 2)
    hits = sum(site.hits.values())
    out = tmp_path / "out"
    done = subprocess.run(batch_command([str(tmp_path / "shared" / "talks")], out) +
                          ["--offline", "--threads", "1", "--cluster", address],
                          env=guarded(tmp_path / "c3"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert set(states(out).values()) == {"done"} and len(states(out)) == 2
    assert sum(site.hits.values()) == hits  # not one request to the video site
    assert attempts.read_text() == ""  # and no connection anywhere but loopback, in any process
