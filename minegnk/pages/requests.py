"""The customer's node requests: the add-node form (/requests/new) and their list (/requests)."""

from __future__ import annotations

import secrets
from typing import Any

from nicegui import context, ui

from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.components.request_ui import (NETWORK_LABELS, REGION_LABELS, STATUS_LABELS, error_message, format_money,
                                           format_price, format_time, on_requests_changed, plain_text, status_badge,
                                           zone_caption)
from minegnk.services import catalog, requests
from minegnk.services.requests import RequestError, RequestView
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def _field_error(check: Any, *args: Any) -> str | None:
    """Inline validation with the service's own rules; None when the value is fine."""
    try:
        check(*args)
    except RequestError as e:
        return error_message(e.code)
    return None


def history_text(event: requests.RequestEventView) -> str:
    if event.kind == 'status' and event.from_status is None:
        return _('Request submitted')
    if event.kind == 'status' and event.to_status == 'cancelled':
        return _('Cancelled by you')
    if event.kind == 'status':
        return _('Status changed to {status}', status=_(STATUS_LABELS.get(event.to_status or '', event.to_status)))
    return _('Comment from support')


def request_summary(view: RequestView) -> str:
    return _('{quantity} × {gpu}', quantity=view.quantity, gpu=view.gpu_type)


def request_details(view: RequestView, user: SessionUser) -> None:
    """The facts of a request as the customer filled them in (shared with the admin queue)."""
    with ui.grid().classes('grid-cols-1 sm:grid-cols-2 gap-x-6 gap-y-1 text-sm w-full'):
        ui.label(_('Submitted: {time}', time=format_time(view.created_at, user)))
        ui.label(_('Last update: {time}', time=format_time(view.updated_at, user)))
        ui.label(_('Network: {network}', network=NETWORK_LABELS.get(view.network, view.network)))
        ui.label(_('Region: {region}', region=_(REGION_LABELS.get(view.region or 'any', view.region or ''))))
        if view.budget_min is not None or view.budget_max is not None:
            ui.label(_('Monthly budget: {low} – {high}', low=format_money(view.budget_min, view.budget_currency),
                       high=format_money(view.budget_max, view.budget_currency))).mark('budget')
    if view.comments:
        ui.label(_('Comments')).classes('text-xs uppercase text-gray-500 mt-1')
        plain_text(view.comments, 'text-sm').mark('request-comments')


def register() -> None:
    @auth.protected_page('/requests/new')
    async def new_request_page(user: SessionUser) -> None:
        with frame(_('Request a node'), user):
            ui.label(_('Request a node')).classes('text-2xl font-semibold').mark('page-title')
            container = ui.column().classes('w-full max-w-2xl gap-4')
        with container:
            spinner = ui.spinner(size='lg')
        items = await in_db(catalog.list_entries, visible_only=True)
        spinner.delete()
        if items is None:  # shutting down
            return
        with container:
            _draw_form(container, user, items)

    @auth.protected_page('/requests')
    async def my_requests_page(user: SessionUser, highlight: int | None = None) -> None:
        with frame(_('My requests'), user):
            with ui.row().classes('w-full items-center justify-between gap-2'):
                ui.label(_('My requests')).classes('text-2xl font-semibold').mark('page-title')
                ui.button(_('Request a node'), icon='add', on_click=lambda: ui.navigate.to('/requests/new')) \
                    .mark('new-request')
            zone_caption(user)

            @ui.refreshable
            def request_list(views: list[RequestView]) -> None:
                if not views:
                    with ui.card().classes('w-full items-center text-center gap-2 py-8').mark('empty-state'):
                        ui.icon('inbox').classes('text-5xl text-gray-400')
                        ui.label(_('You have not requested any nodes yet.')).classes('text-lg')
                        ui.label(_('Tell us which GPUs you need and support will get back to you.')) \
                            .classes('text-gray-600')
                        ui.button(_('Request a node'), icon='add', on_click=lambda: ui.navigate.to('/requests/new'))
                    return
                for view in views:
                    _request_card(view, user, highlighted=view.id == highlight, on_change=reload)

            loads = 0

            async def reload() -> None:
                nonlocal loads
                loads += 1
                mine = loads
                views = await in_db(requests.list_for_user, user.user_id)
                if views is not None and mine == loads:  # a newer reload has started meanwhile: it wins
                    request_list.refresh(views)

            spinner = ui.spinner(size='lg')
            views = await in_db(requests.list_for_user, user.user_id)
            spinner.delete()
            request_list(views or [])
            on_requests_changed(reload, owner_id=user.user_id)


