"""What every command shares: the app context, the error-to-exit-code group, progress bars, the
per-source outcome, and the pipeline built from a command's flags."""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from ..config import Settings, load_settings, resolve_models_dir
from ..errors import EXIT_CODES, YtlocalError

if TYPE_CHECKING:
    from ..api import Session

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
        from ..registry import ModelStore

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
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as error:  # a bug or an unforeseen input: still one line, never a traceback
            app = ctx.obj if isinstance(ctx.obj, AppContext) else None
            if app is not None and app.verbose:
                traceback.print_exc()
            first = (str(error).strip().splitlines() or [""])[0][:300]
            click.echo(f"ytlocal: error: unexpected {type(error).__name__}: {first} (run again with -v for the "
                       f"traceback, and please report it)", err=True)
            ctx.exit(1)


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

    def failure_printer(self, bar: StageBar):
        """The ``on_failure`` callback of :meth:`ytlocal.api.Session.results`: the bar cleared, then the
        video's error line (and its exit code kept for :meth:`finish`)."""

        def failed(source: str, error: YtlocalError) -> None:
            bar.close()
            self.fail(source, error)

        return failed


def stdin_for(sources) -> TextIO | None:
    """Where the source ``-`` reads its sources from."""
    return sys.stdin if "-" in sources else None


def _build_session(app: AppContext, *, offline, whisper_model, spoken_language, task, device, threads,
                   word_timestamps, no_batch, limit, cookies, cookies_from_browser, rate_limit, retries, captions,
                   output_dir, llm=None, n_ctx=None, summarize_options=None, llm_gpu_layers=None) -> "Session":
    """The command's flags on top of the settings, as an API :class:`~ytlocal.api.Session`."""
    from ..api import Session
    from ..summarization import SummarizeOptions

    settings = app.settings(offline=True if offline else None, whisper_model=whisper_model, language=spoken_language,
                            device=device, threads=threads, output_dir=str(output_dir) if output_dir else None,
                            llm_model=llm, llm_gpu_layers=llm_gpu_layers)
    options = summarize_options or SummarizeOptions()
    session = Session(_settings=settings, task=task, n_ctx=n_ctx, captions=captions, limit=limit,
                      word_timestamps=word_timestamps, batched=not no_batch, cookies=cookies,
                      cookies_from_browser=cookies_from_browser, rate_limit=rate_limit, retries=retries,
                      length=options.length, instructions=options.instructions, summary_language=options.language)
    if summarize_options is not None and app.verbose:
        click.echo(f"ytlocal: summaries by {session.llm_name} ({session.llm_reason})", err=True)
    return session


def check_output_dir(folder: Path | str | None) -> None:
    """Refuse, before any work, an output folder that is a file or lies under one."""
    if folder is None or str(folder) == "-":
        return
    from ..errors import OutputError
    from ..files import first_blocking_file

    path = Path(folder).expanduser()
    blocking = path if path.is_file() else first_blocking_file(path)
    if blocking is not None:
        raise OutputError(f"-o {folder}: {blocking} is a file, not a folder; give a folder for the outputs")


def _formats(chosen: tuple[str, ...]) -> tuple[str, ...]:
    """The -f values in order, each once; "all" means every format; none means md."""
    from ..render import RENDER_FORMATS

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
