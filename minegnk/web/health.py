"""Liveness and readiness probes (JSON, no authentication)."""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse
from nicegui import app, run
from sqlalchemy import text

from minegnk import __version__
from minegnk.db.engine import get_engine

log = logging.getLogger(__name__)


def _ping_database() -> None:
    with get_engine().connect() as connection:
        connection.execute(text('SELECT 1'))


def register() -> None:
    @app.get('/healthz', include_in_schema=False)
    async def healthz() -> dict:
        return {'status': 'ok', 'version': __version__}

    @app.get('/readyz', include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            await run.io_bound(_ping_database)
        except Exception as e:  # any failure means "not ready"; the reason is what an operator needs
            log.warning('readiness check failed: %s', e.__class__.__name__)
            return JSONResponse({'status': 'unavailable', 'reason': f'database unreachable ({e.__class__.__name__})'},
                                status_code=503)
        return JSONResponse({'status': 'ok', 'database': get_engine().dialect.name})
