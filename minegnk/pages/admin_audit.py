"""Admin: the audit log (read-only): who did what to which target, before and after, filterable and paged."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from nicegui import ui

from minegnk.components.admin_ui import ServerTable, fmt_json, fmt_time, page_header, user_zone, zone_note
from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.services import audit_log
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def register() -> None:
    @auth.protected_page('/admin/audit', admin=True)
    async def audit_page(user: SessionUser) -> None:
        zone, zone_name = user_zone(user)
        with frame(_('Audit log'), user):
            page_header(_('Audit log'), _('Every admin and security action. Entries cannot be edited or deleted.'))
            actions = await in_db(audit_log.actions)
            with ui.row().classes('w-full items-end gap-2'):
                action = ui.select({'': _('All actions'), **{a: a for a in actions}}, value='', label=_('Action'),
                                   with_input=True).props('outlined dense').classes('w-48').mark('audit-action')
                actor = ui.input(_('Actor email')).props('outlined dense clearable debounce=300') \
                    .classes('w-48').mark('audit-actor')
                target = ui.input(_('Target')).props('outlined dense clearable debounce=300').classes('w-40') \
                    .mark('audit-target')
                since = ui.input(_('From ({zone})', zone=zone_name)).props('outlined dense type=date clearable') \
                    .classes('w-44').mark('audit-from')
                until = ui.input(_('To ({zone})', zone=zone_name)).props('outlined dense type=date clearable') \
                    .classes('w-44').mark('audit-to')
            problem = ui.label().classes('text-negative text-sm').mark('audit-error')

            def day_start(text: str | None) -> datetime | None:
                if not text:
                    return None
                return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=zone)

            columns = [
                {'name': 'when', 'label': _('When'), 'field': 'when', 'align': 'left'},
                {'name': 'actor', 'label': _('Who'), 'field': 'actor', 'align': 'left'},
                {'name': 'action', 'label': _('Action'), 'field': 'action', 'align': 'left'},
                {'name': 'target', 'label': _('Target'), 'field': 'target', 'align': 'left'},
                {'name': 'before', 'label': _('Before'), 'field': 'before', 'align': 'left'},
                {'name': 'after', 'label': _('After'), 'field': 'after', 'align': 'left'},
            ]

            async def load(page: int, per_page: int, _sort: str, _descending: bool) -> tuple[list[dict], int]:
                problem.set_text('')
                try:
                    start = day_start(since.value)
                    end = day_start(until.value)
                except ValueError:
                    problem.set_text(_('Enter dates as YYYY-MM-DD.'))
                    return [], 0
                result = await in_db(audit_log.list_audit, action=action.value or None, actor=actor.value or '',
                                     target=target.value or '', since=start,
                                     until=end + timedelta(days=1) if end else None, page=page, per_page=per_page)
                rows = [{'id': r.id, 'when': fmt_time(r.created_at, zone, seconds=True), 'actor': r.actor_email or
                         _('system'), 'action': r.action,
                         'target': f'{r.target_type or ""} {r.target_id or ""}'.strip(),
                         'before': fmt_json(r.before), 'after': fmt_json(r.after)} for r in result.rows]
                return rows, result.total

            table = ServerTable(columns, load, row_key='id', sort_by='', rows_per_page=50,
                                empty=_('No entries match these filters.'))
            table.table.props('dense').mark('audit-table')
            zone_note(zone_name)
            for element in (action, actor, target, since, until):
                element.on_value_change(lambda: table.reload(first_page=True))
            await table.reload()
