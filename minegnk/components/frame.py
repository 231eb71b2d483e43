"""The shell every page shares: header, navigation drawer, user menu, dark-mode toggle and language switch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import app, ui

from minegnk import i18n
from minegnk.components.bell import notification_bell
from minegnk.components.db_work import in_db
from minegnk.components.locale import N_, _, current_language
from minegnk.services import accounts
from minegnk.services.sessions import SessionUser
from minegnk.web import auth

BRAND = 'MineGNK'
DARK_KEY = 'dark_mode'


@dataclass(frozen=True)
class NavItem:
    label: str  # English source string, translated when drawn
    icon: str
    path: str


NAV_ITEMS = (
    NavItem(N_('Dashboard'), 'dashboard', '/'),
    NavItem(N_('My nodes'), 'dns', '/nodes'),
    NavItem(N_('My requests'), 'assignment', '/requests'),
    NavItem(N_('Profile'), 'person', '/profile'),
)
ADMIN_NAV_ITEMS = (
    NavItem(N_('Overview'), 'admin_panel_settings', '/admin'),
    NavItem(N_('Users'), 'group', '/admin/users'),
    NavItem(N_('Nodes'), 'dns', '/admin/nodes'),
    NavItem(N_('Assign nodes'), 'add_link', '/admin/nodes/assign'),
    NavItem(N_('Requests'), 'support_agent', '/admin/requests'),
    NavItem(N_('GPU catalog'), 'memory', '/admin/catalog'),
    NavItem(N_('Exchange rates'), 'currency_exchange', '/admin/rates'),
    NavItem(N_('System'), 'monitor_heart', '/admin/system'),
    NavItem(N_('Audit log'), 'history', '/admin/audit'),
)


def apply_theme() -> None:
    ui.colors(primary='#1f6feb', secondary='#0f766e', accent='#7c3aed', positive='#15803d', negative='#b91c1c',
              warning='#b45309')
    ui.dark_mode().bind_value(app.storage.user, DARK_KEY)


@contextmanager
def frame(title: str, user: SessionUser | None) -> Iterator[ui.column]:
    """Draw the shell and yield the content column. ``title`` is already translated."""
    apply_theme()
    ui.page_title(f'{title} · {BRAND}')
    with ui.header(elevated=True).classes('items-center justify-between px-2 py-1 bg-primary'):
        with ui.row().classes('items-center gap-1 no-wrap'):
            if user is not None:
                ui.button(icon='menu', on_click=lambda: drawer.toggle()).props('flat round color=white') \
                    .mark('nav-toggle').tooltip(_('Menu'))
            ui.link(BRAND, '/').classes('text-white text-lg font-bold no-underline')
        with ui.row().classes('items-center gap-1 no-wrap'):
            dark = ui.dark_mode().bind_value(app.storage.user, DARK_KEY)
            ui.button(icon='dark_mode', on_click=lambda: dark.set_value(not dark.value)) \
                .props('flat round color=white').tooltip(_('Dark mode')).mark('dark-toggle')
            if user is None:
                language_menu()
            else:
                notification_bell(user)
                user_menu(user)
    drawer = None
    if user is not None:
        # Open above the breakpoint, closed below, decided by Quasar in the browser. (value=None would do the same but
        # also ask the browser for the state after connecting, logging an ERROR whenever that takes over a second.)
        with ui.left_drawer(value=False).classes('bg-gray-50 dark:bg-gray-900') \
                .props('width=230 breakpoint=800 show-if-above') as drawer:
            for item in NAV_ITEMS:
                nav_link(item)
            if user.is_admin:
                ui.separator()
                ui.label(_('Admin')).classes('text-xs uppercase text-gray-500 px-2 pt-2').mark('admin-section')
                for item in ADMIN_NAV_ITEMS:
                    nav_link(item)
    with ui.column().classes('w-full max-w-6xl mx-auto p-3 sm:p-6 gap-4') as content:
        yield content


def nav_link(item: NavItem) -> None:
    with ui.link(target=item.path).classes('no-underline w-full'):
        with ui.row().classes('items-center gap-3 px-3 py-2 rounded hover:bg-gray-200 dark:hover:bg-gray-800 w-full'):
            ui.icon(item.icon).classes('text-gray-600 dark:text-gray-300')
            ui.label(_(item.label)).classes('text-gray-900 dark:text-gray-100')


def user_menu(user: SessionUser) -> None:
    with ui.button(icon='account_circle').props('flat round color=white').mark('user-menu'):
        with ui.menu().classes('min-w-[220px]'):
            ui.label(user.email).classes('px-4 pt-3 pb-1 text-sm text-gray-600 break-all')
            if user.is_admin:
                ui.label(_('Administrator')).classes('px-4 pb-2 text-xs text-primary')
            ui.separator()
            for code, name in i18n.LANGUAGES.items():
                ui.menu_item(name, on_click=lambda c=code: switch_language(c, user)) \
                    .props(f'active={str(code == current_language()).lower()}').mark(f'lang-{code}')
            ui.separator()
            ui.menu_item(_('Log out'), on_click=lambda: logout(user)).mark('logout')


def language_menu() -> None:
    with ui.button(icon='translate').props('flat round color=white').tooltip(_('Language')).mark('language-menu'):
        with ui.menu():
            for code, name in i18n.LANGUAGES.items():
                ui.menu_item(name, on_click=lambda c=code: switch_language(c, None)).mark(f'lang-{code}')


async def switch_language(language: str, user: SessionUser | None) -> None:
    app.storage.user[auth.LANGUAGE_KEY] = language
    if user is not None:
        await in_db(accounts.set_language, user.user_id, language)
    ui.navigate.reload()


async def logout(user: SessionUser) -> None:
    app.storage.user.pop(auth.TOKEN_KEY, None)
    await in_db(accounts.logout, user.token_hash)
    ui.navigate.to(auth.LOGIN_PATH)
