"""The rules that make ``ytlocal serve`` safe to leave running, as one ASGI middleware in front of every
route, the media and the event stream included (a rule that each view had to remember would be
forgotten once).

Why each rule (local AI servers have been reachable from any web page their user visited):

- **Host header**: a page on ``evil.example`` whose DNS name is later pointed at 127.0.0.1 (DNS
  rebinding) reaches a loopback server with its own Host header. Only ``127.0.0.1``, ``localhost`` and
  ``[::1]`` with our port pass (plus the address given to ``--host``; on a wildcard address, IP
  literals: rebinding needs a name).
- **Token, then cookie**: another local user or any page could otherwise read the library. The URL
  printed at start carries a token; the first visit trades it for an HttpOnly, SameSite=Strict cookie
  (never sent by a cross-site request) and a redirect drops the token from the address bar. Without
  the cookie every request gets 403.
- **POST with Origin and a CSRF token**: GET changes nothing; anything that changes something is a POST
  whose Origin is this server and whose form carries a token derived from the launch token.
- **Headers**: a Content-Security-Policy without inline script (so an injected ``<script>`` would not
  run even if escaping failed somewhere), frames denied, no MIME sniffing, no referrer to other sites, and never a
  CORS header.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

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


def new_token() -> str:
    """A random token for one launch (what the printed URL carries)."""
    return secrets.token_urlsafe(24)


@dataclass
class Guard:
    """What the middleware checks against: the launch token, the port and the bound address."""

    token: str
    port: int
    bind_host: str = "127.0.0.1"
    cookie_name: str = field(init=False)

    def __post_init__(self) -> None:
        self.cookie_name = f"ytlocal_{self.port}"  # cookies ignore ports: two servers must not share one

    def _derive(self, purpose: bytes) -> str:
        return hmac.new(self.token.encode(), purpose, hashlib.sha256).hexdigest()

    @property
    def cookie_value(self) -> str:
        """Derived from the token, so a configured token keeps a browser signed in across restarts."""
        return self._derive(b"ytlocal session cookie")

    @property
    def csrf_token(self) -> str:
        return self._derive(b"ytlocal csrf")

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

    def token_matches(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), self.token.encode())

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
        return f"{self.cookie_name}={self.cookie_value}; Path=/; HttpOnly; SameSite=Strict".encode()


def _page(status: int, title: str, text: str) -> bytes:
    # No template and no static file: this page is shown to requests that may see nothing else.
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{status} {title}</title>"
            f"<h1>{status} {title}</h1><p>{text}</p></html>").encode()


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
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = query.get("token", [None])[-1]
        if method in ("GET", "HEAD") and offered is not None:
            if not guard.token_matches(offered):
                await self._refuse(send, 403, "Forbidden", "Wrong token: open the link `ytlocal serve` printed.")
                return
            rest = [(key, value) for key, values in query.items() if key != "token" for value in values]
            target = urllib.parse.quote(scope["path"]) + ("?" + urllib.parse.urlencode(rest) if rest else "")
            await self._respond(send, 303, b"", [(b"location", target.encode()), (b"set-cookie", guard.set_cookie_header()),
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
        await self.app(scope, receive, self._with_headers(send, time.perf_counter()))

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
