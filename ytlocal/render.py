"""Render a summary: Markdown with YAML front matter (default), a Hashnode post, JSON, plain text.

Everything that comes from outside (titles, transcript text, model output) is escaped for the target
format: front-matter values are JSON-quoted strings (valid YAML, so no title can break out of them) and
Markdown text has its structural characters escaped and HTML neutralised.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .clock import clock
from .records import Media, Point, Result, Summary
from .files import atomic_write_text, utc_now
from .transcript import write_transcript

RENDER_FORMATS = ("md", "hashnode", "json", "txt")
FILE_SUFFIX = {"md": ".md", "hashnode": ".hashnode.md", "json": ".summary.json", "txt": ".summary.txt"}


@dataclass
class Document:
    """A summarized :class:`~ytlocal.records.Result` as the renderers read it."""

    result: Result
    generated_at: _dt.datetime = field(default_factory=utc_now)

    @property
    def summary(self) -> Summary:
        if self.result.summary is None:
            raise ValueError("nothing to render: the result has no summary yet")
        return self.result.summary

    @property
    def media(self) -> Media:
        return self.result.about or Media.for_transcript_file(Path(self.result.source))

    @property
    def url(self) -> str | None:
        return self.media.url

    @property
    def source(self) -> str | None:
        return self.url or self.media.source or self.result.source

    @property
    def duration(self) -> float | None:
        value = self.media.duration or (self.result.transcript.duration if self.result.transcript else None)
        return float(value) if value else None

    @property
    def language(self) -> str | None:
        return self.result.transcript.language if self.result.transcript else None

    @property
    def whisper(self) -> dict[str, Any] | None:
        transcript = self.result.transcript
        if transcript is None or not transcript.model:
            return None
        if transcript.model.startswith(("file:", "captions:")):
            return {"name": transcript.model, "sha256": None}
        return {"name": transcript.model, "sha256": transcript.model_sha256}


def url_at(url: str, seconds: float) -> str:
    """The source's address at a moment (``?t=S``, the form YouTube and most players understand)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}t={int(seconds)}"


def timestamp_link(seconds: float, url: str | None) -> str:
    label = clock(seconds)
    return f"[{label}]({url_at(url, seconds)})" if url else f"[{label}]"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def md_escape(text: str) -> str:
    """Text that renders as itself in Markdown: no emphasis, links, headings, tables or raw HTML."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^(\d+)\.", r"\1\\.", text)  # "1. x" at the start would become a list


def yaml_string(value: Any) -> str:
    """A YAML scalar that can hold any text: a JSON string (YAML 1.2 is a superset of JSON)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def _upload_date(raw: Any) -> str | None:
    text = str(raw or "")
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if re.fullmatch(r"\d{8}", text) else (text or None)


def tags(summary: Summary, limit: int = 5) -> list[str]:
    """The front matter's tags: "summary" and the summary's key phrases (older summaries without
    them: none)."""
    return ["summary", *summary.tags[:limit]]


def _point_line(point: Point, document: Document, bullet: str = "-") -> str:
    if document.summary.has_timings:
        return f"{bullet} {timestamp_link(point.start, document.url)} {md_escape(point.text)}"
    return f"{bullet} {md_escape(point.text)}"


def _sections_markdown(document: Document, heading_level: str = "###") -> list[str]:
    lines: list[str] = []
    for section in document.summary.sections:
        if document.summary.has_timings:
            span = f"{clock(section.start)}–{clock(section.end)}"
            lines.append(f"{heading_level} {span} · {md_escape(section.heading)}")
        else:
            lines.append(f"{heading_level} {md_escape(section.heading)}")
        lines.append("")
        lines.extend(_point_line(point, document) for point in section.bullets)
        lines.append("")
    return lines


def left_out(summary: Summary) -> str | None:
    """One sentence saying what the summary left out on purpose ("Left out: 2 ad reads (00:00–01:05,
    31:10–32:40)."), by time, else by transcript line; None when nothing was. Never their words: a
    summary quotes no ad."""
    if not summary.skipped:
        return None
    where = []
    for item in summary.skipped:
        if summary.has_timings and item.end > item.start:
            where.append(f"{clock(item.start)}–{clock(item.end)}")
        elif item.lines:
            where.append(f"lines {item.lines[0]}–{item.lines[1]}" if item.lines[1] != item.lines[0]
                         else f"line {item.lines[0]}")
    reasons: dict[str, int] = {}
    for item in summary.skipped:
        reasons[item.reason] = reasons.get(item.reason, 0) + 1
    what = ", ".join(f"{count} {reason}{'s' if count > 1 else ''}" for reason, count in reasons.items())
    return f"Left out: {what}" + (f" ({', '.join(where)})." if where else ".")


def render_markdown(document: Document) -> str:
    summary = document.summary
    models = {"llm": {"name": summary.llm["name"], "sha256": summary.llm["sha256"]}}
    if document.whisper:
        models = {"whisper": document.whisper, **models}
    front = [
        "---",
        f"title: {yaml_string(summary.title)}",
        f"source: {yaml_string(document.source)}",
        f"channel: {yaml_string(document.media.channel)}",
        f"upload_date: {yaml_string(_upload_date(document.media.upload_date))}",
        f"duration: {yaml_string(clock(document.duration) if document.duration else None)}",
        f"language: {yaml_string(document.language)}",
        "models:",
    ]
    for role, info in models.items():
        front.append(f"  {role}:")
        front.append(f"    name: {yaml_string(info.get('name'))}")
        front.append(f"    sha256: {yaml_string(info.get('sha256'))}")
    front += [
        f"generated_at: {yaml_string(document.generated_at.isoformat())}",
        f"generator: {yaml_string(f'ytlocal {__version__}')}",
        "tags: [" + ", ".join(yaml_string(tag) for tag in tags(summary)) + "]",
        "---",
        "",
    ]
    body = [f"# {md_escape(summary.title)}", "", "## TL;DR", "", md_escape(summary.tldr) or "-", "",
            "## Key points", ""]
    body += [_point_line(point, document) for point in summary.key_points]
    body += ["", "## Sections", ""]
    body += _sections_markdown(document)
    note = left_out(summary)
    if note:
        body += [f"_{md_escape(note)}_", ""]
    return "\n".join(front + body).rstrip() + "\n"


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "video"


