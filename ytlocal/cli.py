"""The ``ytlocal`` command: a thin click layer over the library. Only this module prints."""

from __future__ import annotations

import json
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import click

from . import __version__
from .config import Settings, load_settings, resolve_models_dir
from .errors import EXIT_CODES, YtlocalError

EXIT_CODE_HELP = "\n".join(f"  {code}  {meaning}" for code, meaning in sorted(EXIT_CODES.items()))


@dataclass
class AppContext:
    config: str | None
    models_dir: str | None
    verbose: int
    _settings: Settings | None = None

    def settings(self, **overrides) -> Settings:
        """Settings with this command's flags on top; loaded on first use so --help never reads files."""
        if self._settings is None or overrides:
            settings = load_settings(self.config, models_dir=self.models_dir, **overrides)
            if not overrides:
                self._settings = settings
            return settings
        return self._settings

    def store(self):
        from .registry import ModelStore

        models_dir, _reason = resolve_models_dir(self.settings())
        return ModelStore(models_dir)


class YtlocalGroup(click.Group):
    """Turns a :class:`YtlocalError` into one line on stderr and its documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except YtlocalError as error:
            app = ctx.obj if isinstance(ctx.obj, AppContext) else None
            if app is not None and app.verbose:
                traceback.print_exc()
            click.echo(f"ytlocal: error: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("ytlocal: interrupted; finished work is kept, run the same command to resume", err=True)
            ctx.exit(130)


class StageBar:
    """Draws ``progress(stage, done, total)`` callbacks as one tqdm bar per stage (stderr, TTY only)."""

    def __init__(self, prefix: str = "", position: int | None = None):
        self.prefix = prefix
        self.position = position
        self.stage: str | None = None
        self.bar = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            is_bytes = total is not None and total > 4096
            self.bar = tqdm(total=total, desc=f"{self.prefix}{stage}", unit="B" if is_bytes else " steps",
                            unit_scale=is_bytes, unit_divisor=1024, leave=False, file=sys.stderr,
                            disable=None, dynamic_ncols=True, position=self.position)
        if self.bar is not None:
            if total is not None and self.bar.total != total:
                self.bar.total = total
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "StageBar":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


@click.group(cls=YtlocalGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=f"Exit codes:\n\n\b\n{EXIT_CODE_HELP}")
@click.version_option(__version__, "-V", "--version", prog_name="ytlocal")
@click.option("--config", "config", metavar="FILE", help="Config file to read (default: platform config dir; env YTLOCAL_CONFIG).")
@click.option("--models-dir", metavar="DIR", help="Model store (env YTLOCAL_MODELS_DIR; see `ytlocal doctor`).")
@click.option("-v", "--verbose", count=True, help="Show tracebacks and library logs.")
@click.pass_context
def cli(ctx: click.Context, config: str | None, models_dir: str | None, verbose: int) -> None:
    """Summarize YouTube (and any yt-dlp) videos entirely on your own machine.

    yt-dlp downloads the audio, faster-whisper transcribes it locally, and a GGUF model run by
    llama.cpp writes the summary. After the download, nothing leaves the machine.
    """
    ctx.obj = AppContext(config=config, models_dir=models_dir, verbose=verbose)
    import logging

    if verbose:
        # -v: ytlocal's debug lines (every cache miss, fallback and refused model output) and the
        # libraries' warnings; -vv: the libraries' debug lines too.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("ytlocal: %(levelname)s %(name)s: %(message)s"))
        logging.getLogger("ytlocal").addHandler(handler)
        logging.getLogger("ytlocal").setLevel(logging.DEBUG)
        logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING)
    else:
        # Libraries' retry chatter ("Retrying in 4s ...") is noise on a terminal; -v shows it.
        for name in ("huggingface_hub", "filelock"):
            logging.getLogger(name).setLevel(logging.ERROR)


# ---------------------------------------------------------------------------------- models


@cli.group()
def models() -> None:
    """List, pull, import, verify and remove models."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def models_list(app: AppContext, as_json: bool) -> None:
    """Every model ytlocal knows: kind, size, installed or not, and where."""
    from .registry import human_size

    store = app.store()
    rows = []
    for status in store.statuses():
        installed = status.installed
        rows.append({
            "name": status.spec.name,
            "kind": status.spec.kind,
            "size": human_size(installed.size_bytes) if installed else status.spec.size,
            "status": status.state,
            "where": str(installed.path) if installed else "-",
            "license": status.spec.license,
            "description": status.spec.description,
            "sources": [source.describe() for source in status.spec.sources],
        })
    if as_json:
        click.echo(json.dumps({"models_dir": str(store.root), "models": rows}, indent=2))
        return
    click.echo(f"models dir: {store.root}")
    widths = {key: max(len(key), *(len(str(row[key])) for row in rows)) for key in ("name", "kind", "size", "status")}
    header = "  ".join(key.upper().ljust(widths[key]) for key in widths) + "  WHERE"
    click.echo(header)
    for row in rows:
        click.echo("  ".join(str(row[key]).ljust(widths[key]) for key in widths) + f"  {row['where']}")


