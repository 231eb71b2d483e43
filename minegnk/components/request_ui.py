"""Shared pieces of the request, catalog and profile pages: times in the user's zone, money, status badges,
error texts for service codes and live refresh when a request changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.numbers import format_decimal
from nicegui import ui

from minegnk import i18n
from minegnk.components.live_updates import on_signal
from minegnk.components.locale import N_, _, current_language
from minegnk.components.messages import ERROR_MESSAGES
from minegnk.i18n.field_errors import SERVICE_ERRORS
from minegnk.services import request_events
from minegnk.services.sessions import SessionUser

STATUS_LABELS = {
    'pending': N_('Pending'),
    'in_progress': N_('In progress'),
    'completed': N_('Completed'),
    'rejected': N_('Rejected'),
    'cancelled': N_('Cancelled'),
}
STATUS_COLORS = {'pending': 'warning', 'in_progress': 'primary', 'completed': 'positive', 'rejected': 'negative',
                 'cancelled': 'grey-7'}
REGION_LABELS = {
    'any': N_('No preference'),
    'europe': N_('Europe'),
    'north_america': N_('North America'),
    'asia_pacific': N_('Asia-Pacific'),
    'middle_east': N_('Middle East'),
    'south_america': N_('South America'),
}
NETWORK_LABELS = {'gonka': 'Gonka', 'bittensor': 'Bittensor', 'akash': 'Akash'}



def error_message(code: str) -> str:
    message = SERVICE_ERRORS.get(code) or ERROR_MESSAGES.get(code) or N_('Something went wrong. Please try again.')
    return _(message, minutes=15) if '{minutes}' in message else _(message)


def user_zone(user: SessionUser) -> tuple[ZoneInfo, str]:
    """The user's chosen zone, else UTC (always named on the page, so times are never ambiguous)."""
    if user.timezone:
        try:
            return ZoneInfo(user.timezone), user.timezone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo('UTC'), 'UTC'


def format_time(value: datetime | None, user: SessionUser) -> str:
    if value is None:
        return '—'
    zone, _name = user_zone(user)
    return format_datetime(value, 'd MMM y, HH:mm', tzinfo=zone, locale=i18n.babel_locale(current_language()))


def zone_caption(user: SessionUser) -> None:
    ui.label(_('Times are shown in {zone}.', zone=user_zone(user)[1])).classes('text-xs text-gray-500') \
        .mark('zone-caption')


def format_money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return '—'
    text = format_decimal(amount, format='#,##0.00', locale=i18n.babel_locale(current_language()))
    return f'{text} {currency or ""}'.strip()


def format_price(amount: Decimal | None, currency: str) -> str:
    """Price per GPU-hour, or "contact sales"."""
    if amount is None:
        return _('contact sales')
    text = format_decimal(amount, format='#,##0.00##', locale=i18n.babel_locale(current_language()))
    return _('{price} {currency} per GPU-hour', price=text, currency=currency)


def status_badge(status: str) -> ui.badge:
    return ui.badge(_(STATUS_LABELS.get(status, status)), color=STATUS_COLORS.get(status, 'grey')) \
        .classes('text-sm px-2 py-1').mark(f'status-{status}')


def plain_text(text: str | None, classes: str = '') -> ui.label:
    """User-written text: always a label (escaped), never HTML or markdown; line breaks kept."""
    return ui.label(text or '').classes(f'whitespace-pre-wrap break-words {classes}')


def on_requests_changed(refresh: Callable[[], Any], *, owner_id: int | None) -> None:
    """Refresh this page in place when a request changes: only the owner's (or, with ``owner_id=None``, any)."""
    on_signal(request_events.requests_changed, lambda _owner: refresh(),
              when=None if owner_id is None else (lambda changed_owner: changed_owner == owner_id),
              name='requests changed')
