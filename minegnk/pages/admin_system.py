"""Admin: system overview — users, nodes and requests by status, upstream health, data age, scheduler, database."""

from __future__ import annotations

from nicegui import ui

from minegnk.components.admin_ui import (STATUS_COLORS, fmt_age, fmt_time, page_header, status_label,
                                         user_zone, zone_note)
from minegnk.components.db_work import in_db
from minegnk.components.delivery_admin import delivery_section
from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.components.request_ui import STATUS_LABELS as REQUEST_STATUS_LABELS
from minegnk.services import system
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def human_size(size: int | None) -> str:
    if size is None:
        return '—'
    value = float(size)
    for unit in ('B', 'KB', 'MB', 'GB', 'TB'):
        if value < 1024 or unit == 'TB':
            return f'{value:.0f} {unit}' if unit == 'B' else f'{value:.1f} {unit}'
        value /= 1024
    return str(size)


def stat_card(title: str, value: str, marker: str) -> None:
    with ui.card().classes('min-w-[150px] grow gap-1').mark(marker):
        ui.label(title).classes('text-xs uppercase text-gray-500')
        ui.label(value).classes('text-2xl font-semibold')


def register() -> None:
    @auth.protected_page('/admin/system', admin=True)
    async def system_page(user: SessionUser) -> None:
        zone, zone_name = user_zone(user)
        with frame(_('System'), user):
            with ui.row().classes('w-full items-center justify-between gap-2'):
                page_header(_('System'))
                with ui.row().classes('gap-2'):
                    ui.button(_('Reload'), icon='sync', on_click=lambda: show()).props('flat').mark('reload')
                    refresh = ui.button(_('Refresh data now'), icon='cloud_sync').mark('refresh-now')
            body = ui.column().classes('w-full gap-4')
            with body:
                ui.spinner(size='lg')

            async def refresh_now() -> None:
                outcome = system.request_refresh()
                if outcome.status == 'started':
                    ui.notify(_('Refresh started.'), type='positive')
                    if outcome.pending is not None:
                        await outcome.pending
                elif outcome.status == 'rate_limited':
                    ui.notify(_('A refresh was requested moments ago. Try again in {n} s.', n=outcome.retry_after),
                              type='warning')
                elif outcome.status == 'unavailable':
                    ui.notify(_('The background refresh is not running in this process.'), type='warning')
                else:
                    ui.notify(_('The refresh could not be started.'), type='negative')

            refresh.on_click(refresh_now)

            async def show() -> None:
                stats: system.SystemStats = await in_db(system.system_stats)
                body.clear()
                with body:
                    with ui.row().classes('w-full gap-3 flex-wrap'):
                        stat_card(_('Users'), f'{stats.users_total}', 'stat-users')
                        stat_card(_('Active users'), f'{stats.users_active}', 'stat-active')
                        stat_card(_('Administrators'), f'{stats.admins}', 'stat-admins')
                        stat_card(_('Nodes'), f'{stats.nodes_total}', 'stat-nodes')
                        stat_card(_('Assigned nodes'), f'{stats.nodes_assigned}', 'stat-assigned')
                    with ui.row().classes('w-full gap-4 flex-wrap items-start'):
                        with ui.card().classes('grow min-w-[260px]').mark('nodes-by-status'):
                            ui.label(_('Assigned nodes by status')).classes('font-semibold')
                            if not stats.nodes_by_status:
                                ui.label(_('No nodes assigned yet.')).classes('text-gray-500 text-sm')
                            for status, count in sorted(stats.nodes_by_status.items()):
                                with ui.row().classes('w-full justify-between'):
                                    ui.badge(status_label(status), color=STATUS_COLORS.get(status, 'grey'))
                                    ui.label(str(count))
                        with ui.card().classes('grow min-w-[260px]').mark('requests-by-status'):
                            ui.label(_('Requests by status')).classes('font-semibold')
                            if not stats.requests_by_status:
                                ui.label(_('No requests yet.')).classes('text-gray-500 text-sm')
                            for status, count in sorted(stats.requests_by_status.items()):
                                with ui.row().classes('w-full justify-between'):
                                    ui.label(_(REQUEST_STATUS_LABELS.get(status, status)))
                                    ui.label(str(count))
                    with ui.card().classes('w-full gap-1').mark('data-age'):
                        ui.label(_('Data and scheduler')).classes('font-semibold')
                        info = stats.scheduler
                        lines = [
                            (_('Latest network snapshot'), fmt_time(stats.snapshot_taken_at, zone, seconds=True)
                             + (f' ({fmt_age(stats.data_age)})' if stats.data_age is not None else '')),
                            (_('Snapshot epoch'), str(stats.snapshot_epoch) if stats.snapshot_epoch is not None else '—'),
                            (_('Snapshot is stale'), _('yes') if stats.snapshot_stale else _('no')),
                            (_('Scheduler last run'), fmt_time(info.last_run, zone, seconds=True)),
                            (_('Scheduler next run'), fmt_time(info.next_run, zone, seconds=True)),
                            (_('Application version'), stats.version),
                            (_('Database'), f'{stats.database_kind} · {human_size(stats.database_size)}'),
                        ]
                        with ui.grid(columns=2).classes('w-full gap-x-6 gap-y-1 text-sm'):
                            for label, value in lines:
                                ui.label(label).classes('text-gray-500')
                                ui.label(value).classes('break-all')
                    ui.label(_('Upstream health')).classes('text-lg font-semibold')
                    upstreams = ui.table(columns=[
                        {'name': 'source', 'label': _('Source'), 'field': 'source', 'align': 'left'},
                        {'name': 'success', 'label': _('Last success'), 'field': 'success', 'align': 'left'},
                        {'name': 'error_at', 'label': _('Last error'), 'field': 'error_at', 'align': 'left'},
                        {'name': 'error', 'label': _('Reason'), 'field': 'error', 'align': 'left'},
                        {'name': 'latency', 'label': _('Latency'), 'field': 'latency'},
                        {'name': 'failures', 'label': _('Failures in a row'), 'field': 'failures'},
                    ], rows=[{'source': u.source, 'success': fmt_time(u.last_success_at, zone, seconds=True),
                              'error_at': fmt_time(u.last_error_at, zone, seconds=True), 'error': u.last_error or '',
                              'latency': f'{u.latency_ms} ms' if u.latency_ms is not None else '—',
                              'failures': u.consecutive_failures} for u in stats.upstreams],
                        row_key='source').classes('w-full').props('flat bordered wrap-cells').mark('upstreams')
                    upstreams._props['no-data-label'] = _('No upstream has been contacted yet.')  # noqa: SLF001
                    await delivery_section(zone)
                    zone_note(zone_name)

            await show()