@models.command("pull")
@click.argument("names", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Download again even when installed and verified.")
@click.pass_obj
def models_pull(app: AppContext, names: tuple[str, ...], force: bool) -> None:
    """Download models from the first source that works, verify, install atomically.

    Example: ytlocal models pull whisper-base smollm2-135m-instruct
    """
    store = app.store()
    settings = app.settings()
    for name in names:
        store.catalog.get(name)  # unknown names fail before anything is downloaded
    for name in names:
        with StageBar(f"{name}: ") as bar:
            installed = store.pull(name, force=force, offline=settings.offline, progress=bar)
        click.echo(f"{installed.name}: installed at {installed.path} ({installed.trust}; from {installed.source})")


@models.command("import")
@click.argument("name")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--trust-new-hash", is_flag=True,
              help="Accept files whose sha256 differs from the catalog's and record the new hash.")
@click.pass_obj
def models_import(app: AppContext, name: str, path: Path, trust_new_hash: bool) -> None:
    """Install a model from a file or folder carried in by hand (air-gapped machines).

    Example: ytlocal models import whisper-base /media/usb/whisper-base/
    """
    store = app.store()
    with StageBar(f"{name}: ") as bar:
        installed = store.import_model(name, path, trust_new=trust_new_hash, progress=bar)
    click.echo(f"{installed.name}: imported to {installed.path} ({installed.trust})")


@models.command("verify")
@click.argument("names", nargs=-1)
@click.pass_obj
def models_verify(app: AppContext, names: tuple[str, ...]) -> None:
    """Re-hash installed models (all, or NAMES) and compare with the recorded sha256."""
    from .errors import ModelError

    store = app.store()
    if not names:
        names = tuple(status.spec.name for status in store.statuses() if status.installed is not None)
        if not names:
            click.echo(f"no models installed in {store.root}")
            return
    failed = []
    for name in names:
        with StageBar(f"{name}: ") as bar:
            report = store.verify(name, full=True, progress=bar)
        if report.ok:
            click.echo(f"OK    {report.name}")
        else:
            click.echo(f"FAIL  {report.name}: {report.problems()}; fix: ytlocal models pull {report.name} --force")
            failed.append(report.name)
    if failed:
        raise ModelError(f"{len(failed)} model(s) failed verification: {', '.join(failed)}")


@models.command("rm")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def models_rm(app: AppContext, names: tuple[str, ...]) -> None:
    """Remove installed models from the store."""
    store = app.store()
    for name in names:
        folder = store.remove(name)
        click.echo(f"removed {folder}")


@models.command("path")
@click.argument("name")
@click.pass_obj
def models_path(app: AppContext, name: str) -> None:
    """Print the path to load for an installed model (for scripts)."""
    store = app.store()
    spec = store.catalog.get(name)
    click.echo(str(store.resolve(spec.name, spec.kind).path))


# ------------------------------------------------------------------------------ transcribe


