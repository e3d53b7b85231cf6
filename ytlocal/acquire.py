"""Acquire: turn what the user typed (URLs, playlists, files, folders, lists, stdin) into :class:`Media`.

Web sources go through yt-dlp: audio only (``bestaudio/best``), into the cache under
``media/<extractor>-<video id>/``, with the metadata saved through ``YoutubeDL.sanitize_info``. A URL
already fetched is served from the cache without a single request (a URL index maps it to its
folder, and YouTube-style URLs are keyed by extractor and id before any request). Local media files
are used in place. Every media file is probed (PyAV) before it is accepted: no audio stream, an
empty file or a file that is not media is refused with a clear :class:`SourceError`.

At ~530 lines it is over the 400 we aim at: yt-dlp's options, the offline cache that answers without
a request and the media probe are one acquisition step, and each needs the others' records.
"""

from __future__ import annotations

import hashlib
import logging
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, TextIO

from .progress import Progress, no_progress
from .errors import SkippedSource, SourceError, first_line
from .inputs import Failure, SourceItem, expand_sources, is_url, user_path
from .records import Chapter, Media
from .files import atomic_write_json, read_json, sha256_file

log = logging.getLogger(__name__)
ZERO_PREFIX_BYTES = 1024 * 1024
CAPTION_MODES = ("never", "prefer", "auto")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TRANSIENT = re.compile(
    r"timed? ?out|connection (?:refused|reset|aborted)|temporary failure|network is unreachable|"
    r"name or service not known|remote end closed|incompleteread|HTTP Error (?:408|429|5\d\d)|"
    r"too many requests|rate.?limit|try again later", re.IGNORECASE)


def is_transient(message: str) -> bool:
    """Network trouble, rate limits and server errors pass; removed/private/no-audio do not."""
    return bool(_TRANSIENT.search(message))




@dataclass
class AcquireOptions:
    cache_dir: Path
    offline: bool = False
    limit: int | None = None
    cookies: str | None = None
    cookies_from_browser: str | None = None
    rate_limit: str | None = None
    retries: int = 3
    captions: str = "never"
    language: str | None = None
    since: str | None = None  # YYYYMMDD: skip videos uploaded before this day


# ------------------------------------------------------------------------------- local media


def probe_audio(path: Path) -> float | None:
    """Duration in seconds of the first audio stream; refuses what has no audio or is not media."""
    return probe_media(path)[0]


