"""The rules that make ``ytlocal serve`` safe to leave running, as one ASGI middleware in front of every
route, the media and the event stream included (a rule that each view had to remember would be
forgotten once).

Why each rule (local AI servers have been reachable from any web page their user visited):

- **Host header**: a page on ``evil.example`` whose DNS name is later pointed at 127.0.0.1 (DNS
  rebinding) reaches a loopback server with its own Host header. Only ``127.0.0.1``, ``localhost`` and
  ``[::1]`` with our port pass (plus the address given to ``--host``; on a wildcard address, IP
  literals: rebinding needs a name).
- **Only our own pages, typed addresses and bookmarks**: cookies ignore ports, so to a browser a page
  on another port of 127.0.0.1 (any local dev server) is "same site" and SameSite=Strict still sends
  our cookie with its ``<img src>`` or ``window.open``. Browsers say where a request comes from in
  ``Sec-Fetch-Site``; anything but ``same-origin`` or ``none`` (typed, bookmarked, opened from outside
  the browser) is refused before the cookie is looked at.
- **A sign-in link that works once**: the token printed at start is traded, once and within
  :data:`TOKEN_TTL_S`, for an HttpOnly, SameSite=Strict cookie; used again, later or by anyone else it
  is refused, so a copy left in the browser's history or seen by another user is worth nothing. The
  browser ``ytlocal serve`` opens gets it from a private file that posts it (``POST /signin``), never on
  a command line (which ``ps`` shows every local user). Without the cookie every request gets 403.
- **Sessions that outlive a restart**: the cookie and the CSRF token derive from a secret kept in the
  library's folder, readable by its owner only (0600, never through a link); a secret anyone else
  could have read is replaced, which signs every browser out.
- **POST with Origin and a CSRF token**: GET changes nothing; anything that changes something is a POST
  whose Origin is this server and whose form carries a token derived from the secret.
- **Headers**: a Content-Security-Policy without inline script (so an injected ``<script>`` would not
  run even if escaping failed somewhere), frames denied, no MIME sniffing, no referrer to other sites,
  and never a CORS header, on every answer, a server error's included.

At ~410 lines it is over the 400 we aim at on purpose: every rule that keeps a local page or user out
is here, in one place, so that it can be reviewed whole.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import stat
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" would make a form's Origin "null"
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
MAX_FORM_BYTES = 256 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
SIGN_IN_PATH = "/signin"
TOKEN_TTL_S = 600.0  # how long after the start the printed sign-in link works (once)
COOKIE_MAX_AGE_S = 30 * 24 * 3600  # a browser stays signed in across its own restarts too
OWN_REQUESTS = ("same-origin", "none")  # Sec-Fetch-Site: a page of ours; typed, bookmarked or opened from outside
SECRET_NAME = "serve-secret"
SECRET_BYTES = 32
NEW_LINK = "restart `ytlocal serve` for a new link (a browser signed in before stays signed in)"


def new_token() -> str:
    """A random token for one launch (what the printed URL carries)."""
    return secrets.token_urlsafe(24)


# ------------------------------------------------------------------------------ the session secret


def session_secret(path: Path) -> tuple[bytes, str | None]:
    """The secret the sessions derive from, kept in ``path`` (made when missing), and a warning when
    it could not be kept (sessions then end with this server) or had to be replaced.

    Only a regular file of this user, readable by nobody else, is trusted; it is read without following
    a link (a link put there could point the server at a secret of someone else's choosing). Anything
    else is replaced by a new secret, which signs every browser out."""
    path = Path(path)
    problem = None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        fd = None
    except OSError as error:  # a link (ELOOP), unreadable
        fd, problem = None, f"{path} is not a file this server can trust ({error.strerror})"
    if fd is not None:
        try:
            info = os.fstat(fd)
            data = os.read(fd, 4 * SECRET_BYTES)
        finally:
            os.close(fd)
        owner = getattr(os, "getuid", lambda: info.st_uid)()
        if not stat.S_ISREG(info.st_mode) or info.st_uid != owner:
            problem = f"{path} is not a file of this user"
        elif info.st_mode & 0o077:
            problem = f"{path} could be read by other users (mode {stat.S_IMODE(info.st_mode):o})"
        else:
            try:
                secret = bytes.fromhex(data.decode("ascii").strip())
            except (UnicodeDecodeError, ValueError):
                secret = b""
            if len(secret) == SECRET_BYTES:
                return secret, None
            problem = f"{path} is damaged"
    secret = secrets.token_bytes(SECRET_BYTES)
    try:
        _write_private(path, secret.hex().encode())
    except OSError as error:
        return secret, (f"cannot keep the session secret in {path} ({error.strerror}): browsers must sign in "
                        f"again after a restart")
    if problem:
        return secret, f"{problem}: replaced it with a new secret; browsers must sign in again"
    return secret, None


def _write_private(path: Path, data: bytes) -> None:
    """``data`` into ``path``, readable by this user only from the first byte (a new file renamed in)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(temporary, path)  # replaces a link in the way, never its target
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------ the guard


@dataclass
class Guard:
    """What the middleware checks against: the launch token (good once, for :data:`TOKEN_TTL_S`), the
    session secret, the port and the bound address."""

    token: str
    port: int
    bind_host: str = "127.0.0.1"
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(SECRET_BYTES), repr=False)
    token_ttl_s: float = TOKEN_TTL_S
    on_redeem: Callable[[], None] | None = field(default=None, repr=False)  # e.g. remove the sign-in file
    cookie_name: str = field(init=False)
    issued_at: float = field(init=False)
    redeemed: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.cookie_name = f"ytlocal_{self.port}"  # cookies ignore ports: two servers must not share one
        self.issued_at = time.monotonic()

    def _derive(self, purpose: bytes) -> str:
        return hmac.new(self.secret, purpose, hashlib.sha256).hexdigest()

    @property
    def cookie_value(self) -> str:
        """Derived from the session secret, so a browser stays signed in across restarts."""
        return self._derive(b"ytlocal session cookie")

    @property
    def csrf_token(self) -> str:
        return self._derive(b"ytlocal csrf")

    def redeem(self, offered: str | None) -> str | None:
        """Take the launch token, once: None when ``offered`` is it and still good (it is then used up),
        else why not. Called on the event loop only, so two requests cannot both take it."""
        if not offered or not hmac.compare_digest(offered.encode(), self.token.encode()):
            return "Wrong token: open the link `ytlocal serve` printed."
        if self.redeemed:
            return f"This sign-in link was used already: it works once. To sign in another browser, {NEW_LINK}."
        if time.monotonic() - self.issued_at > self.token_ttl_s:
            return (f"This sign-in link has expired: it works for {self.token_ttl_s / 60:.0f} minutes after the "
                    f"start. {NEW_LINK[0].upper()}{NEW_LINK[1:]}.")
        self.redeemed = True
        if self.on_redeem is not None:
            self.on_redeem()
        return None

    def host_allowed(self, host: str | None) -> bool:
        if not host:
            return False
        host = host.strip().lower()
        if host.startswith("["):  # [::1]:8765
            end = host.find("]")
            name, rest = host[:end + 1], host[end + 1:]
            port = rest[1:] if rest.startswith(":") else ""
        else:
            name, _, port = host.partition(":")
        if (port or "80") != str(self.port):
            return False
        if name in LOOPBACK_NAMES:
            return True
        bound = self.bind_host.strip("[]").lower()
        if name.strip("[]") == bound:
            return True
        if bound in ("0.0.0.0", "::", ""):  # a wildcard address: any IP literal, never a name
            try:
                ipaddress.ip_address(name.strip("[]"))
                return True
            except ValueError:
                return False
        return False

    def cookie_matches(self, header: str | None) -> bool:
        if not header:
            return False
        try:
            cookie = SimpleCookie()
            cookie.load(header)
        except Exception:  # a malformed Cookie header is no cookie
            return False
        morsel = cookie.get(self.cookie_name)
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), self.cookie_value.encode())

    def set_cookie_header(self) -> bytes:
        return (f"{self.cookie_name}={self.cookie_value}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; "
                f"SameSite=Strict").encode()


