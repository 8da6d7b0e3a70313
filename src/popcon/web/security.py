"""Security headers on every response, and the API token a server reachable from the network needs.

Why pure ASGI (not BaseHTTPMiddleware): the event stream and file downloads must pass through
untouched and unbuffered; only the response start is looked at.

The token (POPCON_API_TOKEN) is checked on every /api/ call except the two that cannot carry it
(the auth exchange and the OpenAPI document, which holds no job data). Scripts send it as
`Authorization: Bearer <token>`; the page asks for it once and trades it (as that same header) for
an HttpOnly, SameSite=Strict cookie, because <img>, EventSource and download links cannot send a
header.
"""

from __future__ import annotations

import hmac
import json
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The UI: ES modules and a stylesheet from this origin, images from here or made in the page
# (blob: previews, the data: favicon); styles are set through the CSSOM only (no style attributes).
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
COOKIE = "popcon_token"
COOKIE_MAX_AGE = 30 * 24 * 3600
OPEN_PATHS = ("/api/v1/auth", "/api/v1/openapi.json")


class SecurityHeaders:
    """Adds the headers above to every HTTP response; a page that set its own CSP (the API docs) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in have]
                if b"content-security-policy" not in have:
                    headers.append((b"content-security-policy", UI_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def presented_token(scope: Scope) -> str | None:
    """The token a request carries: its bearer header, else the page's cookie."""
    cookie_raw = None
    for key, value in scope.get("headers", []):
        name = key.lower()
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"cookie":
            cookie_raw = value.decode("latin-1")
    if cookie_raw:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie_raw)
        except Exception:  # a malformed cookie header is no token
            return None
        if COOKIE in jar:
            return jar[COOKIE].value
    return None


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class TokenGate:
    """401 for an /api/ call without the server's token (only installed when a token is set)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith("/api/")
            or path in OPEN_PATHS
            or token_matches(presented_token(scope), self.token)
        ):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "detail": "this server needs its API token: send 'Authorization: Bearer <token>'",
                "code": "unauthorized",
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b'Bearer realm="popcon"'),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})
