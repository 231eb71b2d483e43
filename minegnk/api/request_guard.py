"""Refuses malformed requests before any route reads them: bodies over ``MAX_BODY_BYTES`` (413, without reading
the rest), query strings and JSON bodies that are not UTF-8 (400 naming the parameter or the byte), and NUL
characters in the path, the query or a JSON string (400: PostgreSQL cannot store them, and no real input has one),
in the API's one error shape.

The largest body the API accepts (a support request with 4,000 characters of comments) is under 20 KB, so the
limit is far above any real request and far below what could hurt the process.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minegnk.api.errors import error_response

MAX_BODY_BYTES = 64 * 1024
_NO_BODY_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS'})


def invalid_query_parameters(query_string: bytes) -> list[tuple[str, str]]:
    """(name, problem) for each query parameter whose name or value, percent-decoded, is not UTF-8 text
    (``invalid_utf8``) or holds a NUL character (``nul_character``)."""
    if query_string.isascii() and b'%' not in query_string:
        return []
    bad: list[tuple[str, str]] = []
    for pair in query_string.split(b'&'):
        name, _, value = pair.partition(b'=')
        raw_name, raw_value = unquote_to_bytes(name.replace(b'+', b' ')), unquote_to_bytes(value.replace(b'+', b' '))
        shown = raw_name.decode('utf-8', 'replace') or '?'
        try:
            raw_name.decode('utf-8')
            raw_value.decode('utf-8')
        except UnicodeDecodeError:
            bad.append((shown, 'invalid_utf8'))
            continue
        if b'\x00' in raw_name or b'\x00' in raw_value:
            bad.append((shown, 'nul_character'))
    return bad


def nul_fields(data: Any, path: str = '') -> list[str]:
    """Dotted paths of the JSON strings (keys or values) holding a NUL character."""
    found: list[str] = []
    if isinstance(data, str):
        return [path or 'body'] if '\x00' in data else []
    if isinstance(data, dict):
        for key, value in data.items():
            here = f'{path}.{key}' if path else str(key)
            found += [here] if '\x00' in str(key) else nul_fields(value, here)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += nul_fields(value, f'{path}.{index}' if path else str(index))
    return found


_PROBLEMS = {'invalid_utf8': 'not valid UTF-8 text', 'nul_character': 'contains a NUL character'}


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get('headers', ()):
        if key.lower() == name:
            return value
    return None


def _too_large() -> Response:
    return error_response(413, 'body_too_large',
                          f'The request body is larger than {MAX_BODY_BYTES // 1024} KB; nothing was read or changed.',
                          {'max_bytes': MAX_BODY_BYTES}, {'Connection': 'close'})


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        if '\x00' in scope.get('path', ''):
            await error_response(400, 'invalid_characters', 'The URL path contains a NUL character.',
                                 [{'field': 'path', 'code': 'nul_character', 'message': _PROBLEMS['nul_character']}])(
                scope, receive, send)
            return
        bad = invalid_query_parameters(scope.get('query_string', b''))
        if bad:
            name, problem = bad[0]
            response = error_response(
                400, 'invalid_encoding' if problem == 'invalid_utf8' else 'invalid_characters',
                f'The query parameter {name!r} {"is " if problem == "invalid_utf8" else ""}{_PROBLEMS[problem]}.',
                [{'field': n, 'code': p, 'message': _PROBLEMS[p]} for n, p in bad])
            await response(scope, receive, send)
            return
        if scope['method'] in _NO_BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b'content-length')
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _too_large()(scope, receive, send)  # refused from the header alone: the body is never read
            return
        body, complete = await _read_at_most(receive, MAX_BODY_BYTES)
        if not complete:
            await _too_large()(scope, receive, send)
            return
        if body and b'json' in (_header(scope, b'content-type') or b'').lower():
            try:
                body.decode('utf-8')
            except UnicodeDecodeError as e:
                response = error_response(
                    400, 'invalid_encoding',
                    f'The request body is not valid UTF-8: byte 0x{body[e.start]:02x} at position {e.start}.',
                    [{'field': 'body', 'code': 'invalid_utf8', 'message': f'invalid byte at position {e.start}'}])
                await response(scope, receive, send)
                return
            if b'\\u0000' in body:  # cheap test first: only such a body is parsed here
                fields = _nul_fields_of(body)
                if fields:
                    await error_response(
                        400, 'invalid_characters', f'The field {fields[0]!r} contains a NUL character.',
                        [{'field': f, 'code': 'nul_character', 'message': _PROBLEMS['nul_character']}
                         for f in fields])(scope, receive, send)
                    return
        await self.app(scope, _replay(body, receive), send)


def _nul_fields_of(body: bytes) -> list[str]:
    try:
        return nul_fields(json.loads(body))
    except ValueError:
        return []  # not JSON after all: the route's own parsing names the problem


async def _read_at_most(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """``(body, True)`` when the whole body has at most ``limit`` bytes; ``(b'', False)`` as soon as it passes it
    (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message['type'] != 'http.request':
            return b''.join(chunks), True  # the client went away; the app will see the disconnect
        chunk = message.get('body', b'')
        size += len(chunk)
        if size > limit:
            return b'', False
        chunks.append(chunk)
        if not message.get('more_body', False):
            return b''.join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {'type': 'http.request', 'body': body, 'more_body': False}
        return await receive()  # after the body: wait for the disconnect, as the server would
    return replay
