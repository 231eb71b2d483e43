"""Node status as a coloured badge, and the status reasons (machine codes with params) in plain words."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from nicegui import ui

from minegnk.components.amounts import number_text
from minegnk.components.freshness import datetime_text
from minegnk.components.locale import N_, _
from minegnk.i18n.reasons import describe_reason

STATUS_LABELS = {
    'healthy': N_('Healthy'),
    'unhealthy': N_('Unhealthy'),
    'jailed': N_('Jailed'),
    'offline': N_('Offline'),
    'inactive': N_('Inactive'),
    'unknown': N_('Unknown'),
}
# Quasar colour names; the text on each is readable in light and dark mode.
STATUS_COLORS = {
    'healthy': 'positive',
    'unhealthy': 'orange-9',
    'jailed': 'negative',
    'offline': 'negative',
    'inactive': 'grey-7',
    'unknown': 'grey-6',
}
STATUS_ICONS = {
    'healthy': 'check_circle',
    'unhealthy': 'warning',
    'jailed': 'gavel',
    'offline': 'cloud_off',
    'inactive': 'pause_circle',
    'unknown': 'help',
}


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, STATUS_LABELS['unknown']))


def _n(value: Any) -> str:
    if value is None:
        return '?'
    return number_text(Decimal(str(value)))


def reason_text(reason: dict[str, Any], tz: tzinfo | None = None) -> str:
    """One reason (or note) from services.status in plain words, in the page's language."""
    return describe_reason(reason, _, _n, lambda iso: datetime_text(datetime.fromisoformat(iso), tz) if iso else '?')


def reasons_text(reasons: list[dict[str, Any]], tz: tzinfo | None = None) -> str:
    return '; '.join(reason_text(r, tz) for r in reasons)


def status_badge(status: str, reasons: list[dict[str, Any]] | None = None, *, tz: tzinfo | None = None) -> ui.badge:
    """A badge with the status; the reasons in plain words in its tooltip (text only, never HTML)."""
    badge = ui.badge(status_label(status), color=STATUS_COLORS.get(status, 'grey-6')) \
        .props('rounded').classes('px-2 py-1 text-xs whitespace-nowrap').mark(f'status-{status}')
    if reasons:
        with badge:
            ui.tooltip(reasons_text(reasons, tz)).classes('text-sm max-w-xs')
    return badge


def short_address(address: str) -> str:
    """gonka1qul38…nkeh7: enough to recognise, short enough for a phone."""
    return address if len(address) <= 18 else f'{address[:11]}…{address[-5:]}'


def node_name(label: str | None, address: str) -> str:
    return label.strip() if label and label.strip() else short_address(address)