def probe_media(path: Path) -> tuple[float | None, dict[str, str]]:
    """(duration of the first audio stream, container tags such as title/artist); refuses what has
    no audio stream or is not media at all."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror}") from error
    if size == 0:
        raise SourceError(f"{path} is an empty file (0 bytes)")
    with open(path, "rb") as handle:
        head = handle.read(ZERO_PREFIX_BYTES)
    if not head.strip(b"\0") and size > len(head) // 2:
        # FFmpeg's demuxers can scan a huge sparse or zeroed file for minutes; no media starts so.
        raise SourceError(f"{path} starts with {len(head) // 1024} KiB of zero bytes: not a media file "
                          f"(a sparse, damaged or unfinished file?)")
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = container.streams.audio
            if not streams:
                raise SourceError(f"{path} has no audio stream")
            stream = streams[0]
            if not stream.codec_context.sample_rate or not stream.codec_context.channels:
                raise SourceError(f"{path} has no decodable audio stream (0 Hz or 0 channels)")
            tags = {str(k).lower(): str(v) for k, v in {**container.metadata, **stream.metadata}.items()}
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base), tags
            if container.duration is not None:
                return container.duration / 1_000_000, tags
            return None, tags
    except SourceError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError, OSError) as error:
        raise SourceError(f"{path} is not a media file ffmpeg can read ({first_line(error)})") from error


def file_key(audio_sha256: str) -> str:
    return f"file-{audio_sha256[:16]}"


def local_media(path: Path, read_from: Path | None = None) -> Media:
    """A media file used in place; its title tag (if any) or its name becomes the title. ``read_from``:
    where to read it (an open descriptor's path, see :mod:`ytlocal.confined`), ``path`` naming it."""
    try:
        duration, tags = probe_media(read_from or path)
    except SourceError as error:
        if read_from is None:
            raise
        raise SourceError(str(error).replace(str(read_from), str(path))) from None  # the name the user knows
    audio_sha256 = sha256_file(read_from or path)
    key = file_key(audio_sha256)
    title = tags.get("title", "").strip() or path.stem
    channel = (tags.get("artist") or tags.get("album_artist") or "").strip() or None
    return Media(key=key, source=str(path), audio_path=path, title=title, extractor="file",
                 video_id=key.removeprefix("file-")[:12], duration=duration, channel=channel,
                 captions_checked=True, audio_sha256=audio_sha256)


# ----------------------------------------------------------------------------------- yt-dlp


_NO_NETWORK = re.compile(
    r"name or service not known|temporary failure in name resolution|nodename nor servname|getaddrinfo failed|"
    r"no address associated|network is unreachable|no route to host|connection refused|"
    r"failed to establish a new connection|unable to download api page", re.I)


def describe_download_error(url: str, message: str) -> str:
    """yt-dlp's error, said so that a user knows what it means and what to do. A missing connection
    ("[Errno -2] Name or service not known (caused by TransportError(...))") becomes a sentence."""
    if _NO_NETWORK.search(message):
        host = urllib.parse.urlsplit(url).hostname or url
        return (f"{url}: cannot reach {host} (no network connection, or the site is down). Videos "
                f"downloaded before still work with --offline; on a connected machine `ytlocal fetch` "
                f"saves videos to carry over")
    return f"{url}: {message}"


class _QuietLogger:
    """yt-dlp talks through this; warnings are kept for error messages, nothing is printed."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def debug(self, message: str) -> None:
        pass

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        self.warnings.append(_ANSI.sub("", message))

    def error(self, message: str) -> None:
        pass


def _ydl_options(options: AcquireOptions, target_dir: Path | None = None, progress: Progress = no_progress,
                 title: str = "", logger: _QuietLogger | None = None, *, listing: bool = False) -> dict[str, Any]:
    """The one place yt-dlp options are built, for a download into ``target_dir`` or, with
    ``listing``, for reading what a URL holds (a playlist's entries, a video's info) without
    downloading. No postprocessors, no --exec: nothing runs commands."""
    opts: dict[str, Any] = {
        "quiet": True,
        "logger": logger or _QuietLogger(),
        "retries": options.retries,
        "socket_timeout": 30,
    }
    if options.cookies:
        opts["cookiefile"] = options.cookies
    if options.cookies_from_browser:
        opts["cookiesfrombrowser"] = (options.cookies_from_browser,)
    if listing:
        opts.update({"no_warnings": True, "extract_flat": "in_playlist", "skip_download": True})
        return opts

    def hook(status: dict[str, Any]) -> None:
        if status.get("status") == "downloading":
            total = status.get("total_bytes") or status.get("total_bytes_estimate")
            progress(f"download {title}", int(status.get("downloaded_bytes") or 0), int(total) if total else None)
        elif status.get("status") == "finished":
            done = int(status.get("downloaded_bytes") or status.get("total_bytes") or 0)
            progress(f"download {title}", done, done or None)

    assert target_dir is not None, "a download needs a folder"
    opts.update({
        "format": "bestaudio/best",
        "outtmpl": {"default": str(target_dir / "audio.%(ext)s")},
        "noplaylist": True,
        "no_warnings": False,
        "noprogress": True,
        "progress_hooks": [hook],
        "fragment_retries": options.retries,
        "overwrites": True,
        "continuedl": True,
        "postprocessors": [],
    })
    if options.rate_limit:
        from yt_dlp.utils import parse_bytes

        limit = parse_bytes(options.rate_limit)
        if limit is None:
            raise SourceError(f"--rate-limit {options.rate_limit!r} is not a rate like 500K or 2M")
        opts["ratelimit"] = limit
    if options.since:
        from yt_dlp.utils import DateRange

        opts["daterange"] = DateRange(options.since)
    if options.captions != "never":
        language = options.language or "en"
        opts.update({
            "writesubtitles": True,
            "writeautomaticsub": options.captions == "auto",
            "subtitleslangs": [language, f"{language}-.*"],
            "subtitlesformat": "vtt/srt/best",
        })
    return opts


def _extractor_key(url: str) -> str | None:
    """``<extractor>-<id>`` from the URL alone, without a request (None for generic URLs)."""
    from yt_dlp.extractor import gen_extractor_classes

    for extractor in gen_extractor_classes():
        if extractor.ie_key() == "Generic":
            continue
        try:
            if extractor.suitable(url):
                temp_id = extractor.get_temp_id(url)
                return _safe_key(f"{extractor.ie_key().lower()}-{temp_id}") if temp_id else None
        except Exception:  # an extractor's URL regex must never break acquisition
            continue
    return None


def _safe_key(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "item"
    if len(cleaned) > 80:
        cleaned = cleaned[:60] + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return cleaned


class MediaCache:
    """``<cache>/media/<key>/`` folders and the URL index that lets a rerun skip the network."""

    def __init__(self, cache_dir: Path):
        self.root = Path(cache_dir) / "media"
        self.url_index = self.root / "_urls"

    def _url_file(self, url: str) -> Path:
        return self.url_index / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.json"

    def lookup(self, url: str, key: str | None = None) -> Media | None:
        keys = [key] if key else []
        index_file = self._url_file(url)
        if index_file.is_file():
            try:
                keys.insert(0, read_json(index_file)["key"])
            except (OSError, ValueError, KeyError):
                pass
        for candidate in keys:
            media = self.load(candidate)
            if media is not None:
                log.debug("%s: in the media cache (%s), no request", url, candidate)
                return media
        log.debug("%s: not in the media cache", url)
        return None

    def load(self, key: str) -> Media | None:
        folder = self.root / key
        record = folder / "media.json"
        if not record.is_file():
            return None
        try:
            media = Media.from_dict(read_json(record))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        # Files are found next to media.json, so a fetched folder still works after it was moved
        # to another machine (the air-gap workflow).
        media.audio_path = folder / media.audio_path.name
        if media.captions_path is not None:
            media.captions_path = folder / media.captions_path.name
        return media if media.audio_path.is_file() else None

    def save(self, media: Media, url: str, info: dict[str, Any]) -> None:
        folder = self.root / media.key
        atomic_write_json(folder / "info.json", info)
        atomic_write_json(folder / "media.json", media.to_dict())
        atomic_write_json(self._url_file(url), {"key": media.key, "url": url})


def _chapters(info: dict[str, Any]) -> list[Chapter]:
    chapters = []
    for chapter in info.get("chapters") or []:
        try:
            chapters.append(Chapter(str(chapter.get("title") or ""), float(chapter["start_time"]),
                                    float(chapter["end_time"])))
        except (KeyError, TypeError, ValueError):
            continue
    return chapters


def _final_audio_path(info: dict[str, Any]) -> Path | None:
    for download in info.get("requested_downloads") or []:
        path = download.get("filepath")
        if path and Path(path).is_file():
            return Path(path)
    path = info.get("filepath") or info.get("_filename")
    return Path(path) if path and Path(path).is_file() else None


def _captions(info: dict[str, Any], options: AcquireOptions) -> tuple[Path | None, str | None]:
    requested = info.get("requested_subtitles") or {}
    manual = info.get("subtitles") or {}
    for language, subtitle in requested.items():
        path = subtitle.get("filepath")
        if not path or not Path(path).is_file():
            continue
        kind = "manual" if language in manual else "auto"
        if kind == "auto" and options.captions != "auto":
            continue
        return Path(path), kind
    return None, None


def _download(source: str | dict[str, Any], options: AcquireOptions, cache: MediaCache,
              progress: Progress, source_label: str) -> tuple[Media, dict[str, Any]]:
    """Download one video (a URL, or an info dict yt-dlp already extracted) into its cache folder."""
    import yt_dlp
    from yt_dlp.utils import DownloadError

    logger = _QuietLogger()
    template_dir = cache.root / "%(extractor_key)s-%(id)s"
    try:
        with yt_dlp.YoutubeDL(_ydl_options(options, template_dir, progress, source_label, logger)) as ydl:
            if isinstance(source, str):
                info = ydl.extract_info(source, download=True)
            else:
                info = ydl.process_ie_result(dict(source), download=True)
            if info is None:
                raise SourceError(f"{source_label}: yt-dlp returned nothing")
            info = ydl.sanitize_info(info)
    except DownloadError as error:
        message = first_line(error)
        raise SourceError(describe_download_error(source_label, message), transient=is_transient(message)) from error
    except OSError as error:
        raise SourceError(describe_download_error(source_label, str(error)),
                          transient=is_transient(str(error))) from error
    if options.since and str(info.get("upload_date") or "99999999") < options.since:
        raise SkippedSource(f"{source_label}: uploaded {info.get('upload_date')}, before --since {options.since}")
    if info.get("_type") in ("playlist", "multi_video"):
        raise SourceError(f"{source_label} is a playlist; give it as a source on its own to expand it")
    audio = _final_audio_path(info)
    if audio is None:
        raise SourceError(f"{source_label}: yt-dlp reported no downloaded file")
    duration = probe_audio(audio)
    captions_path, captions_kind = _captions(info, options)
    webpage_url = info.get("webpage_url") or (source if isinstance(source, str) else None)
    return Media(
        key=audio.parent.name, source=source_label, audio_path=audio, title=str(info.get("title") or info.get("id")),
        extractor=str(info.get("extractor_key") or "web"), video_id=str(info.get("id") or audio.parent.name),
        duration=float(info["duration"]) if info.get("duration") else duration,
        channel=info.get("channel") or info.get("uploader"), upload_date=info.get("upload_date"),
        webpage_url=webpage_url, description=info.get("description"), chapters=_chapters(info),
        language=info.get("language"), captions_path=captions_path, captions_kind=captions_kind,
        captions_checked=options.captions != "never", audio_sha256=sha256_file(audio),
    ), info


def _expand_url(url: str, options: AcquireOptions) -> list[tuple[str, str | dict[str, Any]]]:
    """A playlist/channel URL becomes its entries (in order, up to ``limit``); a video becomes its
    extracted info, so the download needs no second request for the page."""
    import itertools

    import yt_dlp
    from yt_dlp.utils import DownloadError

    try:
        with yt_dlp.YoutubeDL(_ydl_options(options, listing=True)) as ydl:
            info = ydl.extract_info(url, download=False, process=False)
            if info is None:
                raise SourceError(f"{url}: yt-dlp found nothing there")
            if info.get("_type") in ("url", "url_transparent") and info.get("url"):
                return [(url, info["url"])]
            if info.get("_type") not in ("playlist", "multi_video"):
                return [(url, info)]
            raw_entries = itertools.islice(info.get("entries") or [], options.limit)
            entries: list[tuple[str, str | dict[str, Any]]] = []
            for index, entry in enumerate(raw_entries, start=1):
                if entry is None:
                    continue
                if entry.get("_type") in ("url", "url_transparent") and entry.get("url"):
                    entries.append((entry["url"], entry["url"]))
                else:
                    entries.append((f"{url}#{entry.get('id') or index}", entry))
            return entries
    except DownloadError as error:
        message = first_line(error)
        raise SourceError(describe_download_error(url, message), transient=is_transient(message)) from error


def acquire_url(url: str, options: AcquireOptions, progress: Progress = no_progress,
                entry: dict[str, Any] | None = None) -> Media:
    """One video URL (or a playlist entry yt-dlp already resolved) -> cached audio + metadata."""
    cache = MediaCache(options.cache_dir)
    key = None if entry is not None else _extractor_key(url)
    cached = cache.lookup(url, key)
    wants_captions = options.captions != "never"
    if cached is not None and (not wants_captions or cached.captions_checked or options.offline):
        return cached
    if options.offline:
        raise SourceError(f"offline mode: {url} is not in the cache ({cache.root}); fetch it on a "
                          f"connected machine first, or give a local file")
    from filelock import FileLock

    # Two ytlocal processes sharing a cache must not download the same video into the same folder at
    # once (yt-dlp's .part files would collide): the second waits, then finds it cached.
    lock_dir = cache.root / ".locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_dir / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.lock")):
        cached = cache.lookup(url, key)
        if cached is not None and (not wants_captions or cached.captions_checked):
            return cached
        media, info = _download(entry if entry is not None else url, options, cache, progress, url)
        cache.save(media, url, info)
    return media


FETCH_MANIFEST = "ytlocal-fetch.json"


PlannedKind = Literal["file", "url", "entry", "fetched"]
# file: the Path; url: the URL; entry: the info dict yt-dlp listed it with; fetched: (folder, media key);
# None only for a job id made from a source that failed before planning.
PlannedTarget = Path | str | dict[str, Any] | tuple[Path, str] | None


@dataclass
class Planned:
    """One video to fetch, known before any download: a local file, a URL, a playlist entry yt-dlp
    already listed, or an item of a fetched folder. ``label`` names it stably across runs."""

    label: str
    kind: PlannedKind
    target: PlannedTarget
    origin: str

    @property
    def job_id(self) -> str:
        return hashlib.sha256(self.label.encode("utf-8")).hexdigest()[:16]


def _fetched_folder(path: Path) -> list[Planned]:
    manifest = read_json(path / FETCH_MANIFEST)
    planned = []
    for entry in manifest.get("items", []):
        planned.append(Planned(entry["label"], "fetched", (path, entry["key"]), str(path)))
    return planned


def plan(sources: Iterable[str], options: AcquireOptions, stdin: TextIO | None = None) -> list[Planned | Failure]:
    """Every video the sources name, in order, without downloading any: folders and lists are
    expanded, playlists and channels listed (one request each, unless offline or cached)."""
    result: list[Planned | Failure] = []
    cache = MediaCache(options.cache_dir)
    expanded: list[SourceItem | Failure] = []
    for source in sources:
        path = user_path(source) if not is_url(source) and source != "-" else None
        if path is not None and path.is_dir() and (path / FETCH_MANIFEST).is_file():
            try:
                result.extend(_fetched_folder(path))
            except (OSError, ValueError, KeyError) as error:
                result.append(Failure(source, SourceError(f"{path}: unreadable {FETCH_MANIFEST} ({error})")))
            continue
        expanded.extend(expand_sources([source], stdin))
    for item in expanded:
        if isinstance(item, Failure):
            result.append(item)
        elif item.kind == "file":
            result.append(Planned(item.value, "file", Path(item.value), item.origin))
        elif options.offline or cache.lookup(item.value, _extractor_key(item.value)) is not None:
            result.append(Planned(item.value, "url", item.value, item.origin))  # never list offline/cached
        else:
            try:
                for label, target in _expand_url(item.value, options):
                    kind = "url" if isinstance(target, str) else "entry"
                    result.append(Planned(label if kind == "entry" else target, kind, target, item.origin))
            except SourceError as error:
                result.append(Failure(item.origin, error))
    return result


def fetch(planned: Planned, options: AcquireOptions, progress: Progress = no_progress) -> Media:
    """Download (or find in the cache, or probe locally) one planned video."""
    if planned.kind == "file":
        return local_media(planned.target)
    if planned.kind == "fetched":
        folder, key = planned.target
        media = MediaCache(folder).load(key)
        if media is None:
            raise SourceError(f"{folder}: the fetched item {key} is missing or incomplete; fetch it again")
        return media
    if planned.kind == "entry":
        return acquire_url(planned.label, options, progress, entry=planned.target)
    return acquire_url(planned.target, options, progress)


def acquire(sources: Iterable[str], options: AcquireOptions, *, stdin: TextIO | None = None,
            progress: Progress = no_progress) -> Iterator[Media | Failure]:
    """Yield a :class:`Media` or a :class:`Failure` for every video the sources name, in order.

    One bad item never stops the others: its failure is yielded and the loop goes on.
    """
    for item in plan(sources, options, stdin):
        if isinstance(item, Failure):
            yield item
            continue
        try:
            yield fetch(item, options, progress)
        except SourceError as error:
            yield Failure(item.label, error)
