"""The GPU catalog (/admin/catalog): price per GPU-hour (empty: contact sales), visibility in the request form,
order, and new GPU types. Admins only; the service checks again and audits every change."""

from __future__ import annotations

from nicegui import ui

from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.components.request_ui import error_message, format_price, format_time, zone_caption
from minegnk.services import catalog
from minegnk.services.catalog import CatalogError, CatalogItem
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def register() -> None:
    @auth.protected_page('/admin/catalog', admin=True)
    async def admin_catalog_page(user: SessionUser) -> None:
        with frame(_('GPU catalog'), user):
            ui.label(_('GPU catalog')).classes('text-2xl font-semibold').mark('page-title')
            ui.label(_('Customers choose from the visible GPU types when they request a node. '
                       'Leave the price empty to show "contact sales".')).classes('text-gray-600')
            zone_caption(user)

            @ui.refreshable
            def entries(items: list[CatalogItem]) -> None:
                if not items:
                    ui.label(_('The catalog is empty. Add a GPU type below.')).classes('text-gray-600') \
                        .mark('catalog-empty')
                for item in items:
                    _entry_card(item, user, reload)

            async def reload() -> None:
                items = await in_db(catalog.list_entries)
                if items is not None:
                    entries.refresh(items)

            spinner = ui.spinner(size='lg')
            items = await in_db(catalog.list_entries)
            spinner.delete()
            entries(items or [])
            _add_form(user, reload)


def _entry_card(item: CatalogItem, user: SessionUser, reload) -> None:  # noqa: ANN001
    with ui.card().classes('w-full p-4 gap-2').mark(f'catalog-{item.code}'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(f'{item.code} · {item.name}').classes('text-lg font-semibold break-words')
            ui.label(format_price(item.price_per_gpu_hour, item.price_currency)).classes('text-sm text-gray-600') \
                .mark(f'catalog-price-{item.code}')
        with ui.row().classes('w-full items-start gap-3'):
            name = ui.input(_('Name'), value=item.name).props('outlined dense').classes('w-full sm:w-64') \
                .mark(f'name-{item.code}')
            price = ui.input(_('Price per GPU-hour ({currency})', currency=item.price_currency),
                             value='' if item.price_per_gpu_hour is None else f'{item.price_per_gpu_hour.normalize():f}',
                             placeholder=_('contact sales'),
                             validation=lambda v: _error(catalog.parse_price, v)) \
                .props('outlined dense inputmode=decimal clearable').classes('w-full sm:w-48').mark(f'price-{item.code}')
            order = ui.number(_('Order'), value=item.sort_order, precision=0, step=1,
                              validation=lambda v: _error(catalog.parse_sort_order, v)) \
                .props('outlined dense').classes('w-28').mark(f'order-{item.code}')
            visible = ui.switch(_('Offered to customers'), value=item.visible).mark(f'visible-{item.code}')
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(_('Last changed {time}', time=format_time(item.updated_at, user))).classes('text-xs text-gray-500')

            async def save() -> None:
                if not (price.validate() & order.validate()):
                    return
                button.props('loading')
                try:
                    await in_db(catalog.update_entry, actor_id=user.user_id, entry_id=item.id, price=price.value,
                                visible=visible.value, sort_order=order.value, name=name.value)
                except CatalogError as e:
                    target = {'price': price, 'sort_order': order, 'name': name}.get(e.field or '')
                    if target is not None:
                        target.error = error_message(e.code)
                    else:
                        ui.notify(error_message(e.code), type='warning')
                    return
                finally:
                    button.props(remove='loading')
                ui.notify(_('{code} saved.', code=item.code), type='positive')
                await reload()

            button = ui.button(_('Save'), icon='save', on_click=save).mark(f'save-{item.code}')


def _error(check, value) -> str | None:  # noqa: ANN001
    try:
        check(value)
    except CatalogError as e:
        return error_message(e.code)
    return None


def _add_form(user: SessionUser, reload) -> None:  # noqa: ANN001
    with ui.expansion(_('Add a GPU type'), icon='add').classes('w-full').mark('add-gpu'):
        with ui.row().classes('w-full items-start gap-3'):
            code = ui.input(_('Code, e.g. H100')).props('outlined dense').classes('w-full sm:w-40').mark('new-code')
            name = ui.input(_('Name')).props('outlined dense').classes('w-full sm:w-64').mark('new-name')
            vram = ui.number(_('Memory (GB)'), precision=0, min=1).props('outlined dense').classes('w-32') \
                .mark('new-vram')
            price = ui.input(_('Price per GPU-hour (USD)'), placeholder=_('contact sales')) \
                .props('outlined dense inputmode=decimal').classes('w-full sm:w-48').mark('new-price')

        async def add() -> None:
            for element in (code, name, vram, price):
                element.error = None
            try:
                item = await in_db(catalog.add_entry, actor_id=user.user_id, code=code.value, name=name.value,
                                   vram_gb=vram.value, price=price.value)
            except CatalogError as e:
                target = {'code': code, 'name': name, 'vram_gb': vram, 'price': price}.get(e.field or '')
                if target is not None:
                    target.error = error_message(e.code)
                else:
                    ui.notify(error_message(e.code), type='warning')
                return
            if item is None:
                return
            ui.notify(_('{code} added.', code=item.code), type='positive')
            for element in (code, name, price):
                element.value = ''
            vram.value = None
            await reload()

        ui.button(_('Add'), icon='add', on_click=add).mark('add-gpu-submit')
