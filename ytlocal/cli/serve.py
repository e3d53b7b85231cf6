"""``ytlocal serve``: the local web app (see :mod:`ytlocal.web`). Starlette, uvicorn and Jinja2 are
imported only when the command runs, so ``ytlocal --help`` stays instant."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import click

from .app import AppContext

LOOPBACK = "127.0.0.1"


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (bound here, so a port in use is one clear line and
    ``--port 0`` knows its port before the URL is printed)."""
    from ..errors import YtlocalError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on such sockets (without it, Nagle and the
    # browser's delayed ACKs add ~40 ms to every answer on a kept-alive connection).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise YtlocalError(f"cannot listen on {host}:{port} ({error.strerror or error}); another program may use "
                           f"the port: choose another with --port (or serve_port in the config)") from None
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", "") or _is_loopback(host):
        return "[::1]" if host == "::1" else LOOPBACK
    return f"[{host}]" if ":" in host else host


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to listen on (default: serve_port setting, 8765; 0: any free port).")
@click.option("--host", default=LOOPBACK, show_default=True, metavar="ADDR",
              help="Address to listen on. Anything but loopback lets other machines reach it (the token is "
                   "still required).")
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@click.option("--allow-dir", "allow_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Local files the queue may take must lie under DIR (repeatable; default: the "
                                  "current folder).")
@click.option("--queue-dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Where queued videos' summaries and the queue's job list go (default: serve_queue_dir, else "
                   "the library folder's queue/).")
@click.option("--library", "library_dir", metavar="DIR",
              help="The library's folder (default: library_dir setting, else the user data dir).")
@click.pass_obj
def command(app: AppContext, port, host, no_browser, allow_dirs, queue_dir, library_dir) -> None:
    """Read, search, ask and queue in your browser: a local web app over the library.

    Listens on 127.0.0.1 only, prints a URL with a one-time token (the browser trades it for a
    cookie) and opens it. Stop it with Ctrl-C; queued videos resume when it starts again.

    Example: ytlocal serve --allow-dir ~/Videos
    """
    import threading
    import webbrowser

    import uvicorn

    from ..api import Session
    from ..library import library_dir as default_library_dir
    from ..web.app import ServeOptions, build_state, create_app
    from ..web.security import new_token

    settings = app.settings(library_dir=library_dir)
    port = settings.serve_port if port is None else port
    token = settings.serve_token or new_token()
    queue = queue_dir or (Path(settings.serve_queue_dir).expanduser() if settings.serve_queue_dir
                          else default_library_dir(settings) / "queue")
    allowed = tuple(Path(folder).expanduser().resolve() for folder in (allow_dirs or (Path.cwd(),)))
    sock = _listen(host, port)
    port = sock.getsockname()[1]
    session = Session(_settings=settings)
    options = ServeOptions(port=port, token=token, queue_dir=queue, host=host, allow_dirs=allowed)
    state = build_state(session, options)
    web_app = create_app(state)
    url = f"http://{_url_host(host)}:{port}/?token={token}"
    if not _is_loopback(host):
        click.echo(f"ytlocal: warning: listening on {host}: other machines can reach this server (each still "
                   f"needs the token); use the default 127.0.0.1 unless you mean it", err=True)
    click.echo(f"ytlocal serve: {url}")
    click.echo(f"  library {state.library.path}; queue {queue}; local files from "
               f"{', '.join(str(folder) for folder in allowed)}. Ctrl-C stops it.")
    if not no_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(web_app, log_level="warning", access_log=False, timeout_graceful_shutdown=2,
                            lifespan="on", server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        state.queue.close()
        state.library.close()
        session.close()
