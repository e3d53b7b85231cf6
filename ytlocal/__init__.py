"""ytlocal: summarize YouTube (and any yt-dlp) videos entirely on your own machine.

yt-dlp fetches the audio, faster-whisper transcribes it on the local CPU or GPU, and a GGUF model run
by llama.cpp writes the summary. After the download, nothing leaves the machine.

The front door::

    import ytlocal

    result = ytlocal.summarize("https://youtu.be/VIDEO_ID")    # a URL, a media file or a transcript
    print(result.summary.title)
    for point in result.summary.key_points:
        print(point.start, point.text)
    result.write("summaries/", formats=["md", "json"])

    transcript = ytlocal.transcribe("talk.mp3", whisper_model="whisper-tiny.en")

    for hit in ytlocal.search("protein folding"):              # everything transcribed so far
        print(hit.title, hit.link, hit.text)
    answer = ytlocal.ask("What did she say about analogies?")  # only what the passages support
    print(answer.text() if answer.grounded else "no grounded answer")

    with ytlocal.Session(length="short") as session:           # models stay loaded across calls
        for result in session.summarize_many(["https://www.youtube.com/@channel/videos"]):
            print(result.title, result.error or result.summary.tldr)

:func:`summarize`, :func:`summarize_many`, :func:`transcribe`, :func:`search`, :func:`ask` and
:class:`Session` take the same
options as the command line; errors are the classes in :mod:`ytlocal.errors`.
"""

__version__ = "0.1.0"

__all__ = ["Answer", "Hit", "Media", "Result", "Session", "Summary", "Transcript", "YtlocalError", "__version__", "ask",
           "search", "summarize", "summarize_many", "transcribe"]

_LAZY = {
    "Session": "api", "summarize": "api", "summarize_many": "api", "transcribe": "api", "search": "api", "ask": "api",
    "Hit": "library", "Answer": "answer",
    "Media": "records", "Result": "records", "Summary": "records", "Transcript": "records",
    "YtlocalError": "errors",
}


class _Renderer:
    """``Result.render`` and ``Result.write``: the formats of :mod:`ytlocal.render`, loaded on first use.

    The records (``ytlocal.records``) sit below the renderer and import nothing above them; the
    package, above both, connects them here (see :func:`ytlocal.records.use_output_writer`)."""

    def render(self, result, fmt):
        from .render import render

        return render(result, fmt)

    def write(self, result, out_dir, formats, with_transcript):
        from .render import write_outputs

        return write_outputs(result, out_dir, formats, with_transcript)


def _wire_records() -> None:
    from . import records

    records.use_output_writer(_Renderer())


_wire_records()


def __getattr__(name: str):
    # Imported on first use, so that `import ytlocal` (and `ytlocal --help`) stays instant.
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ytlocal' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