def sign_in_page(url: str, token: str) -> str:
    """A page that signs a browser in by posting ``token`` to ``url`` (``ytlocal serve`` writes it to a
    private file and opens that, so no command line carries the token, and no address it visits does)."""
    from markupsafe import escape

    action = escape(url.rstrip("/") + SIGN_IN_PATH)
    return (f"<!doctype html><html lang=en><meta charset=utf-8><meta name=referrer content=no-referrer>"
            f"<title>Signing in to ytlocal</title><body><form method=post action=\"{action}\">"
            f"<input type=hidden name=token value=\"{escape(token)}\"><p>Signing in to ytlocal serve… "
            f"<button type=submit>Sign in</button></p></form>"
            f"<script>document.forms[0].submit()</script></body></html>")


def safe_target(path: str, query: list[tuple[str, str]]) -> str:
    """Where a sign-in sends the browser: the same path on this server (``//host`` and ``/\\host``
    would be another site to a browser), its query without the token."""
    target = "/" + urllib.parse.quote(path.lstrip("/\\"))
    return target + ("?" + urllib.parse.urlencode(query) if query else "")


def _page(status: int, title: str, text: str, head: str = "") -> bytes:
    # No template and no static file: this page is shown to requests that may see nothing else.
    from markupsafe import escape

    return (f"<!doctype html><html lang=en><meta charset=utf-8>{head}<title>{status} {escape(title)}</title>"
            f"<h1>{status} {escape(title)}</h1><p>{escape(text)}</p></html>").encode()


