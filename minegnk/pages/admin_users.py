"""Admin: the user list, one user's page (nodes, requests, activity, role and activation) and "view as customer"."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from minegnk.components.admin_ui import (STATUS_COLORS, ServerTable, admin_error, fmt_json, fmt_time, listen,
                                         confirm as ask,
                                         page_header, status_label, user_zone, zone_note)
from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.services import accounts, admin_users, assignment_events
from minegnk.services.sessions import SessionUser
from minegnk.web import auth



def _role(role: str) -> str:
    return _('Administrator') if role == 'admin' else _('Customer')


def register() -> None:
    @auth.protected_page('/admin/users', admin=True)
    async def users_page(user: SessionUser) -> None:
        zone, zone_name = user_zone(user)
        with frame(_('Users'), user):
            page_header(_('Users'), _('Search, filter and open a user to manage roles, activation and nodes.'))
            with ui.row().classes('w-full items-end gap-2'):
                search = ui.input(_('Search by email')).props('outlined dense clearable debounce=300') \
                    .classes('grow min-w-[200px]').mark('user-search')
                role = ui.select({'': _('All roles'), 'user': _('Customers'), 'admin': _('Administrators')}, value='',
                                 label=_('Role')).props('outlined dense').classes('w-40').mark('role-filter')
                active = ui.select({'': _('All'), 'yes': _('Active'), 'no': _('Deactivated')}, value='',
                                   label=_('Status')).props('outlined dense').classes('w-40').mark('active-filter')
            columns = [
                {'name': 'email', 'label': _('Email'), 'field': 'email', 'sortable': True, 'align': 'left'},
                {'name': 'role', 'label': _('Role'), 'field': 'role_label', 'sortable': True, 'align': 'left'},
                {'name': 'is_active', 'label': _('Status'), 'field': 'active_label', 'sortable': True, 'align': 'left'},
                {'name': 'node_count', 'label': _('Nodes'), 'field': 'node_count', 'sortable': True},
                {'name': 'created_at', 'label': _('Registered'), 'field': 'created', 'sortable': True, 'align': 'left'},
                {'name': 'last_login_at', 'label': _('Last login'), 'field': 'last_login', 'sortable': True,
                 'align': 'left'},
            ]

            async def load(page: int, per_page: int, sort: str, descending: bool) -> tuple[list[dict], int]:
                result = await in_db(admin_users.list_users, search=search.value or '', role=role.value or None,
                                     active={'yes': True, 'no': False}.get(active.value), sort=sort,
                                     descending=descending, page=page, per_page=per_page)
                rows = [{'id': r.id, 'email': r.email, 'role_label': _role(r.role),
                         'active_label': _('Active') if r.is_active else _('Deactivated'), 'node_count': r.node_count,
                         'created': fmt_time(r.created_at, zone), 'last_login': fmt_time(r.last_login_at, zone)}
                        for r in result.rows]
                return rows, result.total

            table = ServerTable(columns, load, row_key='id', sort_by='created_at', descending=True,
                                empty=_('No users match these filters.'))
            table.table.mark('users-table')
            table.table.add_slot('body-cell-email', '''
                <q-td :props="props" style="min-width: 12rem"><a class="text-primary break-all" :href="'/admin/users/' + props.row.id">{{ props.value }}</a></q-td>''')
            zone_note(zone_name)
            for element in (search, role, active):
                element.on_value_change(lambda: table.reload(first_page=True))
            await table.reload()

    @auth.protected_page('/admin/users/{user_id}', admin=True)
    async def user_page(user: SessionUser, user_id: int) -> None:
        zone, zone_name = user_zone(user)
        with frame(_('User'), user):
            ui.link(_('← All users'), '/admin/users').classes('text-sm')
            body = ui.column().classes('w-full gap-4')

            async def show() -> None:
                detail = await in_db(admin_users.user_detail, user_id)
                body.clear()
                with body:
                    if detail is None:
                        with ui.card().classes('w-full items-center py-8').mark('empty-state'):
                            ui.label(_('This user does not exist.'))
                        return
                    render(detail)

            def render(detail: admin_users.UserDetail) -> None:
                with ui.row().classes('w-full items-center gap-2 flex-wrap'):
                    ui.label(detail.email).classes('text-2xl font-semibold break-all').mark('user-email')
                    ui.badge(_role(detail.role), color='primary' if detail.role == 'admin' else 'grey') \
                        .mark('user-role')
                    ui.badge(_('Active') if detail.is_active else _('Deactivated'),
                             color='positive' if detail.is_active else 'negative').mark('user-active')
                with ui.card().classes('w-full'):
                    with ui.grid(columns=2).classes('w-full gap-x-6 gap-y-1 text-sm'):
                        for label, value in [(_('Registered'), fmt_time(detail.created_at, zone)),
                                             (_('Last login'), fmt_time(detail.last_login_at, zone)),
                                             (_('Telegram'), detail.telegram or '—'), (_('Discord'), detail.discord or '—'),
                                             (_('Currency'), detail.currency), (_('Time zone'), detail.timezone or '—')]:
                            ui.label(label).classes('text-gray-500')
                            ui.label(value).classes('break-all')
                error = ui.label().classes('text-negative text-sm').mark('user-error')
                error.set_visibility(False)
                with ui.row().classes('w-full gap-2 flex-wrap'):
                    if detail.role == 'admin':
                        ui.button(_('Remove admin role'), icon='remove_moderator',
                                  on_click=lambda: confirm(_('Remove the admin role from {email}?', email=detail.email),
                                                           change_role, 'user')).props('outline').mark('remove-admin')
                    else:
                        ui.button(_('Make admin'), icon='admin_panel_settings',
                                  on_click=lambda: confirm(_('Make {email} an administrator?', email=detail.email),
                                                           change_role, 'admin')).props('outline').mark('make-admin')
                    if detail.is_active:
                        ui.button(_('Deactivate'), icon='block', color='negative',
                                  on_click=lambda: confirm(_('Deactivate {email}? Their sessions end at once.',
                                                             email=detail.email), change_active, False)) \
                            .props('outline').mark('deactivate')
                    else:
                        ui.button(_('Activate'), icon='check_circle',
                                  on_click=lambda: confirm(_('Activate {email}?', email=detail.email), change_active,
                                                           True)).props('outline').mark('activate')
                    ui.button(_('View as customer'), icon='visibility',
                              on_click=lambda: ui.navigate.to(f'/admin/users/{detail.id}/view')).props('flat') \
                        .mark('view-as-customer')
                    ui.button(_('Assign nodes'), icon='add_link',
                              on_click=lambda: ui.navigate.to(f'/admin/nodes/assign?user_id={detail.id}')).props('flat')

                ui.label(_('Nodes')).classes('text-lg font-semibold pt-2')
                node_rows = [{'address': n.address, 'label': n.label or '', 'status': status_label(n.status),
                              'color': STATUS_COLORS.get(n.status, 'grey'),
                              'assigned': fmt_time(n.assigned_at, zone)} for n in detail.nodes]
                nodes = ui.table(columns=[
                    {'name': 'address', 'label': _('Address'), 'field': 'address', 'align': 'left'},
                    {'name': 'label', 'label': _('Label'), 'field': 'label', 'align': 'left'},
                    {'name': 'status', 'label': _('Status'), 'field': 'status', 'align': 'left'},
                    {'name': 'assigned', 'label': _('Assigned'), 'field': 'assigned', 'align': 'left'},
                ], rows=node_rows, row_key='address').classes('w-full').props('flat bordered wrap-cells').mark('user-nodes')
                nodes._props['no-data-label'] = _('No nodes assigned.')  # noqa: SLF001
                nodes.add_slot('body-cell-status', '''
                    <q-td :props="props"><q-badge :color="props.row.color">{{ props.value }}</q-badge></q-td>''')

                ui.label(_('Requests')).classes('text-lg font-semibold pt-2')
                requests = ui.table(columns=[
                    {'name': 'id', 'label': '#', 'field': 'id', 'align': 'left'},
                    {'name': 'gpu', 'label': _('GPU'), 'field': 'gpu', 'align': 'left'},
                    {'name': 'status', 'label': _('Status'), 'field': 'status', 'align': 'left'},
                    {'name': 'created', 'label': _('Created'), 'field': 'created', 'align': 'left'},
                ], rows=[{'id': r.id, 'gpu': f'{r.gpu_type or "—"} × {r.quantity or "—"}', 'status': r.status,
                          'created': fmt_time(r.created_at, zone)} for r in detail.requests],
                    row_key='id').classes('w-full').props('flat bordered wrap-cells').mark('user-requests')
                requests._props['no-data-label'] = _('No requests yet.')  # noqa: SLF001

                ui.label(_('Activity')).classes('text-lg font-semibold pt-2')
                activity = ui.table(columns=[
                    {'name': 'when', 'label': _('When'), 'field': 'when', 'align': 'left'},
                    {'name': 'action', 'label': _('Action'), 'field': 'action', 'align': 'left'},
                    {'name': 'actor', 'label': _('By'), 'field': 'actor', 'align': 'left'},
                    {'name': 'change', 'label': _('Change'), 'field': 'change', 'align': 'left'},
                ], rows=[{'id': a.id, 'when': fmt_time(a.created_at, zone, seconds=True), 'action': a.action,
                          'actor': a.actor_email or '—',
                          'change': f'{fmt_json(a.before)} → {fmt_json(a.after)}' if a.before or a.after else ''}
                         for a in detail.activity], row_key='id').classes('w-full') \
                    .props('flat bordered wrap-cells dense').mark('user-activity')
                activity._props['no-data-label'] = _('No activity recorded.')  # noqa: SLF001
                zone_note(zone_name)

                async def change_role(role: str) -> None:
                    await run_change(accounts.set_role, role=role)

                async def change_active(value: bool) -> None:
                    await run_change(accounts.set_active, active=value)

                async def run_change(fn: Any, **kwargs: Any) -> None:
                    try:
                        await in_db(lambda db: fn(db, actor_id=user.user_id, user_id=detail.id, **kwargs) and None)
                    except accounts.AccountError as e:
                        error.set_text(admin_error(e.code))
                        error.set_visibility(True)
                        return
                    ui.notify(_('Saved.'), type='positive')
                    await show()

            async def confirm(question: str, action: Any, value: Any) -> None:
                if await ask(question):
                    await action(value)

            async def on_assignments(changed_user: int) -> None:
                if changed_user == user_id:
                    await show()

            listen(assignment_events.assignments_changed, on_assignments)
            with body:
                ui.spinner(size='lg')
            await show()

    @auth.protected_page('/admin/users/{user_id}/view', admin=True)
    async def view_as_customer(user: SessionUser, user_id: int) -> None:
        zone, zone_name = user_zone(user)
        with frame(_('View as customer'), user):
            detail = await in_db(admin_users.user_detail, user_id, activity_limit=0)
            if detail is None:
                with ui.card().classes('w-full items-center py-8').mark('empty-state'):
                    ui.label(_('This user does not exist.'))
                return
            with ui.card().classes('w-full bg-amber-50 dark:bg-amber-900').mark('read-only-banner'):
                with ui.row().classes('items-center gap-2 no-wrap'):
                    ui.icon('visibility').classes('text-2xl')
                    ui.label(_('Read-only: this is what {email} sees. Nothing here can be changed.',
                               email=detail.email)).classes('break-all')
                ui.link(_('← Back to the user'), f'/admin/users/{detail.id}').classes('text-sm')
            ui.label(_('My nodes')).classes('text-2xl font-semibold').mark('page-title')
            if not detail.nodes:
                with ui.card().classes('w-full items-center text-center gap-2 py-8').mark('empty-state'):
                    ui.icon('dns').classes('text-5xl text-primary')
                    ui.label(_('No nodes are assigned to this account yet.'))
                return
            with ui.column().classes('w-full gap-2').mark('customer-nodes'):
                for node in detail.nodes:
                    with ui.card().classes('w-full'):
                        with ui.row().classes('w-full items-center justify-between gap-2 flex-wrap'):
                            ui.label(node.label or node.address).classes('font-semibold break-all')
                            ui.badge(status_label(node.status), color=STATUS_COLORS.get(node.status, 'grey'))
                        ui.label(node.address).classes('text-xs text-gray-500 break-all font-mono')
                        details = [x for x in (node.gpu_type and f'{node.gpu_type} × {node.gpu_count or "?"}',
                                               node.region) if x]
                        if details:
                            ui.label(' · '.join(details)).classes('text-sm')
                        ui.label(_('Data from {time}', time=fmt_time(node.fetched_at, zone)) if node.fetched_at
                                 else _('No data yet')).classes('text-xs text-gray-500')
            zone_note(zone_name)
