"""Wires the portal together on NiceGUI's FastAPI app: database, middleware, routes, pages, start/stop hooks."""

from __future__ import annotations

import logging
from datetime import timedelta

from nicegui import app
from nicegui.storage import set_storage_secret

from minegnk.config import Settings
from minegnk.db.engine import init_database
from minegnk.db.migrate import upgrade_to_head
from minegnk.web import auth, background
from minegnk.web.security import SecurityHeadersMiddleware

log = logging.getLogger(__name__)

SESSION_COOKIE_MAX_AGE = int(timedelta(days=30).total_seconds())


def setup(settings: Settings, *, migrate: bool = True, prime_cycles: int = 0) -> None:
    """Prepare everything ``ui.run`` needs; safe to call once per process (and once per test)."""
    url = settings.effective_database_url
    if migrate:
        upgrade_to_head(url)
    init_database(url)
    seed_defaults()

    # The session middleware is installed here rather than by ui.run so that the security middleware can wrap it
    # (it adjusts the session cookie); ui.run then finds it and keeps it.
    set_storage_secret(settings.resolved_secret('storage_secret'), session_kwargs(settings))
    app.add_middleware(SecurityHeadersMiddleware, https=settings.https)
    auth.install_revocation_listener()
    background.install(settings, prime_cycles=prime_cycles)

    from minegnk.pages import admin, auth_pages, dashboard, errors, nodes
    from minegnk.web import health
    health.register()
    errors.register()
    auth_pages.register()
    dashboard.register()
    nodes.register()
    admin.register()
    from minegnk.api.app import mount as mount_api  # JSON API under /api/v1, docs at /api/docs
    mount_api(app, settings)
    from minegnk.pages import admin_audit, admin_nodes, admin_rates, admin_system, admin_users
    admin_users.register()
    admin_nodes.register()
    admin_rates.register()
    admin_system.register()
    admin_audit.register()
    from minegnk.pages import admin_catalog, admin_requests, profile, requests
    requests.register()
    admin_requests.register()
    admin_catalog.register()
    profile.register()
    from minegnk.pages import notifications, password_reset
    notifications.register()
    password_reset.register()


def seed_defaults() -> None:
    """Reference data every installation needs (idempotent; never overwrites an admin's edits)."""
    from minegnk.db.engine import session_scope
    from minegnk.services import catalog
    with session_scope() as db:
        catalog.ensure_default_catalog(db)


def session_kwargs(settings: Settings) -> dict:
    return {'https_only': settings.https, 'same_site': 'lax', 'max_age': SESSION_COOKIE_MAX_AGE}


def run_kwargs(settings: Settings) -> dict:
    """Arguments for ``ui.run`` shared by the CLI and the test runner."""
    return {
        'host': settings.host,
        'port': settings.port,
        'title': 'MineGNK',
        'storage_secret': settings.resolved_secret('storage_secret'),
        'reload': False,
        'show': False,
        'reconnect_timeout': settings.reconnect_timeout,
        'favicon': '⛏️',
        'session_middleware_kwargs': session_kwargs(settings),
        'show_welcome_message': False,
    }
