"""HTTP hardening: security headers on every response and browser-session vs 30-day login cookies."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# NiceGUI renders with Vue's runtime template compiler and inline bootstrapping scripts, hence the inline/eval allowances;
# everything is served from our own origin, and framing is forbidden.
CONTENT_SECURITY_POLICY = '; '.join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SESSION_COOKIE = 'session'
PERSISTENT_FLAG = 'persistent'


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                headers = list(message.get('headers', []))
                names = {name.lower() for name, _ in headers}
                extra = [
                    (b'x-frame-options', b'DENY'),
                    (b'x-content-type-options', b'nosniff'),
                    (b'referrer-policy', b'strict-origin-when-cross-origin'),
                    (b'permissions-policy', b'camera=(), microphone=(), geolocation=()'),
                ]
                content_type = dict(headers).get(b'content-type', b'')
                if content_type.startswith(b'text/html'):
                    extra.append((b'content-security-policy', CONTENT_SECURITY_POLICY.encode()))
                if self.https:
                    extra.append((b'strict-transport-security', b'max-age=31536000; includeSubDomains'))
                headers += [(k, v) for k, v in extra if k not in names]
                headers = _browser_session_cookie(scope, headers)
                if scope['path'].startswith('/_nicegui/'):
                    headers = _without_cookies(headers)
                elif message.get('status', 200) >= 400 or b'set-cookie' in names:
                    headers = _not_stored(headers)
                message['headers'] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _without_cookies(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """NiceGUI marks every response under /_nicegui/ public and immutable (its outer middleware overrides ours), its
    404 page too, which would start a session: a shared cache could then hand one visitor's session cookie to
    others. Assets and their errors never set a cookie."""
    return [(k, v) for k, v in headers if k.lower() != b'set-cookie']


def _not_stored(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An error, or a response that sets a cookie, is never stored by a cache."""
    return [(k, v) for k, v in headers if k.lower() != b'cache-control'] + [(b'cache-control', b'no-store')]


def _browser_session_cookie(scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Without "remember me" the session cookie must die with the browser: drop its Max-Age/Expires attributes."""
    session = scope.get('session') or {}
    if session.get(PERSISTENT_FLAG):
        return headers
    result = []
    for name, value in headers:
        if name.lower() == b'set-cookie' and value.startswith(SESSION_COOKIE.encode() + b'='):
            parts = [p for p in value.split(b';') if not p.strip().lower().startswith((b'max-age=', b'expires='))]
            if not value.split(b'=', 1)[1].startswith(b'null'):  # a deletion cookie keeps its expiry
                value = b';'.join(parts)
        result.append((name, value))
    return result
