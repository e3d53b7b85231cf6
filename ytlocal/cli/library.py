"""``ytlocal search`` and ``ytlocal library add|list|rm|reindex``."""

from __future__ import annotations

import json

import click

from . import cli
from .app import AppContext

library_option = click.option("--library", "library_dir", metavar="DIR",
                              help="The library's folder (default: library_dir setting, else the user data dir).")


def _open(app: AppContext, library_dir: str | None):
    from ..library import Library, library_dir as default_dir

    return Library(library_dir or default_dir(app.settings()))


@cli.command()
@click.argument("query")
@click.option("--video", metavar="ID|URL|PATH", help="Search one video only.")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Passages to show.")
@click.option("--json", "as_json", is_flag=True, help="The passages as JSON.")
@library_option
@click.pass_obj
def search(app: AppContext, query, video, limit, as_json, library_dir) -> None:
    """Find passages in everything you have transcribed or summarized, offline, ranked (bm25).

    Example: ytlocal search "protein folding"
    """
    with _open(app, library_dir) as library:
        if not library.videos():
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
        click.echo(f"{hit.title}  {hit.link}")
        click.echo(f"  {hit.text}")
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
    """Add transcript files (.json, .srt, .vtt, .txt) or folders of them (e.g. batch folders).

    Example: ytlocal library add talk.srt ~/summaries/
    """
    from ..errors import BatchIncomplete, SourceError
    from ..library import transcript_files
    from ..records import Result
    from ..transcript import read_transcript

    files, problems = transcript_files(paths)
    added = skipped = 0
    with _open(app, library_dir) as store:
        for path, named in files:
            try:
                transcript = read_transcript(path)
            except SourceError as error:
                if named:
                    problems.append(str(error))
                else:  # a folder's other .json/.txt files (a summary's, a config)
                    skipped += 1
                continue
            store.add(Result(str(path), transcript=transcript), transcript_path=path)
            added += 1
    for problem in problems:
        click.echo(f"ytlocal: {problem}", err=True)
    note = f" (skipped {skipped} file(s) in folders that are not transcripts)" if skipped else ""
    click.echo(f"added {added} transcript(s) to {store.path}{note}")
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
    from ..render import clock

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
    """Rebuild the full-text index from the stored passages and check it.

    Example: ytlocal library reindex
    """
    with _open(app, library_dir) as store:
        count = store.rebuild_index()
        click.echo(f"reindexed {count} passage(s) in {store.path}")
