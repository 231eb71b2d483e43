"""Building blocks of the admin pages: server-side paged tables, times in the admin's zone, error texts, live updates."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nicegui import context, ui

from minegnk.components.live_updates import on_signal
from minegnk.components.locale import N_, _
from minegnk.components.messages import ERROR_MESSAGES
from minegnk.i18n.address_errors import describe_address_error
from minegnk.i18n.field_errors import ADMIN_ERRORS
from minegnk.services.events import Signal
from minegnk.services.sessions import SessionUser

STATUS_LABELS = {
    'healthy': N_('Healthy'), 'unhealthy': N_('Unhealthy'), 'offline': N_('Offline'), 'jailed': N_('Jailed'),
    'inactive': N_('Inactive'), 'unknown': N_('Unknown'),
}
STATUS_COLORS = {'healthy': 'positive', 'unhealthy': 'warning', 'offline': 'negative', 'jailed': 'negative',
                 'inactive': 'grey', 'unknown': 'grey'}


def admin_error(code: str, params: dict[str, Any] | None = None) -> str:
    if code.startswith('address_'):  # the same words as the API's (minegnk.i18n.address_errors)
        return describe_address_error(code, params, _)
    message = ADMIN_ERRORS.get(code) or ERROR_MESSAGES.get(code) or 'Something went wrong. Please try again.'
    return _(message, **{k: v for k, v in (params or {}).items() if isinstance(v, str | int)})


def status_label(status: str | None) -> str:
    status = status or 'unknown'
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def user_zone(user: SessionUser) -> tuple[ZoneInfo, str]:
    """The admin's time zone (their profile setting, else UTC) and its name for display."""
    if user.timezone:
        try:
            return ZoneInfo(user.timezone), user.timezone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo('UTC'), 'UTC'


def fmt_time(value: datetime | None, zone: ZoneInfo, *, seconds: bool = False) -> str:
    if value is None:
        return '—'
    return value.astimezone(zone).strftime('%Y-%m-%d %H:%M:%S' if seconds else '%Y-%m-%d %H:%M')


def fmt_age(age: timedelta | None) -> str:
    if age is None:
        return '—'
    seconds = int(age.total_seconds())
    if seconds < 90:
        return _('{n} s ago', n=seconds)
    if seconds < 90 * 60:
        return _('{n} min ago', n=seconds // 60)
    if seconds < 48 * 3600:
        return _('{n} h ago', n=seconds // 3600)
    return _('{n} days ago', n=seconds // 86400)


def fmt_json(value: dict | None) -> str:
    if not value:
        return ''
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def zone_note(zone_name: str) -> ui.label:
    return ui.label(_('Times are shown in {zone}.', zone=zone_name)).classes('text-xs text-gray-500').mark('zone-note')


def page_header(title: str, subtitle: str | None = None) -> None:
    ui.label(title).classes('text-2xl font-semibold').mark('page-title')
    if subtitle:
        ui.label(subtitle).classes('text-gray-600 text-sm')


Loader = Callable[[int, int, str, bool], Awaitable[tuple[list[dict[str, Any]], int]]]


class ServerTable:
    """``ui.table`` paged, sorted and filtered on the server through Quasar's ``request`` event.

    ``load(page, per_page, sort_by, descending)`` returns (rows, total). The handler sets both the rows and the
    pagination itself, as the NiceGUI notes require, so sort direction and page count follow the server.
    """

    def __init__(self, columns: list[dict[str, Any]], load: Loader, *, row_key: str, sort_by: str,
                 descending: bool = False, rows_per_page: int = 25, empty: str = '') -> None:
        self.load = load
        self.table = ui.table(columns=columns, rows=[], row_key=row_key, pagination={
            'page': 1, 'rowsPerPage': rows_per_page, 'sortBy': sort_by, 'descending': descending, 'rowsNumber': 0,
        }).classes('w-full').props('flat bordered wrap-cells binary-state-sort')
        self.table.props(':rows-per-page-options="[10, 25, 50, 100]"')
        self.table._props['no-data-label'] = empty or _('Nothing to show.')  # noqa: SLF001 - plain text prop
        self.table._props['loading-label'] = _('Loading…')  # noqa: SLF001
        self.table._props['rows-per-page-label'] = _('Rows per page:')  # noqa: SLF001
        self.total = 0
        self.table.on('request', self._on_request)
        self.table.on_pagination_change(self._keep_total)

    def _keep_total(self, event: Any) -> None:
        # Quasar reports its own pagination back once mounted, with the rowsNumber it was first drawn with (0):
        # the row count is the server's ("1-0 of 0" under two rows otherwise).
        if (event.value or {}).get('rowsNumber') != self.total:
            self.table.pagination = {**(event.value or {}), 'rowsNumber': self.total}

    async def _on_request(self, event: Any) -> None:
        await self.reload(dict(event.args.get('pagination') or {}))

    async def reload(self, pagination: dict[str, Any] | None = None, *, first_page: bool = False) -> None:
        current = dict(self.table.pagination or {})
        wanted = {**current, **(pagination or {})}
        if first_page:
            wanted['page'] = 1
        page = max(1, int(wanted.get('page') or 1))
        per_page = int(wanted.get('rowsPerPage') or 25)
        if per_page <= 0:  # Quasar's "All"
            per_page = 200
        sort_by = wanted.get('sortBy') or current.get('sortBy') or ''
        descending = bool(wanted.get('descending'))
        self.table.props('loading')
        try:
            rows, total = await self.load(page, per_page, sort_by, descending)
        finally:
            self.table.props(remove='loading')
        self.total = total
        self.table.rows = rows
        self.table.pagination = {'page': page, 'rowsPerPage': per_page, 'sortBy': sort_by,
                                 'descending': descending, 'rowsNumber': total}


def listen(signal: Signal[Any], callback: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``callback(payload)`` on this page whenever ``signal`` fires (from any thread) until the page closes."""
    on_signal(signal, callback, name='admin live update')


async def confirm(question: str, ok_label: str | None = None, *, danger: bool = False) -> bool:
    """Ask a yes/no question in a dialog attached to the page (not to the element that was clicked)."""
    with context.client.content, ui.dialog() as dialog, ui.card().classes('max-w-md'):
        ui.label(question).classes('break-words')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Cancel'), on_click=lambda: dialog.submit(False)).props('flat').mark('cancel')
            ui.button(ok_label or _('Confirm'), color='negative' if danger else 'primary',
                      on_click=lambda: dialog.submit(True)).mark('confirm')
    try:
        return bool(await dialog)
    finally:
        dialog.delete()
