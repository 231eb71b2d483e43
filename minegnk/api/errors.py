"""One error shape for every API failure: ``{"error": {"code", "message", "details"}}``.

The API's routes use ``ApiRoute``, which turns everything a handler or a dependency raises into that shape: our own
``ApiError``, request validation (422, naming each field), HTTP errors, and anything unexpected (500, logged here,
never shown). Being a route class, it works the same on NiceGUI's app and on the standalone app, without touching
the pages' exception handlers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from minegnk.i18n.address_errors import english
from minegnk.i18n.field_errors import field_error_text

log = logging.getLogger('minegnk.api')

MESSAGES = {
    'unauthenticated': 'A valid access token is required (Authorization: Bearer <token>).',
    'token_expired': 'The access token has expired; get a new one from /api/v1/auth/refresh.',
    'token_invalid': 'The access token is not valid.',
    'token_revoked': 'This login has ended (logout, password change or deactivation); log in again.',
    'forbidden': 'You are not allowed to do this.',
    'not_found': 'Not found.',
    'validation_error': 'The request is not valid; see details for each field.',
    'rate_limited': 'Too many requests; retry after the number of seconds in the Retry-After header.',
    'invalid_credentials': 'Invalid email or password.',
    'account_locked': 'Too many failed logins for this account; try again later.',
    'too_many_attempts_ip': 'Too many failed logins from this address; try again later.',
    'refresh_invalid': 'The refresh token is not valid.',
    'refresh_expired': 'The refresh token has expired; log in again.',
    'refresh_revoked': 'The refresh token was revoked; log in again.',
    'refresh_reused': 'This refresh token was already used; every token of this login has been revoked.',
    'conflict': 'The request conflicts with the current state.',
    'internal_error': 'An unexpected error happened on our side. It has been logged; please try again.',
    'service_unavailable': 'The service cannot reach its database right now; retry in a minute.',
    'invalid_body': 'The request body could not be read; send JSON encoded as UTF-8.',
    'invalid_value': 'A value in the request is out of range or not allowed; nothing was changed.',
}
# Texts for field codes only the API gives (the services' own codes have the pages' wording: field_error_text).
FIELD_MESSAGES = {
    'timezone_required': 'Give the time with a timezone, for example 2026-01-31T12:00:00Z.',
    'from_not_before_to': "'from' must be earlier than 'to'.",
    'range_too_long': 'The range may span at most 31 days.',
    'status_or_comment_required': 'Give a new status, a comment, or both.',
}


class ErrorDetail(BaseModel):
    code: str = Field(description='Stable machine-readable reason, e.g. `validation_error`, `not_found`.')
    message: str = Field(description='Human-readable explanation (English).')
    details: Any = Field(None, description='Extra data; for `validation_error` a list of `{field, code, message}`.')


class ErrorBody(BaseModel):
    error: ErrorDetail


class FieldError(BaseModel):
    field: str
    code: str
    message: str


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str | None = None, *, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or MESSAGES.get(code, code.replace('_', ' '))
        self.details = details
        self.headers = headers


def unauthenticated(code: str = 'unauthenticated') -> ApiError:
    return ApiError(401, code, headers={'WWW-Authenticate': 'Bearer'})


def not_found() -> ApiError:
    return ApiError(404, 'not_found')


def invalid(errors: dict[str, str] | list[tuple[str, str]], message: str | None = None, *,
            params: dict[str, Any] | None = None) -> ApiError:
    """422 naming each field: ``{field: code}`` (codes from the services, ``params`` filling in their texts). Each
    field gets the pages' wording in English; a single field's text is also the error's message."""
    items = errors.items() if isinstance(errors, dict) else errors
    details = [{'field': f, 'code': c,
                'message': field_error_text(c, params, english) or FIELD_MESSAGES.get(c) or c.replace('_', ' ')}
               for f, c in items]
    if message is None and len(details) == 1:
        message = f"{details[0]['field']}: {details[0]['message']}"
    return ApiError(422, 'validation_error', message, details=details)


def rate_limited(retry_after: float) -> ApiError:
    seconds = max(1, math.ceil(retry_after))
    return ApiError(429, 'rate_limited', details={'retry_after': seconds}, headers={'Retry-After': str(seconds)})


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> Response:
    body = orjson.dumps({'error': {'code': code, 'message': message, 'details': details}})
    return Response(body, status_code=status, media_type='application/json', headers=headers)


