"""Who is logged in: server-side sessions behind NiceGUI's user storage, page guards and live revocation."""

from __future__ import annotations

import functools
import inspect
import logging
import secrets
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from cachetools import TTLCache
from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, context, core, run, ui
from nicegui.client import Client

from sqlalchemy.exc import OperationalError

from minegnk import i18n
from minegnk.db.engine import session_scope
from minegnk.services import events, sessions
from minegnk.services.sessions import SessionUser

log = logging.getLogger(__name__)

TOKEN_KEY = 'session_token'
LANGUAGE_KEY = 'language'  # an anonymous visitor's choice; a logged-in user's choice is stored on the user
LOGIN_PATH = '/login'

# One-time tickets that carry a fresh login from the websocket handler to a real HTTP response (which can set cookies).
_tickets: TTLCache[str, tuple[str, bool, str]] = TTLCache(maxsize=10_000, ttl=60)
# Open pages per session, so that a revoked session's pages are sent to the login page at once.
_clients_by_session: dict[str, weakref.WeakSet[Client]] = {}


def safe_next(target: str | None) -> str:
    """Only a relative path on this site (no scheme, no host, no //, no backslash tricks) may be a redirect target."""
    if not target or not target.startswith('/') or target.startswith('//') or '\\' in target:
        return '/'
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return '/'
    return target


def login_url(next_path: str) -> str:
    target = safe_next(next_path)
    return LOGIN_PATH if target == '/' else f'{LOGIN_PATH}?next={quote(target, safe="")}'


def _resolve(token: str | None) -> SessionUser | None:
    with session_scope() as db:
        return sessions.resolve_session(db, token)


async def current_user() -> SessionUser | None:
    token = app.storage.user.get(TOKEN_KEY)
    if not token:
        return None
    user = await run.io_bound(_resolve, token)
    if user is None:
        app.storage.user.pop(TOKEN_KEY, None)
    return user


def issue_login_ticket(token: str, persistent: bool, next_path: str) -> str:
    ticket = secrets.token_urlsafe(24)
    _tickets[ticket] = (token, persistent, safe_next(next_path))
    return ticket


def complete_login(request: Request, ticket: str) -> RedirectResponse:
    """GET /auth/complete: binds the new session to this browser and sets the cookie lifetime."""
    entry = _tickets.pop(ticket, None)
    if entry is None:
        return RedirectResponse(LOGIN_PATH, status_code=303)
    token, persistent, next_path = entry
    app.storage.user[TOKEN_KEY] = token
    request.session['persistent'] = persistent
    return RedirectResponse(next_path, status_code=303)


def page_language(request: Request, user: SessionUser | None) -> str:
    if user is not None and user.language in i18n.LANGUAGES:
        return user.language
    chosen = app.storage.user.get(LANGUAGE_KEY)
    if chosen in i18n.LANGUAGES:
        return chosen
    return i18n.negotiate(request.headers.get('accept-language'))


def _register_client(user: SessionUser) -> None:
    client = context.client
    _clients_by_session.setdefault(user.token_hash, weakref.WeakSet()).add(client)
    client.storage['user'] = user  # type: ignore[index]


def _on_sessions_revoked(token_hashes: frozenset[str]) -> None:
    """Called from whichever thread ended the sessions; UI work is handed to the event loop."""
    clients = [c for h in token_hashes for c in _clients_by_session.pop(h, ())]
    if not clients or core.loop is None:
        return

    def send_to_login() -> None:
        for client in clients:
            if not client.is_deleted:
                with client:
                    ui.navigate.to(f'{LOGIN_PATH}?signed_out=1')
    core.loop.call_soon_threadsafe(send_to_login)


def install_revocation_listener() -> None:
    events.sessions_revoked.connect(_on_sessions_revoked)


def session_user() -> SessionUser:
    """The user of the current page (set by the page guard)."""
    return context.client.storage['user']  # type: ignore[index]


ID_MAX = 2**31 - 1  # the database's integer ids
# NiceGUI answers a page that is not built within its response_timeout (3 s by default) with a 500 error page. A
# busy machine can take that long; pages load their data after connecting, so a longer wait costs nothing else.
PAGE_RESPONSE_TIMEOUT = 20.0
_INT_ANNOTATIONS = (int, int | None, 'int', 'int | None', 'Optional[int]')


def parse_id(value: str | None) -> int | None:
    """A database id from a URL: plain digits within the database's integer range; anything else None."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > len(str(ID_MAX)):
        return None
    number = int(value)
    return number if number <= ID_MAX else None


def protected_page(path: str, *, admin: bool = False, public: bool = False, **page_kwargs: Any) -> Callable:
    """``@ui.page`` with server-side access control.

    Anonymous visitors go to the login page and come back afterwards; non-admins get a 403 page on admin pages.
    The decorated function receives ``user`` (a SessionUser, or None on public pages) plus its path parameters.
    Integer parameters are ids: one in the path that is not a possible id gives the "Not found" page, one in the
    query falls back to its default (rather than FastAPI's JSON 422, or a database error for a huge number). Text
    with a NUL character is treated the same way.
    """
    def decorator(func: Callable) -> Callable:
        params = [p for name, p in inspect.signature(func).parameters.items() if name != 'user']
        if 'request' not in {p.name for p in params}:
            params.insert(0, inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request))
        passes_request = 'request' in inspect.signature(func).parameters
        in_path = {p.name for p in params if '{' + p.name + '}' in path}
        ids = {p.name for p in params if p.annotation in _INT_ANNOTATIONS}
        defaults = {p.name: p.default for p in params}
        params = [p.replace(annotation=str if p.name in in_path else str | None) if p.name in ids else p
                  for p in params]

        @functools.wraps(func)
        async def guarded(**kwargs: Any) -> Any:
            request: Request = kwargs['request'] if passes_request else kwargs.pop('request')
            from minegnk.components.locale import set_page_language  # the UI layer owns the page language
            try:
                user = await current_user()
            except OperationalError:  # database outage: a clear 503 page; the pool reconnects by itself afterwards
                log.warning('page %s requested during a database outage', request.url.path)
                from minegnk.pages.errors import render_error
                set_page_language(page_language(request, None))
                render_error(503, None)
                return None
            set_page_language(page_language(request, user))
            if user is None and not public:
                target = request.url.path + (f'?{request.url.query}' if request.url.query else '')
                return RedirectResponse(login_url(target), status_code=303)
            if user is not None:
                _register_client(user)
            if admin and not user.is_admin:
                from minegnk.pages.errors import render_error
                render_error(403, user)
                return None
            for name, value in list(kwargs.items()):
                if not isinstance(value, str):
                    continue
                # ids must be possible ids; no text may hold a NUL (PostgreSQL cannot even compare one)
                usable = parse_id(value) if name in ids else (value if '\x00' not in value else None)
                if usable is None and name in in_path:
                    from minegnk.pages.errors import render_error
                    render_error(404, user)
                    return None
                if usable is None:
                    default = defaults.get(name, inspect.Parameter.empty)
                    usable = None if default is inspect.Parameter.empty else default
                kwargs[name] = usable
            result = func(user=user, **kwargs)
            return await result if inspect.isawaitable(result) else result

        guarded.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        page_kwargs.setdefault('response_timeout', PAGE_RESPONSE_TIMEOUT)
        return ui.page(path, **page_kwargs)(guarded)
    return decorator
