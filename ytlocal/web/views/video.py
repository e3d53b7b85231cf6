"""A video: its summary (TL;DR, key points, sections) beside its transcript, a player for the audio or
video file on this machine, and its outputs to download.

Every time in the summary and the transcript is a link: with the file here it opens this page at that
moment (the script seeks the player instead of reloading); for a web video whose file is not here, the
source's address at that moment; for a transcript without audio (an ``.srt`` or ``.txt`` added, most
podcasts) this page at that moment too, where the script scrolls to the line and highlights it. The
stretches the summary left out as sponsor reads are listed with links to them, and marked in the
transcript. Ids in URLs are the library's; the media comes only from the file the library recorded for
that id (:meth:`ytlocal.library.Library.media_file`), never from a path in the request, and is opened
without following a link (:func:`ytlocal.confined.open_unlinked`): a link put in the place of a
recorded file, or of a folder on its way, is refused.
"""

from __future__ import annotations

import bisect

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response

from ...clock import offset_seconds
from ...library import PLAYABLE
from ...naming import output_stem
from ...render import FILE_SUFFIX
from ..templating import render, state_of, video_id_from

SUMMARY_TYPES = {"md": "text/markdown", "hashnode": "text/markdown", "json": "application/json", "txt": "text/plain"}
TRANSCRIPT_FORMATS = {"srt": "application/x-subrip", "vtt": "text/vtt", "txt": "text/plain", "json": "application/json"}
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mkv", ".mov", ".mpeg")
NO_VIDEO = "No video with this id in the library."


def _left_out(summary, segments) -> tuple[list, set[int]]:
    """The stretches the summary left out as sponsor reads or calls to action (only their start, end and
    reason: however they were found), and the transcript lines that fall in them."""
    spans = list(getattr(summary, "skipped", None) or []) if summary is not None else []
    timed = [span for span in spans if span.end > span.start]

    def inside(segment, span) -> bool:  # starts in it, or (a passage of several lines) is mostly in it
        overlap = min(segment.end, span.end) - max(segment.start, span.start)
        return span.start - 0.5 <= segment.start < span.end or overlap >= (segment.end - segment.start) / 2 > 0

    lines = {index for index, segment in enumerate(segments) if any(inside(segment, span) for span in timed)}
    return spans, lines


def _video_or_404(state, video_id: str):
    entry = state.library.video(video_id)
    if entry is None:
        raise HTTPException(404, NO_VIDEO)
    return entry


def page(request):
    state = state_of(request)
    video_id = video_id_from(request.path_params["video_id"])
    details = state.library.details(video_id)
    if details is None:
        raise HTTPException(404, NO_VIDEO)
    transcript, media = details.transcript, details.media
    start = offset_seconds(request.query_params.get("t"))
    segments = transcript.segments
    timed = bool(segments) and not (transcript.options or {}).get("untimed")
    current = None
    if start is not None and timed:
        current = max(0, bisect.bisect_right([segment.start for segment in segments], start) - 1)
    left_out, ad_lines = _left_out(details.summary, segments if timed else [])
    return render(request, "video.html", {
        "video": details.entry, "summary": details.summary, "segments": segments, "timed": timed, "current": current,
        "left_out": left_out, "ad_lines": ad_lines,
        "media": media is not None, "is_video": media is not None and media.suffix.lower() in VIDEO_SUFFIXES,
        "start": start, "summary_formats": list(SUMMARY_TYPES), "transcript_formats": list(TRANSCRIPT_FORMATS),
    }, active="library")


def _attachment(text: str, name: str, media_type: str) -> Response:
    import urllib.parse

    return Response(text.encode("utf-8"), media_type=f"{media_type}; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{urllib.parse.quote(name, safe='')}",
        "Cache-Control": "no-store"})


def _download_target(request, formats):
    """(state, video id, format, library entry) of a download request; 404 for an unknown format or video."""
    state = state_of(request)
    video_id, fmt = video_id_from(request.path_params["video_id"]), request.path_params["fmt"]
    if fmt not in formats:
        raise HTTPException(404, "No such format.")
    return state, video_id, fmt, _video_or_404(state, video_id)


def summary_file(request):
    state, video_id, fmt, entry = _download_target(request, SUMMARY_TYPES)
    result = state.library.result(video_id)
    if result is None or result.summary is None:
        raise HTTPException(404, "This video has no summary in the library.")
    return _attachment(result.render(fmt), output_stem(entry.title, video_id) + FILE_SUFFIX[fmt], SUMMARY_TYPES[fmt])


def transcript_file(request):
    from ...transcript import RENDERERS

    state, video_id, fmt, entry = _download_target(request, TRANSCRIPT_FORMATS)
    transcript = state.library.transcript(video_id)
    if transcript is None:
        raise HTTPException(404, "This video has no transcript in the library.")
    return _attachment(RENDERERS[fmt](transcript), f"{output_stem(entry.title, video_id)}.{fmt}",
                       TRANSCRIPT_FORMATS[fmt])


def media(request):
    """The video's audio or video file, with range requests (so the player can seek), read through the
    descriptor opened after the checks (closed once the answer is sent)."""
    from ...confined import open_unlinked
    from ...errors import SourceError

    state = state_of(request)
    path = state.library.media_file(video_id_from(request.path_params["video_id"]))
    if path is None:
        raise HTTPException(404, "This video's media is not on this machine.")
    try:
        opened = open_unlinked(path)
    except SourceError:
        raise HTTPException(404, "This video's media is not on this machine as it was recorded.") from None
    return _OpenedFileResponse(opened, media_type=PLAYABLE[path.suffix.lower()],
                               headers={"Cache-Control": "private, max-age=0"}, content_disposition_type="inline")


class _OpenedFileResponse(FileResponse):
    """A file response read through an :class:`~ytlocal.confined.OpenedFile`'s descriptor, which it
    closes however the answer ends (a player cancels many range requests half way)."""

    def __init__(self, opened, **options):
        super().__init__(opened.reader_path, stat_result=opened.info, **options)
        self.opened = opened

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.opened.close()
