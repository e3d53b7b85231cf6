"""``ytlocal models``: list, pull, import, verify, remove, path."""

from __future__ import annotations

import json
from pathlib import Path

import click

from . import cli
from .app import AppContext, StageBar


@cli.group()
def models() -> None:
    """List, pull, import, verify and remove models."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def models_list(app: AppContext, as_json: bool) -> None:
    """Every model ytlocal knows: kind, size, installed or not, and where."""
    from ..sizes import human_size

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
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Download again even when installed and verified.")
@click.pass_obj
def models_pull(app: AppContext, names: tuple[str, ...], force: bool) -> None:
    """Download models from the first source that works, verify, install atomically.

    With no NAMES, the default models: whisper_model, llm_model and embedding_model of the config
    (whisper-base, smollm2-135m-instruct and minilm-l6-v2 unless set otherwise).

    Example: ytlocal models pull whisper-base smollm2-135m-instruct
    """
    store = app.store()
    settings = app.settings()
    if not names:
        names = tuple(store.default_model_names(settings))
        click.echo(f"pulling the default models: {', '.join(names)}")
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
    from ..errors import ModelError

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
