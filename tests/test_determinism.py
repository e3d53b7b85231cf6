"""The same input gives the same transcript and summary in any process: whatever the environment says
about threads (a Dask worker's nanny sets ``OMP_NUM_THREADS=1``), whatever ``--threads`` and in any
video order. `batch --cluster` promises a cluster's files equal a local run's; this is that promise
checked in single processes, on any machine.

The dependence it guards against lived in numpy's BLAS on AVX2 machines (see ``ytlocal/blas_threads.py``).
AVX-512 machines hide it, so where the CPU has AVX2 the runs here force OpenBLAS's AVX2 kernels
(``OPENBLAS_CORETYPE=Haswell``, what OpenBLAS picks on an AVX2-only CPU): the test then fails on
every x86-64 machine if anything reads the thread count from the environment again."""

import json
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_batch import TALKS, TINY, subprocess_env, talk_audio  # noqa: F401

pytestmark = pytest.mark.integration


def _has_avx2() -> bool:
    try:
        return platform.machine() in ("x86_64", "AMD64") and " avx2 " in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def _run(audio: dict[str, Path], order: list[str], folder: Path, threads: int, omp: str | None) -> dict[str, str]:
    env = subprocess_env(folder / "cache")  # a cache of its own: every run transcribes and summarizes
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(name, None)
    if omp is not None:
        env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = env["MKL_NUM_THREADS"] = omp
    if _has_avx2():
        env["OPENBLAS_CORETYPE"] = "Haswell"
    out = folder / "out"
    done = subprocess.run([sys.executable, "-m", "ytlocal.cli", "batch", *[str(audio[name]) for name in order], *TINY,
                           "-o", str(out), "--threads", str(threads), "--with-transcript", "--word-timestamps",
                           "--retries", "0"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found = {}
    for path in sorted(out.glob("*.md")):
        if path.name != "index.md":
            found[path.name] = re.sub(r"(?m)^generated_at: .*$", "", path.read_text())
    for path in sorted(out.glob("*.json")):  # transcripts with every word's probability, to the last bit
        data = json.loads(path.read_text())
        found[path.name] = json.dumps(data.get("segments", data), sort_keys=True)
    assert len([name for name in found if name.endswith(".md")]) == len(order)
    return found


def test_transcripts_and_summaries_do_not_depend_on_threads_environment_or_order(talk_audio, tmp_path):  # noqa: F811
    names = ["rivers", "stars", "bread"]  # rivers is the one an AVX2 machine transcribed two ways
    reference = _run(talk_audio, names, tmp_path / "a", threads=2, omp=None)
    assert any(name.endswith(".json") for name in reference), "no transcript json written"
    # One run that changes all three at once: the environment, the thread count and the order.
    for label, order, threads, omp in (("b", names[::-1], 1, "1"),):
        found = _run(talk_audio, order, tmp_path / label, threads=threads, omp=omp)
        assert sorted(found) == sorted(reference)
        for name in reference:
            assert found[name] == reference[name], (
                f"{name} differs with --threads {threads}, OMP_NUM_THREADS={omp or 'unset'}, order {order}")
