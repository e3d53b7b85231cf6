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


def _sign_in_file(base_url: str, token: str) -> Path:
    """A page in a folder of this user's only that posts the token to the server: the browser is opened
    on this file, so the token is on no command line (``ps`` shows those to every local user) and in no
    address the browser keeps in its history."""
    import os
    import tempfile

    from ..web.security import sign_in_page

    folder = Path(tempfile.mkdtemp(prefix="ytlocal-serve-"))  # 0700
    path = folder / "sign-in.html"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(sign_in_page(base_url, token))
    return path


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

    Listens on 127.0.0.1 only, prints a sign-in URL (good once, for 10 minutes: the browser trades it
    for a cookie that outlives restarts) and opens it. Stop it with Ctrl-C; queued videos resume when
    it starts again.

    Example: ytlocal serve --allow-dir ~/Videos
    """
    import functools
    import shutil
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
    base_url = f"http://{_url_host(host)}:{port}"
    url = f"{base_url}/?token={token}"
    for warning in state.warnings:
        click.echo(f"ytlocal: warning: {warning}", err=True)
    if not _is_loopback(host):
        click.echo(f"ytlocal: warning: listening on {host}: other machines can reach this server (each still "
                   f"needs the token); use the default 127.0.0.1 unless you mean it", err=True)
    sign_in = None
    if no_browser:
        click.echo(f"ytlocal serve: {url}")
        click.echo("  the link signs in one browser, once, within 10 minutes; it stays signed in across restarts")
    else:
        click.echo(f"ytlocal serve: {base_url}/ (opening it in your browser, signed in)")
        sign_in = _sign_in_file(base_url, token)
        # Gone once used or expired (a signal may end the process before the cleanup at the end runs).
        remove = functools.partial(shutil.rmtree, sign_in.parent, ignore_errors=True)
        state.guard.on_redeem = remove
        expiry = threading.Timer(state.guard.token_ttl_s, remove)
        expiry.daemon = True
        expiry.start()

        def open_browser() -> None:
            if not webbrowser.open(sign_in.as_uri()):
                click.echo(f"ytlocal serve: no browser to open; sign in with {url} (once, within 10 minutes)")

        threading.Timer(0.5, open_browser).start()
    click.echo(f"  library {state.library.path}; queue {queue}; local files from "
               f"{', '.join(str(folder) for folder in allowed)}. Ctrl-C stops it.")
    config = uvicorn.Config(web_app, log_level="warning", access_log=False, timeout_graceful_shutdown=2,
                            lifespan="on", server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        if sign_in is not None:
            shutil.rmtree(sign_in.parent, ignore_errors=True)
        state.queue.close()
        state.library.close()
        session.close()
