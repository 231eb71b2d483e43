"""Admin: the manual exchange rates (GNK→USD, USD→EUR) with their "as of" time, and their history."""

from __future__ import annotations

from datetime import datetime

from nicegui import ui

from minegnk.components.admin_ui import admin_error, fmt_age, fmt_time, page_header, user_zone, zone_note
from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.db.models import utcnow
from minegnk.services import rates
from minegnk.services.rates import RateError
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def plain(value) -> str:  # noqa: ANN001
    return format(value, 'f')


def register() -> None:
    @auth.protected_page('/admin/rates', admin=True)
    async def rates_page(user: SessionUser) -> None:
        zone, zone_name = user_zone(user)
        with frame(_('Exchange rates'), user):
            page_header(_('Exchange rates'), _('1 GNK in USD and 1 USD in EUR. The rate with the newest "as of" time '
                                               'is used for every conversion.'))
            current_box = ui.row().classes('w-full gap-4 flex-wrap').mark('current-rates')

            with ui.card().classes('w-full gap-2'):
                ui.label(_('Set a rate')).classes('text-lg font-semibold')
                with ui.row().classes('w-full gap-2 items-start'):
                    pair = ui.select({'GNK/USD': '1 GNK → USD', 'USD/EUR': '1 USD → EUR'}, value='GNK/USD',
                                     label=_('Pair')).props('outlined dense').classes('w-40').mark('rate-pair')
                    value = ui.input(_('Rate'), placeholder='0.0123').props('outlined dense inputmode=decimal') \
                        .classes('w-48 font-mono').mark('rate-value')
                    as_of = ui.input(_('As of ({zone})', zone=zone_name),
                                     value=utcnow().astimezone(zone).strftime('%Y-%m-%dT%H:%M')) \
                        .props('outlined dense type=datetime-local').classes('w-60').mark('rate-as-of')
                error = ui.label().classes('text-negative text-sm').mark('rate-error')

                async def save() -> None:
                    error.set_text('')
                    try:
                        moment = datetime.fromisoformat(as_of.value or '').replace(tzinfo=zone)
                    except ValueError:
                        error.set_text(admin_error('as_of_invalid'))
                        return
                    base, quote = (pair.value or '/').split('/')
                    button.props('loading')
                    try:
                        await in_db(rates.set_manual_rate, user.user_id, base, quote, value.value or '', moment)
                    except RateError as e:
                        error.set_text(admin_error(e.code, e.params))
                        return
                    finally:
                        button.props(remove='loading')
                    ui.notify(_('Rate saved.'), type='positive')
                    value.set_value('')
                    await show()

                button = ui.button(_('Save rate'), icon='save', on_click=save).mark('rate-submit')

            ui.label(_('History')).classes('text-lg font-semibold pt-2')
            history = ui.table(columns=[
                {'name': 'pair', 'label': _('Pair'), 'field': 'pair', 'align': 'left'},
                {'name': 'rate', 'label': _('Rate'), 'field': 'rate', 'align': 'left'},
                {'name': 'as_of', 'label': _('As of'), 'field': 'as_of', 'align': 'left'},
                {'name': 'source', 'label': _('Source'), 'field': 'source', 'align': 'left'},
                {'name': 'by', 'label': _('Entered by'), 'field': 'by', 'align': 'left'},
            ], rows=[], row_key='key', pagination=20).classes('w-full').props('flat bordered wrap-cells') \
                .mark('rate-history')
            history._props['no-data-label'] = _('No rates entered yet.')  # noqa: SLF001
            zone_note(zone_name)

            def source_label(source: str) -> str:
                return {'manual': _('Manual'), 'http': _('Price feed')}.get(source, source)

            async def show() -> None:
                history.props('loading')
                current, past = await in_db(lambda db: (rates.current_rates(db), rates.rate_history(db, limit=200)))
                history.props(remove='loading')
                current_box.clear()
                with current_box:
                    for title, entry in ((_('1 GNK in USD'), current.gnk_usd), (_('1 USD in EUR'), current.usd_eur)):
                        with ui.card().classes('min-w-[240px] grow'):
                            ui.label(title).classes('text-sm text-gray-500')
                            if entry is None:
                                ui.label(_('Not set')).classes('text-xl text-warning')
                                continue
                            ui.label(plain(entry.rate)).classes('text-2xl font-semibold font-mono break-all')
                            ui.label(_('as of {time} ({age}) · {source}', time=fmt_time(entry.as_of, zone),
                                       age=fmt_age(entry.age), source=source_label(entry.source))) \
                                .classes('text-xs text-gray-500')
                history.rows = [{'key': i, 'pair': f'{r.base} → {r.quote}', 'rate': plain(r.rate),
                                 'as_of': fmt_time(r.as_of, zone), 'source': source_label(r.source),
                                 'by': r.created_by_email or '—'} for i, r in enumerate(past)]

            await show()