def source_options(function):
    """Options of every command that reads sources (URLs, playlists, files, folders, lists, stdin)."""
    decorators = [
        click.option("--offline", is_flag=True, default=None,
                     help="Never touch the network: local files and already cached videos only."),
        click.option("--limit", type=click.IntRange(min=1), help="At most N videos from each playlist or channel."),
        click.option("--cookies", type=click.Path(exists=True, dir_okay=False), help="Netscape cookies file for yt-dlp."),
        click.option("--cookies-from-browser", metavar="BROWSER", help="Let yt-dlp read cookies from a browser (e.g. firefox)."),
        click.option("--rate-limit", metavar="RATE", help="Download speed limit, e.g. 2M or 500K (bytes/s)."),
        click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
                     help="Retries of transient download failures (network, rate limits)."),
        click.option("--captions", type=click.Choice(["never", "prefer", "auto"]), default="never", show_default=True,
                     help="prefer: use the creator's subtitles when present instead of ASR; auto: also auto-captions."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def whisper_options(spoken_language_flag: str):
    """Options of every command that may transcribe; the spoken-language flag's name differs
    (``summarize`` uses ``--language`` for the summary's language)."""

    def apply(function):
        decorators = [
            click.option("--whisper-model", metavar="NAME|PATH", help="Catalog name or model folder (default: whisper-base)."),
            click.option(spoken_language_flag, "spoken_language", metavar="CODE",
                         help="Spoken language, e.g. en, de (default: detect)."),
            click.option("--task", type=click.Choice(["transcribe", "translate"]), default="transcribe", show_default=True,
                         help="translate: English text from any spoken language."),
            click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where whisper runs (default: auto)."),
            click.option("--threads", type=click.IntRange(min=0), help="CPU threads (default: physical cores)."),
            click.option("--word-timestamps", is_flag=True, help="Keep per-word timings (json)."),
            click.option("--no-batch", is_flag=True, help="Plain sequential decoding instead of the batched pipeline."),
        ]
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


@dataclass
class Outcome:
    total: int = 0
    failures: list = None

    def __post_init__(self):
        self.failures = []

    def fail(self, source: str, error: YtlocalError) -> None:
        self.failures.append((source, error))
        message = str(error)
        click.echo(f"ytlocal: error: {message if source in message else f'{source}: {message}'}", err=True)

    def finish(self, ctx: click.Context, what: str) -> None:
        if not self.failures:
            return
        if self.total > 1:
            click.echo(f"ytlocal: {len(self.failures)} of {self.total} {what} failed; the others completed", err=True)
        ctx.exit(self.failures[-1][1].exit_code)


def _acquired_items(pipeline, sources, outcome: Outcome, bar: StageBar):
    """Each acquired item of ``sources``, in order; acquisition failures are reported on the way."""
    from .acquire import Failure

    stdin = sys.stdin if "-" in sources else None
    for item in pipeline.items(list(sources), stdin=stdin, progress=bar):
        outcome.total += 1
        if isinstance(item, Failure):
            bar.close()
            outcome.fail(item.source, item.error)
            continue
        yield item


def _build_pipeline(app: AppContext, *, offline, whisper_model, spoken_language, task, device, threads,
                    word_timestamps, no_batch, limit, cookies, cookies_from_browser, rate_limit, retries, captions,
                    output_dir, llm=None, n_ctx=None, summarize_options=None):
    """The command's flags on top of the settings, as an API :class:`~ytlocal.api.Session`."""
    from .api import Session
    from .summarization import SummarizeOptions

    settings = app.settings(offline=True if offline else None, whisper_model=whisper_model, language=spoken_language,
                            device=device, threads=threads, output_dir=str(output_dir) if output_dir else None,
                            llm_model=llm)
    options = summarize_options or SummarizeOptions()
    session = Session(_settings=settings, task=task, n_ctx=n_ctx, captions=captions, limit=limit,
                      word_timestamps=word_timestamps, batched=not no_batch, cookies=cookies,
                      cookies_from_browser=cookies_from_browser, rate_limit=rate_limit, retries=retries,
                      length=options.length, instructions=options.instructions, summary_language=options.language)
    if summarize_options is not None and app.verbose:
        click.echo(f"ytlocal: summaries by {session.llm_name} ({session.llm_reason})", err=True)
    return settings, session.pipeline


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where transcripts go (default: output_dir setting, else the current folder).")
@click.option("-f", "--format", "formats", type=click.Choice(["txt", "srt", "vtt", "json", "all"]), multiple=True,
              default=("txt",), show_default=True, help="Output format; repeat for several, or all.")
@whisper_options("--language")
@source_options
@click.pass_context
def transcribe(ctx: click.Context, sources, output_dir, formats, **options) -> None:
    """Transcribe videos, playlists, media files or folders with faster-whisper, locally.

    SOURCE is a URL yt-dlp supports (video, playlist, channel), a media file, a folder of media
    files, a text file with one source per line (# comments), or - to read sources from stdin.

    Example: ytlocal transcribe https://youtu.be/VIDEO_ID -f srt -f txt -o transcripts/
    """
    from .transcript import FORMATS, write_transcript

    settings, pipeline = _build_pipeline(ctx.obj, output_dir=output_dir, **options)
    pipeline.whisper_model  # an unknown or missing model fails before any download
    chosen_formats = list(FORMATS) if "all" in formats else list(dict.fromkeys(formats))
    out_dir = Path(settings.output_dir).expanduser()
    outcome = Outcome()
    with StageBar() as bar:
        for item in _acquired_items(pipeline, sources, outcome, bar):
            try:
                transcript = pipeline.transcribe(item, progress=bar)
                paths = write_transcript(transcript, out_dir, item.stem, chosen_formats)
            except YtlocalError as error:
                bar.close()
                outcome.fail(item.source, error)
                continue
            bar.close()
            if transcript.is_empty:
                click.echo(f"ytlocal: warning: no speech found in {item.title!r}; the transcript is empty", err=True)
            origin = transcript.model if ":" in transcript.model else f"whisper {transcript.model}"
            click.echo(f"{item.title} ({origin}, {len(transcript.segments)} segments, "
                       f"language {transcript.language or '?'}): " + ", ".join(str(p) for p in paths))
    outcome.finish(ctx, "sources")


# ------------------------------------------------------------------------------- summarize


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output-dir", metavar="DIR|-", help="Where summaries go; - writes the summary to stdout.")
@click.option("--llm", metavar="NAME|FILE.gguf", help="Catalog name or GGUF file (default: the strongest installed catalog LLM).")
@click.option("-f", "--format", "formats", type=click.Choice(["md", "hashnode", "json", "txt", "all"]),
              multiple=True, help="Summary format; repeat for several (-f md -f json), or all. Default: md.")
@click.option("--length", type=click.Choice(["short", "medium", "long"]), default="medium", show_default=True,
              help="Summary length: medium is ~800 words for half an hour, 850 for longer; short about half, long ~1.7x.")
@click.option("--instructions", metavar="TEXT", help="Extra instructions for the model, e.g. 'focus on the data'.")
@click.option("--language", "summary_language", metavar="LANG", help="Language to write the summary in (default: as the model does).")
@click.option("--with-transcript", is_flag=True, help="Also write the transcript (txt, srt, json) next to the summary.")
@click.option("--n-ctx", type=click.IntRange(min=64), help="LLM context size in tokens (default: 2048, measured fastest here).")
@click.option("--timings", is_flag=True, help="Print each stage's wall time at the end.")
@whisper_options("--audio-language")
@source_options
@click.pass_context
def summarize(ctx: click.Context, sources, output_dir, llm, formats, length, instructions, summary_language,
              with_transcript, n_ctx, timings, **options) -> None:
    """Summarize videos, playlists, media files, folders or transcript files, locally.

    Runs acquire -> transcribe -> summarize -> render for each SOURCE. SOURCE may also be a
    transcript (.txt, .srt, .vtt or ytlocal's .json): then speech recognition is skipped.

    Example: ytlocal summarize https://youtu.be/VIDEO_ID --length short -o summaries/
    """
    from .pipeline import is_transcript_file
    from .summarization import SummarizeOptions

    to_stdout = output_dir == "-"
    formats = _formats(formats)
    if to_stdout and len(formats) > 1:
        raise click.UsageError("-o - writes one summary to stdout: give one -f format (or write files with -o DIR)")
    summarize_options = SummarizeOptions(length=length, instructions=instructions, language=summary_language)
    settings, pipeline = _build_pipeline(ctx.obj, output_dir=None if to_stdout else output_dir, llm=llm,
                                         n_ctx=n_ctx, summarize_options=summarize_options, **options)
    pipeline.llm_model  # an unknown, missing or broken model fails before any download
    if not all(is_transcript_file(source) for source in sources):
        pipeline.whisper_model  # the same for whisper, unless every source is a transcript
    out_dir = Path(settings.output_dir).expanduser()
    outcome = Outcome()
    with StageBar() as bar:
        for item in _acquired_items(pipeline, sources, outcome, bar):
            try:
                summary = pipeline.summarize(item, progress=bar)
                bar.close()
                with pipeline.timed("render"):
                    if to_stdout:
                        click.echo(item.render(formats[0]), nl=False)
                    written = item.write(out_dir, () if to_stdout else formats, with_transcript)
            except YtlocalError as error:
                bar.close()
                outcome.fail(item.source, error)
                continue
            for warning in summary.warnings:
                click.echo(f"ytlocal: warning: {warning}", err=True)
            if written:
                click.echo(f"{item.title}: " + ", ".join(str(p) for p in written), err=to_stdout)
    if timings:
        click.echo(f"llm: {pipeline.llm_name} ({pipeline.llm_reason})", err=True)
        click.echo("timings (wall seconds): " + ", ".join(
            f"{stage} {seconds:.1f}" for stage, seconds in pipeline.timings.items()), err=True)
    outcome.finish(ctx, "sources")


# ----------------------------------------------------------------------------- batch, fetch


def _formats(chosen: tuple[str, ...]) -> tuple[str, ...]:
    """The -f values in order, each once; "all" means every format; none means md."""
    from .render import RENDER_FORMATS

    if "all" in chosen:
        return RENDER_FORMATS
    return tuple(dict.fromkeys(chosen)) or ("md",)


def _since(value: str | None) -> str | None:
    import re

    if not value:
        return None
    compact = value.replace("-", "")
    if not re.fullmatch(r"\d{8}", compact):
        raise click.BadParameter(f"{value!r} is not a date like 2024-05-01 or 20240501", param_hint="--since")
    return compact


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for summaries, index.md and the job list (.ytlocal/jobs.sqlite).")
@click.option("--status", "status_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Print the job table and report of an output folder, then exit.")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="Videos in flight: one is transcribed/summarized while the others download.")
@click.option("--retry-failed", is_flag=True, help="Run only the videos that failed before (all kinds).")
@click.option("--since", metavar="DATE", help="Only videos uploaded on or after DATE (2024-05-01).")
@click.option("--llm", metavar="NAME|FILE.gguf", help="Catalog name or GGUF file (default: the strongest installed catalog LLM).")
@click.option("-f", "--format", "formats", type=click.Choice(["md", "hashnode", "json", "txt", "all"]),
              multiple=True, help="Summary format; repeat for several (-f md -f json), or all. Default: md.")
