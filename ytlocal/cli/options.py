"""Option groups that several commands share, each declared once."""

from __future__ import annotations

import click


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


def summary_options(function):
    """Options of every command that writes summaries (summarize, batch)."""
    decorators = [
        click.option("--llm", metavar="NAME|FILE.gguf",
                     help="Catalog name or GGUF file (default: the strongest installed catalog LLM)."),
        click.option("-f", "--format", "formats", type=click.Choice(["md", "hashnode", "json", "txt", "all"]),
                     multiple=True, help="Summary format; repeat for several (-f md -f json), or all. Default: md."),
        click.option("--length", type=click.Choice(["short", "medium", "long"]), default="medium", show_default=True,
                     help="Summary length: medium is ~800 words for half an hour, 850 for longer; short about "
                          "half, long ~1.7x."),
        click.option("--instructions", metavar="TEXT", help="Extra instructions for the model, e.g. 'focus on the data'."),
        click.option("--language", "summary_language", metavar="LANG",
                     help="Language to write the summary in (default: as the model does)."),
        click.option("--with-transcript", is_flag=True, help="Also write the transcript (txt, srt, json) next to the summary."),
        click.option("--n-ctx", type=click.IntRange(min=64),
                     help="LLM context size in tokens (default: 2048, measured fastest here)."),
        click.option("--llm-gpu-layers", type=click.IntRange(min=-1),
                     help="LLM layers on the GPU: -1 all, 0 none (default: all when llama.cpp can offload)."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function
