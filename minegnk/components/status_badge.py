"""Node status as a coloured badge, and the status reasons (machine codes with params) in plain words."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from nicegui import ui

from minegnk.components.amounts import number_text
from minegnk.components.freshness import datetime_text
from minegnk.components.locale import N_, _

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
    code = reason.get('code', '')
    p = reason.get('params') or {}
    if code == 'missed_test_failed':
        return _('missed {missed} of {total} requests this epoch; the network zeroes rewards above the allowed '
                 'miss count ({critical})', missed=_n(p.get('missed')), total=_n(p.get('total')),
                 critical=_n(p.get('critical')))
    if code == 'invalidation_test_failed':
        return _('{invalidated} of {total} validated inferences were invalidated this epoch, more than the allowed '
                 '{critical}', invalidated=_n(p.get('invalidated')), total=_n(p.get('total')),
                 critical=_n(p.get('critical')))
    if code == 'jailed':
        until = p.get('jailed_until')
        when = datetime_text(datetime.fromisoformat(until), tz) if until else _('an unknown time')
        if p.get('cause') == 'confirmation_poc':
            text = _('jailed until {until} after a failed confirmation PoC; this epoch\'s reward is forfeited',
                     until=when)
        else:
            text = _('jailed by the chain until {until} (missed too many blocks); most rewards keep flowing',
                     until=when)
        return text
    if code == 'unjail_tx_needed':
        return _('the jail time is over: the host must send an unjail transaction')
    if code == 'probe_failed':
        return _('did not answer {count} health checks in a row (last error: {error})',
                 count=_n(p.get('consecutive_failures')), error=p.get('error') or _('none reported'))
    if code == 'probe_failed_once':
        return _('one health check failed (last error: {error}); one more makes it offline',
                 error=p.get('error') or _('none reported'))
    if code == 'chain_status_bad':
        return _('the chain reports the participant as {status}', status=str(p.get('status') or '?'))
    if code == 'low_confirmation_ratio':
        return _('only {ratio} of its weight was confirmed in the confirmation PoC (needs {threshold})',
                 ratio=_n(p.get('ratio')), threshold=_n(p.get('threshold')))
    if code == 'consensus_key_mismatch':
        return _('its consensus key does not match the one registered on the chain')
    if code == 'ml_node_down':
        return _('ML node {node} is {status}', node=str(p.get('node_id') or '?'), status=str(p.get('status') or '?'))
    if code == 'not_in_active_set':
        return _('not in this epoch\'s active set (missed PoC or not joined yet); it earns nothing this epoch')
    if code == 'not_registered':
        return _('the chain does not know this address; check that it is correct')
    if code == 'no_fresh_data':
        return _('no fresh data from the tracker or the network nodes')
    if code == 'membership_unknown':
        return _('could not tell whether it is in this epoch\'s active set')
    if code == 'jail_state_unknown':
        return _('jail state not known yet')
    if code == 'health_unknown':
        return _('not health-checked yet')
    if code == 'chain_status_unknown':
        return _('chain status not known')
    if code == 'ramping':
        return _('ramping up (normal for new or lightly loaded hosts)')
    if code == 'idle_zero_weight':
        return _('in the active set with zero weight (idle)')
    if code == 'poc_phase':
        return _('proof-of-compute phase: inference counters pause')
    if code == 'no_inferences':
        return _('no inferences for {blocks} blocks of the inference phase', blocks=_n(p.get('blocks')))
    if code == 'too_few_requests':
        return _('too few requests this epoch to judge ({total}; at least {minimum} needed)',
                 total=_n(p.get('total')), minimum=_n(p.get('minimum')))
    return _('other reason: {code}', code=str(code))


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
