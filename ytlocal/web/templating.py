"""Jinja2 for the pages: autoescaped (titles, channels, transcripts and summaries come from strangers),
a few filters that turn the library's records into safe markup and links, and :func:`render`, which
every view answers with."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from markupsafe import Markup, escape

from ..registry import human_size
from ..render import clock as render_clock, url_at

TEMPLATES = Path(__file__).parent / "templates"


def clock(seconds) -> str:
    return "" if seconds is None else render_clock(seconds)


def marked(text: str) -> Markup:
    """A search hit's text, whose matched words the library puts between ``**``: escaped, with those
    words in ``<mark>`` (the only markup that comes out)."""
    parts = str(text or "").split("**")
    if len(parts) % 2 == 0:  # an odd number of markers: show the text as it is
        return Markup(escape(str(text or "")))
    return Markup("".join(f"<mark>{escape(part)}</mark>" if index % 2 else str(escape(part))
                          for index, part in enumerate(parts)))


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
    env.filters.update(clock=clock, marked=marked, web_url=web_url, quote=quote, size=size, first_line=first_line)
    env.globals.update(at_time=at_time)
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