def hashnode_cuid(key: str) -> str:
    """A 25-character lowercase id, the same for the same video every time."""
    number = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    digits = []
    while len(digits) < 24:
        number, remainder = divmod(number, 36)
        digits.append(alphabet[remainder])
    return "c" + "".join(digits)


def _youtube_watch_url(document: Document) -> str | None:
    extractor = document.media.extractor.lower()
    video_id = document.media.video_id
    if extractor.startswith("youtube") and video_id:
        return f"https://www.youtube.com/watch?v={video_id}"
    return document.url


def render_hashnode(document: Document) -> str:
    summary = document.summary
    video_title = document.media.title if document.media.is_web and document.media.title else summary.title
    post_title = f"[SUMMARIZE YOUTUBE]{video_title}"
    published = document.generated_at.astimezone(_dt.timezone.utc)
    date_text = published.strftime("%a %b %d %Y %H:%M:%S") + " GMT+0000 (Coordinated Universal Time)"
    lines = [
        "---",
        f"title: {json.dumps(post_title, ensure_ascii=False)}",
        f"datePublished: {date_text}",
        f"cuid: {hashnode_cuid(document.media.key or video_title)}",
        f"slug: {slugify(post_title)}",
        "tags: summarize-youtube",
        "",
        "---",
        "",
    ]
    watch = _youtube_watch_url(document)
    if watch:
        lines += [f"%[{watch}]", ""]
    lines += ["Here is a summary:", ""]
    for point in summary.key_points:
        lines += [_point_line(point, document, bullet="*"), ""]
    lines += ["## TL;DR", "", md_escape(summary.tldr) or "-", "", "## Sections", ""]
    lines += _sections_markdown(document)
    return "\n".join(lines).rstrip() + "\n"


def _point_json(point: Point) -> dict[str, Any]:
    return {"start": point.start, "text": point.text, "origin": point.origin, "source": point.source}


def _skipped_json(item) -> dict[str, Any]:
    data = {"start": item.start, "end": item.end, "reason": item.reason}
    if item.lines:
        data["lines"] = list(item.lines)
    if item.excerpt:
        data["excerpt"] = item.excerpt
    return data


def render_json(document: Document) -> str:
    summary = document.summary
    data = {
        "ytlocal_summary": 2,
        "generator": f"ytlocal {__version__}",
        "generated_at": document.generated_at.isoformat(),
        "media": document.media.describe(),
        "language": document.language,
        "models": {"whisper": document.whisper, "llm": summary.llm},
        "summary": {
            "title": summary.title,
            "tldr": summary.tldr,
            "tldr_points": [_point_json(p) for p in summary.tldr_points],
            "key_points": [_point_json(p) for p in summary.key_points],
            "sections": [
                {"heading": s.heading, "heading_origin": s.heading_origin, "start": s.start, "end": s.end,
                 "from_chapter": s.from_chapter, "bullets": [_point_json(p) for p in s.bullets]}
                for s in summary.sections
            ],
        },
        "skipped": [_skipped_json(item) for item in summary.skipped],
        "has_timings": summary.has_timings,
        "options": summary.options,
        "stats": summary.stats,
        "warnings": summary.warnings,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_txt(document: Document) -> str:
    summary = document.summary

    def line(point: Point) -> str:
        return f"- [{clock(point.start)}] {point.text}" if summary.has_timings else f"- {point.text}"

    out = [summary.title, "=" * min(len(summary.title), 80), ""]
    if document.source:
        out += [f"Source: {document.source}", ""]
    out += ["TL;DR", summary.tldr, "", "Key points"] + [line(p) for p in summary.key_points] + [""]
    for section in summary.sections:
        span = f"[{clock(section.start)}-{clock(section.end)}] " if summary.has_timings else ""
        out += [f"{span}{section.heading}"] + [line(p) for p in section.bullets] + [""]
    note = left_out(summary)
    if note:
        out += [note]
    return "\n".join(out).rstrip() + "\n"


RENDERERS = {"md": render_markdown, "hashnode": render_hashnode, "json": render_json, "txt": render_txt}
TRANSCRIPT_BESIDE_SUMMARY = ["txt", "srt", "json"]  # what --with-transcript writes


def render(result: Result, fmt: str) -> str:
    """``result``'s summary as ``fmt`` (one of :data:`RENDER_FORMATS`)."""
    return RENDERERS[fmt](Document(result))


def write_outputs(result: Result, out_dir: Path, formats: Sequence[str], with_transcript: bool) -> list[Path]:
    """Write the summary in each of ``formats`` (none when it went to stdout) and, when asked, the
    transcript files beside it. Returns the paths written, the summaries first, in ``formats`` order."""
    written = []
    document = Document(result)
    for fmt in dict.fromkeys(formats):
        path = Path(out_dir) / f"{result.stem}{FILE_SUFFIX[fmt]}"
        atomic_write_text(path, RENDERERS[fmt](document))
        written.append(path)
    if with_transcript and result.transcript is not None:
        written += write_transcript(result.transcript, Path(out_dir), result.stem, TRANSCRIPT_BESIDE_SUMMARY)
    return written
