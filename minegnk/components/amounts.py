"""Amounts: integer ngonka shown as GNK and in the user's currency (USD, EUR or GNK only), formatted per language.

The rate, its source and its age are one hover away; with no rate known the amount stays in GNK with a hint.
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from babel.numbers import format_currency, format_decimal
from nicegui import ui

from minegnk import i18n
from minegnk.components.freshness import ago_text, datetime_text
from minegnk.components.locale import _, current_language
from minegnk.services import rates as rate_service
from minegnk.services.units import ngonka_to_gnk


def _locale():
    return i18n.babel_locale(current_language())


def number_text(value: Decimal | int, places: int | None = None) -> str:
    """A plain number per language (``1,234.5`` / ``1 234,5``); ``places`` fixes the decimals (half-even)."""
    value = Decimal(value)
    if places is None:
        return format_decimal(value, locale=_locale(), decimal_quantization=False)
    with localcontext() as ctx:
        ctx.prec = 80
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    pattern = '#,##0' + ('.' + '0' * places if places else '')
    text = format_decimal(value, format=pattern, locale=_locale(), decimal_quantization=False)
    return text[1:] if text.startswith('-') and value == 0 else text


def percent_text(share: Decimal | None, places: int = 1) -> str:
    return '—' if share is None else number_text(Decimal(share) * 100, places) + ' %'


def gnk_text(ngonka: int | None, places: int = 2, *, unit: bool = True) -> str:
    if ngonka is None:
        return '—'
    text = number_text(ngonka_to_gnk(ngonka), places)
    return f'{text} GNK' if unit else text


def gnk_full_text(ngonka: int) -> str:
    """All nine decimals: the exact amount."""
    return gnk_text(ngonka, 9)


def money_text(amount: Decimal, currency: str) -> str:
    if currency == 'GNK':
        return number_text(amount, 2) + ' GNK'
    with localcontext() as ctx:
        ctx.prec = 80
        amount = amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)
    return format_currency(amount, currency, locale=_locale())


def converted_text(ngonka: int, currency: str, rates: rate_service.Rates) -> str | None:
    """The amount in the user's currency, or None when that is GNK itself or no rate is known."""
    if currency == 'GNK':
        return None
    converted = rate_service.convert(ngonka, currency, rates)
    return None if converted is None else money_text(converted.amount, currency)


def rate_text(currency: str, rates: rate_service.Rates, tz: tzinfo | None = None) -> str | None:
    """"1 GNK = 0.0123 USD · manual · as of 25 Nov 2026, 10:00 (3 hours ago)" for the hover."""
    converted = rate_service.convert(10**9, currency, rates)
    if converted is None or currency == 'GNK':
        return None
    sources = ', '.join(_source_label(s) for s in converted.source.split('+'))
    as_of = converted.as_of
    when = _('as of {time} ({ago})', time=datetime_text(as_of, tz), ago=ago_text(as_of)) if as_of else ''
    return _('1 GNK = {rate} {currency} · source: {source} · {when}', rate=number_text(converted.rate),
             currency=currency, source=sources, when=when)


def _source_label(source: str) -> str:
    return {'manual': _('set by support'), 'http': _('price feed')}.get(source, source)


def no_rate_hint(currency: str) -> str:
    return _('No {currency} rate is known yet, so amounts are shown in GNK only.', currency=currency)


def amount(ngonka: int | None, currency: str, rates: rate_service.Rates, *, places: int = 2, tz: tzinfo | None = None,
           big: bool = False, estimate: bool = False) -> ui.column:
    """GNK on the first line, the user's currency under it; the rate, source and age on hover."""
    with ui.column().classes('gap-0') as column:
        main = gnk_text(ngonka, places)
        if estimate and ngonka is not None:
            main = '≈ ' + main
        ui.label(main).classes('font-semibold text-2xl' if big else '').mark('amount-gnk')
        if ngonka is None or currency == 'GNK':
            return column
        converted = converted_text(ngonka, currency, rates)
        if converted is None:
            with ui.row().classes('items-center gap-1 text-xs text-gray-500'):
                ui.icon('info', size='xs')
                ui.label(_('GNK only')).mark('no-rate')
                ui.tooltip(no_rate_hint(currency))
        else:
            label = ui.label(('≈ ' if estimate else '') + converted).classes('text-sm text-gray-600 dark:text-gray-400') \
                .mark('amount-currency')
            with label:
                ui.tooltip(rate_text(currency, rates, tz) or '')
    return column
