"""The same numbers in every process: numeric libraries' thread counts set by ytlocal, never by the
environment.

numpy's BLAS (OpenBLAS in the numpy wheels) splits a matrix product between as many threads as
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` say, or the number of cores when neither is set, and
on AVX2 machines its kernels give different last bits for different splits. faster-whisper's log-mel
features are such a product (``mel_filters @ magnitudes``), so the same audio transcribed by a plain
``ytlocal`` (2 BLAS threads on 2 cores) and by a Dask worker (whose nanny sets ``OMP_NUM_THREADS=1``)
gave different words ("rivers carry" / "River's carry", found on a 2-core AMD EPYC without AVX-512;
reproduced with ``qemu-x86_64 -cpu EPYC-Rome`` and ``OPENBLAS_CORETYPE=Haswell``). Every process that
computes results pins BLAS to one thread before it does: these products are small (tens of
milliseconds per minute of audio), and the cores belong to CTranslate2 and llama.cpp, which take
their thread counts from ytlocal explicitly and give the same results with any count.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

BLAS_THREADS = 1
_pinned: set[str] = set()  # the BLAS libraries (by file) already pinned in this process


def pin_blas_threads() -> None:
    """Set every BLAS library loaded in this process to :data:`BLAS_THREADS` threads, for good (not
    restored: a restore while another thread still computes would bring the dependence back).

    Cheap after the first call; call it again after a library that brings its own BLAS is imported."""
    import numpy  # noqa: F401  (loads numpy's BLAS, so there is something to pin)
    from threadpoolctl import threadpool_info, threadpool_limits

    loaded = {info["filepath"] for info in threadpool_info() if info.get("user_api") == "blas"}
    if loaded <= _pinned:
        return
    threadpool_limits(limits=BLAS_THREADS, user_api="blas")
    _pinned.update(loaded)
    log.debug("BLAS pinned to %d thread(s): %s", BLAS_THREADS, ", ".join(sorted(loaded)))
