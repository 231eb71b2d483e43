"""Admin area (admins only; every admin page is guarded on the server)."""

from __future__ import annotations

from nicegui import ui

from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def register() -> None:
    @auth.protected_page('/admin', admin=True)
    def admin_home(user: SessionUser) -> None:
        with frame(_('Administration'), user):
            ui.label(_('Administration')).classes('text-2xl font-semibold').mark('page-title')
            ui.label(_('Users, node assignment, the request queue and system health are managed here.')) \
                .classes('text-gray-600')
