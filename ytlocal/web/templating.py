"""Jinja2 for the pages: autoescaped (titles, channels, transcripts and summaries come from strangers),
a few filters that turn the library's records into safe markup and links, and :func:`render`, which
every view answers with."""

from __future__ import annotations

import base64
import re
import urllib.parse
from pathlib import Path

from markupsafe import Markup, escape

from ..sizes import human_size
from ..clock import clock as render_clock
from ..render import url_at

TEMPLATES = Path(__file__).parent / "templates"


def clock(seconds) -> str:
    return "" if seconds is None else render_clock(seconds)


# Explicit bidi embeddings, overrides and isolates: in a title they only serve to disguise it ("report
# \u202eSRT.exe" shows as "report exe.TRS"); right-to-left text needs none of them.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._~-]*")


def marked(hit) -> Markup:
    """A search hit's text, escaped, with the words that match the query (the hit's ``spans``) in
    ``<mark>`` (the only markup that comes out)."""
    text = str(hit.text or "")
    out, last = [], 0
    for start, end in hit.spans:
        out.append(str(escape(text[last:start])) + f"<mark>{escape(text[start:end])}</mark>")
        last = end
    return Markup("".join(out) + str(escape(text[last:])))


def plain(text) -> str:
    """Text from a stranger without the bidi controls that would make it show other than it reads."""
    return "" if text is None else str(text).translate(_BIDI_CONTROLS)


def isolated(text) -> Markup:
    """A title, channel or file name set apart from the text around it (``<bdi>``: right-to-left text in
    it cannot reorder what follows) and without bidi controls (see :func:`plain`)."""
    return Markup(f"<bdi>{escape(plain(text))}</bdi>")


def video_segment(video_id: str) -> str:
    """A library id as one path segment of a URL: as it is when it is plain, else ``~`` and its
    base64url (an id ``..`` would be a dot segment to a browser, one with ``/`` two segments)."""
    video_id = str(video_id)
    if _PLAIN_ID.fullmatch(video_id):
        return video_id
    return "~" + base64.urlsafe_b64encode(video_id.encode("utf-8")).decode("ascii").rstrip("=")


def video_id_from(segment: str) -> str:
    """The library id a URL's segment names (see :func:`video_segment`)."""
    if not segment.startswith("~"):
        return segment
    try:
        return base64.urlsafe_b64decode(segment[1:] + "=" * (-len(segment[1:]) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return segment


def video_path(video_id: str) -> str:
    """``/video/<segment>``: the page of a library id."""
    return "/video/" + video_segment(video_id)


def running(job) -> bool:
    """Whether a queue's job is being worked on now (a stage started, not finished)."""
    return bool(job.stage) and not job.final


def state_label(job) -> str:
    """A job's state as the queue page says it: "running" while a stage runs, "waiting" before its turn
    (the job list's own words otherwise), and "cancelling" while a cancel is on its way."""
    label = "running" if running(job) else "waiting" if job.state == "pending" else job.state
    return label + (" (cancelling)" if job.cancel_requested and not job.final else "")


def wait(seconds) -> str:
    """An ETA as people say it: "40 s", "3 min", "1 h 5 min"."""
    if seconds is None:
        return ""
    seconds = max(0, int(round(float(seconds))))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


def web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None (no ``javascript:`` link from a title's page)."""
    if isinstance(url, str) and urllib.parse.urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


def at_time(url: str | None, seconds) -> str | None:
    """The source's address at a moment, when it is a web address (see :func:`ytlocal.render.url_at`)."""
    url = web_url(url)
    return url if url is None or seconds is None else url_at(url, seconds)


def quote(value) -> str:
    return urllib.parse.quote(str(value), safe="")


def size(num_bytes) -> str:
    """Bytes as the CLI and the models table write them (kB, MB, GB)."""
    return human_size(int(num_bytes or 0))


def first_line(text: str | None, limit: int = 220) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(clock=clock, marked=marked, web_url=web_url, quote=quote, size=size, first_line=first_line,
                       plain=plain, isolated=isolated, vid=video_segment, wait=wait, state_label=state_label)
    env.globals.update(at_time=at_time, video_path=video_path)
    env.tests.update(running=running)
    return env


def playable(library, hits) -> dict[str, bool]:
    """For each video among ``hits``, whether its media is here (its times then seek this app's player,
    else the source): one look per video, however many of its passages were found."""
    return {video_id: library.media_file(video_id) is not None for video_id in {hit.video_id for hit in hits}}


def state_of(request):
    """The application's :class:`~ytlocal.web.app.WebState`."""
    return request.app.state.ytlocal


def render(request, template: str, context: dict | None = None, *, status: int = 200, active: str = ""):
    """An HTML page from ``template`` (autoescaped), never cached (it shows the library as it is now)."""
    from starlette.responses import HTMLResponse

    state = state_of(request)
    page = state.templates.get_template(template).render(
        request=request, csrf=state.guard.csrf_token, active=active, **(context or {}))
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})
