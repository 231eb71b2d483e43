"""Admin system page: notification delivery at a glance — messages by status, failed and dead ones with the
reason, and a button to try one again."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from nicegui import ui

from minegnk.components.admin_ui import fmt_time
from minegnk.components.db_work import in_db
from minegnk.components.locale import N_, _
from minegnk.services import outbox

STATUS_NAMES = {'pending': N_('waiting'), 'sending': N_('sending'), 'held': N_('held (quiet hours)'),
                'failed': N_('failed, will retry'), 'sent': N_('sent'), 'dead': N_('given up')}


async def delivery_section(zone: ZoneInfo) -> None:
    counts = await in_db(outbox.counts)
    rows = await in_db(outbox.problems)
    if counts is None or rows is None:
        return
    with ui.card().classes('w-full gap-2').mark('deliveries'):
        ui.label(_('Notification delivery')).classes('text-lg font-semibold')
        ui.label(' · '.join(f'{_(STATUS_NAMES.get(s, s))}: {n}' for s, n in sorted(counts.items()))
                 or _('Nothing sent yet.')).classes('text-sm').mark('delivery-counts')
        if not rows:
            ui.label(_('No failed deliveries.')).classes('text-sm text-gray-500').mark('no-failed-deliveries')
            return
        with ui.column().classes('w-full gap-1'):
            for row in rows:
                with ui.row().classes('w-full items-center justify-between gap-2 border-b border-gray-200 '
                                      'dark:border-gray-700 py-1 no-wrap').mark(f'delivery-{row.id}'):
                    with ui.column().classes('gap-0 min-w-0'):
                        ui.label(f'{row.channel} · {row.kind} · {row.user_email or "—"}').classes('text-sm break-all')
                        ui.label(_('{status} after {attempts} attempts: {error}', status=_(STATUS_NAMES[row.status]),
                                   attempts=row.attempts, error=row.last_error or '—')) \
                            .classes('text-xs text-gray-500 break-all')
                        ui.label(fmt_time(row.created_at, zone, seconds=True)).classes('text-xs text-gray-500')

                    async def retry(outbox_id: int = row.id) -> None:
                        if await in_db(outbox.retry_now, outbox_id):
                            ui.notify(_('Queued again.'), type='positive')
                    ui.button(_('Retry'), on_click=retry).props('flat dense').mark(f'retry-{row.id}')
