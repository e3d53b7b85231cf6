"""The ``ytlocal`` command: a thin click layer over the library (parse, call the API, print). Only
this package prints."""

from __future__ import annotations

import logging
import sys

import click

from .. import __version__
from .app import EXIT_CODE_HELP, AppContext, YtlocalGroup


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
    configure_logging(verbose)


class _StderrHandler(logging.StreamHandler):
    """ytlocal's own log handler (one at a time, however often the command runs in one process)."""

    def __init__(self) -> None:
        super().__init__()  # no stream bound now: each record goes to the current sys.stderr

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(verbose: int) -> None:
    """Without -v: ytlocal's warnings (a GPU that cannot be used, ...) as one line each. -v: also its
    debug lines (every cache miss, fallback and refused model output) and the libraries' warnings;
    -vv: the libraries' debug lines too."""
    logger = logging.getLogger("ytlocal")
    for handler in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(handler)
    handler = _StderrHandler()
    logger.propagate = False  # printed once, by this handler
    logger.addHandler(handler)
    if verbose:
        handler.setFormatter(logging.Formatter("ytlocal: %(levelname)s %(name)s: %(message)s"))
        logger.setLevel(logging.DEBUG)
        logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING)
    else:
        handler.setFormatter(logging.Formatter("ytlocal: warning: %(message)s"))
        logger.setLevel(logging.WARNING)
        # Libraries' retry chatter ("Retrying in 4s ...") is noise on a terminal; -v shows it.
        for name in ("huggingface_hub", "filelock"):
            logging.getLogger(name).setLevel(logging.ERROR)


from . import commands, doctor, library, models  # noqa: E402,F401  (importing them registers the commands)
from .serve import command as _serve; cli.add_command(_serve)  # noqa: E402,E702  (serve imports nothing of cli)


def main() -> None:
    cli(prog_name="ytlocal")


__all__ = ["cli", "main"]