def _draw_form(container: ui.column, user: SessionUser, items: list[catalog.CatalogItem]) -> None:
    # One key per drawn form: a double click or a resubmit of this form can only ever create one request.
    idempotency_key = secrets.token_urlsafe(24)
    currency = user.currency
    if not items:
        with ui.card().classes('w-full items-center text-center gap-2 py-8').mark('empty-catalog'):
            ui.icon('memory').classes('text-5xl text-gray-400')
            ui.label(_('No GPU types can be requested right now. Please contact support.')).classes('text-gray-600')
        return
    with ui.card().classes('w-full gap-3 p-4 sm:p-6').mark('request-form') as form:
        gpu = ui.select({i.code: f'{i.name} — {format_price(i.price_per_gpu_hour, i.price_currency)}' for i in items},
                        label=_('GPU type'), validation=lambda v: _field_error(requests.parse_gpu_code, v)) \
            .props('outlined').classes('w-full').mark('gpu')
        quantity = ui.number(_('Number of GPUs'), value=1, min=1, max=100, step=1, precision=0,
                             validation=lambda v: _field_error(requests.parse_quantity, v)) \
            .props('outlined').classes('w-full sm:w-48').mark('quantity')
        ui.label(_('Monthly budget (optional), in {currency}', currency=currency)).classes('text-sm text-gray-600')
        with ui.row().classes('w-full gap-3 no-wrap'):
            budget_min = ui.input(_('From'), validation=lambda v: _field_error(requests.parse_budget, v)) \
                .props(f'outlined inputmode=decimal suffix={currency}').classes('flex-1 min-w-0').mark('budget-min')
            budget_max = ui.input(_('To'), validation=lambda v: _budget_max_error(budget_min.value, v)) \
                .props(f'outlined inputmode=decimal suffix={currency}').classes('flex-1 min-w-0').mark('budget-max')
        budget_min.on_value_change(lambda: budget_max.validate())
        ui.label(_('Network')).classes('text-sm text-gray-600')
        with ui.row().classes('items-center gap-4'):
            network = ui.radio({'gonka': NETWORK_LABELS['gonka']}, value='gonka').props('inline').mark('network')
            for code in requests.NETWORKS_COMING_SOON:
                ui.radio({code: _('{network} (coming soon)', network=NETWORK_LABELS[code])}).props('inline disable') \
                    .classes('opacity-60').mark(f'network-{code}')
        region = ui.select({code: _(label) for code, label in REGION_LABELS.items()}, value='any',
                           label=_('Region preference')).props('outlined').classes('w-full sm:w-72').mark('region')
        comments = ui.textarea(_('Comments (optional)'),
                               validation=lambda v: _field_error(requests.clean_comments, v)) \
            .props(f'outlined counter maxlength={requests.COMMENTS_MAX} autogrow').classes('w-full').mark('comments')
        form_error = ui.label().classes('text-negative text-sm').mark('form-error')
        form_error.set_visibility(False)

        fields = {'gpu_type': gpu, 'quantity': quantity, 'budget_min': budget_min, 'budget_max': budget_max,
                  'comments': comments}

        busy = False

        async def submit() -> None:
            nonlocal busy
            if busy:  # clicks queued before the first one disabled the button
                return
            form_error.set_visibility(False)
            if not all([f.validate() for f in fields.values()]):  # every field, so all messages show at once
                return
            busy = True
            button.disable()  # a second click meanwhile does nothing; the idempotency key covers the rest
            button.props('loading')
            try:
                result = await in_db(
                    requests.create_request, user_id=user.user_id, idempotency_key=idempotency_key, gpu_type=gpu.value,
                    quantity=quantity.value, budget_min=budget_min.value, budget_max=budget_max.value,
                    network=network.value, region=region.value, comments=comments.value)
            except RequestError as e:
                for name, code in e.errors.items():
                    if name in fields:
                        fields[name].error = error_message(code)
                form_error.set_text(_('Please correct the highlighted fields.') if e.errors else error_message(e.code))
                form_error.set_visibility(True)
                button.enable()
                busy = False
                return
            finally:
                button.props(remove='loading')
            if result is None:
                return
            view, _created = result
            form.delete()
            with container:
                _confirmation(view)

        button = ui.button(_('Submit request'), icon='send', on_click=submit).classes('w-full sm:w-auto') \
            .mark('submit-request')