@click.option("--length", type=click.Choice(["short", "medium", "long"]), default="medium", show_default=True)
@click.option("--instructions", metavar="TEXT", help="Extra instructions for the model.")
@click.option("--language", "summary_language", metavar="LANG", help="Language to write the summaries in.")
@click.option("--with-transcript", is_flag=True, help="Also write transcripts (txt, srt, json) next to the summaries.")
@click.option("--n-ctx", type=click.IntRange(min=64), help="LLM context size in tokens (default: 2048).")
@whisper_options("--audio-language")
@source_options
@click.pass_context
def batch(ctx: click.Context, sources, output_dir, status_dir, jobs, retry_failed, since, llm, formats, length,
          instructions, summary_language, with_transcript, n_ctx, **options) -> None:
    """Summarize many videos unattended: resumable, failure-isolated, with a morning report.

    SOURCES are playlists, channels, URL lists, folders (also folders made by `ytlocal fetch`).
    Rerunning the same command skips finished videos, resumes interrupted ones from their last
    finished stage, and retries transient failures; for a channel it processes only new videos.

    Example: ytlocal batch "https://www.youtube.com/@channel/videos" -o ~/summaries --since 2024-01-01
    """
    from .batch import BatchOptions, BatchRunner, JobList, report_from, status_table
    from .errors import BatchIncomplete
    from .summarization import SummarizeOptions

    if status_dir is not None:
        if not (status_dir / ".ytlocal" / "jobs.sqlite").is_file():
            raise click.UsageError(f"{status_dir} has no job list (.ytlocal/jobs.sqlite)")
        job_list = JobList(status_dir)
        try:
            for line in status_table(job_list) + [""] + report_from(job_list).lines():
                click.echo(line)
        finally:
            job_list.close()
        return
    if not sources:
        raise click.UsageError("give SOURCES to process, or --status DIR")
    if output_dir is None:
        raise click.UsageError("batch needs -o/--output-dir (the job list lives there)")
    settings, pipeline = _build_pipeline(
        ctx.obj, output_dir=output_dir, llm=llm, n_ctx=n_ctx,
        summarize_options=SummarizeOptions(length=length, instructions=instructions, language=summary_language),
        **options)
    pipeline.acquire_options.since = _since(since)
    pipeline.llm_model  # fail on an unknown or missing model before any download
    pipeline.whisper_model
    from tqdm import tqdm

    overall = tqdm(desc="videos", unit=" video", position=0, file=sys.stderr, disable=None, dynamic_ncols=True)

    def overall_progress(_stage: str, done: int, total: int | None) -> None:
        overall.total = total
        overall.n = done
        overall.refresh()

    stage_bar = StageBar()
    stage_bar.position = 1
    # --retries covers both yt-dlp's own retries and the batch's retries of transient failures.
    runner = BatchRunner(pipeline, BatchOptions(out_dir=output_dir, formats=_formats(formats), retries=options["retries"],
                                                retry_failed=retry_failed,
                                                jobs=jobs, with_transcript=with_transcript),
                         overall=overall_progress, stage=stage_bar, log=lambda m: tqdm.write(f"ytlocal: {m}", file=sys.stderr))
    try:
        report = runner.run(list(sources), stdin=sys.stdin if "-" in sources else None)
    finally:
        stage_bar.close()
        overall.close()
    for line in report.lines():
        click.echo(line)
    click.echo(f"index: {output_dir / 'index.md'}")
    if report.failures:
        raise BatchIncomplete(f"{len(report.failures)} video(s) failed; the others are done (see above)")