class SecurityMiddleware:
    """Checks every HTTP request before any route sees it, and adds the security headers to every
    response (see the module's docstring for why)."""

    def __init__(self, app, guard: Guard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets here
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        guard = self.guard
        method = scope["method"].upper()
        if not guard.host_allowed(headers.get("host")):
            await self._refuse(send, 403, "Forbidden", "This server answers only to 127.0.0.1, localhost or [::1] "
                                                       "with its port (a request for another host name is refused).")
            return
        if method not in ("GET", "HEAD", "POST"):
            await self._refuse(send, 405, "Method Not Allowed", "Only GET and POST.", [(b"allow", b"GET, HEAD, POST")])
            return
        if method == "POST" and scope["path"] == SIGN_IN_PATH:
            # The one request another page may send (the sign-in file is a file:// page): it carries the
            # token, which nobody else has, and it is good once.
            await self._sign_in(receive, send)
            return
        site = headers.get("sec-fetch-site")
        if site is not None and site.strip().lower() not in OWN_REQUESTS:
            await self._refuse(send, 403, "Forbidden", "This server answers its own pages and addresses you type or "
                                                       "bookmark; a request from another page, even one on this "
                                                       "machine, is refused.")
            return
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = query.get("token", [None])[-1]
        if method in ("GET", "HEAD") and offered is not None:
            why = guard.redeem(offered)
            if why is not None:
                await self._refuse(send, 403, "Forbidden", why)
                return
            rest = [(key, value) for key, values in query.items() if key != "token" for value in values]
            await self._respond(send, 303, b"", [(b"location", safe_target(scope["path"], rest).encode()),
                                                 (b"set-cookie", guard.set_cookie_header()),
                                                 (b"cache-control", b"no-store")])
            return
        if not guard.cookie_matches(headers.get("cookie")):
            await self._refuse(send, 403, "Forbidden", "Open the link that `ytlocal serve` printed (it signs this "
                                                       "browser in).")
            return
        if method == "POST":
            if (headers.get("origin") or "").lower() != f"http://{headers.get('host', '').lower()}":
                await self._refuse(send, 403, "Forbidden", "A change must come from a page of this server (Origin).")
                return
            body, too_large = await self._read_body(receive)
            if too_large:
                await self._refuse(send, 413, "Too Large", "The form is too large.")
                return
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) \
                if headers.get("content-type", "").startswith("application/x-www-form-urlencoded") else {}
            sent = form.get("csrf", [headers.get("x-csrf-token", "")])[-1]
            if not sent or not hmac.compare_digest(sent.encode(), guard.csrf_token.encode()):
                await self._refuse(send, 403, "Forbidden", "The form's CSRF token is missing or wrong; reload the page.")
                return
            receive = self._replay(body)
        await self._run(scope, receive, send, method)

    async def _run(self, scope, receive, send, method: str) -> None:
        """The app, timed; an error it did not handle becomes a 500 page with every security header (the
        framework's own 500 page would go out without them), its traceback in the server's log."""
        started_response = False

        async def tracked(message):
            nonlocal started_response
            started_response = started_response or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, self._with_headers(tracked, time.perf_counter()))
        except Exception:
            if started_response:
                raise  # too late for a page: the server closes the connection and logs it
            log.exception("ytlocal serve: unexpected error answering %s %s", method, scope.get("path"))
            await self._refuse(send, 500, "Server error", "Something went wrong on this server; its log has the "
                                                          "details.")

    async def _sign_in(self, receive, send) -> None:
        body, too_large = await self._read_body(receive)
        form = {} if too_large else urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        why = self.guard.redeem(form.get("token", [None])[-1])
        if why is not None:
            await self._refuse(send, 403, "Forbidden", why)
            return
        # A page that moves on by itself: a redirect would keep the sign-in's cross-site origin, and the
        # next page would neither get the SameSite=Strict cookie nor pass the Sec-Fetch-Site rule.
        await self._respond(send, 200, _page(200, "Signed in", "Signed in; the library opens.",
                                             '<meta http-equiv="refresh" content="0; url=/">'),
                            [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"),
                             (b"set-cookie", self.guard.set_cookie_header())])

    @staticmethod
    async def _read_body(receive) -> tuple[bytes, bool]:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_FORM_BYTES:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks), False

    @staticmethod
    def _replay(body: bytes):
        sent = False

        async def receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        return receive

    @staticmethod
    def _with_headers(send, started: float | None = None):
        async def wrapped(message):
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", [])
                           if not name.lower().startswith(b"access-control-")]
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                if started is not None:  # the time the app took to answer (a page is rendered whole by then)
                    headers.append((b"server-timing", f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()))
                message = dict(message, headers=headers)
            await send(message)

        return wrapped

    async def _refuse(self, send, status: int, title: str, text: str, extra=()) -> None:
        await self._respond(send, status, _page(status, title, text),
                            [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"), *extra])

    async def _respond(self, send, status: int, body: bytes, headers) -> None:
        await self._with_headers(send)({"type": "http.response.start", "status": status,
                                        "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