def _budget_max_error(low: Any, high: Any) -> str | None:
    own = _field_error(requests.parse_budget, high, 'budget_max')
    if own:
        return own
    try:
        requests.check_budget_range(requests.parse_budget(low), requests.parse_budget(high))
    except RequestError as e:
        return error_message(e.code)
    return None


def _confirmation(view: RequestView) -> None:
    with ui.card().classes('w-full items-center text-center gap-2 py-8').mark('request-confirmation'):
        ui.icon('check_circle').classes('text-5xl text-positive')
        ui.label(_('Request #{id} has been submitted.', id=view.id)).classes('text-xl font-semibold')
        ui.label(_('Support will review it soon. You can follow its status on the My requests page.')) \
            .classes('text-gray-600 max-w-md')
        with ui.row().classes('gap-3 justify-center'):
            ui.link(_('View request #{id}', id=view.id), f'/requests?highlight={view.id}#request-{view.id}') \
                .mark('view-request')
            ui.link(_('Request another node'), '/requests/new').mark('another-request')


def _request_card(view: RequestView, user: SessionUser, *, highlighted: bool, on_change: Any) -> None:
    classes = 'w-full gap-2 p-4' + (' ring-2 ring-primary' if highlighted else '')
    with ui.card().classes(classes).props(f'id=request-{view.id}').mark(f'request-{view.id}'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(_('Request #{id}', id=view.id) + ' · ' + request_summary(view)).classes('text-lg font-semibold')
            status_badge(view.status)
        request_details(view, user)
        if view.events:
            with ui.expansion(_('History'), icon='history', value=highlighted or view.is_open) \
                    .classes('w-full').mark(f'history-{view.id}'):
                with ui.timeline(side='right').classes('w-full'):
                    for event in view.events:
                        with ui.timeline_entry(title=history_text(event), subtitle=format_time(event.created_at, user),
                                               color='primary' if event.kind == 'status' else 'secondary',
                                               icon='chat' if event.kind == 'comment' else None):
                            if event.body:
                                plain_text(event.body, 'text-sm').mark(f'event-body-{event.id}')
        if view.can_cancel:
            ui.button(_('Cancel request'), icon='close', on_click=lambda v=view: _confirm_cancel(v, user, on_change)) \
                .props('flat color=negative').mark(f'cancel-{view.id}')


async def _confirm_cancel(view: RequestView, user: SessionUser, on_change: Any) -> None:
    with context.client.content, ui.dialog() as dialog, ui.card().classes('gap-3'):
        ui.label(_('Cancel request #{id}?', id=view.id)).classes('text-lg font-semibold')
        ui.label(_('Support will not work on it any more. You can always submit a new request.')) \
            .classes('text-gray-600')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Keep it'), on_click=lambda: dialog.submit(False)).props('flat').mark('cancel-keep')
            ui.button(_('Cancel request'), on_click=lambda: dialog.submit(True)).props('color=negative') \
                .mark('cancel-confirm')
    confirmed = await dialog
    dialog.delete()
    if not confirmed:
        return
    try:
        await in_db(requests.cancel_request, user_id=user.user_id, request_id=view.id)
    except RequestError as e:
        ui.notify(error_message(e.code), type='warning')
    else:
        ui.notify(_('Request #{id} has been cancelled.', id=view.id), type='positive')
    await on_change()