@cli.command("fetch")
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to fill with audio and metadata (carry it to the offline machine).")
@click.option("--since", metavar="DATE", help="Only videos uploaded on or after DATE (2024-05-01).")
@source_options
@click.pass_context
def fetch_command(ctx: click.Context, sources, output_dir, since, offline, limit, cookies, cookies_from_browser,
                  rate_limit, retries, captions) -> None:
    """Download audio and metadata only, for `ytlocal batch DIR --offline` on an air-gapped machine.

    Example: ytlocal fetch "https://www.youtube.com/playlist?list=ID" -o /media/usb/talks
    """
    from .acquire import AcquireOptions
    from .batch import fetch_to_folder
    from .config import resolve_cache_dir

    settings = ctx.obj.settings(offline=True if offline else None)
    options = AcquireOptions(cache_dir=resolve_cache_dir(settings), offline=settings.offline, limit=limit,
                             cookies=cookies, cookies_from_browser=cookies_from_browser, rate_limit=rate_limit,
                             retries=retries, captions=captions, language=settings.language, since=_since(since))
    outcome = Outcome()
    with StageBar() as bar:
        fetched, failures = fetch_to_folder(list(sources), options, output_dir, bar,
                                            stdin=sys.stdin if "-" in sources else None)
    outcome.total = len(fetched) + len(failures)
    for media in fetched:
        click.echo(f"{media.title}: {media.audio_path}")
    for failure in failures:
        outcome.fail(failure.source, failure.error)
    click.echo(f"fetched {len(fetched)} video(s) into {output_dir}; on the offline machine: "
               f"ytlocal batch {output_dir} --offline -o SUMMARIES")
    outcome.finish(ctx, "sources")


# ---------------------------------------------------------------------------------- doctor


@cli.command()
@click.pass_obj
def doctor(app: AppContext) -> None:
    """Check Python, ffmpeg, libraries, llama.cpp, GPU, models, config and disk space."""
    from .doctor import FAIL, run_checks
    from .errors import DoctorError

    checks = run_checks(app.settings())
    width = max(len(check.label) for check in checks)
    for check in checks:
        line = f"{check.status:<4}  {check.label.ljust(width)}  {check.detail}"
        if check.fix and check.status != "OK":
            line += f"  -> {check.fix}"
        click.echo(line)
    failures = [check for check in checks if check.status == FAIL]
    if failures:
        raise DoctorError(f"{len(failures)} check(s) failed: {', '.join(c.label for c in failures)}")


def main() -> None:
    cli(prog_name="ytlocal")


if __name__ == "__main__":
    main()
