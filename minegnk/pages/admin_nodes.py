"""Admin: every node across users (filters, search, sort, paging, unassign, CSV export) and node assignment."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from minegnk.components.admin_ui import (STATUS_COLORS, ServerTable, admin_error, confirm, fmt_time, listen,
                                         page_header, status_label, user_zone, zone_note)
from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.db.models import utcnow
from minegnk.services import admin_nodes, admin_users, assignment_events, assignments
from minegnk.services.assignments import AssignmentError
from minegnk.services.sessions import SessionUser
from minegnk.web import auth

USER_PICKER_LIMIT = 1000


def _user_options(choices: list[tuple[int, str]]) -> dict[int, str]:
    return {user_id: email for user_id, email in choices}


def register() -> None:
    @auth.protected_page('/admin/nodes', admin=True)
    async def nodes_page(user: SessionUser) -> None:
        zone, zone_name = user_zone(user)
        with frame(_('Nodes'), user):
            page_header(_('Nodes'), _('Every node across all users.'))
            with ui.row().classes('w-full items-end gap-2'):
                search = ui.input(_('Search address, label or owner')).props('outlined dense clearable debounce=300') \
                    .classes('grow min-w-[200px]').mark('node-search')
                status = ui.select({'': _('All statuses'), **{s: status_label(s) for s in admin_nodes.STATUSES}},
                                   value='', label=_('Status')).props('outlined dense').classes('w-40') \
                    .mark('status-filter')
                assigned = ui.select({'': _('All'), 'yes': _('Assigned'), 'no': _('Unassigned')}, value='',
                                     label=_('Owner')).props('outlined dense').classes('w-36').mark('assigned-filter')
                export = ui.button(_('Export CSV'), icon='download').props('outline').mark('export-csv')
                ui.button(_('Assign nodes'), icon='add_link', on_click=lambda: ui.navigate.to('/admin/nodes/assign'))

            def filters() -> dict[str, Any]:
                return {'search': search.value or '', 'status': status.value or None,
                        'assigned': {'yes': True, 'no': False}.get(assigned.value)}

            columns = [
                {'name': 'address', 'label': _('Address'), 'field': 'address', 'sortable': True, 'align': 'left'},
                {'name': 'label', 'label': _('Label'), 'field': 'label', 'sortable': True, 'align': 'left'},
                {'name': 'owner', 'label': _('Owner'), 'field': 'owner', 'sortable': True, 'align': 'left'},
                {'name': 'status', 'label': _('Status'), 'field': 'status', 'sortable': True, 'align': 'left'},
                {'name': 'gpu_type', 'label': _('GPU'), 'field': 'gpu', 'sortable': True, 'align': 'left'},
                {'name': 'assigned_at', 'label': _('Assigned'), 'field': 'assigned', 'sortable': True, 'align': 'left'},
                {'name': 'fetched_at', 'label': _('Data from'), 'field': 'fetched', 'sortable': True, 'align': 'left'},
                {'name': 'actions', 'label': '', 'field': 'address'},
            ]

            async def load(page: int, per_page: int, sort: str, descending: bool) -> tuple[list[dict], int]:
                result = await in_db(admin_nodes.list_nodes, **filters(), sort=sort, descending=descending, page=page,
                                     per_page=per_page)
                rows = [{'address': r.address, 'label': r.label or '', 'owner': r.owner_email or '',
                         'owner_id': r.owner_id, 'status': status_label(r.status),
                         'color': STATUS_COLORS.get(r.status, 'grey'),
                         'gpu': f'{r.gpu_type} × {r.gpu_count or "?"}' if r.gpu_type else '',
                         'assigned': fmt_time(r.assigned_at, zone) if r.owner_id else '',
                         'fetched': fmt_time(r.fetched_at, zone)} for r in result.rows]
                return rows, result.total

            table = ServerTable(columns, load, row_key='address', sort_by='address',
                                empty=_('No nodes match these filters.'))
            table.table.mark('nodes-table')
            table.table.add_slot('body-cell-address', '''
                <q-td :props="props" style="min-width: 11rem"><span class="font-mono text-xs break-all">{{ props.value }}</span></q-td>''')
            table.table.add_slot('body-cell-owner', '''
                <q-td :props="props" style="min-width: 10rem"><a v-if="props.row.owner_id" class="text-primary break-all"
                   :href="'/admin/users/' + props.row.owner_id">{{ props.value }}</a><span v-else>—</span></q-td>''')
            table.table.add_slot('body-cell-status', '''
                <q-td :props="props"><q-badge :color="props.row.color">{{ props.value }}</q-badge></q-td>''')
            table.table.add_slot('body-cell-actions', f'''
                <q-td :props="props"><q-btn v-if="props.row.owner_id" flat dense color="negative" icon="link_off"
                   :title="{_('Unassign')!r}" @click="() => $parent.$emit('unassign', props.row.address)" /></q-td>''')
            zone_note(zone_name)

            async def unassign(event: Any) -> None:
                address = str(event.args)
                confirmed = await confirm(_('Unassign {address}? The history is kept and it can be assigned again '
                                            'later.', address=address), _('Unassign'), danger=True)
                if not confirmed:
                    return
                try:
                    await in_db(assignments.unassign_node, user.user_id, address)
                except AssignmentError as e:
                    ui.notify(admin_error(e.code, e.params), type='negative')
                else:
                    ui.notify(_('Unassigned {address}.', address=address), type='positive')
                await table.reload()

            async def download() -> None:
                export.props('loading')
                try:
                    text = await in_db(admin_nodes.export_csv, **filters(), sort=table.table.pagination.get('sortBy') or
                                       'address', descending=bool(table.table.pagination.get('descending')))
                finally:
                    export.props(remove='loading')
                ui.download.content(text.encode('utf-8'), f'minegnk-nodes-{utcnow():%Y%m%d-%H%M}.csv',
                                    'text/csv; charset=utf-8')

            export.on_click(download)
            table.table.on('unassign', unassign)
            for element in (search, status, assigned):
                element.on_value_change(lambda: table.reload(first_page=True))

            async def on_assignments(_user_id: int) -> None:
                await table.reload()
            listen(assignment_events.assignments_changed, on_assignments)
            await table.reload()

    @auth.protected_page('/admin/nodes/assign', admin=True)
    async def assign_page(user: SessionUser, user_id: int | None = None) -> None:
        with frame(_('Assign nodes'), user):
            page_header(_('Assign nodes'), _('Give a customer one node, or many at once by pasting their addresses.'))
            choices = _user_options(await in_db(admin_users.user_choices, limit=USER_PICKER_LIMIT))
            preselected = user_id if user_id in choices else None

            with ui.card().classes('w-full gap-2'):
                ui.label(_('One node')).classes('text-lg font-semibold')
                owner = ui.select(choices, value=preselected, label=_('Customer'), with_input=True) \
                    .props('outlined dense').classes('w-full').mark('assign-user')
                address = ui.input(_('Address (gonka1…)')).props('outlined dense autocomplete=off spellcheck=false') \
                    .classes('w-full font-mono').mark('assign-address')
                with ui.row().classes('w-full gap-2'):
                    label = ui.input(_('Label (optional)')).props('outlined dense maxlength=100') \
                        .classes('grow min-w-[160px]').mark('assign-label')
                    gpu_type = ui.input(_('GPU type')).props('outlined dense maxlength=50').classes('w-32') \
                        .mark('assign-gpu-type')
                    gpu_count = ui.number(_('GPU count'), min=1, max=assignments.GPU_COUNT_MAX, precision=0) \
                        .props('outlined dense').classes('w-28').mark('assign-gpu-count')
                with ui.row().classes('w-full gap-2'):
                    region = ui.input(_('Region')).props('outlined dense maxlength=100').classes('grow min-w-[140px]') \
                        .mark('assign-region')
                    gcore = ui.input(_('Gcore instance id')).props('outlined dense maxlength=255') \
                        .classes('grow min-w-[160px]').mark('assign-gcore')
                error = ui.label().classes('text-negative text-sm break-all').mark('assign-error')
                result = ui.label().classes('text-sm break-all').mark('assign-result')

                async def assign_one() -> None:
                    error.set_text('')
                    result.set_text('')
                    if owner.value is None:
                        error.set_text(admin_error('user_not_found'))
                        return
                    button.props('loading')
                    try:
                        outcome = await in_db(
                            lambda db: assignments.assign_node(
                                db, actor_id=user.user_id, user_id=owner.value, address=address.value or '',
                                label=label.value, gpu_type=gpu_type.value,
                                gpu_count=None if gpu_count.value is None else int(gpu_count.value),
                                region=region.value, gcore_instance_id=gcore.value))
                    except AssignmentError as e:
                        error.set_text(admin_error(e.code, e.params))
                        return
                    finally:
                        button.props(remove='loading')
                    if outcome is None:
                        return
                    email = choices.get(owner.value, '')
                    text = _('Assigned {address} to {email}.', address=outcome.address, email=email)
                    if outcome.warnings:
                        text += ' ' + admin_error(outcome.warnings[0])
                    result.set_text(text)
                    result.classes(replace='text-sm break-all ' + ('text-warning' if outcome.warnings else
                                                                   'text-positive'))
                    ui.notify(text, type='warning' if outcome.warnings else 'positive')
                    for field in (address, label, gpu_type, region, gcore):
                        field.set_value('')
                    gpu_count.set_value(None)

                button = ui.button(_('Assign'), icon='add_link', on_click=assign_one).mark('assign-submit')

            with ui.card().classes('w-full gap-2'):
                ui.label(_('Many nodes')).classes('text-lg font-semibold')
                bulk_owner = ui.select(choices, value=preselected, label=_('Customer'), with_input=True) \
                    .props('outlined dense').classes('w-full').mark('bulk-user')
                paste = ui.textarea(_('Addresses'), placeholder=_('One address per line (commas or spaces work too)')) \
                    .props('outlined autogrow spellcheck=false').classes('w-full font-mono').mark('bulk-text')
                bulk_error = ui.label().classes('text-negative text-sm').mark('bulk-error')
                summary = ui.label().classes('text-sm').mark('bulk-summary')
                report = ui.table(columns=[
                    {'name': 'line', 'label': _('Line'), 'field': 'line', 'align': 'left'},
                    {'name': 'entry', 'label': _('Entry'), 'field': 'entry', 'align': 'left'},
                    {'name': 'result', 'label': _('Result'), 'field': 'result', 'align': 'left'},
                    {'name': 'message', 'label': _('Details'), 'field': 'message', 'align': 'left'},
                ], rows=[], row_key='key').classes('w-full').props('flat bordered wrap-cells dense').mark('bulk-report')
                report.add_slot('body-cell-entry', '''
                    <q-td :props="props"><span class="font-mono text-xs break-all">{{ props.value }}</span></q-td>''')
                report.add_slot('body-cell-result', '''
                    <q-td :props="props"><q-badge :color="props.row.color">{{ props.value }}</q-badge></q-td>''')
                report.set_visibility(False)

                async def assign_many() -> None:
                    bulk_error.set_text('')
                    summary.set_text('')
                    if bulk_owner.value is None:
                        bulk_error.set_text(admin_error('user_not_found'))
                        return
                    bulk_button.props('loading')
                    try:
                        outcome = await in_db(assignments.bulk_assign, user.user_id, bulk_owner.value, paste.value or '')
                    except AssignmentError as e:
                        bulk_error.set_text(admin_error(e.code, e.params))
                        return
                    finally:
                        bulk_button.props(remove='loading')
                    if outcome is None:
                        return
                    labels = {'ok': (_('Assigned'), 'positive'), 'warning': (_('Assigned, with a warning'), 'warning'),
                              'error': (_('Not assigned'), 'negative')}
                    report.rows = [{'key': i, 'line': line.line, 'entry': line.raw, 'result': labels[line.outcome][0],
                                    'color': labels[line.outcome][1], 'outcome': line.outcome,
                                    'message': admin_error(line.code, line.params) if line.code else ''}
                                   for i, line in enumerate(outcome.lines)]
                    report.set_visibility(True)
                    summary.set_text(_('{assigned} assigned, {failed} not assigned.', assigned=outcome.assigned,
                                       failed=outcome.failed))
                    ui.notify(summary.text, type='positive' if not outcome.failed else 'warning')

                bulk_button = ui.button(_('Assign all'), icon='playlist_add', on_click=assign_many).mark('bulk-submit')
