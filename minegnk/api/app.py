"""The JSON API, under ``/api/v1``: mounted on the portal's NiceGUI app by ``mount``, or served on its own as
``uvicorn minegnk.api.app:app --workers 2`` beside the portal (same database, same ``MINEGNK_JWT_SECRET``).

The schema is at ``/api/openapi.json`` and interactive docs at ``/api/docs`` in both cases. The standalone app does
not migrate the database: the portal does that at start (or ``python main.py migrate``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi

from minegnk import __version__
from minegnk.api import admin, auth, deps, network, nodes, profile, support
from minegnk.api.errors import ErrorBody, error_response
from minegnk.api.ratelimit import Limits
from minegnk.api.request_guard import RequestGuard
from minegnk.config import Settings, get_settings

PREFIX = '/api/v1'
OPENAPI_URL = '/api/openapi.json'
DOCS_URL = '/api/docs'
DESCRIPTION = """MineGNK's JSON API: your nodes, the network, support requests and your profile; admin endpoints for
support staff.

**Authentication.** `POST /api/v1/auth/login` returns an access token (JWT, 15 minutes) and a refresh token (30 days,
single use). Send `Authorization: Bearer <access token>`. Before it expires, `POST /api/v1/auth/refresh` with the
refresh token returns a new pair; the old refresh token stops working, and presenting it again ends the whole login.
The portal's session cookie never authenticates an API call.

**Errors** always look like `{"error": {"code": "...", "message": "...", "details": ...}}`. Validation errors (422)
list each field in `details`. Someone else's node or request is a 404, the same as one that does not exist.

**Money** is an object `{"ngonka": "<integer>", "gnk": "<decimal with 9 places>"}`; 1 GNK = 10^9 ngonka.

**Rate limits.** Login and register: 5 per minute per address and per account. Everything else: per login (token
family). Over the limit: 429 with `Retry-After`.
"""
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            "connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'")


def build_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)
    for module in (auth, nodes, network, support, profile, admin):
        router.include_router(module.router)
    return router


router = build_router()
_schema: dict[str, Any] | None = None


def openapi_schema() -> dict[str, Any]:
    global _schema  # noqa: PLW0603
    if _schema is None:
        schema = get_openapi(title='MineGNK API', version=__version__, description=DESCRIPTION, routes=router.routes)
        components = schema.setdefault('components', {})
        components.setdefault('securitySchemes', {})['bearer'] = {
            'type': 'http', 'scheme': 'bearer', 'bearerFormat': 'JWT'}
        public = {f'{PREFIX}/auth/{name}' for name in ('register', 'login', 'refresh', 'logout')}
        for path, operations in schema.get('paths', {}).items():
            for operation in operations.values():
                if path not in public:
                    operation['security'] = [{'bearer': []}]
                # FastAPI's own 422 entry points at its HTTPValidationError; ours has one shape for every error.
                for status, entry in operation.get('responses', {}).items():
                    if status == '422':
                        entry['content'] = {'application/json': {'schema': {'$ref': '#/components/schemas/ErrorBody'}}}
        schemas = components.setdefault('schemas', {})
        schemas.pop('HTTPValidationError', None)
        schemas.pop('ValidationError', None)
        schemas.setdefault('ErrorBody', ErrorBody.model_json_schema(ref_template='#/components/schemas/{model}'))
        _schema = schema
    return _schema


def add_docs_routes(app: FastAPI) -> None:
    @app.get(OPENAPI_URL, include_in_schema=False)
    async def openapi_json() -> Response:
        import orjson
        return Response(orjson.dumps(openapi_schema()), media_type='application/json')

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs() -> Response:
        response = get_swagger_ui_html(openapi_url=OPENAPI_URL, title='MineGNK API')
        response.headers['content-security-policy'] = DOCS_CSP
        return response


def configure(settings: Settings) -> None:
    deps.configure(settings.resolved_secret('jwt_secret'),
                   limits=Limits(api_per_minute=settings.api_rate_per_minute))


class PortalApiDispatch:
    """Outermost of the portal's own middleware: requests under ``/api/`` go straight to the API app.

    NiceGUI's session and request-tracking middleware would otherwise give every cookie-less API call a new
    session cookie and a new server-side user storage (memory that grows with every call), and route it through
    every page route first. Passing by them also guarantees the session cookie plays no part in an API call.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope['type'] == 'http' and scope['path'].startswith('/api/') and _portal_api is not None:
            await _portal_api(scope, receive, send)
        else:
            await self.app(scope, receive, send)


_portal_api: FastAPI | None = None


def mount(app: FastAPI, settings: Settings) -> None:
    """Serve the API from the portal's process (called by ``minegnk.web.app.setup``, after its middleware)."""
    global _portal_api  # noqa: PLW0603
    _portal_api = create_app(settings, init_db=False)  # the portal binds the database itself
    # Outside everything: ``ui.run`` adds NiceGUI's gzip, prefix-redirect and cache-control middleware later (two
    # of them BaseHTTPMiddleware, which costs more than the whole API request), so wrap the stack once it is built.
    build = app.build_middleware_stack
    if not getattr(build, 'minegnk_api', False):
        def build_with_api() -> Any:
            return PortalApiDispatch(build())
        build_with_api.minegnk_api = True  # type: ignore[attr-defined]
        app.build_middleware_stack = build_with_api  # type: ignore[method-assign]
    # And inside, for an app whose stack was built already (NiceGUI's test runner reuses its app between tests).
    if not any(m.cls is PortalApiDispatch for m in app.user_middleware):
        app.add_middleware(PortalApiDispatch)


def create_app(settings: Settings | None = None, *, init_db: bool = True) -> FastAPI:
    """The API as its own ASGI app. ``init_db=False`` when the caller has bound the database already (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if init_db:
            from minegnk.db.engine import init_database
            init_database(settings.effective_database_url)
        yield

    app = FastAPI(title='MineGNK API', version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    from minegnk.web.security import SecurityHeadersMiddleware
    app.add_middleware(RequestGuard)  # inside the security headers, so its refusals carry them too
    app.add_middleware(SecurityHeadersMiddleware, https=settings.https)
    configure(settings)
    app.include_router(router)
    add_docs_routes(app)

    @app.exception_handler(404)
    async def not_found(_request: Request, _exc: Exception) -> Response:
        return error_response(404, 'not_found', 'Not found.')

    @app.exception_handler(405)
    async def method_not_allowed(_request: Request, _exc: Exception) -> Response:
        return error_response(405, 'method_not_allowed', 'Method not allowed.')

    @app.exception_handler(Exception)
    async def internal(_request: Request, _exc: Exception) -> Response:
        return error_response(500, 'internal_error', 'An unexpected error happened on our side.')

    return app


def __getattr__(name: str) -> Any:
    # ``uvicorn minegnk.api.app:app``: built on first access, so importing this module (the portal does) costs nothing.
    if name == 'app':
        value = create_app()
        globals()['app'] = value
        return value
    raise AttributeError(name)
