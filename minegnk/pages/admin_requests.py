"""Support's request queue (/admin/requests): filters, oldest first with age highlighting, status transitions,
comments for the customer and internal notes. Every action is checked again by the service (admins only)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import Request
from nicegui import context, ui

from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import N_, _, _n
from minegnk.components.request_ui import (STATUS_LABELS, error_message, format_time, on_requests_changed,
                                           plain_text, status_badge, user_zone, zone_caption)
from minegnk.pages.requests import request_details, request_summary
from minegnk.services import catalog, requests
from minegnk.services.requests import QueueFilter, RequestError, RequestView
from minegnk.services.sessions import SessionUser
from minegnk.web import auth

AGE_CLASSES = {'normal': '', 'warning': 'border-l-4 border-amber-500', 'critical': 'border-l-4 border-red-600'}
ACTION_LABELS = {'in_progress': N_('Start work'), 'completed': N_('Mark completed'), 'rejected': N_('Reject')}


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _age_text(created_at: datetime) -> str:
    from minegnk.db.models import utcnow
    hours = int((utcnow() - created_at).total_seconds() // 3600)
    if hours < 1:
        return _('less than an hour old')
    if hours < 48:
        return _n('{n} hour old', '{n} hours old', hours)
    return _n('{n} day old', '{n} days old', hours // 24)


def register() -> None:
    @auth.protected_page('/admin/requests', admin=True)
    async def admin_requests_page(request: Request, user: SessionUser) -> None:
        ip = request.client.host if request.client else None
        zone = user_zone(user)[0]
        with frame(_('Request queue'), user):
            ui.label(_('Request queue')).classes('text-2xl font-semibold').mark('page-title')
            zone_caption(user)
            codes = [e.code for e in await in_db(catalog.list_entries) or []]
            with ui.card().classes('w-full p-3'):
                with ui.row().classes('w-full gap-3 items-end'):
                    status = ui.select({'open': _('Open (pending or in progress)'), '': _('All statuses')}
                                       | {code: _(label) for code, label in STATUS_LABELS.items()},
                                       value='open', label=_('Status')).props('outlined dense') \
                        .classes('w-full sm:w-72').mark('filter-status')
                    gpu = ui.select({'': _('All GPU types')} | {c: c for c in codes}, value='', label=_('GPU type')) \
                        .props('outlined dense').classes('w-full sm:w-40').mark('filter-gpu')
                    email = ui.input(_('Customer email')).props('outlined dense clearable') \
                        .classes('w-full sm:w-56').mark('filter-email')
                    date_from = ui.input(_('From date')).props('outlined dense type=date') \
                        .classes('w-full sm:w-40').mark('filter-from')
                    date_to = ui.input(_('To date')).props('outlined dense type=date') \
                        .classes('w-full sm:w-40').mark('filter-to')
                    order = ui.select({'oldest': _('Oldest first'), 'newest': _('Newest first')}, value='oldest',
                                      label=_('Order')).props('outlined dense').classes('w-full sm:w-40') \
                        .mark('filter-order')

            def current_filter() -> QueueFilter:
                start, end = _parse_day(date_from.value), _parse_day(date_to.value)
                # Dates are days in the admin's zone; the queue compares UTC instants.
                return QueueFilter(
                    status=status.value or None, gpu_type=gpu.value or None, email=(email.value or '').strip() or None,
                    created_from=datetime.combine(start, time.min, zone) if start else None,
                    created_until=datetime.combine(end + timedelta(days=1), time.min, zone) if end else None,
                    newest_first=order.value == 'newest')

            @ui.refreshable
            def queue(views: list[RequestView]) -> None:
                if not views:
                    with ui.card().classes('w-full items-center text-center gap-2 py-8').mark('queue-empty'):
                        ui.icon('task_alt').classes('text-5xl text-gray-400')
                        ui.label(_('No requests match these filters.')).classes('text-gray-600')
                    return
                ui.label(_n('{n} request', '{n} requests', len(views)) if len(views) < requests.QUEUE_LIMIT
                         else _('Showing the first {count} requests; narrow the filters to see others.',
                                count=len(views))).classes('text-sm text-gray-600').mark('queue-count')
                for view in views:
                    _queue_card(view, user, ip, reload)

            loads = 0

            async def reload() -> None:
                nonlocal loads
                loads += 1
                mine = loads
                views = await in_db(requests.list_queue, current_filter())
                if views is not None and mine == loads:
                    queue.refresh(views)

            for element in (status, gpu, order, date_from, date_to):
                element.on_value_change(reload)
            email.on('keydown.enter', reload)
            email.on('blur', reload)
            email.on('clear', reload)

            spinner = ui.spinner(size='lg')
            views = await in_db(requests.list_queue, current_filter())
            spinner.delete()
            queue(views or [])
            on_requests_changed(reload, owner_id=None)


def _queue_card(view: RequestView, user: SessionUser, ip: str | None, reload: Any) -> None:
    level = requests.age_level(view.created_at, view.status)
    with ui.card().classes(f'w-full gap-2 p-4 {AGE_CLASSES[level]}').mark(f'queue-{view.id}'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(_('Request #{id}', id=view.id) + ' · ' + request_summary(view)).classes('text-lg font-semibold')
                ui.label(view.user_email or _('deleted account')).classes('text-sm text-gray-600 break-all') \
                    .mark(f'queue-owner-{view.id}')
            with ui.row().classes('items-center gap-2'):
                if view.is_open:
                    ui.badge(_age_text(view.created_at),
                             color={'normal': 'grey-6', 'warning': 'warning', 'critical': 'negative'}[level]) \
                        .mark(f'age-{level}')
                status_badge(view.status)
        request_details(view, user)
        if view.handled_by_email:
            ui.label(_('Handled by {email}, {time}', email=view.handled_by_email,
                       time=format_time(view.handled_at or view.updated_at, user))) \
                .classes('text-sm text-gray-600').mark(f'handled-{view.id}')
        if view.events:
            with ui.expansion(_('History and notes'), icon='history').classes('w-full').mark(f'queue-history-{view.id}'):
                for event in view.events:
                    _event_line(event, user)
        with ui.row().classes('w-full gap-2'):
            for target in view.next_statuses:
                ui.button(_(ACTION_LABELS[target]),
                          on_click=lambda t=target: _change_status(view, t, user, ip, reload)) \
                    .props('color=negative outline' if target == 'rejected' else '') \
                    .mark(f'to-{target}-{view.id}')
            ui.button(_('Comment or note'), icon='edit_note',
                      on_click=lambda: _write_comment(view, user, ip, reload)).props('flat') \
                .mark(f'comment-{view.id}')
            if view.is_open and view.user_id is not None:  # fulfilling a request means assigning its nodes
                ui.button(_('Assign nodes to this customer'), icon='add_link',
                          on_click=lambda: ui.navigate.to(f'/admin/nodes/assign?user_id={view.user_id}')) \
                    .props('flat').mark(f'assign-for-{view.id}')


def _event_line(event: requests.RequestEventView, user: SessionUser) -> None:
    who = _('customer') if event.by_owner else (event.actor_email or _('support'))
    if event.kind == 'status':
        what = _('{from_status} → {to_status}', from_status=_(STATUS_LABELS.get(event.from_status or '', '—')),
                 to_status=_(STATUS_LABELS.get(event.to_status or '', event.to_status or '')))
    elif event.kind == 'note':
        what = _('Internal note')
    else:
        what = _('Comment for the customer')
    with ui.column().classes('w-full gap-0 py-1 border-b border-gray-200 dark:border-gray-700'):
        ui.label(f'{format_time(event.created_at, user)} · {who} · {what}').classes(
            'text-xs ' + ('text-amber-700' if event.kind == 'note' else 'text-gray-600'))
        if event.body:
            plain_text(event.body, 'text-sm')


async def _change_status(view: RequestView, target: str, user: SessionUser, ip: str | None, reload: Any) -> None:
    reason_value = None
    if target == 'rejected':
        with context.client.content, ui.dialog() as dialog, ui.card().classes('w-full max-w-lg gap-3'):
            ui.label(_('Reject request #{id}', id=view.id)).classes('text-lg font-semibold')
            reason = ui.textarea(_('Reason (the customer sees it)'),
                                 validation=lambda v: None if (v or '').strip() else error_message('reason_required')) \
                .props(f'outlined autogrow counter maxlength={requests.TEXT_MAX}').classes('w-full').mark('reject-reason')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Back'), on_click=lambda: dialog.submit(None)).props('flat')
                ui.button(_('Reject'), on_click=lambda: dialog.submit(reason.value) if reason.validate() else None) \
                    .props('color=negative').mark('reject-confirm')
        dialog.open()
        reason_value = await dialog
        dialog.delete()
        if reason_value is None:
            return
    try:
        await in_db(requests.transition, actor_id=user.user_id, request_id=view.id, to_status=target,
                    reason=reason_value, ip=ip)
    except RequestError as e:
        ui.notify(error_message(e.code), type='warning')
    else:
        ui.notify(_('Request #{id}: {status}', id=view.id, status=_(STATUS_LABELS[target])), type='positive')
    await reload()


async def _write_comment(view: RequestView, user: SessionUser, ip: str | None, reload: Any) -> None:
    with context.client.content, ui.dialog() as dialog, ui.card().classes('w-full max-w-lg gap-3'):
        ui.label(_('Request #{id}', id=view.id)).classes('text-lg font-semibold')
        kind = ui.radio({'comment': _('Comment for the customer'), 'note': _('Internal note (support only)')},
                        value='comment').mark('comment-kind')
        body = ui.textarea(_('Text'), validation=lambda v: None if (v or '').strip() else error_message('text_required')) \
            .props(f'outlined autogrow counter maxlength={requests.TEXT_MAX}').classes('w-full').mark('comment-body')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Back'), on_click=lambda: dialog.submit(None)).props('flat')
            ui.button(_('Save'), on_click=lambda: dialog.submit((kind.value, body.value)) if body.validate() else None) \
                .mark('comment-save')
    dialog.open()
    result = await dialog
    dialog.delete()
    if result is None:
        return
    chosen, text = result
    try:
        await in_db(requests.add_comment, actor_id=user.user_id, request_id=view.id, body=text,
                    internal=chosen == 'note', ip=ip)
    except RequestError as e:
        ui.notify(error_message(e.code), type='warning')
    else:
        ui.notify(_('Saved.'), type='positive')
    await reload()
