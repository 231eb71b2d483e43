"""403/404/500 and "temporarily unavailable" pages in the portal's own look."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse
from nicegui import app, context, ui
from nicegui.client import Client
from nicegui.page import page
from starlette.exceptions import HTTPException as StarletteHTTPException

from minegnk import i18n
from minegnk.components.frame import frame
from minegnk.components.locale import N_, _, set_page_language
from minegnk.services.sessions import SessionUser

log = logging.getLogger(__name__)

ERRORS = {
    400: (N_('Bad request'), N_('This address or what was sent with it is not valid.'), 'error_outline'),
    403: (N_('Access denied'), N_("You don't have permission to open this page."), 'block'),
    404: (N_('Page not found'), N_("The page you are looking for doesn't exist or has moved."), 'travel_explore'),
    405: (N_('Not possible here'), N_('This page can only be opened; nothing can be sent to it.'), 'block'),
    500: (N_('Something went wrong'),
          N_('An unexpected error happened on our side. It has been logged; please try again.'), 'error_outline'),
    503: (N_('Temporarily unavailable'),
          N_('The portal cannot reach its database right now. Please try again in a minute.'), 'cloud_off'),
}


def _texts(status: int) -> tuple[str, str, str]:
    return ERRORS.get(status) or ERRORS[400 if 400 <= status < 500 else 500]


def render_error(status: int, user: SessionUser | None) -> None:
    title, message, icon = _texts(status)
    context.client.status_code = status
    with frame(_(title), user):
        with ui.column().classes('w-full items-center text-center gap-3 py-16').mark(f'error-{status}'):
            ui.icon(icon).classes('text-6xl text-gray-400')
            ui.label(str(status)).classes('text-4xl font-bold text-gray-500')
            ui.label(_(title)).classes('text-2xl font-semibold')
            ui.label(_(message)).classes('text-gray-600 max-w-md')
            ui.button(_('Go to the dashboard'), icon='home', on_click=lambda: ui.navigate.to('/'))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith('/api/') or request.url.path in {'/healthz', '/readyz'}


def error_response(request: Request, status: int) -> object:
    if _wants_json(request):
        title, message, _icon = _texts(status)
        return JSONResponse({'error': {'code': title.lower().replace(' ', '_').replace("'", ''), 'message': message,
                                       'details': None}}, status_code=status)
    with Client(page(''), request=request) as client:
        set_page_language(i18n.negotiate(request.headers.get('accept-language')))
        render_error(status, None)
    return client.build_response(request, status)


def register() -> None:
    @app.exception_handler(404)
    async def not_found(request: Request, _exc: Exception) -> object:
        return error_response(request, 404)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> object:
        if exc.status_code == 404:
            return error_response(request, 404)
        if _wants_json(request):
            return JSONResponse({'error': {'code': 'http_error', 'message': str(exc.detail), 'details': None}},
                                status_code=exc.status_code, headers=getattr(exc, 'headers', None))
        # A client's mistake keeps its 4xx (a POST to a page is a 405, not "something went wrong")
        return error_response(request, exc.status_code if 400 <= exc.status_code < 500 or exc.status_code in ERRORS
                              else 500)

    @app.on_page_exception
    def page_exception(exception: Exception) -> None:
        from sqlalchemy.exc import OperationalError
        status = 503 if isinstance(exception, OperationalError) else 500
        log.warning('page failed: %s', type(exception).__name__) if status == 503 else None
        render_error(status, None)
