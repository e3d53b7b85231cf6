"""``ytlocal search`` and ``ytlocal library add|list|rm|reindex``."""

from __future__ import annotations

import json

import click

from . import cli
from .app import AppContext
from .options import source_options, whisper_options

library_option = click.option("--library", "library_dir", metavar="DIR",
                              help="The library's folder (default: library_dir setting, else the user data dir).")


def _open(app: AppContext, library_dir: str | None):
    """The library, with the embedding model the settings name (loaded only when a command needs it,
    and freed when the command ends)."""
    from ..library import Library, library_dir as default_dir, embedder_loader
    from ..runtime.models import Models
    from ..summarization.ads import ad_reads

    settings = app.settings()
    models = Models()
    click.get_current_context().call_on_close(models.close)
    return Library(library_dir or default_dir(settings), embedder=embedder_loader(settings, models),
                   find_ads=ad_reads)


@cli.command()
@click.argument("query")
@click.option("--video", metavar="ID|URL|PATH", help="Search one video only.")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Passages to show.")
@click.option("--json", "as_json", is_flag=True, help="The passages as JSON.")
@library_option
@click.pass_obj
def search(app: AppContext, query, video, limit, as_json, library_dir) -> None:
    """Find passages in everything you have transcribed or summarized, offline: by their words (bm25)
    and, with the embedding model installed, by meaning. Quote a phrase ("...") to put the passages
    that hold it first. Passages inside ad reads are marked [ad].

    Example: ytlocal search "protein folding"
    """
    with _open(app, library_dir) as library:
        if library.is_empty():
            click.echo(f"the library at {library.path} is empty: videos you summarize or transcribe are added to "
                       f"it, and `ytlocal library add FOLDER` adds transcripts you already have", err=True)
            if as_json:
                click.echo("[]")
            return
        hits = library.search(query, video=video, limit=limit)
    if as_json:
        click.echo(json.dumps([hit.to_dict() for hit in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo(f"nothing in the library matches {query!r}", err=True)
        return
    for hit in hits:
        click.echo(f"{hit.title}  {hit.link}" + ("  [ad]" if hit.skipped else ""))
        click.echo(f"  {hit.marked('**', '**')}")
        click.echo("")


@cli.group()
def library() -> None:
    """The library that `ytlocal search` searches: list, add, remove, reindex.

    Example: ytlocal library add ~/summaries/
    """


@library.command("add")
@click.argument("paths", nargs=-1, required=True)
@library_option
@click.pass_obj
def library_add(app: AppContext, paths, library_dir) -> None:
    """Add transcripts (.json, .srt, .vtt, .txt), ytlocal summaries (.md, where no transcript of the
    same video is beside it) or folders of them (e.g. batch folders).

    Example: ytlocal library add talk.srt ~/summaries/
    """
    from ..errors import BatchIncomplete, SourceError
    from ..library import read_summary_markdown, transcript_files
    from ..records import Result
    from ..transcript import read_transcript

    files, problems = transcript_files(paths)
    added = skipped = 0
    with _open(app, library_dir) as store:
        for path, named in files:
            try:
                if path.suffix.lower() == ".md":
                    store.add(read_summary_markdown(path), summary_path=path)
                else:
                    store.add(Result(str(path), transcript=read_transcript(path)), transcript_path=path)
            except SourceError as error:
                if named:
                    problems.append(str(error))
                else:  # a folder's other .json/.txt/.md files (a config, notes)
                    skipped += 1
                continue
            added += 1
    for problem in problems:
        click.echo(f"ytlocal: {problem}", err=True)
    note = f" (skipped {skipped} file(s) in folders that are not transcripts)" if skipped else ""
    click.echo(f"added {added} transcript(s) or summaries to {store.path}{note}")
    if problems:
        raise BatchIncomplete(f"{len(problems)} path(s) could not be added (see above)")


@library.command("list")
@click.option("--json", "as_json", is_flag=True, help="The videos as JSON.")
@library_option
@click.pass_obj
def library_list(app: AppContext, as_json, library_dir) -> None:
    """Every video in the library: id, title, duration, passages, where it came from.

    Example: ytlocal library list
    """
    from ..clock import clock

    with _open(app, library_dir) as store:
        rows = store.videos()
        where = store.path
    if as_json:
        click.echo(json.dumps([dict(row) for row in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"the library at {where} is empty", err=True)
        return
    for row in rows:
        duration = clock(row["duration"]) if row["duration"] else "-"
        click.echo(f"{row['id']:<28} {duration:>8} {row['passages']:>5} passages  {row['title']}  "
                   f"({row['url'] or row['path']})")


@library.command("rm")
@click.argument("videos", nargs=-1, required=True)
@library_option
@click.pass_obj
def library_rm(app: AppContext, videos, library_dir) -> None:
    """Remove videos (by id, URL, path or title) from the library; their files stay.

    Example: ytlocal library rm youtube-dQw4w9WgXcQ
    """
    with _open(app, library_dir) as store:
        missing = []
        for wanted in videos:
            ids = store.find(wanted)
            if not ids:
                missing.append(wanted)
            for video_id in ids:
                store.remove(video_id)
                click.echo(f"removed {video_id}")
    if missing:
        raise click.UsageError(f"not in the library: {', '.join(missing)} (see `ytlocal library list`)")


@library.command("reindex")
@library_option
@click.pass_obj
def library_reindex(app: AppContext, library_dir) -> None:
    """Rebuild the full-text index, give every passage without one a sentence vector (a library from
    before vectors, videos added without the embedding model), and rebuild the vector index.
    Interrupt it at any time: what was embedded stays, and the next run goes on from there.

    Example: ytlocal library reindex
    """
    from .app import StageBar

    with _open(app, library_dir) as store, StageBar() as bar:
        done = store.reindex(progress=bar)
        bar.close()
        where = store.path
    click.echo(f"reindexed {done['passages']} passage(s) in {where}")
    if done["model"] is None:
        click.echo(f"no embedding model: {done['missing']} passage(s) have no vector and search uses their words "
                   f"alone; `ytlocal models pull minilm-l6-v2`, then `ytlocal library reindex` again")
    else:
        click.echo(f"embedded {done['embedded']} passage(s) with {done['model'].split(':')[0]}; "
                   f"{done['missing']} without a vector")


@cli.command()
@click.argument("question")
@click.argument("sources", nargs=-1)
@click.option("--llm", metavar="NAME|FILE.gguf",
              help="Catalog name or GGUF file (default: the strongest installed catalog LLM).")
@click.option("--json", "as_json", is_flag=True, help="The answer, its citations and the passages as JSON.")
@library_option
@whisper_options("--audio-language")
@source_options
@click.pass_context
def ask(ctx: click.Context, question, sources, llm, as_json, library_dir, **options) -> None:
    """Answer a question from the videos you have (or the SOURCES named, transcribed first if needed)
    with the local LLM, citing [mm:ss]; only answers the passages support, else shows the passages.

    Example: ytlocal ask "what did she say about analogies?" https://youtu.be/VIDEO_ID
    """
    from ..answer import ask_library
    from .app import Outcome, StageBar, _build_session, stdin_for

    session = _build_session(ctx.obj, output_dir=None, llm=llm, **options)
    session.check_models(whisper=False)  # an unknown or missing model fails before any download
    wanted: list[str] = []
    outcome = Outcome()
    with _open(ctx.obj, library_dir) as store:
        if sources:
            with StageBar() as bar:
                for item in session.results(list(sources), summarize=False, progress=bar, stdin=stdin_for(sources),
                                            on_failure=outcome.failure_printer(bar)):
                    outcome.total += 1
                    if item.error is None:
                        bar.close()
                        wanted.append(store.add(item))
            if not wanted:
                outcome.finish(ctx, "sources")
                return
        if store.is_empty():
            click.echo(f"the library at {store.path} is empty: summarize or transcribe videos first, name them "
                       f"after the question, or `ytlocal library add FOLDER`", err=True)
            return
        answer = ask_library(store, question, session.pipeline, wanted or None)
    hits = answer.passages
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    else:
        if answer.grounded:
            click.echo(answer.text())
        elif hits:
            click.echo("No answer that these passages support; the closest passages:")
        else:
            click.echo(f"nothing in the library matches {question!r}")
        if hits:
            click.echo("")
        for number, hit in enumerate(answer.passages, 1):
            click.echo(f"[{number}] {hit.title}  {hit.link}")
            click.echo(f"    {hit.marked('**', '**')}")
    outcome.finish(ctx, "sources")
