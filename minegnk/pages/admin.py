"""Admin area (admins only; every admin page is guarded on the server)."""

from __future__ import annotations

from nicegui import ui

from minegnk.components.frame import ADMIN_NAV_ITEMS, frame
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
            # The sections themselves, so the overview leads somewhere (on a phone the drawer is closed).
            with ui.element('div').classes('grid w-full gap-3 grid-cols-1 sm:grid-cols-2 lg:grid-cols-4'):
                for item in ADMIN_NAV_ITEMS:
                    if item.path == '/admin':
                        continue
                    with ui.link(target=item.path).classes('no-underline text-inherit').mark(f'admin-{item.path}'):
                        with ui.card().classes('w-full h-full p-4 flex-row items-center gap-3 hover:shadow-md') \
                                .props('flat bordered'):
                            ui.icon(item.icon).classes('text-2xl text-primary')
                            ui.label(_(item.label)).classes('text-base font-medium')