_TYPE_TAGS = frozenset({'str', 'int', 'float', 'bool', 'none', 'decimal', 'date', 'datetime', 'bytes'})


def _field_name(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ('body', 'query', 'path', 'header', 'cookie'):
        parts = parts[1:] or parts
    # pydantic names the member of a union that failed (``budget_min.str``): the field is what a client sent
    parts = [p for p in parts if p not in _TYPE_TAGS and '[' not in p and not p.startswith('function-')] or parts
    return '.'.join(parts) or 'body'


def validation_response(exc: RequestValidationError) -> Response:
    details, seen = [], set()
    for err in exc.errors():
        if err.get('type') == 'json_invalid':  # loc is ('body', <character position>): the field is the body
            position = (list(err.get('loc', ())) + [None, None])[1]
            reason = (err.get('ctx') or {}).get('error') or 'decode error'
            details.append({'field': 'body', 'code': 'json_invalid',
                            'message': f'The body is not valid JSON ({reason} at character {position}).'})
            seen.add('body')
            continue
        field = _field_name(err.get('loc', ()))
        if field in seen:  # one entry per field (a union reports each member)
            continue
        seen.add(field)
        details.append({'field': field, 'code': str(err.get('type', 'invalid')),
                        'message': str(err.get('msg', 'invalid value'))})
    message = f"{details[0]['field']}: {details[0]['message']}" if len(details) == 1 else MESSAGES['validation_error']
    return error_response(422, 'validation_error', message, details)


def to_response(exc: BaseException, request: Request) -> Response:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    if isinstance(exc, RequestValidationError):
        return validation_response(exc)
    if isinstance(exc, StarletteHTTPException):
        code = {400: 'invalid_body', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found',
                405: 'method_not_allowed'}.get(exc.status_code, 'http_error')
        return error_response(exc.status_code, code, MESSAGES.get(code, str(exc.detail)), None,
                              getattr(exc, 'headers', None))
    if isinstance(exc, DataError):
        # A value the database refused (a number out of its range, say): the request's fault, not ours. The routes
        # bound what they can; this keeps any value they missed from becoming a 500.
        log.warning('API request with a value the database refused: %s %s: %s', request.method, request.url.path,
                    exc.orig.__class__.__name__ if exc.orig else exc.__class__.__name__)
        return error_response(422, 'invalid_value', MESSAGES['invalid_value'])
    if isinstance(exc, OperationalError):
        # The database is down or restarting: an expected outage, not a bug. The pool reconnects by itself.
        log.warning('API request during a database outage: %s %s', request.method, request.url.path)
        return error_response(503, 'service_unavailable', MESSAGES['service_unavailable'], None, {'Retry-After': '30'})
    if isinstance(exc, ResponseValidationError):
        log.error('API response did not match its schema: %s %s: %s', request.method, request.url.path, exc.errors())
    else:
        log.exception('API request failed: %s %s', request.method, request.url.path, exc_info=exc)
    return error_response(500, 'internal_error', MESSAGES['internal_error'])


class ApiRoute(APIRoute):
    """Every failure of an API route, in one shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - the point of this class
                return to_response(exc, request)
        return guarded


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error responses a route can give (every route may also give 400 and 413, from
    the request guard, and 500)."""
    text = {400: 'Malformed request: text that is not UTF-8 or holds a NUL character; `details` names where',
            401: 'Missing, invalid, expired or revoked access token', 403: 'Not allowed',
            404: 'Not found (or not yours)', 409: 'Conflicts with the current state', 422: 'Invalid input; `details` names each field',
            413: 'Body larger than 64 KB; refused before it is read',
            429: 'Rate limited; see the `Retry-After` header', 500: 'Unexpected server error (details are logged, never returned)'}
    result: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, 400, 413, 500}):
        entry: dict[str, Any] = {'model': ErrorBody, 'description': text.get(status, 'Error')}
        if status == 429:
            entry['headers'] = {'Retry-After': {'schema': {'type': 'integer'}, 'description': 'Seconds to wait'}}
        result[status] = entry
    return result
