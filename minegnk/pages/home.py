"""The customer's start page (the dashboard proper is built on the data layer)."""

from __future__ import annotations

from nicegui import ui

from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def register() -> None:
    @auth.protected_page('/')
    def home(user: SessionUser) -> None:
        with frame(_('Dashboard'), user):
            ui.label(_('Dashboard')).classes('text-2xl font-semibold').mark('page-title')
            with ui.card().classes('w-full items-center text-center gap-2 py-8').mark('empty-state'):
                ui.icon('dns').classes('text-5xl text-primary')
                ui.label(_('Welcome to MineGNK')).classes('text-xl font-semibold')
                ui.label(_('MineGNK shows the status and earnings of your Gonka nodes in one place. '
                           'Once support assigns nodes to your account, they appear here.')) \
                    .classes('text-gray-600 max-w-lg')
