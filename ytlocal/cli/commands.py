"""The commands that process sources: transcribe, summarize, batch, fetch."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import cli
from .app import Outcome, StageBar, _build_session, _formats, _since, check_output_dir, stdin_for
from .options import source_options, summary_options, whisper_options


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
    from ..transcript import FORMATS

    check_output_dir(output_dir)
    session = _build_session(ctx.obj, output_dir=output_dir, **options)
    session.check_models(llm=False)  # an unknown or missing model, or an unusable --device, fails before any download
    chosen_formats = list(FORMATS) if "all" in formats else list(dict.fromkeys(formats))
    delivery = session.delivery(Path(session.settings.output_dir).expanduser(), transcript_formats=chosen_formats)
    outcome = Outcome()
    with StageBar() as bar:
        for item, delivered in session.deliver(sources, delivery, summarize=False, progress=bar,
                                               stdin=stdin_for(sources), on_failure=outcome.failure_printer(bar),
                                               on_processed=lambda item: bar.close()):
            outcome.total += 1
            if delivered is None:
                continue
            transcript = item.transcript
            if transcript.is_empty:
                click.echo(f"ytlocal: warning: no speech found in {item.title!r}; the transcript is empty", err=True)
            origin = transcript.model if ":" in transcript.model else f"whisper {transcript.model}"
            click.echo(f"{item.title} ({origin}, {len(transcript.segments)} segments, "
                       f"language {transcript.language or '?'}): " + ", ".join(str(p) for p in delivered.paths))
    outcome.finish(ctx, "sources")


# ------------------------------------------------------------------------------- summarize


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output-dir", metavar="DIR|-", help="Where summaries go; - writes the summary to stdout.")
@click.option("--timings", is_flag=True, help="Print each stage's wall time at the end.")
@summary_options
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
    from ..pipeline import is_transcript_file
    from ..summarization import SummarizeOptions

    to_stdout = output_dir == "-"
    check_output_dir(output_dir)
    formats = _formats(formats)
    if to_stdout and len(formats) > 1:
        raise click.UsageError("-o - writes one summary to stdout: give one -f format (or write files with -o DIR)")
    summarize_options = SummarizeOptions(length=length, instructions=instructions, language=summary_language)
    session = _build_session(ctx.obj, output_dir=None if to_stdout else output_dir, llm=llm, n_ctx=n_ctx,
                             summarize_options=summarize_options, **options)
    # An unknown, missing or broken model fails before any download (whisper's only when some source needs it).
    session.check_models(whisper=not all(is_transcript_file(source) for source in sources))
    delivery = session.delivery(Path(session.settings.output_dir).expanduser(), formats,
                                with_transcript=with_transcript,
                                stream=(lambda text: click.echo(text, nl=False)) if to_stdout else None)

    def warn(item, delivered) -> None:
        for warning in item.summary.warnings:
            click.echo(f"ytlocal: warning: {warning}", err=True)

    outcome = Outcome()
    with StageBar() as bar:
        for item, delivered in session.deliver(sources, delivery, progress=bar, stdin=stdin_for(sources),
                                               on_failure=outcome.failure_printer(bar),
                                               on_processed=lambda item: bar.close(), on_written=warn):
            outcome.total += 1
            if delivered is not None and delivered.paths:
                click.echo(f"{item.title}: " + ", ".join(str(p) for p in delivered.paths), err=to_stdout)
    if timings:
        click.echo(f"llm: {session.llm_name} ({session.llm_reason})", err=True)
        click.echo("timings (wall seconds): " + ", ".join(
            f"{stage} {seconds:.1f}" for stage, seconds in session.pipeline.timings.items()), err=True)
    outcome.finish(ctx, "sources")


# ----------------------------------------------------------------------------- batch, fetch


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
@click.option("--cluster", metavar="ADDRESS",
              help="Run each video as a task on a Dask cluster: a scheduler (tcp://HOST:8786) or local:N "
                   "(N worker processes here). Config key: cluster.")
@summary_options
@whisper_options("--audio-language")
@source_options
@click.pass_context
def batch(ctx: click.Context, sources, output_dir, status_dir, jobs, retry_failed, since, cluster, llm, formats,
          length, instructions, summary_language, with_transcript, n_ctx, **options) -> None:
    """Summarize many videos unattended: resumable, failure-isolated, with a morning report.

    SOURCES are playlists, channels, URL lists, folders (also folders made by `ytlocal fetch`).
    Rerunning the same command skips finished videos, resumes interrupted ones from their last
    finished stage, and retries transient failures; for a channel it processes only new videos.

    Example: ytlocal batch "https://www.youtube.com/@channel/videos" -o ~/summaries --since 2024-01-01

    On many machines: ytlocal batch urls.txt -o ~/summaries --cluster tcp://scheduler:8786
    """
    from ..batch import BatchRunner
    from ..jobs import BatchOptions, JobList
    from ..report import report_from, status_table
    from ..errors import BatchIncomplete
    from ..summarization import SummarizeOptions

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
    check_output_dir(output_dir)
    session = _build_session(
        ctx.obj, output_dir=output_dir, llm=llm, n_ctx=n_ctx,
        summarize_options=SummarizeOptions(length=length, instructions=instructions, language=summary_language),
        **options)
    pipeline = session.pipeline
    pipeline.acquire_options.since = _since(since)
    cluster = cluster or session.settings.cluster
    if cluster:
        from ..cluster import parse_address

        parse_address(cluster)  # a bad address fails before any listing; workers check their own models
    else:
        session.check_models()  # fail on an unknown or missing model before any download
    from tqdm import tqdm

    overall = tqdm(desc="videos", unit=" video", position=0, file=sys.stderr, disable=None, dynamic_ncols=True)

    def overall_progress(stage: str, done: int, total: int | None) -> None:
        overall.total = total
        overall.n = done
        if stage != "videos":  # a cluster batch: each worker's throughput
            overall.set_postfix_str(stage, refresh=False)
        overall.refresh()

    stage_bar = StageBar()
    stage_bar.position = 1
    # --retries covers both yt-dlp's own retries and the batch's retries of transient failures.
    runner = BatchRunner(pipeline, BatchOptions(out_dir=output_dir, formats=_formats(formats), retries=options["retries"],
                                                retry_failed=retry_failed,
                                                jobs=jobs, with_transcript=with_transcript, cluster=cluster,
                                                add_to_library=session.library_adder()),
                         overall=overall_progress, stage=stage_bar, log=lambda m: tqdm.write(f"ytlocal: {m}", file=sys.stderr))
    try:
        report = runner.run(list(sources), stdin=stdin_for(sources))
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
    check_output_dir(output_dir)
    from ..acquire import AcquireOptions
    from ..batch import fetch_to_folder
    from ..config import resolve_cache_dir

    settings = ctx.obj.settings(offline=True if offline else None)
    options = AcquireOptions(cache_dir=resolve_cache_dir(settings), offline=settings.offline, limit=limit,
                             cookies=cookies, cookies_from_browser=cookies_from_browser, rate_limit=rate_limit,
                             retries=retries, captions=captions, language=settings.language, since=_since(since))
    outcome = Outcome()
    with StageBar() as bar:
        fetched, failures = fetch_to_folder(list(sources), options, output_dir, bar,
                                            stdin=stdin_for(sources))
    outcome.total = len(fetched) + len(failures)
    for media in fetched:
        click.echo(f"{media.title}: {media.audio_path}")
    for failure in failures:
        outcome.fail(failure.source, failure.error)
    click.echo(f"fetched {len(fetched)} video(s) into {output_dir}; on the offline machine: "
               f"ytlocal batch {output_dir} --offline -o SUMMARIES")
    outcome.finish(ctx, "sources")


# ---------------------------------------------------------------------------------- doctor
